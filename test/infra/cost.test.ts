import { loadEnvironments } from '../../manifests-src/config';
import { DEFAULT_ASSUMPTIONS, cpuOf, estimate, gibOf, mwaaEquivalent } from '../../infra/cost/estimate';
import { PRICE_TABLE } from '../../infra/cost/prices';

const [dev, prod, cn] = loadEnvironments();
const H = PRICE_TABLE.hoursPerMonth;
const us = PRICE_TABLE.regions['us-east-1'];
const line = (e: ReturnType<typeof estimate>, name: string) => e.lines.find((l) => l.component === name)!.monthly;

test('quantities parse like Kubernetes', () => {
  expect(cpuOf('500m')).toBe(0.5);
  expect(cpuOf('2')).toBe(2);
  expect(gibOf('512Mi')).toBe(0.5);
  expect(gibOf('4Gi')).toBe(4);
});

test('prod: each line is the table price times the configured quantity', () => {
  const e = estimate(prod);
  expect(e.currency).toBe('USD');
  expect(line(e, 'EKS control plane')).toBeCloseTo(H * us.eksClusterHour);
  expect(line(e, 'System node group')).toBeCloseTo(H * prod.infra.eks.systemNodeCount * us.ec2Hour['m7g.large']);
  expect(line(e, 'NAT gateways')).toBeCloseTo(2 * H * us.natGatewayHour + DEFAULT_ASSUMPTIONS.natGbPerMonth * us.natGatewayPerGb);
  expect(line(e, 'Aurora PostgreSQL')).toBeCloseTo(2 * H * us.auroraInstanceHour['db.r7g.large'] + DEFAULT_ASSUMPTIONS.dbStorageGb * us.auroraStorageGbMonth);
  expect(line(e, 'ElastiCache broker')).toBeCloseTo(2 * H * us.cacheNodeHour.valkey['cache.m7g.large']);
  expect(e.total).toBeCloseTo(e.lines.reduce((s, l) => s + l.monthly, 0));
});

test('dev: Serverless v2 priced at the assumed share of its ACU range; one NAT gateway', () => {
  const e = estimate(dev);
  const acu = 0.5 + (8 - 0.5) * DEFAULT_ASSUMPTIONS.acuShare;
  expect(line(e, 'Aurora PostgreSQL')).toBeCloseTo(2 * acu * H * us.auroraAcuHour + DEFAULT_ASSUMPTIONS.dbStorageGb * us.auroraStorageGbMonth);
  expect(line(e, 'NAT gateways')).toBeCloseTo(H * us.natGatewayHour + DEFAULT_ASSUMPTIONS.natGbPerMonth * us.natGatewayPerGb);
});

test('Karpenter capacity follows pod requests (more workers cost more)', () => {
  const busier = estimate(prod, { ...DEFAULT_ASSUMPTIONS, workerBusyShare: 1 });
  expect(line(busier, 'Airflow nodes (Karpenter)')).toBeGreaterThan(line(estimate(prod), 'Airflow nodes (Karpenter)'));
});

test('MWAA comparison: class by per-worker slots, extra workers billed on top of the included one', () => {
  const m = mwaaEquivalent(prod, DEFAULT_ASSUMPTIONS);
  expect(m.environmentClass).toBe('mw1.large');
  const slots = (prod.workers.minReplicas + (prod.workers.maxReplicas - prod.workers.minReplicas) * DEFAULT_ASSUMPTIONS.workerBusyShare) * prod.workers.concurrency;
  expect(m.workers).toBe(Math.ceil(slots / 20));
  const e = estimate(prod);
  expect(e.mwaa!.monthly).toBeCloseTo(H * us.mwaa!.environmentHour['mw1.large'] + H * (m.workers - 1) * us.mwaa!.workerHour['mw1.large'] + DEFAULT_ASSUMPTIONS.dbStorageGb * us.mwaa!.metaDbGbMonth);
});

test('China is priced in CNY from its own table; missing prices are reported, not guessed', () => {
  const e = estimate(cn);
  expect(e.currency).toBe('CNY');
  expect(e.mwaa).toBeNull();
  expect(() => estimate({ ...prod, infra: { ...prod.infra, eks: { ...prod.infra.eks, systemNodeInstanceType: 'x9g.huge' } } })).toThrow(/no EC2 price for "x9g.huge"/);
  expect(() => estimate({ ...prod, aws: { ...prod.aws, region: 'eu-west-1' } })).toThrow(/no prices for region eu-west-1/);
});
