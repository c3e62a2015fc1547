import type { EnvironmentConfig } from '../config';
import { AIRFLOW_METRICS_PREFIX, COMPONENTS, dagRepoUrl, PORTS } from '../config';
import { dagBundleConfigList, dagBundleModule } from './dag-bundle';
import { bundleCleanupSettings } from './dag-bundle-disk';
import { SCHEDULER_SUPERVISOR_PY } from './scheduler-supervisor';

/**
 * The one place AIRFLOW__* settings are derived from the config. The manifests put them into a ConfigMap;
 * the local runner calls the same function with loopback endpoints. Secret options are not here: each
 * process reads only its own secrets from files (component-secrets.ts). No second airflow.cfg exists.
 */

/** Where the things Airflow talks to live: Kubernetes Services in dist/, loopback ports locally. */
export interface AirflowEndpoints {
  /** Base URL of the Task Execution API that workers and triggerers call. */
  readonly executionApiUrl: string;
  /** Public base URL of the UI/API (used in links and e-mails). */
  readonly baseUrl: string;
  /** URL (or local path) of the DAG repository the GitDagBundle clones. */
  readonly dagRepoUrl: string;
  /** Writable folder where the dag-processor and workers keep bundle clones and versions. */
  readonly dagBundleStorage: string;
  /** Folder for local task logs (served by the worker log server until shipped remotely). */
  readonly logsFolder: string;
  /** StatsD daemon. */
  readonly statsdHost: string;
  readonly statsdPort: number;
  /** Remote task log folder (cloudwatch://… or s3://…), or undefined to keep logs local. */
  readonly remoteBaseLogFolder?: string;
  /** Worker and triggerer log-server ports (the api-server fetches live logs from them). */
  readonly workerLogServerPort: number;
  readonly triggererLogServerPort: number;
}

export interface AirflowEnvironment {
  /** Non-secret settings, safe to commit (ConfigMap). Secrets reach each process as files: component-secrets.ts. */
  readonly plain: Readonly<Record<string, string>>;
}

export const AIRFLOW_HOME = '/opt/airflow';
/** Local logs (task logs until uploaded, dag-processor child logs): their own emptyDir, groomed. */
export const LOCAL_LOGS = '/opt/airflow/logs';
/** Bundle clones live on their own emptyDir, apart from logs and user scratch space. */
export const DAG_BUNDLE_STORAGE = '/opt/airflow/dag-bundles';

/** Auth manager: FAB keeps users and roles in the metadata DB, so they survive pod restarts. */
export const AUTH_MANAGER = 'airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager';

/** Celery's visibility timeout must outlive the longest task, or Redis redelivers it and it runs twice. */
export function visibilityTimeoutSeconds(env: Pick<EnvironmentConfig, 'workers'>): number {
  return Math.max(21600, env.workers.terminationGracePeriodSeconds * 2);
}

export function remoteBaseLogFolder(env: Pick<EnvironmentConfig, 'aws' | 'logging' | 'name'>): string {
  if (env.logging.remoteTaskLogs === 's3') return `s3://${env.logging.s3Bucket}/task-logs`;
  return `cloudwatch://arn:${env.aws.partition}:logs:${env.aws.region}:${env.aws.account}:log-group:${logGroupNames(env).tasks}`;
}

/** CloudWatch log group prefix: configured, or `/airflow-eks/<env>`. */
export function logGroupPrefix(env: Pick<EnvironmentConfig, 'logging' | 'name'>): string {
  return env.logging.logGroupPrefix ?? `/airflow-eks/${env.name}`;
}

/**
 * The log groups the stack creates (infra/lib/observability.ts) and who writes them: FluentBit the containers' logs,
 * Airflow the task logs, the metrics agent Airflow's metrics as embedded metric format (CloudWatch extracts them).
 */
export function logGroupNames(env: Pick<EnvironmentConfig, 'logging' | 'name'>): { containers: string; tasks: string; metrics: string } {
  const prefix = logGroupPrefix(env);
  return { containers: `${prefix}/containers`, tasks: `${prefix}/tasks`, metrics: `${prefix}/metrics` };
}

