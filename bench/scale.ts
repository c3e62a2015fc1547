import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DATABASES, loadEnvironments, type EnvironmentConfig } from '../manifests-src/config';
import { environments as committedEnvironments } from '../manifests-src/config/environments';
import { LOCAL_SCHEDULERS, LocalStack, PROJECT_ROOT } from '../local/stack';
import { unpause } from '../local/dag-runs';
import { writeFileAtomic } from '../manifests-src/write-atomic';
import { DbSession } from './db-session';
import { cpuByComponent, pssByComponent } from './phases';
import { flag, positiveInt } from './plan';
import { loadavg, machineSummary } from './proc-sample';
import { runsPerHour, SCALE_DAG_PREFIX, writeScaleDags, type ScaleDag } from './scale-dags';
import { median, percentile } from './stats';
import { StatsdSink } from './statsd-sink';

/**
 * `npm run bench:scale [-- --dags 50,250,1000] [--repeats 3] [--minutes 8] [--active-runs-per-hour 60]
 * [--min-file-process-interval S] [--parsing-processes P]`: how the
 * dev profile carries many DAGs, on the local runner (every Airflow component a process, dev's settings). Per DAG
 * count and repeat: a fresh stack with only the generated mix (bench/scale-dags.ts); the first parse of every file
 * and one steady parse cycle after it (wall time, dag-processor CPU per file); then DAGs are unpaused, in mix order,
 * up to a run rate this machine's workers can carry (`--active-runs-per-hour`; every DAG of the mix active would
 * need many more workers), and for `--minutes`, once the runs unpausing created have finished, the benchmark samples
 * the UI's heaviest calls and the REST API every 5 s while the scheduler runs them. It reports scheduling lag (a
 * run's trigger time to its first task queued), the scheduler's loop time (StatsD), API latency percentiles, api-server memory, metadata database size and connections, CPU per component.
 * Prints a table and writes bench/results/scale-<date>.json.
 */

export interface Percentiles {
  readonly n: number;
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
}

export interface ScaleSettings {
  readonly minFileProcessIntervalSeconds: number;
  readonly parsingProcesses: number;
  readonly schedulers: number;
}

