import type { LocalStack } from '../local/stack';
import { trigger } from '../local/dag-runs';
import type { DbSession } from './db-session';
import { loadavg, machineTicks, selfCpuSeconds, treeCpuSeconds, treePssMiB } from './proc-sample';
import type { Plan } from './plan';
import { percentile, utilisation } from './stats';

/**
 * The benchmark's measured phases on one running Airflow, local processes or the local cluster's pods. Reads go
 * through one DB session; the API only triggers.
 */

/** What the phases need of a running Airflow. */
export interface BenchTarget {
  /** Starts a run of `dagId` through the REST API; its run id. */
  trigger(dagId: string, conf?: Record<string, unknown>): Promise<string>;
  /** CPU-seconds used so far, per component (a component's processes or pods come and go: counted while seen). */
  cpuByComponent(): Record<string, number>;
  /** Memory now, MiB per component. */
  memoryByComponent(): Record<string, number>;
}

/** The local runner's processes as a benchmark target. */
export function localTarget(stack: LocalStack): BenchTarget {
  return {
    trigger: (dagId, conf = {}) => trigger(stack, dagId, conf),
    cpuByComponent: () => cpuByComponent(stack),
    memoryByComponent: () => pssByComponent(stack),
  };
}

export const WORKLOAD_DAG = 'platform_workload';
export const SINGLE_TASK_DAG = 'bench_single_task';

/** Component of a process of the stack, as the table groups them. */
export function componentOf(process: string): string {
  if (process.startsWith('scheduler')) return 'scheduler';
  if (process.startsWith('worker')) return 'workers';
  if (process === 'aws-api') return 'log-sink';
  return process;
}

/** CPU-seconds so far per component (process trees from the pids the runner started). */
export function cpuByComponent(stack: LocalStack): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, p] of stack.processes) if (p.pid && p.running) out[componentOf(name)] = (out[componentOf(name)] ?? 0) + treeCpuSeconds(p.pid);
  return out;
}

export function pssByComponent(stack: LocalStack): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, p] of stack.processes) if (p.pid && p.running) out[componentOf(name)] = (out[componentOf(name)] ?? 0) + treePssMiB(p.pid);
  return out;
}

const diff = (a: Record<string, number>, b: Record<string, number>) => Object.fromEntries(Object.keys(b).map((k) => [k, b[k] - (a[k] ?? 0)]));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sqlList = (ids: readonly string[]) => ids.map((i) => `'${i.replace(/'/g, "''")}'`).join(',');

/** Client backends on the metadata database, except the benchmark's own session. */
const CONNECTIONS_SQL = `(SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid())`;

