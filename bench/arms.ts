import * as os from 'node:os';
import type { EnvironmentConfig } from '../manifests-src/config';
import { derivedParallelism } from '../manifests-src/config/schema';
import type { LocalStackOptions } from '../local/stack-options';

/**
 * The benchmark's arms, each one change away from the previous: Airflow's own defaults on direct
 * PostgreSQL, the same plus PgBouncer, and this project's settings. Every arm runs through the same
 * airflowEnvironment() the manifests use, with config values swapped, so no second copy of settings exists.
 * Fixed in every arm: worker count and slots, TLS Redis, remote task logs (a requirement, not a tuning; one
 * ablation turns the upload off to measure it alone).
 */
export interface Arm {
  readonly id: string;
  readonly label: string;
  readonly env: EnvironmentConfig;
  readonly viaPgBouncer: boolean;
  readonly schedulers: number;
  /** Celery result backend: Airflow's default is the metadata database; this project's is Redis. */
  readonly resultBackend: 'redis' | 'database';
  /** Task logs uploaded to the remote store (CloudWatch Logs, emulated) after each task; off only to measure that upload alone. */
  readonly remoteTaskLogs: boolean;
}

/** Airflow 3.x defaults (config.yml, GitDagBundle) for every setting this project tunes. */
export function withAirflowDefaults(env: EnvironmentConfig): EnvironmentConfig {
  return {
    ...env,
    airflow: {
      ...env.airflow,
      parallelism: 32,
      maxActiveTasksPerDag: 16,
      maxActiveRunsPerDag: 16,
      dagDirListIntervalSeconds: 300,
      taskHeartbeatTimeoutSeconds: 300,
      taskQueuedTimeoutSeconds: 600,
      orphanedTasksCheckIntervalSeconds: 300,
      // [celery] sync_parallelism 0 means max(1, cores - 1): on this machine's cores.
      celerySyncParallelism: Math.max(1, os.cpus().length - 1),
      apiServerWorkers: 1,
    },
    dags: { ...env.dags, refreshIntervalSeconds: 300 },
    // Celery's own default: gossip and mingle on. Airflow's: no modules preloaded in the worker.
    workers: { ...env.workers, gossip: true, preloadDagBundle: false },
  };
}

/** The Airflow Helm chart runs one scheduler unless told otherwise. */
const STOCK_SCHEDULERS = 1;

/**
 * One change of this project undone at a time (`--arms project,project-gossip`): the figure that says
 * whether that change is worth keeping. Not in the default set.
 */
