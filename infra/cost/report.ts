import { MEASURED_AS, SCALE_MODEL, SIZING_BASELINE, derivedParseInterval, derivedParsingProcesses, sizedRequests, withPodResources, type Capacity, type EnvironmentConfig, type Resources, type SizedComponent } from '../../manifests-src/config';
import { dagLoad, predictedParseCycleSeconds } from '../../bench/scale-model';
import { DEFAULT_ASSUMPTIONS, crossover, estimate, ratioAt, type Estimate } from './estimate';
import { CROSSOVER_TARGET, goalsFor } from './goals';
import { CLASS_GOAL, compareClasses, renderClassNotes, renderClassTable } from './mwaa-classes';
import { PRICE_TABLE } from './prices';

export interface GoalResult {
  readonly name: string;
  readonly ratio: number | null;
  readonly maxRatio: number;
  readonly met: boolean | null;
}

export interface EnvironmentReport {
  readonly estimate: Estimate;
  readonly ratio: number | null;
  readonly crossover: number | null;
  readonly loads: Array<{ readonly share: number; readonly busySlots: number; readonly ratio: number | null }>;
  readonly goals: GoalResult[];
  /** Worker lines (spot and on-demand pools, long tasks aside) with nothing queued: 0 when minReplicas is 0. */
  readonly idleWorkersMonthly: number;
  /** The ratio with spot capacity priced at on-demand (what the goals would be without the spot assumption). */
  readonly ratioSpotAtOnDemand: number | null;
  readonly sizing: SizingReport;
  /** The environment priced: as configured, or sized for the capacity asked for. */
  readonly env: EnvironmentConfig;
}

/** Requests sized from the benchmark next to the configured ones, per pod of each sized component. */
export interface SizingReport {
  readonly capacity: Capacity;
  /** True when the estimate prices the sized requests (`--tasks-per-minute`), not the configured ones. */
  readonly priced: boolean;
  readonly rows: ReadonlyArray<{ readonly component: SizedComponent; readonly replicas: number; readonly sized: { readonly cpu: string; readonly memory: string }; readonly configured: Resources }>;
}

/** What `npm run cost` may size for in place of the configured capacity (`--tasks-per-minute`, `--dags`). */
export type CapacityPatch = Partial<Pick<Capacity, 'tasksPerMinute' | 'dags'>>;

/**
 * The sized stack: the environment with the requests and parsing processes sized for `patch` over its capacity,
 * in place of the configured ones.
 */
export function atCapacity(env: EnvironmentConfig, patch: CapacityPatch): EnvironmentConfig {
  const capacity = { ...env.capacity, ...patch };
  // The interval and processes for the files asked for, then the requests at that interval.
  const airflow = { ...env.airflow, minFileProcessIntervalSeconds: derivedParseInterval(capacity) };
  const sized = { ...env, airflow: { ...airflow, parsingProcesses: derivedParsingProcesses({ airflow, capacity }) } };
  return { ...withPodResources(sized, capacity, (_, r) => r), capacity };
}

function sizingOf(env: EnvironmentConfig, capacity: Capacity, priced: boolean): SizingReport {
  const sized = sizedRequests(env, capacity);
  const pod = (c: SizedComponent) => (c === 'pgbouncer' ? env.pgbouncer : env.components[c]);
  return { capacity, priced, rows: (Object.keys(MEASURED_AS) as SizedComponent[]).map((c) => ({ component: c, replicas: pod(c).replicas, sized: sized[c], configured: pod(c).resources })) };
}

