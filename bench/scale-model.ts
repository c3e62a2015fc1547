import { median } from './stats';
import type { ScalePoint, ScaleReport, ScaleSettings } from './scale';

/**
 * What N DAG files cost, fitted from one `npm run bench:scale` report (bench/scale-model.json, written by
 * `npm run docs` from the newest report, never by hand). Parsing is modelled from the CPU one file's parse takes,
 * paused (measured before unpausing) and active (from the window: an active DAG's parse also reads its runs):
 * with every file re-parsed each `min_file_process_interval`, the dag-processor is busy the files' CPU every
 * interval, and a cycle takes that CPU / parsing processes when that is longer than the interval. The
 * scheduler's CPU, the api-server's memory and the metadata database's size are straight lines through the
 * medians at the measured counts (least squares, never falling with N), as is the scheduler's loop time. test/bench/scale-model.test.ts holds each at its measured points.
 */

/** y = intercept + perDag x N. */
export interface Line {
  readonly intercept: number;
  readonly perDag: number;
}

/** Medians over the repeats at one measured DAG count. */
export interface MeasuredPoint {
  readonly dags: number;
  /** DAGs unpaused during the window (the rest stay paused). */
  readonly activeDags: number;
  readonly repeats: number;
  readonly parseCycleSeconds: number;
  readonly parseCpuSecondsPerFile: number;
  readonly dagProcessorCores: number;
  /** Cores every component of the stack used together: near the machine's, the dag-processor got what was left. */
  readonly stackCores: number;
  readonly schedulerCores: number;
  /** Median over the repeats of each repeat's median loop time. */
  readonly schedulerLoopSeconds: number;
  readonly apiServerMiB: number;
  readonly dbMiB: number;
  readonly lagP95Seconds: number;
  readonly uiDagListP95Seconds: number;
  readonly uiGridRunsP95Seconds: number;
}

export interface ScaleModel {
  readonly source: { readonly file: string; readonly date: string; readonly machine: string; readonly cores: number };
  /** Settings the benchmark ran with (dev's profile; schedulers: what the local runner starts). */
  readonly measuredWith: ScaleSettings;
  /**
   * CPU-seconds the dag-processor spends per parse of a paused DAG's file, against the file count (the cycle before
   * unpausing): it grows with N, since the manager's bookkeeping of each result looks over every DAG.
   */
  readonly parseCpuSecondsPerFile: Line;
  /**
   * The same for an active DAG's file: the paused line raised by what the window at the smallest count shows an
   * active DAG's parse adds (it also reads its runs to set the next one). What sizing uses: in production every DAG
   * is active.
   */
  readonly activeParseCpuSecondsPerFile: Line;
  readonly schedulerCores: Line;
  readonly schedulerLoopSeconds: Line;
  readonly apiServerMiB: Line;
  readonly dbMiB: Line;
  readonly points: readonly MeasuredPoint[];
}

/** Least-squares line through (x, y); a single x gives a flat line through its mean. */
export function fitLine(xs: readonly number[], ys: readonly number[]): Line {
  const n = xs.length;
  if (!n || n !== ys.length) throw new Error('fitLine: need as many ys as xs, at least one');
  const mx = xs.reduce((s, x) => s + x, 0) / n;
  const my = ys.reduce((s, y) => s + y, 0) / n;
  const sxx = xs.reduce((s, x) => s + (x - mx) ** 2, 0);
  const perDag = sxx === 0 ? 0 : xs.reduce((s, x, i) => s + (x - mx) * (ys[i] - my), 0) / sxx;
  return { intercept: my - perDag * mx, perDag };
}

export const at = (l: Line, dags: number) => l.intercept + l.perDag * dags;

/** A cost does not fall with more DAGs: a fitted slope below zero (noise between the counts) becomes a flat line through the mean. */
export function fitCostLine(xs: readonly number[], ys: readonly number[]): Line {
  const l = fitLine(xs, ys);
  return l.perDag >= 0 ? l : { intercept: ys.reduce((s, y) => s + y, 0) / ys.length, perDag: 0 };
}

function medianPoint(dags: number, ps: readonly ScalePoint[]): MeasuredPoint {
  const m = (f: (p: ScalePoint) => number) => median(ps.map(f).filter(Number.isFinite));
  return {
    dags,
    activeDags: m((p) => p.activeDags),
    repeats: ps.length,
    parseCycleSeconds: m((p) => p.parseCycleSeconds),
    parseCpuSecondsPerFile: m((p) => p.parseCpuMsPerFile / 1000),
    dagProcessorCores: m((p) => (p.cpuPerMinute['dag-processor'] ?? 0) / 60),
    stackCores: m((p) => Object.values(p.cpuPerMinute).reduce((a, b) => a + b, 0) / 60),
    schedulerCores: m((p) => (p.cpuPerMinute.scheduler ?? 0) / 60),
    schedulerLoopSeconds: m((p) => p.schedulerLoop?.p50 ?? NaN),
    apiServerMiB: m((p) => p.apiServerMiB),
    dbMiB: m((p) => p.dbMiB),
    lagP95Seconds: m((p) => p.lag.p95),
    uiDagListP95Seconds: m((p) => p.api['UI DAG list (50)'].p95),
    uiGridRunsP95Seconds: m((p) => p.api['UI grid runs'].p95),
  };
}

