import type { EnvironmentConfig, Resources } from '../../manifests-src/config';
import { PRICE_TABLE, type MwaaClass, type RegionPrices } from './prices';

/** Usage the price pages cannot know; stated here once so the estimate is reproducible. */
export interface UsageAssumptions {
  /** Share of the time workers run above minReplicas, at maxReplicas (0..1). */
  readonly workerBusyShare: number;
  /** Average Serverless v2 capacity as a share of the min..max ACU range. */
  readonly acuShare: number;
  readonly natGbPerMonth: number;
  readonly dbStorageGb: number;
  readonly efsGb: number;
  readonly logsGbPerMonth: number;
  /** Instance type Karpenter's Airflow capacity is priced as (per vCPU / GiB). */
  readonly karpenterPriceAs: string;
}

export const DEFAULT_ASSUMPTIONS: UsageAssumptions = { workerBusyShare: 0.25, acuShare: 0.25, natGbPerMonth: 100, dbStorageGb: 20, efsGb: 10, logsGbPerMonth: 20, karpenterPriceAs: 'm7g.large' };

/** vCPU and GiB of the instance types we price Karpenter capacity as. */
const SHAPES: Record<string, { vcpu: number; gib: number }> = { 'm7g.large': { vcpu: 2, gib: 8 }, 'm7g.xlarge': { vcpu: 4, gib: 16 } };

export interface CostLine {
  readonly component: string;
  readonly monthly: number;
  readonly detail: string;
}

export interface Estimate {
  readonly env: string;
  readonly region: string;
  readonly currency: string;
  readonly lines: CostLine[];
  readonly total: number;
  readonly mwaa: { readonly environmentClass: MwaaClass; readonly workers: number; readonly monthly: number } | null;
}

export function cpuOf(q: string): number {
  return q.endsWith('m') ? Number(q.slice(0, -1)) / 1000 : Number(q);
}
export function gibOf(q: string): number {
  const n = Number(q.replace(/(Ki|Mi|Gi)$/, ''));
  return q.endsWith('Gi') ? n : q.endsWith('Mi') ? n / 1024 : n / 1024 / 1024;
}

function price(table: Readonly<Record<string, number>>, key: string, what: string): number {
  const p = table[key];
  if (p === undefined) throw new Error(`no ${what} price for "${key}" in infra/cost/prices.ts`);
  return p;
}

/** Pods the environment runs most of the time, with worker replicas averaged by workerBusyShare. */
function podRequests(env: EnvironmentConfig, a: UsageAssumptions): { vcpu: number; gib: number } {
  const c = env.components;
  const fixed: Array<[number, Resources]> = [
    [c.apiServer.replicas, c.apiServer.resources],
    [c.scheduler.replicas, c.scheduler.resources],
    [c.dagProcessor.replicas, c.dagProcessor.resources],
    [c.triggerer.replicas, c.triggerer.resources],
    [env.pgbouncer.replicas, env.pgbouncer.resources],
  ];
  const workers = env.workers.minReplicas + (env.workers.maxReplicas - env.workers.minReplicas) * a.workerBusyShare;
  const all: Array<[number, Resources]> = [...fixed, [workers, env.workers.resources]];
  return { vcpu: all.reduce((s, [n, r]) => s + n * cpuOf(r.cpu), 0), gib: all.reduce((s, [n, r]) => s + n * gibOf(r.memory), 0) };
}

/** MWAA class with the same per-worker task slots (5 / 10 / 20 per the MWAA docs) and enough workers. */
export function mwaaEquivalent(env: EnvironmentConfig, a: UsageAssumptions): { environmentClass: MwaaClass; workers: number } {
  const classes: Array<[MwaaClass, number]> = [['mw1.small', 5], ['mw1.medium', 10], ['mw1.large', 20]];
  const [environmentClass, slots] = classes.find(([, s]) => s >= env.workers.concurrency) ?? classes[2];
  const busySlots = (env.workers.minReplicas + (env.workers.maxReplicas - env.workers.minReplicas) * a.workerBusyShare) * env.workers.concurrency;
  return { environmentClass, workers: Math.max(1, Math.ceil(busySlots / slots)) };
}

