import type { EnvironmentConfig, Resources } from '../../manifests-src/config';
import { cpuCores } from '../../manifests-src/config/worker-memory';
import { NAT_INSTANCE_DISK_GIB } from '../lib/vpc';
import { estimateMwaa, type MwaaEstimate } from './mwaa';
import { awakeShare } from './cron-hours';
import { PRICE_TABLE, type MwaaClass, type Price, type RegionPrices } from './prices';

/** Usage the price pages cannot know; stated once so every figure is reproducible. Calibrate with CloudWatch. */
export interface UsageAssumptions {
  /** Reference load: average busy task slots while awake, as a share of the configured peak (workers.maxReplicas x concurrency). */
  readonly busyShareOfPeak: number;
  /** Aurora Serverless v2 writer ACUs when awake and idle, and the ACUs each busy task slot adds. */
  readonly dbAcuIdle: number;
  readonly dbAcuPerBusySlot: number;
  /** Aurora I/O requests (millions per month) per busy slot, plus a floor for the scheduler loop when awake. */
  readonly dbIoMillionsBase: number;
  readonly dbIoMillionsPerBusySlot: number;
  readonly dbStorageGb: number;
  readonly natGbPerMonth: number;
  /** Container and task logs (GB ingested per month) when awake, plus per busy slot. */
  readonly logsGbBase: number;
  readonly logsGbPerBusySlot: number;
  readonly controlPlaneLogsGb: number;
  readonly containerInsightsGbPerNode: number;
  readonly albLcu: number;
  /** Share of a node's vCPU / memory pods can request (kubelet reserve, daemonsets). */
  readonly allocatableCpu: number;
  readonly allocatableMem: number;
  readonly karpenterNodeDiskGib: number;
  /** Discount of spot below on-demand for the worker pool (market price, varies by pool and hour). */
  readonly spotDiscount: number;
  /** Compute Savings Plan (1 year, no upfront) discount on EC2, shown as an option line only. */
  readonly savingsPlanDiscount: number;
  readonly efsGb: number;
}

export const DEFAULT_ASSUMPTIONS: UsageAssumptions = {
  busyShareOfPeak: 0.5,
  dbAcuIdle: 0.5,
  dbAcuPerBusySlot: 0.025,
  dbIoMillionsBase: 10,
  dbIoMillionsPerBusySlot: 1,
  dbStorageGb: 20,
  natGbPerMonth: 50,
  logsGbBase: 2,
  logsGbPerBusySlot: 0.25,
  controlPlaneLogsGb: 3,
  containerInsightsGbPerNode: 1,
  albLcu: 0.2,
  allocatableCpu: 0.9,
  allocatableMem: 0.85,
  karpenterNodeDiskGib: 80,
  spotDiscount: 0.6,
  savingsPlanDiscount: 0.27,
  efsGb: 10,
};

/** vCPU and GiB of the instance types Karpenter may pick (those with a price in the region are candidates). */
export const SHAPES: Readonly<Record<string, { vcpu: number; gib: number }>> = {
  't4g.medium': { vcpu: 2, gib: 4 },
  't4g.large': { vcpu: 2, gib: 8 },
  'm6g.large': { vcpu: 2, gib: 8 },
  'm7g.large': { vcpu: 2, gib: 8 },
  'm7g.xlarge': { vcpu: 4, gib: 16 },
  'm8g.large': { vcpu: 2, gib: 8 },
  'c7g.large': { vcpu: 2, gib: 4 },
  'r7g.large': { vcpu: 2, gib: 16 },
};

/**
 * The cheapest instance type of the allowed families for `pods` pods of one shape (Karpenter's choice, roughly):
 * whole nodes when `whole`, else node-fractions (consolidation packs short-lived worker pods).
 */
export function cheapestFit(families: readonly string[], prices: Readonly<Record<string, Price>>, need: { vcpu: number; gib: number }, a: UsageAssumptions, whole: boolean): { type: string; nodes: number; hourly: number } {
  const candidates = Object.entries(SHAPES).filter(([t]) => families.includes(t.split('.')[0]) && prices[t]);
  if (!candidates.length) throw new Error(`no priced instance type in karpenter.instanceFamilies (${families.join(', ')}); add one of ${Object.keys(SHAPES).join(', ')} to infra/cost/prices.ts`);
  const fits = candidates.map(([type, s]) => {
    const raw = Math.max(need.vcpu / (s.vcpu * a.allocatableCpu), need.gib / (s.gib * a.allocatableMem));
    const nodes = whole ? Math.ceil(raw - 1e-9) : raw;
    return { type, nodes, hourly: nodes * prices[type].value };
  });
  return fits.reduce((best, f) => (f.hourly < best.hourly ? f : best));
}

