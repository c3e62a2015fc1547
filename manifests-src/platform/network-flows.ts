import type { EnvironmentConfig } from '../config';
import { PORTS } from '../config';
import { SERVICE_NAMES } from '../airflow/airflow-settings';
import { MigrateDatabaseJob } from '../airflow/migrate-job';

/**
 * The flows Airflow needs, as data: the NetworkPolicies are generated from this table (behind a default
 * deny), and tests check the generated policies against it. Anything not listed is refused.
 */

/** Pods of the Airflow namespace, by their `app.kubernetes.io/name`. */
export const POD_PEERS = {
  'api-server': 'airflow-api-server',
  scheduler: 'airflow-scheduler',
  'dag-processor': 'airflow-dag-processor',
  triggerer: 'airflow-triggerer',
  worker: 'airflow-worker',
  migrate: MigrateDatabaseJob.NAME,
  pgbouncer: SERVICE_NAMES.pgbouncer,
  statsd: SERVICE_NAMES.statsd,
} as const;
export type PodPeer = keyof typeof POD_PEERS;

/** Peers outside the namespace. */
export type ExternalPeer =
  | 'load-balancer' // ALB targets pods by IP from inside the VPC
  | 'aurora'
  | 'elasticache'
  | 'aws-apis-and-git' // HTTPS: Secrets/STS/CloudWatch/S3 endpoints and the DAG repository
  | 'git-ssh'
  | 'kube-dns'
  | 'keda' // keda-operator runs the scaler query through PgBouncer
  | 'metrics-scraper'; // CloudWatch agent (Container Insights) scraping Prometheus endpoints

export type Peer = PodPeer | ExternalPeer;

export interface Flow {
  readonly from: Peer;
  readonly to: Peer;
  readonly port: number;
  readonly protocol: 'TCP' | 'UDP';
  /** Why the flow exists. */
  readonly why: string;
}

export const AIRFLOW_PODS: readonly PodPeer[] = ['api-server', 'scheduler', 'dag-processor', 'triggerer', 'worker', 'migrate'];
/** Pods that clone the DAG bundle (the others read serialized DAGs from the database). */
const CLONES_DAGS: readonly PodPeer[] = ['dag-processor', 'worker'];

export function allowedFlows(env: Pick<EnvironmentConfig, 'pgbouncer' | 'dags'>): Flow[] {
  const flows: Flow[] = [];
  for (const pod of Object.keys(POD_PEERS) as PodPeer[]) {
    flows.push({ from: pod, to: 'kube-dns', port: 53, protocol: 'UDP', why: 'name resolution' }, { from: pod, to: 'kube-dns', port: 53, protocol: 'TCP', why: 'name resolution (large answers)' });
  }
  for (const pod of AIRFLOW_PODS) {
    flows.push(
      { from: pod, to: 'pgbouncer', port: env.pgbouncer.port, protocol: 'TCP', why: 'metadata DB and result backend, only through PgBouncer' },
      { from: pod, to: 'elasticache', port: PORTS.redis, protocol: 'TCP', why: 'Celery broker' },
      { from: pod, to: 'statsd', port: PORTS.statsd, protocol: 'UDP', why: 'StatsD metrics' },
      { from: pod, to: 'aws-apis-and-git', port: 443, protocol: 'TCP', why: 'remote task logs, Secrets Manager connections, STS' },
    );
  }
  for (const pod of CLONES_DAGS) {
    if (env.dags.auth === 'ssh') flows.push({ from: pod, to: 'git-ssh', port: 22, protocol: 'TCP', why: 'DAG bundle clone over SSH' });
  }
  flows.push(
    { from: 'worker', to: 'api-server', port: PORTS.apiServer, protocol: 'TCP', why: 'Task Execution API' },
    { from: 'triggerer', to: 'api-server', port: PORTS.apiServer, protocol: 'TCP', why: 'Task Execution API' },
    { from: 'dag-processor', to: 'api-server', port: PORTS.apiServer, protocol: 'TCP', why: 'Task Execution API (callbacks)' },
    { from: 'api-server', to: 'worker', port: PORTS.workerLogServer, protocol: 'TCP', why: 'live task logs from the worker log server' },
    { from: 'api-server', to: 'triggerer', port: PORTS.triggererLogServer, protocol: 'TCP', why: 'live trigger logs' },
    { from: 'load-balancer', to: 'api-server', port: PORTS.apiServer, protocol: 'TCP', why: 'UI and REST API through the ALB' },
    { from: 'keda', to: 'pgbouncer', port: env.pgbouncer.port, protocol: 'TCP', why: 'KEDA worker-count query' },
    { from: 'pgbouncer', to: 'aurora', port: PORTS.postgres, protocol: 'TCP', why: 'server connections to Aurora' },
    { from: 'migrate', to: 'aurora', port: PORTS.postgres, protocol: 'TCP', why: 'db migrate bypasses PgBouncer: its advisory-lock session idles in a transaction past idle_transaction_timeout' },
    { from: 'metrics-scraper', to: 'pgbouncer', port: PORTS.pgbouncerExporter, protocol: 'TCP', why: 'PgBouncer metrics' },
    { from: 'metrics-scraper', to: 'statsd', port: PORTS.statsdMetrics, protocol: 'TCP', why: 'Airflow metrics' },
  );
  return flows;
}

/**
 * Peers NetworkPolicies can only name by address range. Policies cannot tell Aurora from ElastiCache
 * (both are VPC addresses): the security groups infra/ creates make that distinction.
 */
export function ipRangeOf(env: Pick<EnvironmentConfig, 'infra'>, p: Peer): string | undefined {
  switch (p) {
    case 'load-balancer':
    case 'aurora':
    case 'elasticache':
      return env.infra.vpc.cidr;
    case 'aws-apis-and-git':
    case 'git-ssh':
      return '0.0.0.0/0';
    default:
      return undefined;
  }
}