/** The model of a report (`file`: its path in the repository), from the medians at each DAG count. */
export function fitScaleModel(report: ScaleReport, file: string): ScaleModel {
  // Reports from before the settings were recorded ran with Airflow's defaults and two schedulers.
  const measuredWith: ScaleSettings = report.settings ?? { minFileProcessIntervalSeconds: AIRFLOW_DEFAULT_MIN_FILE_PROCESS_INTERVAL, parsingProcesses: AIRFLOW_DEFAULT_PARSING_PROCESSES, schedulers: 2 };
  const counts = [...new Set(report.points.map((p) => p.dags))].sort((a, b) => a - b);
  if (counts.length < 2) throw new Error(`${file}: a scale model needs points at two DAG counts at least (has ${counts.join(', ') || 'none'})`);
  const points = counts.map((n) => medianPoint(n, report.points.filter((p) => p.dags === n)));
  const xs = points.map((p) => p.dags);
  const paused = fitCostLine(xs, points.map((p) => p.parseCpuSecondsPerFile));
  // The window's dag-processor cores at the smallest count, less what its paused files cost, over its active ones.
  const first = points[0];
  const interval = measuredWith.minFileProcessIntervalSeconds;
  const pausedAtFirst = at(paused, first.dags);
  const activeAtFirst = Math.max(pausedAtFirst, ((first.dagProcessorCores - (pausedAtFirst * (first.dags - first.activeDags)) / interval) * interval) / first.activeDags);
  const active: Line = { intercept: paused.intercept + (activeAtFirst - pausedAtFirst), perDag: paused.perDag };
  return {
    source: { file, date: report.date, machine: report.machine, cores: report.cores },
    measuredWith,
    parseCpuSecondsPerFile: paused,
    activeParseCpuSecondsPerFile: active,
    schedulerCores: fitCostLine(xs, points.map((p) => p.schedulerCores)),
    schedulerLoopSeconds: fitCostLine(xs, points.map((p) => p.schedulerLoopSeconds)),
    apiServerMiB: fitCostLine(xs, points.map((p) => p.apiServerMiB)),
    dbMiB: fitCostLine(xs, points.map((p) => p.dbMiB)),
    points,
  };
}

/** What `dags` files need at a parse interval, at a target utilisation of the CPU asked for. */
export interface DagLoad {
  /** Whether the files need more than an hour at the target utilisation (split them over bundles, one dag-processor each). */
  readonly overOneProcessor: boolean;
  /** Cores the dag-processor is busy parsing (every file once per interval). */
  readonly parseCores: number;
  /** `[dag_processor] parsing_processes` that keeps the cycle within the interval at the target utilisation (Airflow's 2 at least). */
  readonly parsingProcesses: number;
  readonly schedulerCores: number;
  readonly schedulerLoopSeconds: number;
  readonly apiServerMiB: number;
  readonly dbMiB: number;
}

export const AIRFLOW_DEFAULT_PARSING_PROCESSES = 2;
export const AIRFLOW_DEFAULT_MIN_FILE_PROCESS_INTERVAL = 30;
export const MAX_FILE_PROCESS_INTERVAL = 3600;

/** CPU-seconds of one pass over `dags` files, all active (production). */
export const passCpuSeconds = (model: ScaleModel, dags: number) => dags * at(model.activeParseCpuSecondsPerFile, dags);

/** The interval `dags` active files need at a target utilisation of the manager thread (see DagLoad). */
export function neededIntervalSeconds(model: ScaleModel, dags: number, targetUtilisation: number): number {
  return Math.min(MAX_FILE_PROCESS_INTERVAL, Math.max(AIRFLOW_DEFAULT_MIN_FILE_PROCESS_INTERVAL, Math.ceil(passCpuSeconds(model, dags) / targetUtilisation)));
}

/** What `dags` files cost at `intervalSeconds` (a configured one, or `neededIntervalSeconds`). */
export function dagLoad(model: ScaleModel, dags: number, intervalSeconds: number, targetUtilisation: number): DagLoad {
  // Every DAG active, as in production.
  const parseCores = passCpuSeconds(model, dags) / intervalSeconds;
  return {
    overOneProcessor: passCpuSeconds(model, dags) / targetUtilisation > MAX_FILE_PROCESS_INTERVAL,
    parseCores,
    parsingProcesses: Math.max(AIRFLOW_DEFAULT_PARSING_PROCESSES, Math.ceil(parseCores / targetUtilisation - 1e-9)),
    schedulerCores: Math.max(0, at(model.schedulerCores, dags)),
    schedulerLoopSeconds: Math.max(0, at(model.schedulerLoopSeconds, dags)),
    apiServerMiB: Math.max(0, at(model.apiServerMiB, dags)),
    dbMiB: Math.max(0, at(model.dbMiB, dags)),
  };
}

const mixCpuSeconds = (model: ScaleModel, dags: number, active: number) => (dags - active) * at(model.parseCpuSecondsPerFile, dags) + active * at(model.activeParseCpuSecondsPerFile, dags);

/**
 * The longest parse cycle the model allows for `dags` files of which `active` are unpaused: the interval, or the
 * files' CPU in one thread (the manager writes every result; the 1,000-file run showed a cycle that long), whichever
 * is longer. Parsing processes shorten it only while the manager is not the bound.
 */
export function predictedParseCycleSeconds(model: ScaleModel, dags: number, active: number, intervalSeconds: number): number {
  return Math.max(intervalSeconds, mixCpuSeconds(model, dags, active));
}

/** Cores the dag-processor keeps busy for `dags` files of which `active` are unpaused: the demand, or all its processes. */
export function predictedDagProcessorCores(model: ScaleModel, dags: number, active: number, intervalSeconds: number, processes: number): number {
  return Math.min(processes, mixCpuSeconds(model, dags, active) / intervalSeconds);
}