/** KMS keys the stack creates (data, EKS secrets envelope, alarm topic); checked against the template in the stack test. */
export const KMS_KEYS = 3;
/** Secrets Manager secrets: metadata DB, broker, Airflow, DAG repository credentials. */
export const SECRETS = 4;
/** Interface endpoints of infra/lib/vpc.ts when enabled. */
export const INTERFACE_ENDPOINT_COUNT = 5;

export type Pool = 'fixed' | 'on-demand' | 'spot';
export interface CostLine {
  readonly component: string;
  readonly monthly: number;
  readonly detail: string;
}

export interface Estimate {
  readonly env: string;
  readonly region: string;
  readonly currency: string;
  readonly peakSlots: number;
  readonly busySlots: number;
  readonly awake: number;
  readonly lines: CostLine[];
  readonly total: number;
  readonly mwaa: MwaaEstimate | null;
  /** Option lines, not in the total: what a commitment would save. */
  readonly options: CostLine[];
  readonly unverifiedPrices: string[];
}

/** CPU quantity -> cores (the config's parser). */
export const cpuOf = cpuCores;
export function gibOf(q: string): number {
  const n = Number(q.replace(/(Ki|Mi|Gi)$/, ''));
  return q.endsWith('Gi') ? n : q.endsWith('Mi') ? n / 1024 : n / 1024 / 1024;
}

function priced(table: Readonly<Record<string, Price>>, key: string, what: string, used: Set<Price>): number {
  const p = table[key];
  if (p === undefined) throw new Error(`no ${what} price for "${key}" in infra/cost/prices.ts`);
  used.add(p);
  return p.value;
}

/** Requests of the always-on Airflow pods (everything but workers). */
export function corePods(env: EnvironmentConfig): { vcpu: number; gib: number } {
  const c = env.components;
  const pods: Array<[number, Resources]> = [
    [c.apiServer.replicas, c.apiServer.resources],
    [c.scheduler.replicas, c.scheduler.resources],
    [c.dagProcessor.replicas, c.dagProcessor.resources],
    [c.triggerer.replicas, c.triggerer.resources],
    [env.pgbouncer.replicas, env.pgbouncer.resources],
  ];
  return { vcpu: pods.reduce((s, [n, r]) => s + n * cpuOf(r.cpu), 0), gib: pods.reduce((s, [n, r]) => s + n * gibOf(r.memory), 0) };
}

export interface EstimateOptions {
  readonly assumptions?: UsageAssumptions;
  /** Average busy slots while awake; default busyShareOfPeak x peak. */
  readonly busySlots?: number;
  readonly prices?: RegionPrices;
  /** The MWAA class to compare with; default the smallest that holds the peak slots. */
  readonly mwaaClass?: MwaaClass;
}