export interface ScalePoint {
  readonly dags: number;
  readonly repeat: number;
  readonly load: string;
  readonly firstParseSeconds: number;
  readonly parseCycleSeconds: number;
  readonly parseCpuMsPerFile: number;
  readonly activeDags: number;
  readonly activeRunsPerHour: number;
  readonly windowSeconds: number;
  /** Seconds from a scheduled run's trigger time (run_after) to its first task queued. */
  readonly lag: Percentiles;
  /** Seconds per scheduler loop over the window, both schedulers' loops (StatsD `scheduler.scheduler_loop_duration`; absent in older reports). */
  readonly schedulerLoop?: Percentiles;
  /** Seconds per full parse pass over the window, with the active DAGs (StatsD `dag_processing.total_parse_time`; absent in older reports). */
  readonly windowParseCycle?: Percentiles;
  readonly runsFinished: number;
  readonly api: Record<string, Percentiles>;
  readonly apiErrors: number;
  readonly apiServerMiB: number;
  readonly dbMiB: number;
  readonly peakConnections: number;
  /** CPU-seconds per minute of the window, per component. */
  readonly cpuPerMinute: Record<string, number>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => Date.now() / 1000;

function percentiles(xs: readonly number[]): Percentiles {
  if (!xs.length) return { n: 0, p50: NaN, p95: NaN, max: NaN };
  return { n: xs.length, p50: percentile(xs, 50), p95: percentile(xs, 95), max: Math.max(...xs) };
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** The DAGs to unpause: the mix in order until the run rate would pass `perHour` (at least one). */
export function activeSubset(dags: readonly ScaleDag[], perHour: number): ScaleDag[] {
  const out: ScaleDag[] = [];
  for (const d of dags) {
    if (out.length && runsPerHour([...out, d]) > perHour) break;
    out.push(d);
  }
  return out;
}

const LIKE = `'${SCALE_DAG_PREFIX}%'`;
const LOOP_TIMER = 'airflow.scheduler.scheduler_loop_duration';
/** Seconds the dag-processor took to parse every file once, sent after each pass (a gauge). */
const PARSE_GAUGE = 'airflow.dag_processing.total_parse_time';

const stateDirOf = (n: number) => path.join(PROJECT_ROOT, '.state', 'bench', `scale-${n}`);

/** The dev profile, with the parsing settings a run may override (`--min-file-process-interval`, `--parsing-processes`). */
function devProfile(airflow: { minFileProcessIntervalSeconds?: number; parsingProcesses?: number }): EnvironmentConfig {
  const dev = committedEnvironments.find((e) => e.name === 'dev')!;
  return loadEnvironments([{ ...dev, airflow: { ...dev.airflow, ...airflow } }])[0];
}

async function measure(n: number, repeat: number, o: { minutes: number; perHour: number; workers: number }, env: EnvironmentConfig, log: (s: string) => void): Promise<ScalePoint> {
  const stateDir = stateDirOf(n);
  fs.rmSync(stateDir, { recursive: true, force: true });
  fs.mkdirSync(stateDir, { recursive: true });
  const dags = writeScaleDags(path.join(stateDir, 'scale-dags'), n);
  const stack = new LocalStack({ env, stateDir, workers: o.workers, dagsDir: path.join(stateDir, 'scale-dags'), workerGraceMs: 15_000 });
  let db: DbSession | undefined;
  const statsd = new StatsdSink([LOOP_TIMER, PARSE_GAUGE]);
  // Ctrl-C stops this point's stack too, instead of leaving its processes writing into the state directory.
  const onSignal = () => void stack.stop().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await stack.start();
    await statsd.listen(stack.ports.statsd, stack.host);
    // The dag-processor starts parsing as soon as it runs, before start() returns.
    const started = (stack.processes.get('dag-processor')?.startedAt ?? Date.now()) / 1000;
    db = new DbSession({ host: stack.host, port: stack.ports.postgres, user: stack.secrets.dbUser, password: stack.secrets.dbPassword, database: DATABASES.metadata });
    const q1 = async (sql: string) => Number((await db!.query(sql))[0]?.[0] ?? 0);

    // First parse: every file of the mix serialized once.
    await until(`${n} DAGs serialized`, async () => (await q1(`SELECT count(*) FROM serialized_dag WHERE dag_id LIKE ${LIKE}`)) >= n, (n * 3 + 600) * 1000);
    // When the last file was first serialized (the poll above may see it seconds late).
    const firstParsed = await q1(`SELECT extract(epoch FROM max(first)) FROM (SELECT min(created_at) AS first FROM serialized_dag WHERE dag_id LIKE ${LIKE} GROUP BY dag_id) t`);
    log(`first parse of ${n} files: ${(firstParsed - started).toFixed(0)} s`);
    // One steady cycle: every file parsed again after the first pass ended.
    const cpu0 = cpuByComponent(stack)['dag-processor'] ?? 0;
    await until('every file parsed again', async () => (await q1(`SELECT count(*) FROM dag WHERE dag_id LIKE ${LIKE} AND last_parsed_time > to_timestamp(${firstParsed})`)) >= n, (n * 3 + 900) * 1000);
    const cycled = await q1(`SELECT extract(epoch FROM max(last_parsed_time)) FROM dag WHERE dag_id LIKE ${LIKE}`);
    const parseCpu = (cpuByComponent(stack)['dag-processor'] ?? 0) - cpu0;
    log(`parse cycle: ${(cycled - firstParsed).toFixed(0)} s, ${((parseCpu * 1000) / n).toFixed(0)} ms CPU per file`);

    const active = activeSubset(dags, o.perHour);
    for (const d of active) await unpause(stack, d.dagId);
    const unpausedAt = now();
    log(`unpaused ${active.length} DAGs (${runsPerHour(active)} runs/h)`);
    // Unpausing creates each DAG's latest missed run at once: a burst no steady schedule has. The window starts
    // when those have finished, so lag is that of runs the schedule triggers.
    await until('the runs unpausing created to finish', async () => (await q1(`SELECT count(*) FROM dag_run WHERE dag_id LIKE ${LIKE} AND run_after <= to_timestamp(${unpausedAt}) AND state IN ('queued', 'running')`)) === 0, 600_000);
    const windowStart = now();
    log(`catch-up runs finished in ${(windowStart - unpausedAt).toFixed(0)} s; sampling for ${o.minutes} min`);

    const token = await stack.apiToken();
    const probe = active[0].dagId;
    const calls: Record<string, string> = {
      'UI DAG list (50)': '/ui/dags?limit=50',
      'UI grid structure': `/ui/grid/structure/${probe}`,
      'UI grid runs': `/ui/grid/runs/${probe}?limit=25`,
      'REST DAG list (100)': '/api/v2/dags?limit=100',
      'REST dag runs (25)': `/api/v2/dags/${probe}/dagRuns?limit=25`,
    };
    const latencies: Record<string, number[]> = Object.fromEntries(Object.keys(calls).map((k) => [k, []]));
    let apiErrors = 0;
    let peakConnections = 0;
    let apiServerMiB = 0;
    const cpuStart = cpuByComponent(stack);
    statsd.reset();
    const end = Date.now() + o.minutes * 60_000;
    while (Date.now() < end) {
      for (const [name, url] of Object.entries(calls)) {
        const t = performance.now();
        const r = await fetch(`${stack.apiUrl}${url}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(30_000) }).catch(() => undefined);
        await r?.arrayBuffer();
        if (r?.ok) latencies[name].push((performance.now() - t) / 1000);
        else apiErrors++;
      }
      peakConnections = Math.max(peakConnections, await q1(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()`));
      apiServerMiB = Math.max(apiServerMiB, pssByComponent(stack)['api-server'] ?? 0);
      await sleep(5000);
    }
    const windowSeconds = now() - windowStart;
    const loops = statsd.take(LOOP_TIMER);
    log(`window over: ${loops.length} scheduler loops seen, p50 ${(percentile(loops, 50) / 1000).toFixed(3)} s`);
    const cpuEnd = cpuByComponent(stack);
    const cpuPerMinute = Object.fromEntries(Object.keys(cpuEnd).map((k) => [k, Number((((cpuEnd[k] - (cpuStart[k] ?? 0)) * 60) / windowSeconds).toFixed(1))]));
    const lags = (
      await db.query(
        `SELECT extract(epoch FROM min(ti.queued_dttm) - dr.run_after) FROM dag_run dr JOIN task_instance ti ON ti.dag_id = dr.dag_id AND ti.run_id = dr.run_id
         WHERE dr.dag_id LIKE ${LIKE} AND dr.run_type = 'scheduled' AND dr.run_after > to_timestamp(${windowStart}) AND ti.queued_dttm IS NOT NULL GROUP BY dr.dag_id, dr.run_id, dr.run_after`,
      )
    ).map((r) => Number(r[0]));
    const runsFinished = await q1(`SELECT count(*) FROM dag_run WHERE dag_id LIKE ${LIKE} AND state = 'success' AND run_after > to_timestamp(${windowStart})`);
    const dbMiB = (await q1('SELECT pg_database_size(current_database())')) / 2 ** 20;
    return {
      dags: n,
      repeat,
      load: loadavg(),
      firstParseSeconds: firstParsed - started,
      parseCycleSeconds: cycled - firstParsed,
      parseCpuMsPerFile: (parseCpu * 1000) / n,
      activeDags: active.length,
      activeRunsPerHour: runsPerHour(active),
      windowSeconds,
      lag: percentiles(lags),
      schedulerLoop: percentiles(statsd.take(LOOP_TIMER).map((ms) => ms / 1000)),
      windowParseCycle: percentiles(statsd.take(PARSE_GAUGE)),
      runsFinished,
      api: Object.fromEntries(Object.entries(latencies).map(([k, v]) => [k, percentiles(v)])),
      apiErrors,
      apiServerMiB,
      dbMiB,
      peakConnections,
      cpuPerMinute,
    };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    statsd.close();
    await db?.close();
    await stack.stop();
  }
}

const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-');
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '-');

