import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadEnvironments } from '../manifests-src/config';
import { LocalStack, PROJECT_ROOT } from '../local/stack';
import { samplePeakConnections, taskInstances, trigger, unpause, waitRuns, WORKLOAD_TASK } from '../local/workload';

/**
 * `npm run bench:local [-- --runs 20 --tasks 25]`: a fixed workload on the local stack, twice in one
 * run: with this project's settings (PgBouncer, tuned pools and parallelism) and with Airflow's stock
 * settings (direct PostgreSQL, default parallelism) as the baseline. Prints one table.
 */
function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

interface Result {
  label: string;
  seconds: number;
  tasks: number;
  tasksPerMinute: number;
  p50: number;
  p95: number;
  peakConnections: number;
  failed: number;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};

async function measure(label: string, stack: LocalStack, runs: number, tasks: number): Promise<Result> {
  await unpause(stack, 'platform_workload');
  const sampler = samplePeakConnections(stack);
  const started = Date.now();
  const ids = await Promise.all(Array.from({ length: runs }, () => trigger(stack, 'platform_workload', { tasks, seconds: 0 })));
  const states = await waitRuns(stack, 'platform_workload', ids, 3_600_000);
  const seconds = (Date.now() - started) / 1000;
  const peak = await sampler.stop();
  const latencies: number[] = [];
  for (const id of ids) {
    for (const ti of await taskInstances(stack, 'platform_workload', id)) {
      if (ti.task_id === WORKLOAD_TASK && ti.queued_when && ti.start_date) latencies.push((Date.parse(ti.start_date) - Date.parse(ti.queued_when)) / 1000);
    }
  }
  const total = runs * tasks;
  return { label, seconds, tasks: total, tasksPerMinute: (total / seconds) * 60, p50: pct(latencies, 50), p95: pct(latencies, 95), peakConnections: peak, failed: states.filter((s) => s !== 'success').length };
}

async function main(): Promise<void> {
  const runs = arg('--runs', 20);
  const tasks = arg('--tasks', 25);
  const env = loadEnvironments().find((e) => e.name === 'dev')!;
  const results: Result[] = [];
  const variants: { label: string; viaPgBouncer: boolean; overrides: Record<string, string> }[] = [
    { label: 'airflow-eks (PgBouncer, tuned)', viaPgBouncer: true, overrides: {} },
    {
      label: 'stock Airflow settings (direct DB)',
      viaPgBouncer: false,
      // Airflow's own defaults for every knob this project tunes.
      overrides: {
        AIRFLOW__CORE__PARALLELISM: '32',
        AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG: '16',
        AIRFLOW__CELERY__WORKER_CONCURRENCY: '16',
        AIRFLOW__CELERY__WORKER_PREFETCH_MULTIPLIER: '1',
        AIRFLOW__CELERY__TASK_ACKS_LATE: 'False',
        AIRFLOW__DATABASE__SQL_ALCHEMY_POOL_SIZE: '5',
        AIRFLOW__DATABASE__SQL_ALCHEMY_MAX_OVERFLOW: '10',
      },
    },
  ];
  for (const v of variants) {
    const stateDir = path.join(PROJECT_ROOT, '.state', 'bench', v.viaPgBouncer ? 'tuned' : 'stock');
    fs.rmSync(stateDir, { recursive: true, force: true });
    const stack = new LocalStack({ env, stateDir, workers: 2, viaPgBouncer: v.viaPgBouncer, airflowOverrides: v.overrides });
    const interrupted = () => void stack.stop().then(() => process.exit(130));
    process.once('SIGINT', interrupted);
    process.once('SIGTERM', interrupted);
    process.stdout.write(`\n${v.label}: starting the stack... `);
    await stack.start();
    process.stdout.write(`running ${runs} runs x ${tasks} tasks... `);
    try {
      results.push(await measure(v.label, stack, runs, tasks));
    } finally {
      process.off('SIGINT', interrupted);
      process.off('SIGTERM', interrupted);
      await stack.stop();
    }
    console.log('done');
  }
  console.log(`\nWorkload: ${runs} DAG runs x ${tasks} no-op mapped tasks, 2 Celery workers, dev environment, ${new Date().toISOString().slice(0, 10)}`);
  const head = ['settings', 'total s', 'tasks/min', 'queued->running p50 s', 'p95 s', 'peak PG conns', 'failed runs'];
  const rows = results.map((r) => [r.label, r.seconds.toFixed(1), r.tasksPerMinute.toFixed(0), r.p50.toFixed(2), r.p95.toFixed(2), String(r.peakConnections), String(r.failed)]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(w[i])).join(' | ');
  console.log(line(head));
  console.log(w.map((n) => '-'.repeat(n)).join('-|-'));
  for (const r of rows) console.log(line(r));
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