/** Monthly cost of one environment per component, and Amazon MWAA at equal task slots and load. */
export function estimate(env: EnvironmentConfig, opts: EstimateOptions = {}): Estimate {
  const a = opts.assumptions ?? DEFAULT_ASSUMPTIONS;
  const prices = opts.prices ?? PRICE_TABLE.regions[env.aws.region];
  if (!prices) throw new Error(`no prices for region ${env.aws.region} in infra/cost/prices.ts (have: ${Object.keys(PRICE_TABLE.regions).join(', ')})`);
  const used = new Set<Price>();
  const $ = (p: Price) => (used.add(p), p.value);
  const ec2 = (type: string) => priced(prices.ec2Hour, type, 'EC2', used);
  const H = PRICE_TABLE.hoursPerMonth;
  const i = env.infra;
  const azs = env.cluster.availabilityZones;
  const awake = awakeShare(env);
  const peakSlots = env.workers.maxReplicas * env.workers.concurrency;
  const busySlots = opts.busySlots ?? a.busyShareOfPeak * peakSlots;
  const lines: CostLine[] = [];
  const shared: CostLine[] = [];
  const add = (component: string, monthly: number, detail: string) => lines.push({ component, monthly, detail });
  const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
  const families = env.karpenter.instanceFamilies;
  const ebs = $(prices.ebsGp3GbMonth);
  const ipv4 = H * $(prices.publicIpv4Hour);

  add('EKS control plane', H * $(prices.eksClusterHour), '1 cluster, standard support');
  const sys = i.eks.systemNodeCount;
  add('System nodes', sys * (H * ec2(i.eks.systemNodeInstanceType) + i.eks.systemNodeDiskGib * ebs), `${sys} x ${i.eks.systemNodeInstanceType} + ${i.eks.systemNodeDiskGib} GiB gp3 each, on-demand`);

  // Core Airflow pods run on whole on-demand nodes (bin-packed by Karpenter), only while awake.
  const core = corePods(env);
  const coreFit = cheapestFit(families, prices.ec2Hour, core, a, true);
  used.add(prices.ec2Hour[coreFit.type]);
  const coreNodes = coreFit.nodes;
  add('Airflow core nodes', awake * (H * coreFit.hourly + coreNodes * a.karpenterNodeDiskGib * ebs), `${core.vcpu.toFixed(2)} vCPU / ${core.gib.toFixed(1)} GiB -> ${coreNodes} x ${coreFit.type} on-demand, ${pct(awake)} of the month`);

  // Workers: pods in proportion to busy slots (0 when idle with minReplicas 0), packed by consolidation.
  const w = env.workers;
  const workerPods = Math.max(w.minReplicas, busySlots / w.concurrency);
  const podFit = (pods: number) => {
    const f = cheapestFit(families, prices.ec2Hour, { vcpu: pods * cpuOf(w.resources.cpu), gib: pods * gibOf(w.resources.memory) }, a, false);
    used.add(prices.ec2Hour[f.type]);
    return f;
  };
  const spotOnly = env.karpenter.workerCapacityTypes.every((t) => t === 'spot');
  const spotShare = env.karpenter.workerCapacityTypes.includes('spot') ? 1 - a.spotDiscount : 1;
  const wf = podFit(workerPods);
  const wn = wf.nodes;
  add(`Workers (${spotShare < 1 ? 'spot' : 'on-demand'} pool)`, awake * (H * wf.hourly * spotShare + wn * a.karpenterNodeDiskGib * ebs), `${workerPods.toFixed(2)} pods avg for ${busySlots.toFixed(1)} busy slots = ${wn.toFixed(2)} x ${wf.type}${spotShare < 1 ? ` at ${pct(a.spotDiscount)} below on-demand (assumed${spotOnly ? '' : '; on-demand fallback not priced'})` : ''}; 0 when idle`);
  if (i.longTaskOnDemandWorkers > 0) {
    const lf = podFit(i.longTaskOnDemandWorkers);
    add('Long-task workers (on-demand)', awake * (H * lf.hourly + lf.nodes * a.karpenterNodeDiskGib * ebs), `${i.longTaskOnDemandWorkers} pods avg = ${lf.nodes.toFixed(2)} x ${lf.type} on-demand`);
  }

  // Egress: the same NAT (or NAT instance) and endpoints serve MWAA's private subnets, so both sides pay them.
  const natCount = i.vpc.natGateways ?? azs;
  const nat =
    i.vpc.natProvider === 'gateway'
      ? { monthly: natCount * (H * $(prices.natGatewayHour) + ipv4) + a.natGbPerMonth * $(prices.natGatewayPerGb), detail: `${natCount} NAT gateway(s) + public IPv4 + ${a.natGbPerMonth} GB` }
      : { monthly: natCount * (H * ec2(i.vpc.natInstanceType) + ipv4 + NAT_INSTANCE_DISK_GIB * ebs), detail: `${natCount} NAT instance(s) ${i.vpc.natInstanceType} + public IPv4 + ${NAT_INSTANCE_DISK_GIB} GiB` };
  shared.push({ component: 'NAT', ...nat });
  if (i.vpc.interfaceEndpoints) {
    shared.push({ component: 'VPC interface endpoints', monthly: INTERFACE_ENDPOINT_COUNT * azs * H * $(prices.interfaceEndpointHourPerAz) + a.natGbPerMonth * $(prices.interfaceEndpointPerGb), detail: `${INTERFACE_ENDPOINT_COUNT} endpoints x ${azs} AZs` });
  }
  const logsGb = (a.logsGbBase + a.logsGbPerBusySlot * busySlots) * awake;
  const retentionMonths = env.logging.retentionDays / 30;
  shared.push({ component: 'CloudWatch Logs (tasks, containers)', monthly: logsGb * ($(prices.logsIngestPerGb) + retentionMonths * $(prices.logsStoredGbMonth)), detail: `${logsGb.toFixed(1)} GB ingested, kept ${env.logging.retentionDays} days` });
  lines.push(...shared);

  const publicAlb = env.ingress.scheme === 'internet-facing';
  add('Load balancer', H * ($(prices.albHour) + a.albLcu * $(prices.albLcuHour)) + (publicAlb ? azs * ipv4 : 0), `1 ALB, ${a.albLcu} LCU avg${publicAlb ? `, ${azs} public IPv4` : ', internal (no public IPv4)'}`);

  const db = i.database;
  const dbAwake = db.minCapacityAcu === 0 ? awake : 1;
  const ioMillions = (a.dbIoMillionsBase + a.dbIoMillionsPerBusySlot * busySlots) * awake;
  const dbStorage = a.dbStorageGb * $(prices.auroraStorageGbMonth) + ioMillions * $(prices.auroraIoPerMillion);
  if (db.instanceClass === 'serverless') {
    const acuHour = $(prices.auroraAcuHour);
    const writerAcu = Math.min(db.maxCapacityAcu, Math.max(db.minCapacityAcu, a.dbAcuIdle + a.dbAcuPerBusySlot * busySlots));
    // A tier-2 reader scales on its own (read-free) load: its floor, or the idle ACUs when the floor is 0.
    const readerAcu = db.readers === 0 ? 0 : db.readerScalesWithWriter ? writerAcu : Math.max(db.minCapacityAcu, a.dbAcuIdle);
    add('Aurora Serverless v2', (writerAcu + readerAcu) * acuHour * H * dbAwake, `writer ${writerAcu.toFixed(2)} ACU${db.readers ? ` + reader ${readerAcu.toFixed(2)} ACU (${db.readerScalesWithWriter ? 'tier 1, scales with writer' : 'tier 2, own load'})` : ', no reader'}${dbAwake < 1 ? `, paused ${pct(1 - dbAwake)} of the month` : ''}`);
  } else {
    add('Aurora provisioned', (1 + db.readers) * H * priced(prices.auroraInstanceHour, db.instanceClass, 'Aurora', used), `${1 + db.readers} x ${db.instanceClass}`);
  }
  add('Aurora storage and I/O', dbStorage, `${a.dbStorageGb} GB + ${ioMillions.toFixed(1)} M I/O (Standard)`);

  const cacheNodes = 1 + i.cache.replicas;
  add('ElastiCache broker', cacheNodes * H * priced(prices.cacheNodeHour[i.cache.engine], i.cache.nodeType, `ElastiCache ${i.cache.engine}`, used), `${cacheNodes} x ${i.cache.nodeType} (${i.cache.engine})`);
  if (i.sharedFileSystem) add('EFS', a.efsGb * $(prices.efsStandardGbMonth), `${a.efsGb} GB`);
  add('EKS control-plane logs', a.controlPlaneLogsGb * ($(prices.logsIngestPerGb) + retentionMonths * $(prices.logsStoredGbMonth)), `${a.controlPlaneLogsGb} GB (5 log types)`);
  if (i.eks.containerInsights) {
    const nodes = sys + (coreNodes + wn) * awake;
    add('Container Insights', nodes * a.containerInsightsGbPerNode * $(prices.logsIngestPerGb), `${nodes.toFixed(1)} nodes avg x ${a.containerInsightsGbPerNode} GB performance logs`);
  }
  add('KMS keys', KMS_KEYS * $(prices.kmsKeyMonth), `${KMS_KEYS} customer-managed keys`);
  add('Secrets Manager', SECRETS * $(prices.secretMonth), `${SECRETS} secrets`);

  const total = lines.reduce((s, l) => s + l.monthly, 0);
  const mwaa = estimateMwaa({ peakSlots, busySlots, awake, metaDbGb: a.dbStorageGb, shared, environmentClass: opts.mwaaClass }, prices, H);
  if (mwaa && prices.mwaa) {
    for (const c of Object.values(prices.mwaa.environmentHour)) if (c) used.add(c);
    for (const c of Object.values(prices.mwaa.workerHour)) if (c) used.add(c);
    used.add(prices.mwaa.metaDbGbMonth);
    if (prices.mwaa.serverlessTaskHour) used.add(prices.mwaa.serverlessTaskHour);
  }
  const ec2Lines = lines.filter((l) => /nodes|Workers|workers/.test(l.component) && !/spot/.test(l.component)).reduce((s, l) => s + l.monthly, 0);
  const options: CostLine[] = [{ component: 'Compute Savings Plan', monthly: -a.savingsPlanDiscount * ec2Lines, detail: `1 year, no upfront: about ${pct(a.savingsPlanDiscount)} off the on-demand EC2 lines (assumed; not in the total)` }];
  const unverifiedPrices = [...used].filter((p) => !p.verified).map((p) => p.url);
  return { env: env.name, region: env.aws.region, currency: prices.currency, peakSlots, busySlots, awake, lines, total, mwaa, options, unverifiedPrices: [...new Set(unverifiedPrices)] };
}

/** Our total over MWAA's at a load (null without MWAA prices). */
export function ratioAt(env: EnvironmentConfig, busySlots: number, opts: EstimateOptions = {}): number | null {
  const e = estimate(env, { ...opts, busySlots });
  return e.mwaa ? e.total / e.mwaa.monthly : null;
}

/**
 * Smallest busy-slot load (whole slots, up to 4x the configured peak) at which we cost at most `target` x MWAA,
 * or null if not reached there. Both sides grow with load: our workers, DB and logs; MWAA's extra workers.
 */
export function crossover(env: EnvironmentConfig, target: number, opts: EstimateOptions = {}): number | null {
  const peak = env.workers.maxReplicas * env.workers.concurrency;
  for (let b = 0; b <= 4 * peak; b++) {
    const r = ratioAt(env, b, opts);
    if (r === null) return null;
    if (r <= target) return b;
  }
  return null;
}