/** What `npm run bench:scale` writes: the run's points and failures, with the machine they ran on. */
export interface ScaleReport {
  readonly date: string;
  readonly machine: string;
  readonly cores: number;
  readonly options: { readonly minutes: number; readonly perHour: number; readonly workers: number };
  /** The dev profile's parsing settings and the schedulers the stack ran (absent in reports before they were recorded: Airflow's defaults, 2 schedulers). */
  readonly settings?: ScaleSettings;
  readonly points: readonly ScalePoint[];
  readonly failures: readonly { dags: number; repeat: number; error: string }[];
}

/** Per DAG count: min / median / max over the repeats of the figures the goals are about. */
export function renderScaleSpread(points: readonly ScalePoint[]): string {
  const counts = [...new Set(points.map((p) => p.dags))].sort((a, b) => a - b);
  const sp = (xs: number[]) => (xs.length ? `${f1(Math.min(...xs))} / ${f1(median(xs))} / ${f1(Math.max(...xs))}` : '-');
  const sp2 = (xs: number[]) => (xs.length ? `${f2(Math.min(...xs))} / ${f2(median(xs))} / ${f2(Math.max(...xs))}` : '-');
  const rows = counts.map((n) => {
    const ps = points.filter((p) => p.dags === n);
    const cores = (c: string) => ps.map((p) => (p.cpuPerMinute[c] ?? NaN) / 60);
    return `| ${n} | ${ps.length} | ${sp(ps.map((p) => p.parseCycleSeconds))} | ${sp2(cores('dag-processor'))} | ${sp2(cores('scheduler'))} | ${sp(ps.map((p) => p.lag.p95))} | ${sp2(ps.map((p) => p.schedulerLoop?.p95 ?? NaN).filter(Number.isFinite))} | ${sp2(ps.map((p) => p.api['UI DAG list (50)'].p95))} | ${sp2(ps.map((p) => p.api['UI grid runs'].p95))} | ${sp(ps.map((p) => p.apiServerMiB))} |`;
  });
  return ['| DAGs | repeats | parse cycle (s) | dag-processor (cores) | schedulers (cores) | lag p95 (s) | scheduler loop p95 (s) | UI DAG list p95 (s) | UI grid runs p95 (s) | api-server (MiB) |', `|${'---|'.repeat(10)}`, ...rows].join('\n');
}

