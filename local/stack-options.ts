import type { EnvironmentConfig } from '../manifests-src/config';
import type { LocalPaths, LocalPorts, LocalSecrets } from './settings';
import type { Supervisor } from './supervisor';

export interface LocalStackOptions {
  readonly env: EnvironmentConfig;
  /** State folder (PostgreSQL cluster, logs, secrets); reused across runs. */
  readonly stateDir?: string;
  /** Celery workers to start (KEDA would pick this number in the cluster). */
  readonly workers?: number;
  /** Schedulers to start; two prove HA. */
  readonly schedulers?: number;
  /** DAG source folder published to the local DAG repository. */
  readonly dagsDir?: string;
  /** Fixed port for the UI; other ports are picked free. */
  readonly apiServerPort?: number;
  /** Worker warm-shutdown grace on stop (the pod's terminationGracePeriodSeconds, capped for local use). */
  readonly workerGraceMs?: number;
  /** Extra environment for the Airflow processes: AIRFLOW__* overrides (the benchmark's stock baseline) or test hooks. */
  readonly airflowOverrides?: Record<string, string>;
  /** When false the Airflow processes reach PostgreSQL directly instead of through PgBouncer (benchmark baseline only). */
  readonly viaPgBouncer?: boolean;
  /**
   * Celery result backend: this project's Redis (the broker's, database 1: workers need no database
   * credentials, as in dist/) or Airflow's default, the metadata database (benchmark arms only). @default 'redis'
   */
  readonly resultBackend?: 'redis' | 'database';
  /**
   * Address the servers listen on (default loopback). The local cluster puts them on an address of the
   * environment's VPC CIDR so pods reach them as they reach Aurora and ElastiCache.
   */
  readonly listenAddress?: string;
  /** Fixed ports (the cluster uses dist/'s own PostgreSQL and Redis ports); others are picked free. */
  readonly fixedPorts?: Partial<LocalPorts>;
  /** Client networks PostgreSQL accepts besides loopback (the cluster's pod network). */
  readonly clientCidrs?: readonly string[];
  /** Start PgBouncer beside PostgreSQL (the cluster runs dist/'s own PgBouncer pods instead). @default true */
  readonly pgbouncer?: boolean;
  readonly onEvent?: (line: string) => void;
}

/** What the server launchers and the Airflow launchers read of a stack; values are read when they run. */
export interface StackContext {
  readonly env: EnvironmentConfig;
  readonly opts: LocalStackOptions;
  readonly paths: LocalPaths;
  /** Where the servers listen. */
  readonly host: string;
  readonly ports: LocalPorts;
  readonly secrets: LocalSecrets;
  readonly supervisor: Supervisor;
}
