import type { EnvironmentConfig } from '../config';
import { POD_IDENTITY_AGENT_CIDRS, PORTS, SERVICE_ACCOUNTS, subnetCidrs } from '../config';
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
  'worker-long': 'airflow-worker-long',
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
  | 'pod-identity-agent' // EKS Pod Identity agent on the node: AWS credentials for the pod's service account
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

export const AIRFLOW_PODS: readonly PodPeer[] = ['api-server', 'scheduler', 'dag-processor', 'triggerer', 'worker', 'worker-long', 'migrate'];
/** Pods that clone the DAG bundle (the others read serialized DAGs from the database). */
const CLONES_DAGS: readonly PodPeer[] = ['dag-processor', 'worker', 'worker-long'];
const WORKERS: readonly PodPeer[] = ['worker', 'worker-long'];

/** The service account of each pod kind (pods without one here use no AWS API). */
export const POD_SERVICE_ACCOUNTS: Partial<Record<PodPeer, keyof typeof SERVICE_ACCOUNTS>> = {
  'api-server': 'apiServer',
  scheduler: 'scheduler',
  'dag-processor': 'dagProcessor',
  triggerer: 'triggerer',
  worker: 'worker',
  'worker-long': 'worker',
  migrate: 'migrate',
  pgbouncer: 'pgbouncer',
};

/** Pods whose service account has a Pod Identity association: they fetch AWS credentials from the agent. */
export function usesAws(pod: PodPeer): boolean {
  const sa = POD_SERVICE_ACCOUNTS[pod];
  return sa !== undefined && SERVICE_ACCOUNTS[sa].aws;
}

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
  for (const pod of (Object.keys(POD_PEERS) as PodPeer[]).filter(usesAws)) {
    flows.push({ from: pod, to: 'pod-identity-agent', port: PORTS.podIdentityAgent, protocol: 'TCP', why: 'AWS credentials (EKS Pod Identity)' });
  }
  for (const pod of CLONES_DAGS) {
    if (env.dags.auth === 'ssh') flows.push({ from: pod, to: 'git-ssh', port: 22, protocol: 'TCP', why: 'DAG bundle clone over SSH' });
  }
  flows.push(
    ...WORKERS.map((w): Flow => ({ from: w, to: 'api-server', port: PORTS.apiServer, protocol: 'TCP', why: 'Task Execution API' })),
    { from: 'triggerer', to: 'api-server', port: PORTS.apiServer, protocol: 'TCP', why: 'Task Execution API' },
    { from: 'dag-processor', to: 'api-server', port: PORTS.apiServer, protocol: 'TCP', why: 'Task Execution API (callbacks)' },
    ...WORKERS.map((w): Flow => ({ from: 'api-server', to: w, port: PORTS.workerLogServer, protocol: 'TCP', why: 'live task logs from the worker log server' })),
    { from: 'api-server', to: 'triggerer', port: PORTS.triggererLogServer, protocol: 'TCP', why: 'live trigger logs' },
    { from: 'load-balancer', to: 'api-server', port: PORTS.apiServer, protocol: 'TCP', why: 'UI and REST API through the ALB' },
    { from: 'keda', to: 'pgbouncer', port: env.pgbouncer.port, protocol: 'TCP', why: 'KEDA worker-count query' },
    { from: 'pgbouncer', to: 'aurora', port: PORTS.postgres, protocol: 'TCP', why: 'server connections to Aurora' },
    { from: 'migrate', to: 'aurora', port: PORTS.postgres, protocol: 'TCP', why: 'db migrate bypasses PgBouncer: its advisory-lock session idles in a transaction past idle_transaction_timeout' },
    { from: 'pgbouncer', to: 'aws-apis-and-git', port: 443, protocol: 'TCP', why: 'RDS CA bundle from the RDS trust store (init container)' },
    { from: 'migrate', to: 'aws-apis-and-git', port: 443, protocol: 'TCP', why: 'RDS CA bundle for its direct, verify-full URL (init container)' },
    { from: 'metrics-scraper', to: 'pgbouncer', port: PORTS.pgbouncerExporter, protocol: 'TCP', why: 'PgBouncer metrics' },
    { from: 'metrics-scraper', to: 'statsd', port: PORTS.statsdMetrics, protocol: 'TCP', why: 'Airflow metrics' },
  );
  return flows;
}

/**
 * Peers NetworkPolicies can only name by address range, as narrow as the config allows: Aurora and
 * ElastiCache live in the private subnets, the ALB in the private (internal) or public (internet-facing)
 * ones. Policies cannot tell Aurora from ElastiCache inside a subnet: the ports and the security groups
 * infra/ creates make that distinction.
 */
export function ipRangesOf(env: Pick<EnvironmentConfig, 'infra' | 'cluster' | 'ingress'>, p: Peer): readonly string[] | undefined {
  switch (p) {
    case 'load-balancer':
      return subnetCidrs(env, env.ingress.scheme === 'internal' ? 'private' : 'public');
    case 'aurora':
    case 'elasticache':
      return subnetCidrs(env, 'private');
    case 'pod-identity-agent':
      return POD_IDENTITY_AGENT_CIDRS;
    case 'aws-apis-and-git':
    case 'git-ssh':
      return ['0.0.0.0/0'];
    default:
      return undefined;
  }
}