export function renderScaleTable(points: readonly ScalePoint[]): string {
  const head = '| DAGs | repeat | first parse (s) | parse cycle (s) | CPU/file (ms) | active DAGs (runs/h) | lag p50 / p95 (s) | scheduler loop p50 / p95 (s) | UI DAG list p50 / p95 (s) | UI grid runs p95 (s) | REST DAG list p95 (s) | api-server (MiB) | DB (MiB) | peak conns |';
  const rows = points.map(
    (p) =>
      `| ${p.dags} | ${p.repeat} | ${f1(p.firstParseSeconds)} | ${f1(p.parseCycleSeconds)}${p.windowParseCycle?.n ? ` (active: ${f1(p.windowParseCycle.p50)})` : ''} | ${p.parseCpuMsPerFile.toFixed(0)} | ${p.activeDags} (${p.activeRunsPerHour}) | ${f1(p.lag.p50)} / ${f1(p.lag.p95)} (n=${p.lag.n}) | ${p.schedulerLoop ? `${f2(p.schedulerLoop.p50)} / ${f2(p.schedulerLoop.p95)}` : '-'} | ${f2(p.api['UI DAG list (50)'].p50)} / ${f2(p.api['UI DAG list (50)'].p95)} | ${f2(p.api['UI grid runs'].p95)} | ${f2(p.api['REST DAG list (100)'].p95)} | ${p.apiServerMiB.toFixed(0)} | ${p.dbMiB.toFixed(0)} | ${p.peakConnections} |`,
  );
  return [head, `|${'---|'.repeat(14)}`, ...rows].join('\n');
}

async function main(): Promise<void> {
  const counts = (flag('--dags') ?? '50,250').split(',').map((x) => {
    const n = Number(x);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--dags: "${x}" is not a positive whole number (e.g. --dags 50,250,1000)`);
    return n;
  });
  const repeats = positiveInt('--repeats', 3);
  const o = { minutes: positiveInt('--minutes', 8), perHour: positiveInt('--active-runs-per-hour', 60), workers: positiveInt('--workers', 2) };
  const started = new Date().toISOString();
  const machine = machineSummary();
  const interval = flag('--min-file-process-interval') && positiveInt('--min-file-process-interval', 30);
  const processes = flag('--parsing-processes') && positiveInt('--parsing-processes', 2);
  const overrides = { ...(interval ? { minFileProcessIntervalSeconds: interval } : {}), ...(processes ? { parsingProcesses: processes } : {}) };
  const dev = devProfile(overrides);
  const settings: ScaleSettings = { minFileProcessIntervalSeconds: dev.airflow.minFileProcessIntervalSeconds, parsingProcesses: dev.airflow.parsingProcesses, schedulers: LOCAL_SCHEDULERS };
  const points: ScalePoint[] = [];
  const failures: { dags: number; repeat: number; error: string }[] = [];
  // A run with parsing settings of its own is kept apart: the model and the doc's main table use the profile's.
  const tuned = Object.keys(overrides).length ? 'tuned-' : '';
  const file = path.join(PROJECT_ROOT, 'bench', 'results', `scale-${tuned}${started.slice(0, 16).replace(/:/g, '')}.json`);
  const write = () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const report: ScaleReport = { date: started, machine, cores: os.cpus().length, options: o, settings, points, failures };
    writeFileAtomic(file, `${JSON.stringify(report, null, 2)}\n`);
  };
  for (const n of counts) {
    for (let repeat = 1; repeat <= repeats; repeat++) {
      const log = (s: string) => console.log(`[${n} DAGs, repeat ${repeat}/${repeats}] ${s}  (loadavg ${loadavg()})`);
      try {
        points.push(await measure(n, repeat, o, dev, log));
      } catch (e) {
        // The next point empties the state directory: keep this one's process logs to read the failure from.
        const kept = path.join(PROJECT_ROOT, 'test-artifacts', 'scale-failures', `${path.basename(file, '.json')}-${n}-${repeat}`);
        fs.cpSync(path.join(stateDirOf(n), 'run'), kept, { recursive: true, filter: (f) => !f.endsWith('pgsock') });
        log(`FAILED: ${(e as Error).message} (process logs kept in ${path.relative(PROJECT_ROOT, kept)})`);
        failures.push({ dags: n, repeat, error: (e as Error).message });
      }
      write();
    }
  }
  console.log(`\nScale benchmark, ${machine}\n\n${renderScaleTable(points)}\n${failures.map((x) => `FAILED ${x.dags} DAGs repeat ${x.repeat}: ${x.error}`).join('\n')}\nwrote ${path.relative(PROJECT_ROOT, file)}`);
  if (failures.length) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