const bool = (b: boolean) => (b ? 'True' : 'False');

export function airflowEnvironment(env: EnvironmentConfig, at: AirflowEndpoints): AirflowEnvironment {
  const a = env.airflow;
  const w = env.workers;
  const plain: Record<string, string> = {
    AIRFLOW_HOME,
    AIRFLOW__CORE__EXECUTOR: 'CeleryExecutor',
    AIRFLOW__CORE__AUTH_MANAGER: AUTH_MANAGER,
    AIRFLOW__CORE__LOAD_EXAMPLES: bool(false),
    AIRFLOW__CORE__PARALLELISM: String(a.parallelism),
    AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG: String(a.maxActiveTasksPerDag),
    AIRFLOW__CORE__MAX_ACTIVE_RUNS_PER_DAG: String(a.maxActiveRunsPerDag),
    AIRFLOW__CORE__DEFAULT_TASK_RETRIES: String(a.defaultTaskRetries),
    // Applies when the schema is created; later changes are made in the UI/API and kept (bootstrap.ts).
    AIRFLOW__CORE__DEFAULT_POOL_TASK_SLOT_COUNT: String(a.defaultPoolSlots),
    AIRFLOW__CORE__EXECUTION_API_SERVER_URL: at.executionApiUrl,
    // Pods come and go: record the pod IP, which the api-server can reach for live logs.
    AIRFLOW__CORE__HOSTNAME_CALLABLE: 'airflow.utils.net.get_host_ip_address',
    // Pools are small on purpose: PgBouncer multiplexes, Aurora sees only the PgBouncer pool.
    AIRFLOW__DATABASE__SQL_ALCHEMY_POOL_SIZE: '5',
    AIRFLOW__DATABASE__SQL_ALCHEMY_MAX_OVERFLOW: '10',
    AIRFLOW__DATABASE__SQL_ALCHEMY_POOL_PRE_PING: bool(true),
    AIRFLOW__API__BASE_URL: at.baseUrl,
    AIRFLOW__API__EXPOSE_CONFIG: bool(false),
    AIRFLOW__API__WORKERS: String(a.apiServerWorkers),
    // Tokens name this deployment: one signed for another Airflow (same secret or not) is refused.
    AIRFLOW__API_AUTH__JWT_ISSUER: at.baseUrl,
    AIRFLOW__API_AUTH__JWT_AUDIENCE: `airflow-eks:${env.cluster.name}:${env.namespace}`,
    AIRFLOW__CELERY__WORKER_CONCURRENCY: String(w.concurrency),
    AIRFLOW__CELERY__WORKER_PREFETCH_MULTIPLIER: '1',
    AIRFLOW__CELERY__SYNC_PARALLELISM: String(a.celerySyncParallelism),
    AIRFLOW__CELERY__TASK_ACKS_LATE: bool(true),
    AIRFLOW__CELERY__WORKER_ENABLE_REMOTE_CONTROL: bool(true),
    AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT: String(visibilityTimeoutSeconds(env)),
    // Each task process builds the DAG bundle, importing its module (GitPython with it, which runs `git version`
    // on import): imported once in the worker's main process instead, the pool's processes and every task
    // process forked from them inherit it. Celery imports `imports` before it starts the pool.
    ...(w.preloadDagBundle ? { AIRFLOW__CELERY__EXTRA_CELERY_CONFIG: JSON.stringify({ imports: [dagBundleModule()] }) } : {}),
    AIRFLOW__OPERATORS__DEFAULT_QUEUE: w.queues[0],
    AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK: bool(true),
    AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT: String(a.taskHeartbeatTimeoutSeconds),
    AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT: String(a.taskQueuedTimeoutSeconds),
    AIRFLOW__SCHEDULER__ORPHANED_TASKS_CHECK_INTERVAL: String(a.orphanedTasksCheckIntervalSeconds),
    AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT: String(PORTS.schedulerHealth),
    AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL: String(a.dagDirListIntervalSeconds),
    AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL: String(a.minFileProcessIntervalSeconds),
    AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES: String(a.parsingProcesses),
    AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST: dagBundleConfigList(env, at.dagRepoUrl),
    AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_STORAGE_PATH: at.dagBundleStorage,
    // Count and age bounds of the bundle versions a pod keeps; the groomer adds the size bound (dag-bundle-disk.ts).
    ...bundleCleanupSettings(),
    AIRFLOW__LOGGING__BASE_LOG_FOLDER: at.logsFolder,
    AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT: String(at.workerLogServerPort),
    AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT: String(at.triggererLogServerPort),
    AIRFLOW__LOGGING__REMOTE_LOGGING: bool(at.remoteBaseLogFolder !== undefined),
    AIRFLOW__METRICS__STATSD_ON: bool(true),
    AIRFLOW__METRICS__STATSD_HOST: at.statsdHost,
    AIRFLOW__METRICS__STATSD_PORT: String(at.statsdPort),
    AIRFLOW__METRICS__STATSD_PREFIX: AIRFLOW_METRICS_PREFIX,
  };
  if (at.remoteBaseLogFolder !== undefined) {
    plain.AIRFLOW__LOGGING__REMOTE_BASE_LOG_FOLDER = at.remoteBaseLogFolder;
    plain.AIRFLOW__LOGGING__REMOTE_LOG_CONN_ID = 'aws_default';
    // A task's local log file goes once it is uploaded: local disk holds only running tasks' logs.
    plain.AIRFLOW__LOGGING__DELETE_LOCAL_LOGS = bool(true);
    // Pod Identity supplies credentials; the connection only carries the region.
    plain.AIRFLOW_CONN_AWS_DEFAULT = JSON.stringify({ conn_type: 'aws', extra: { region_name: env.aws.region } });
  }

  return { plain };
}