export const ABLATIONS: Record<string, { label: string; patch: (env: EnvironmentConfig) => EnvironmentConfig; resultBackend?: Arm['resultBackend']; remoteTaskLogs?: boolean }> = {
  gossip: { label: 'project, Celery gossip + mingle on', patch: (e) => ({ ...e, workers: { ...e.workers, gossip: true } }) },
  'no-bundle-preload': { label: 'project, DAG bundle imported by each task process', patch: (e) => ({ ...e, workers: { ...e.workers, preloadDagBundle: false } }) },
  'stock-intervals': { label: 'project, Airflow default intervals and caps', patch: (e) => ({ ...withAirflowDefaults(e), workers: e.workers }) },
  // The settings `stock-intervals` undoes together, one at a time (Airflow's defaults as in withAirflowDefaults).
  'sync-parallelism': { label: 'project, Airflow default sync_parallelism', patch: (e) => ({ ...e, airflow: { ...e.airflow, celerySyncParallelism: withAirflowDefaults(e).airflow.celerySyncParallelism } }) },
  'bundle-refresh': { label: 'project, Airflow default bundle refresh (300 s)', patch: (e) => ({ ...e, dags: withAirflowDefaults(e).dags }) },
  'dag-caps': {
    label: 'project, Airflow default max active tasks and runs per DAG (16)',
    patch: (e) => {
      const d = withAirflowDefaults(e).airflow;
      return { ...e, airflow: { ...e.airflow, maxActiveTasksPerDag: d.maxActiveTasksPerDag, maxActiveRunsPerDag: d.maxActiveRunsPerDag } };
    },
  },
  parallelism: { label: 'project, Airflow default parallelism (32)', patch: (e) => ({ ...e, airflow: { ...e.airflow, parallelism: withAirflowDefaults(e).airflow.parallelism } }) },
  'scheduler-timeouts': {
    label: 'project, Airflow default heartbeat, queued and orphan timeouts',
    patch: (e) => {
      const d = withAirflowDefaults(e).airflow;
      return { ...e, airflow: { ...e.airflow, taskHeartbeatTimeoutSeconds: d.taskHeartbeatTimeoutSeconds, taskQueuedTimeoutSeconds: d.taskQueuedTimeoutSeconds, orphanedTasksCheckIntervalSeconds: d.orphanedTasksCheckIntervalSeconds } };
    },
  },
  // Not Airflow defaults undone but the alternatives the settings offer, measured against ours.
  'schedulers-2': {
    label: "project, 2 schedulers (prod's HA count)",
    patch: (e) => {
      const two = { ...e, components: { ...e.components, scheduler: { ...e.components.scheduler, replicas: 2 } } };
      // As the config derives it for two schedulers: the same in-flight cap, shared.
      return { ...two, airflow: { ...two.airflow, parallelism: derivedParallelism(two) } };
    },
  },
  'api-workers-2': { label: 'project, 2 api-server workers ([api] workers)', patch: (e) => ({ ...e, airflow: { ...e.airflow, apiServerWorkers: 2 } }) },
  'result-backend-db': { label: 'project, result backend in the metadata database (Airflow default)', patch: (e) => e, resultBackend: 'database' },
  // Not a setting users get (the platform needs task logs that outlive their pods): what the upload costs.
  'no-remote-logs': { label: 'project, remote task log upload off (its cost alone)', patch: (e) => e, remoteTaskLogs: false },
};

/** Arms run when `--arms` is not given. */
export const DEFAULT_ARMS = ['stock', 'stock+pgbouncer', 'project'];

export function benchmarkArms(project: EnvironmentConfig): Arm[] {
  const stock = withAirflowDefaults(project);
  const ablations = Object.entries(ABLATIONS).map(([id, a]): Arm => {
    const env = a.patch(project);
    return { id: `project-${id}`, label: a.label, env, viaPgBouncer: true, schedulers: env.components.scheduler.replicas, resultBackend: a.resultBackend ?? 'redis', remoteTaskLogs: a.remoteTaskLogs ?? true };
  });
  return [
    { id: 'stock', label: 'stock (Airflow defaults, direct PostgreSQL)', env: stock, viaPgBouncer: false, schedulers: STOCK_SCHEDULERS, resultBackend: 'database', remoteTaskLogs: true },
    { id: 'stock+pgbouncer', label: 'stock + PgBouncer', env: stock, viaPgBouncer: true, schedulers: STOCK_SCHEDULERS, resultBackend: 'database', remoteTaskLogs: true },
    { id: 'project', label: 'this project (config defaults)', env: project, viaPgBouncer: true, schedulers: project.components.scheduler.replicas, resultBackend: 'redis', remoteTaskLogs: true },
    ...ablations,
  ];
}

/** What a local stack of this arm is started with, besides its folders and worker count. */
export function armStackOptions(arm: Arm): Pick<LocalStackOptions, 'env' | 'schedulers' | 'viaPgBouncer' | 'resultBackend' | 'airflowOverrides'> {
  return {
    env: arm.env,
    schedulers: arm.schedulers,
    viaPgBouncer: arm.viaPgBouncer,
    resultBackend: arm.resultBackend,
    // The switch airflowEnvironment() turns on for every deployment, turned off.
    airflowOverrides: arm.remoteTaskLogs ? undefined : { AIRFLOW__LOGGING__REMOTE_LOGGING: 'False' },
  };
}