/** Polls (one query per poll) until every run is finished; returns the peak PostgreSQL connections seen. */
async function waitFinished(db: DbSession, dagId: string, runIds: readonly string[], timeoutMs: number, intervalMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let peak = 0;
  for (;;) {
    const [[done, conns]] = await db.query(`SELECT (SELECT count(*) FROM dag_run WHERE dag_id = '${dagId}' AND run_id IN (${sqlList(runIds)}) AND state IN ('success', 'failed')), ${CONNECTIONS_SQL}`);
    peak = Math.max(peak, Number(conns));
    if (Number(done) === runIds.length) return peak;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s: ${done}/${runIds.length} runs of ${dagId} finished`);
    await sleep(intervalMs);
  }
}

export interface IdlePhase {
  readonly seconds: number;
  readonly idleCores: Record<string, number>;
}

/** CPU per component with nothing to do: each component's floor. */
export async function idlePhase(target: BenchTarget, seconds: number): Promise<IdlePhase> {
  const before = target.cpuByComponent();
  const t0 = Date.now();
  await sleep(seconds * 1000);
  const elapsed = (Date.now() - t0) / 1000;
  const d = diff(before, target.cpuByComponent());
  return { seconds: elapsed, idleCores: Object.fromEntries(Object.entries(d).map(([k, v]) => [k, v / elapsed])) };
}

/**
 * Trigger -> success of a one-task DAG on an idle stack, in seconds (local clock for both ends); NaN when
 * the run fails or takes longer than `timeoutMs` (reported as such, not hidden).
 */
export async function singleTaskLatency(target: BenchTarget, db: DbSession, timeoutMs = 120_000): Promise<number> {
  const t0 = Date.now();
  const runId = await target.trigger(SINGLE_TASK_DAG);
  const finished = await waitFinished(db, SINGLE_TASK_DAG, [runId], timeoutMs, 100).then(() => true, () => false);
  if (!finished) return NaN;
  const [[state, end]] = await db.query(`SELECT state, extract(epoch FROM end_date) * 1000 FROM dag_run WHERE dag_id = '${SINGLE_TASK_DAG}' AND run_id = '${runId}'`);
  return state === 'success' ? (Number(end) - t0) / 1000 : NaN;
}

export interface BurstPhase {
  readonly runs: number;
  readonly tasks: number;
  readonly seconds: number;
  readonly tasksPerMinute: number;
  readonly failedRuns: number;
  readonly peakPgConnections: number;
  readonly cpuSeconds: Record<string, number>;
  readonly cpuSecondsPerTask: Record<string, number>;
  readonly pssMiB: Record<string, number>;
  readonly harnessCpuSeconds: number;
  readonly machine: { busy: number; idle: number; steal: number };
  readonly loadavgBefore: string;
  readonly loadavgAfter: string;
}

/** Closed-loop burst: every run triggered at once, timed from the first trigger to the last task's end. */
export async function burstPhase(target: BenchTarget, db: DbSession, runs: number, tasksPerRun: number): Promise<BurstPhase> {
  const loadavgBefore = loadavg();
  const cpu0 = target.cpuByComponent();
  const m0 = machineTicks();
  const self0 = selfCpuSeconds();
  const t0 = Date.now();
  const ids = await Promise.all(Array.from({ length: runs }, () => target.trigger(WORKLOAD_DAG, { tasks: tasksPerRun, seconds: 0 })));
  let pssMiB: Record<string, number> = {};
  const pssProbe = setTimeout(() => (pssMiB = target.memoryByComponent()), 5000);
  const peakPgConnections = await waitFinished(db, WORKLOAD_DAG, ids, 3_600_000, 500);
  clearTimeout(pssProbe);
  const cpu = diff(cpu0, target.cpuByComponent());
  const machine = utilisation(m0, machineTicks());
  const harnessCpuSeconds = selfCpuSeconds() - self0;
  const [[tasks, lastEnd, failedRuns]] = await db.query(
    `SELECT count(*) FILTER (WHERE ti.state = 'success'), extract(epoch FROM max(ti.end_date)) * 1000,
            (SELECT count(*) FROM dag_run WHERE dag_id = '${WORKLOAD_DAG}' AND run_id IN (${sqlList(ids)}) AND state <> 'success')
       FROM task_instance ti WHERE ti.dag_id = '${WORKLOAD_DAG}' AND ti.run_id IN (${sqlList(ids)})`,
  );
  const n = Number(tasks);
  const seconds = (Number(lastEnd) - t0) / 1000;
  if (!Object.keys(pssMiB).length) pssMiB = target.memoryByComponent();
  return {
    runs,
    tasks: n,
    seconds,
    tasksPerMinute: (n / seconds) * 60,
    failedRuns: Number(failedRuns),
    peakPgConnections,
    cpuSeconds: cpu,
    cpuSecondsPerTask: Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, v / n])),
    pssMiB,
    harnessCpuSeconds,
    machine,
    loadavgBefore,
    loadavgAfter: loadavg(),
  };
}

export interface Percentiles {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

export interface OpenLoopPhase {
  readonly targetTasksPerMinute: number;
  readonly tasks: number;
  readonly seconds: number;
  readonly scheduledToStart: Percentiles;
  readonly queuedToStart: Percentiles;
  readonly machine: { busy: number; idle: number; steal: number };
  readonly loadavg: string;
}

const percentiles = (xs: number[]): Percentiles => ({ p50: percentile(xs, 50), p95: percentile(xs, 95), p99: percentile(xs, 99) });

/** Open loop: runs triggered on a fixed clock at `tasksPerMinute`, whatever the stack does; latency from task_instance. */
export async function openLoopPhase(target: BenchTarget, db: DbSession, tasksPerMinute: number, tasksPerRun: number, seconds: number): Promise<OpenLoopPhase> {
  // Each run is its `plan` task plus the mapped ones.
  const intervalMs = ((tasksPerRun + 1) / tasksPerMinute) * 60_000;
  const count = Math.max(1, Math.floor((seconds * 1000) / intervalMs));
  const m0 = machineTicks();
  const t0 = Date.now();
  const triggers: Promise<string>[] = [];
  for (let i = 0; i < count; i++) {
    const due = t0 + i * intervalMs;
    await sleep(Math.max(0, due - Date.now()));
    triggers.push(target.trigger(WORKLOAD_DAG, { tasks: tasksPerRun, seconds: 0 }));
  }
  const ids = await Promise.all(triggers);
  await waitFinished(db, WORKLOAD_DAG, ids, 3_600_000, 1000);
  const machine = utilisation(m0, machineTicks());
  const rows = await db.query(
    `SELECT extract(epoch FROM start_date - scheduled_dttm), extract(epoch FROM start_date - queued_dttm)
       FROM task_instance WHERE dag_id = '${WORKLOAD_DAG}' AND run_id IN (${sqlList(ids)}) AND start_date IS NOT NULL`,
  );
  // psql prints NULL as an empty field.
  const num = (i: number) => rows.map((r) => r[i]).filter((x) => x !== undefined && x !== '').map(Number);
  return {
    targetTasksPerMinute: tasksPerMinute,
    tasks: rows.length,
    seconds: (Date.now() - t0) / 1000,
    scheduledToStart: percentiles(num(0)),
    queuedToStart: percentiles(num(1)),
    machine,
    loadavg: loadavg(),
  };
}

export interface RoundMeasurement {
  readonly idle: IdlePhase;
  readonly singleTaskSeconds: number[];
  readonly burst: BurstPhase;
  readonly openLoop: OpenLoopPhase;
}

/**
 * One round on a running target: the idle floor, a warm-up run (one-off costs: the first bundle clone, first
 * imports; not measured), one-task latencies, the closed-loop burst (`duringBurst` starts anything that must
 * run alongside it, such as a profiler, and returns its stop), then the open loop at a share of the burst's rate.
 */
export async function measureRound(
  target: BenchTarget,
  db: DbSession,
  plan: Plan,
  log: (line: string) => void,
  duringBurst?: () => () => Promise<void>,
): Promise<RoundMeasurement> {
  log(`idle ${plan.idleSeconds} s`);
  const idle = await idlePhase(target, plan.idleSeconds);
  await singleTaskLatency(target, db);
  const singleTaskSeconds: number[] = [];
  for (let i = 0; i < plan.singles; i++) singleTaskSeconds.push(await singleTaskLatency(target, db));
  log(`single task ${singleTaskSeconds.map((x) => x.toFixed(1)).join(', ')} s; burst ${plan.burstRuns} x ${plan.tasksPerRun}`);
  const stop = duringBurst?.();
  const burst = await burstPhase(target, db, plan.burstRuns, plan.tasksPerRun);
  await stop?.();
  log(`burst ${burst.tasksPerMinute.toFixed(0)} tasks/min; open loop at ${(plan.openLoopFraction * 100).toFixed(0)} %`);
  const openLoop = await openLoopPhase(target, db, burst.tasksPerMinute * plan.openLoopFraction, plan.tasksPerRun, plan.openLoopSeconds);
  log(`open loop p95 scheduled->start ${openLoop.scheduledToStart.p95.toFixed(2)} s`);
  return { idle, singleTaskSeconds, burst, openLoop };
}