/** Endpoints inside the cluster: Service DNS names, the DAG repository and the bundle volume. */
export function kubernetesEndpoints(env: EnvironmentConfig): AirflowEndpoints {
  return {
    executionApiUrl: `http://${SERVICE_NAMES.apiServer}.${env.namespace}.svc.cluster.local:${PORTS.apiServer}/execution/`,
    baseUrl: `https://${env.ingress.host}/`,
    dagRepoUrl: dagRepoUrl(env),
    dagBundleStorage: DAG_BUNDLE_STORAGE,
    logsFolder: LOCAL_LOGS,
    statsdHost: `${SERVICE_NAMES.statsd}.${env.namespace}.svc.cluster.local`,
    statsdPort: PORTS.statsd,
    remoteBaseLogFolder: remoteBaseLogFolder(env),
    workerLogServerPort: PORTS.workerLogServer,
    triggererLogServerPort: PORTS.triggererLogServer,
  };
}

/** Kubernetes Service names (also the host names other pods use), from the component registry. */
export const SERVICE_NAMES = {
  apiServer: COMPONENTS['api-server'].service,
  pgbouncer: COMPONENTS.pgbouncer.service,
  statsd: COMPONENTS.statsd.service,
} as const;

/** Gossip and mingle off unless configured: KEDA, not Celery, manages the worker pool. */
function celeryWorkerFlags(env: Pick<EnvironmentConfig, 'workers'>): string[] {
  return env.workers.gossip ? [] : ['--without-gossip', '--without-mingle'];
}

/** Component command lines: the same in the pods and in the local runner. */
export function airflowCommands(env: Pick<EnvironmentConfig, 'workers'>) {
  return {
    apiServer: ['airflow', 'api-server', '--port', String(PORTS.apiServer)],
    // `airflow scheduler`, surviving a database failover in-process (scheduler_supervisor.py).
    scheduler: ['python', '-c', SCHEDULER_SUPERVISOR_PY],
    dagProcessor: ['airflow', 'dag-processor'],
    triggerer: ['airflow', 'triggerer'],
    worker: ['airflow', 'celery', 'worker', '--queues', env.workers.queues.join(','), ...celeryWorkerFlags(env)],
    longTaskWorker: ['airflow', 'celery', 'worker', '--queues', env.workers.longTasks.queue, ...celeryWorkerFlags(env)],
    migrate: ['airflow', 'db', 'migrate'],
  } as const;
}
