import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadEnvironments, DATABASES } from '../manifests-src/config';
import { cpuOf } from '../infra/cost/estimate';
import { LocalStack, PROJECT_ROOT } from '../local/stack';
import { writeFileAtomic } from '../manifests-src/write-atomic';
import { unpause } from '../local/dag-runs';
import { armStackOptions, benchmarkArms, DEFAULT_ARMS, type Arm } from './arms';
import { DbSession } from './db-session';
import { flag, planFromArgs, positiveInt, type Plan } from './plan';
import { phaseShares, record, summariseCollapsed, WORKER_PHASES } from './py-spy';
import { componentOf, localTarget, measureRound, SINGLE_TASK_DAG, WORKLOAD_DAG } from './phases';
import { renderTable, type ArmResult, type BenchmarkReport } from './report';

/**
 * `npm run bench:local [-- --quick] [--rounds 3] [--arms stock,project]`: the fair benchmark. Each round
 * starts every arm's stack in turn (the order rotates per round), measures an idle floor, a one-task
 * latency on the idle stack, a closed-loop burst and an open-loop phase at 60 % of the burst's rate, then
 * stops it. Prints the table and writes the JSON that docs/benchmark.md is rendered from.
 */
/** DAG folder of the bench stacks: the workload DAG and the one-task probe from dags/ (the cluster's DAG repository has both). */
function benchDags(stateDir: string): string {
  const dir = path.join(stateDir, 'bench-dags');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const dag of [WORKLOAD_DAG, SINGLE_TASK_DAG]) fs.copyFileSync(path.join(PROJECT_ROOT, 'dags', `${dag}.py`), path.join(dir, `${dag}.py`));
  return dir;
}

/** Processes py-spy samples during the burst with --profile: the ones with the most CPU per task. */
const PROFILED = ['worker-1', 'api-server', 'scheduler-1'];

async function runArm(arm: Arm, round: number, plan: Plan, workers: number, profile: boolean, log: (s: string) => void): Promise<ArmResult> {
  const stateDir = path.join(PROJECT_ROOT, '.state', 'bench', arm.id);
  fs.mkdirSync(stateDir, { recursive: true });
  const stack = new LocalStack({ ...armStackOptions(arm), stateDir, workers, dagsDir: benchDags(stateDir), workerGraceMs: 15_000 });
  const interrupted = () => void stack.stop().then(() => process.exit(130));
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  let db: DbSession | undefined;
  try {
    const t0 = Date.now();
    await stack.start();
    const startSeconds = (Date.now() - t0) / 1000;
    db = new DbSession({ host: stack.host, port: stack.ports.postgres, user: stack.secrets.dbUser, password: stack.secrets.dbPassword, database: DATABASES.metadata });
    await unpause(stack, WORKLOAD_DAG);
    await unpause(stack, SINGLE_TASK_DAG);
    log(`started in ${startSeconds.toFixed(0)} s`);
    const profiles: NonNullable<ArmResult['profiles']> = {};
    const profileBurst = () => {
      const recordings = PROFILED.map((c) => ({ c, r: record(stack.processes.get(c)!.pid!, path.join(stateDir, 'profiles', `${c}-round${round}.txt`)) }));
      return async () => {
        for (const { c, r } of recordings) {
          const text = fs.readFileSync(await r.stop(), 'utf8');
          profiles[c] = { ...summariseCollapsed(text), ...(componentOf(c) === 'workers' ? { phases: phaseShares(text, WORKER_PHASES) } : {}) };
        }
      };
    };
    const m = await measureRound(localTarget(stack), db, plan, log, profile ? profileBurst : undefined);
    return { arm: arm.id, round, startSeconds, ...m, ...(profile ? { profiles } : {}) };
  } finally {
    await db?.close();
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await stack.stop();
  }
}

async function main(): Promise<void> {
  const { mode, plan } = planFromArgs();
  const workers = positiveInt('--workers', 2);
  const env = loadEnvironments().find((e) => e.name === 'dev')!;
  const all = benchmarkArms(env);
  const wanted = flag('--arms')?.split(',') ?? DEFAULT_ARMS;
  const unknown = wanted.filter((w) => !all.some((a) => a.id === w));
  if (unknown.length) throw new Error(`--arms: unknown arm ${unknown.join(', ')}; known: ${all.map((a) => a.id).join(', ')}`);
  const arms = wanted.map((w) => all.find((a) => a.id === w)!);
  const results: ArmResult[] = [];
  const failures: { arm: string; round: number; error: string }[] = [];
  const started = new Date().toISOString();
  const report = (): BenchmarkReport => ({
    date: started,
    mode,
    plan: { ...plan, workers, slotsPerWorker: env.workers.concurrency, workerRequestVcpu: cpuOf(env.workers.resources.cpu) },
    machine: { cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30) },
    arms: arms.map((a) => ({ id: a.id, label: a.label, schedulers: a.schedulers, viaPgBouncer: a.viaPgBouncer, resultBackend: a.resultBackend, remoteTaskLogs: a.remoteTaskLogs, parallelism: a.env.airflow.parallelism, pgbouncerPoolSize: a.env.pgbouncer.metadataPoolSize })),
    results,
    failures,
  });
  const dir = path.join(PROJECT_ROOT, 'bench', 'results');
  const file = path.join(dir, `${mode}-${started.slice(0, 16).replace(/:/g, '')}.json`);
  // Written after every arm, so an interrupted run keeps what it measured.
  const writeReport = (): string => {
    fs.mkdirSync(dir, { recursive: true });
    writeFileAtomic(file, `${JSON.stringify(report(), null, 2)}\n`);
    return file;
  };
  for (let round = 1; round <= plan.rounds; round++) {
    // Rotate the order so no arm always runs first (or after the same neighbour).
    const order = arms.map((_, i) => arms[(i + round - 1) % arms.length]);
    for (const arm of order) {
      const log = (s: string) => console.log(`[round ${round}/${plan.rounds} ${arm.id}] ${s}  (loadavg ${fs.readFileSync('/proc/loadavg', 'utf8').trim()})`);
      log('starting the stack');
      try {
        results.push(await runArm(arm, round, plan, workers, process.argv.includes('--profile') && arm.id === 'project', log));
      } catch (e) {
        // One arm failing (a timeout on an overloaded machine) is a result too; the others still run.
        log(`FAILED: ${(e as Error).message}`);
        failures.push({ arm: arm.id, round, error: (e as Error).message });
      }
      writeReport();
    }
  }
  writeReport();
  console.log(`\n${renderTable(report())}\nwrote ${path.relative(PROJECT_ROOT, file)}; render the doc with: npx tsx bench/render-doc.ts ${path.relative(PROJECT_ROOT, file)}`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
