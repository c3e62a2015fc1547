import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AirflowApi } from '../cluster/airflow-api';
import { status } from '../cluster/cluster';
import { applications, expectedApplications, settled } from '../cluster/gitops';
import { NET } from '../cluster/node/layout';
import { readServicesInfo } from '../cluster/services/managed-services';
import { cpuOf } from '../infra/cost/estimate';
import { DATABASES, loadEnvironments } from '../manifests-src/config';
import { PROJECT_ROOT } from '../local/stack';
import { writeFileAtomic } from '../manifests-src/write-atomic';
import { ClusterTarget } from './cluster-target';
import { DbSession } from './db-session';
import { measureRound, SINGLE_TASK_DAG, WORKLOAD_DAG } from './phases';
import { planFromArgs } from './plan';
import { renderTable, type ArmResult, type BenchmarkReport } from './report';

/**
 * `npm run bench:cluster [-- --quick] [--rounds 3]`: the same rounds as `bench:local`, against dist/dev synced by
 * Argo CD on the local cluster (`npm run cluster -- up` first). One arm, this project as shipped: pods with their
 * requests, limits and probes, PgBouncer in a pod, workers started and stopped by KEDA (0 to maxReplicas), the
 * managed services beside the cluster. Writes bench/results/cluster-<mode>-<time>.json.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForDag(api: AirflowApi, dagId: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await api.call('GET', `/api/v2/dags/${dagId}`);
      return;
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`DAG ${dagId} not parsed on the cluster after ${timeoutMs / 1000} s: ${(e as Error).message}`);
    }
    await sleep(3000);
  }
}

async function main(): Promise<void> {
  const { mode, plan } = planFromArgs();
  const env = loadEnvironments().find((e) => e.name === 'dev')!;
  const st = await status(env);
  // The Applications of what the benchmark runs on (the logging one waits for an image that cannot be built here).
  const needed = expectedApplications(env).filter((a) => a.group !== 'logging').map((a) => a.name);
  const apps = st.nodeReady ? applications() : [];
  const unsettled = needed.filter((n) => !apps.some((a) => a.name === n && settled(a)));
  if (!st.nodeReady || unsettled.length) {
    throw new Error(`the local cluster is not up with dev Synced + Healthy (${st.nodeReady ? `not settled: ${unsettled.join(', ')}` : 'nodes not Ready'}): run \`npm run cluster -- up\` first`);
  }
  const services = readServicesInfo()!;
  const api = new AirflowApi(env.namespace, env.airflow.adminUsername, services.secrets.adminPassword);
  for (const dag of [WORKLOAD_DAG, SINGLE_TASK_DAG]) {
    await waitForDag(api, dag, 5 * 60_000);
    await api.call('PATCH', `/api/v2/dags/${dag}`, { is_paused: false });
  }
  const target = new ClusterTarget(api, env.namespace);
  const db = new DbSession({ host: services.host, port: services.ports.postgres, user: services.secrets.dbUser, password: services.secrets.dbPassword, database: DATABASES.metadata, netns: NET.vpcNetns });
  const started = new Date().toISOString();
  const results: ArmResult[] = [];
  const failures: { arm: string; round: number; error: string }[] = [];
  const arm = { id: 'project', label: `this project: dist/${env.name} on the local cluster (pods; KEDA workers ${env.workers.minReplicas}-${env.workers.maxReplicas})`, schedulers: env.components.scheduler.replicas, viaPgBouncer: true, resultBackend: 'redis' as const, parallelism: env.airflow.parallelism, pgbouncerPoolSize: env.pgbouncer.metadataPoolSize };
  const report = (): BenchmarkReport => ({
    date: started,
    mode,
    target: 'cluster',
    // Workers: KEDA's maximum (the count follows the queue); sizing divides the burst's worker memory by it.
    plan: { ...plan, workers: env.workers.maxReplicas, slotsPerWorker: env.workers.concurrency, workerRequestVcpu: cpuOf(env.workers.resources.cpu) },
    machine: { cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30) },
    arms: [arm],
    results,
    failures,
  });
  const dir = path.join(PROJECT_ROOT, 'bench', 'results');
  const file = path.join(dir, `cluster-${mode}-${started.slice(0, 16).replace(/:/g, '')}.json`);
  try {
    for (let round = 1; round <= plan.rounds; round++) {
      const log = (s: string) => console.log(`[cluster round ${round}/${plan.rounds}] ${s}  (worker pods ${target.workerPods()}, loadavg ${fs.readFileSync('/proc/loadavg', 'utf8').trim()})`);
      try {
        results.push({ arm: arm.id, round, startSeconds: 0, ...(await measureRound(target, db, plan, log)) });
      } catch (e) {
        log(`FAILED: ${(e as Error).message}`);
        failures.push({ arm: arm.id, round, error: (e as Error).message });
      }
      fs.mkdirSync(dir, { recursive: true });
      writeFileAtomic(file, `${JSON.stringify(report(), null, 2)}\n`);
    }
  } finally {
    await db.close();
  }
  console.log(`\n${renderTable(report())}\nwrote ${path.relative(PROJECT_ROOT, file)}`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