/** The report of an environment as configured, or (a capacity patch) of its stack sized for that capacity. */
export function reportFor(configured: EnvironmentConfig, opts: CapacityPatch = {}): EnvironmentReport {
  const sized = opts.tasksPerMinute !== undefined || opts.dags !== undefined;
  const patch: CapacityPatch = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
  const env = sized ? atCapacity(configured, patch) : configured;
  const sizing = sizingOf(configured, env.capacity, sized);
  const e = estimate(env);
  const goals = goalsFor(env).map((g): GoalResult => {
    const v = estimate(g.variant(env));
    const ratio = v.mwaa ? v.total / v.mwaa.monthly : null;
    return { name: g.name, ratio, maxRatio: g.maxRatio, met: ratio === null ? null : ratio <= g.maxRatio };
  });
  const loads = [0, 0.25, 0.5, 1].map((share) => ({ share, busySlots: share * e.peakSlots, ratio: ratioAt(env, share * e.peakSlots) }));
  const idle = estimate(env, { busySlots: 0 }).lines.filter((l) => /^Workers \(/.test(l.component)).reduce((s, l) => s + l.monthly, 0);
  const noSpot = estimate(env, { assumptions: { ...DEFAULT_ASSUMPTIONS, spotDiscount: 0 } });
  return { env, ratioSpotAtOnDemand: noSpot.mwaa ? noSpot.total / noSpot.mwaa.monthly : null, idleWorkersMonthly: idle, estimate: e, ratio: e.mwaa ? e.total / e.mwaa.monthly : null, crossover: crossover(env, CROSSOVER_TARGET), loads, goals, sizing };
}

/** What the environment's DAG files need, from the scale model: parsing, the scheduler loop, API server memory, database size. */
export function dagSizingLine(env: EnvironmentConfig): string {
  const a = env.airflow;
  const l = dagLoad(SCALE_MODEL, env.capacity.dags, a.minFileProcessIntervalSeconds, env.capacity.targetUtilisation);
  const cycle = predictedParseCycleSeconds(SCALE_MODEL, env.capacity.dags, env.capacity.dags, a.minFileProcessIntervalSeconds);
  return `${env.capacity.dags} DAG files: parsed every ${a.minFileProcessIntervalSeconds} s (cycle up to ${cycle.toFixed(0)} s${l.overOneProcessor ? '; more than one dag-processor can carry: split the DAGs over bundles' : ''}), ${l.parseCores.toFixed(2)} cores parsing, ${a.parsingProcesses} parsing processes; scheduler loop ~${l.schedulerLoopSeconds.toFixed(2)} s; api-server ~${l.apiServerMiB.toFixed(0)} MiB; metadata DB ~${l.dbMiB.toFixed(0)} MiB (the DAGs, minutes of run history) (${SCALE_MODEL.source.file})`;
}

/** One line on what the sized requests come from, and what the estimate prices. */
export function sizingHeadline(s: SizingReport): string {
  const src = SIZING_BASELINE.source;
  return `requests sized for ${s.capacity.tasksPerMinute} tasks/min and ${s.capacity.dags} DAG files at ${(s.capacity.targetUtilisation * 100).toFixed(0)}% target utilisation (benchmark ${src.file}, ${src.machine.cores} cores); ${s.priced ? 'priced: the sized requests, in place of the configured ones' : 'priced: the configured requests'}; workers by busy slots`;
}

const n0 = (n: number) => Math.round(n).toLocaleString('en-US');
const x2 = (r: number | null) => (r === null ? 'n/a' : `${r.toFixed(2)}x`);
const x3 = (r: number | null) => (r === null ? 'n/a' : `${r.toFixed(3)}x`);

/** Plain-text table for the terminal. */
export function renderText(reports: EnvironmentReport[]): string {
  const out: string[] = [];
  for (const { estimate: e, ratio, crossover: c, loads, goals, idleWorkersMonthly, ratioSpotAtOnDemand, sizing, env } of reports) {
    const cur = e.currency;
    const money = (n: number) => `${cur} ${n0(n).padStart(7)}`;
    out.push('', `${e.env} (${e.region}) - monthly, list prices as of ${PRICE_TABLE.asOf}; ${e.peakSlots} task slots at peak, reference load ${e.busySlots.toFixed(1)} busy slots; awake ${(e.awake * 100).toFixed(0)}% of the month`);
    out.push(`  ${dagSizingLine(env)}`, `  ${sizingHeadline(sizing)}, per pod:`);
    for (const r of sizing.rows) out.push(`    ${r.component.padEnd(14)} ${String(r.replicas).padStart(2)} x  sized ${`${r.sized.cpu} / ${r.sized.memory}`.padEnd(14)} configured ${r.configured.cpu} / ${r.configured.memory}`);
    for (const l of e.lines) out.push(`  ${l.component.padEnd(36)} ${money(l.monthly)}   ${l.detail}`);
    out.push(`  ${'TOTAL'.padEnd(36)} ${money(e.total)}   ${money(e.total / e.peakSlots).trim()} per task slot`);
    for (const o of e.options) out.push(`  option: ${o.component.padEnd(28)} ${money(o.monthly)}   ${o.detail}`);
    if (!e.mwaa) {
      out.push(`  Amazon MWAA: n/a (no MWAA prices for ${e.region} in infra/cost/prices.ts)`);
      continue;
    }
    out.push(`  Amazon MWAA at equal slots (${e.mwaa.environmentClass}, ${e.mwaa.slotsPerWorker} slots/worker, ${e.mwaa.averageWorkers.toFixed(2)} workers avg):`);
    for (const l of e.mwaa.lines) out.push(`    ${l.component.padEnd(34)} ${money(l.monthly)}   ${l.detail}`);
    out.push(`    ${'TOTAL'.padEnd(34)} ${money(e.mwaa.monthly)}   ${money(e.mwaa.monthly / e.peakSlots).trim()} per task slot`);
    if (e.mwaa.serverlessMonthly !== null) out.push(`  MWAA Serverless, same task-hours      ${money(e.mwaa.serverlessMonthly)}   (price unverified for this region; no UI, YAML workflows: not like-for-like)`);
    out.push(`  RATIO us / MWAA: ${x2(ratio)}   at ${loads.map((l) => `${(l.share * 100).toFixed(0)}% load ${x2(l.ratio)}`).join(', ')}`);
    out.push(`  crossover to ${CROSSOVER_TARGET}x MWAA: ${c === null ? 'not reached up to 4x the configured peak' : `${c} busy slots (${((c / e.peakSlots) * 100).toFixed(0)}% of peak)`}`);
    for (const g of goals) out.push(`  goal ${g.name}: ${x3(g.ratio)} ${g.met === null ? 'n/a' : g.met ? 'MET' : 'NOT MET'}`);
    out.push(`  idle workers (nothing queued): ${money(idleWorkersMonthly).trim()}; ratio with spot priced on-demand: ${x3(ratioSpotAtOnDemand)}`);
  }
  const classes = compareClasses();
  out.push('', `Each MWAA class beside prod sized like for like (its DAG count, its worker per slot, MWAA's default max workers; goal <= ${CLASS_GOAL}x):`, renderClassTable(classes), ...renderClassNotes(classes));
  const unverified = [...new Set([...reports, ...classes].flatMap((r) => r.estimate.unverifiedPrices))];
  out.push('', `Assumptions: ${JSON.stringify(DEFAULT_ASSUMPTIONS)}`);
  out.push(`Unverified prices (check these pages before budgeting; details in infra/cost/prices.ts): ${unverified.length ? unverified.join(' ') : 'none'}`);
  return out.join('\n');
}