export function estimate(env: EnvironmentConfig, a: UsageAssumptions = DEFAULT_ASSUMPTIONS, prices: RegionPrices | undefined = PRICE_TABLE.regions[env.aws.region]): Estimate {
  if (!prices) throw new Error(`no prices for region ${env.aws.region} in infra/cost/prices.ts (have: ${Object.keys(PRICE_TABLE.regions).join(', ')})`);
  const H = PRICE_TABLE.hoursPerMonth;
  const i = env.infra;
  const azs = env.cluster.availabilityZones;
  const lines: CostLine[] = [];
  const add = (component: string, monthly: number, detail: string) => lines.push({ component, monthly, detail });

  add('EKS control plane', H * prices.eksClusterHour, '1 cluster');
  add('System node group', H * i.eks.systemNodeCount * price(prices.ec2Hour, i.eks.systemNodeInstanceType, 'EC2'), `${i.eks.systemNodeCount} x ${i.eks.systemNodeInstanceType}`);
  const req = podRequests(env, a);
  const shape = SHAPES[a.karpenterPriceAs];
  const nodes = Math.max(req.vcpu / shape.vcpu, req.gib / shape.gib);
  add('Airflow nodes (Karpenter)', H * nodes * price(prices.ec2Hour, a.karpenterPriceAs, 'EC2'), `${req.vcpu.toFixed(1)} vCPU / ${req.gib.toFixed(1)} GiB requested = ${nodes.toFixed(2)} x ${a.karpenterPriceAs}`);
  const nat = i.vpc.natGateways ?? azs;
  add('NAT gateways', nat * H * prices.natGatewayHour + a.natGbPerMonth * prices.natGatewayPerGb, `${nat} gateway(s) + ${a.natGbPerMonth} GB`);
  add('VPC interface endpoints', 5 * azs * H * prices.interfaceEndpointHourPerAz, `5 endpoints x ${azs} AZs`);
  add('Load balancer', H * prices.albHour, '1 ALB (LCUs not included)');
  const db = i.database;
  const dbCompute = db.instanceClass === 'serverless'
    ? 2 * (db.minCapacityAcu + (db.maxCapacityAcu - db.minCapacityAcu) * a.acuShare) * H * prices.auroraAcuHour
    : 2 * H * price(prices.auroraInstanceHour, db.instanceClass, 'Aurora');
  add('Aurora PostgreSQL', dbCompute + a.dbStorageGb * prices.auroraStorageGbMonth, `writer + reader ${db.instanceClass}, ${a.dbStorageGb} GB`);
  const cacheNodes = 1 + i.cache.replicas;
  add('ElastiCache broker', cacheNodes * H * price(prices.cacheNodeHour[i.cache.engine], i.cache.nodeType, `ElastiCache ${i.cache.engine}`), `${cacheNodes} x ${i.cache.nodeType} (${i.cache.engine})`);
  add('EFS', a.efsGb * prices.efsStandardGbMonth, `${a.efsGb} GB`);
  add('CloudWatch Logs', a.logsGbPerMonth * prices.logsIngestPerGb, `${a.logsGbPerMonth} GB ingested`);
  add('Secrets Manager', 4 * prices.secretMonth, '4 secrets');

  const total = lines.reduce((s, l) => s + l.monthly, 0);
  let mwaa: Estimate['mwaa'] = null;
  if (prices.mwaa) {
    const m = mwaaEquivalent(env, a);
    // The environment price includes one worker; extra workers are billed per worker-hour.
    const monthly = H * prices.mwaa.environmentHour[m.environmentClass] + H * (m.workers - 1) * prices.mwaa.workerHour[m.environmentClass] + a.dbStorageGb * prices.mwaa.metaDbGbMonth;
    mwaa = { ...m, monthly };
  }
  return { env: env.name, region: env.aws.region, currency: prices.currency, lines, total, mwaa };
}
