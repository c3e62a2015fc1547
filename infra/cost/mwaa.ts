import { MWAA_CLASSES, type MwaaClass, type RegionPrices } from './prices';

export interface MwaaEstimate {
  readonly environmentClass: MwaaClass;
  readonly slotsPerWorker: number;
  /** Average workers while awake, the included first one counted. */
  readonly averageWorkers: number;
  readonly lines: ReadonlyArray<{ readonly component: string; readonly monthly: number; readonly detail: string }>;
  readonly monthly: number;
  /** MWAA Serverless at the same task-hours (null where no price is known). */
  readonly serverlessMonthly: number | null;
}

/**
 * Smallest MWAA class whose workers can hold `peakSlots` task slots at its default per-worker concurrency
 * (equal slots, not equal worker shape). mw1.micro does not autoscale: 3 slots, one worker.
 */
export function mwaaClassFor(peakSlots: number): (typeof MWAA_CLASSES)[number] {
  const fit = MWAA_CLASSES.find((c) => c.slotsPerWorker * c.maxWorkers >= peakSlots);
  if (!fit) throw new Error(`${peakSlots} task slots exceed the largest MWAA class (${MWAA_CLASSES.at(-1)!.name})`);
  return fit;
}

export interface MwaaLoad {
  readonly peakSlots: number;
  /** Average busy task slots while awake. */
  readonly busySlots: number;
  /** Share of the month the workload runs (MWAA itself runs 24x7: it cannot scale to zero). */
  readonly awake: number;
  readonly metaDbGb: number;
  /** Lines both sides pay alike (NAT or endpoints, task logs), already priced. */
  readonly shared: ReadonlyArray<{ readonly component: string; readonly monthly: number; readonly detail: string }>;
  /** Compare with this class instead of the smallest that holds the slots (the per-class table). */
  readonly environmentClass?: MwaaClass;
}

/**
 * Amazon MWAA at equal task slots: the environment hour includes schedulers, web servers, the metadata
 * database and the first (minimum) worker, billed whether busy or idle; further workers are billed per hour
 * while the busy slots need them.
 */
export function estimateMwaa(load: MwaaLoad, prices: RegionPrices, hoursPerMonth: number): MwaaEstimate | null {
  const m = prices.mwaa;
  if (!m) return null;
  const cls = load.environmentClass ? MWAA_CLASSES.find((c) => c.name === load.environmentClass)! : mwaaClassFor(Math.max(load.peakSlots, load.busySlots));
  const env = m.environmentHour[cls.name];
  const worker = m.workerHour[cls.name];
  if (!env) throw new Error(`no MWAA environment price for ${cls.name} in infra/cost/prices.ts`);
  const neededWorkers = load.busySlots / cls.slotsPerWorker;
  const extra = Math.max(0, neededWorkers - 1);
  if (extra > 0 && !worker) throw new Error(`no MWAA worker price for ${cls.name} in infra/cost/prices.ts`);
  const lines = [
    { component: `Environment ${cls.name}`, monthly: hoursPerMonth * env.value, detail: `24x7, includes 1 worker (${cls.slotsPerWorker} slots), schedulers, web servers, metadata DB` },
    { component: 'Additional workers', monthly: extra * hoursPerMonth * load.awake * (worker?.value ?? 0), detail: `${extra.toFixed(2)} avg x ${(load.awake * 100).toFixed(0)}% of the month` },
    { component: 'Metadata DB storage', monthly: load.metaDbGb * m.metaDbGbMonth.value, detail: `${load.metaDbGb} GB` },
    ...load.shared,
  ];
  const taskHours = load.busySlots * hoursPerMonth * load.awake;
  return {
    environmentClass: cls.name,
    slotsPerWorker: cls.slotsPerWorker,
    averageWorkers: Math.max(1, neededWorkers),
    lines,
    monthly: lines.reduce((s, l) => s + l.monthly, 0),
    serverlessMonthly: m.serverlessTaskHour ? taskHours * m.serverlessTaskHour.value + load.shared.reduce((s, l) => s + l.monthly, 0) : null,
  };
}
