import * as path from 'node:path';
import type { EnvironmentConfig } from '../manifests-src/config';
import { DATABASES, K8S_SECRETS, SECRET_KEYS } from '../manifests-src/config';
import { airflowEnvironment, remoteBaseLogFolder, type AirflowEndpoints } from '../manifests-src/airflow/airflow-settings';
import { renderSecretTemplate, secretTemplates } from '../manifests-src/platform/external-secrets';
import { LOOPBACK } from './ports';

/**
 * The Airflow settings of the local stack: the SAME derivation that writes the ConfigMap and the
 * ExternalSecret templates in dist/, with only hosts, ports, folders and secret values replaced.
 */

export const LOCAL_PORT_NAMES = ['postgres', 'pgbouncer', 'redis', 'apiServer', 'statsd', 'triggererLogs', 'awsApi'] as const;
export type LocalPortName = (typeof LOCAL_PORT_NAMES)[number];
export type LocalPorts = Record<LocalPortName, number>;

/** Values that Secrets Manager holds in AWS; generated once per state dir locally. */
export interface LocalSecrets {
  /** The master login (infra's `metadataDb` secret): creates Airflow's role, rotates its logins. */
  readonly masterUser: string;
  readonly masterPassword: string;
  /** The current rotation login of `airflowDb` (AIRFLOW_DB_ROLE or its `_clone`) and its password. */
  readonly dbUser: string;
  readonly dbPassword: string;
  /** What clients present to PgBouncer (`airflowDb.clientPassword`, never rotated). */
  readonly clientPassword: string;
  readonly redisAuthToken: string;
  readonly fernetKey: string;
  readonly apiSecretKey: string;
  readonly jwtSecret: string;
  readonly adminPassword: string;
}

export interface LocalPaths {
  readonly state: string;
  readonly airflowHome: string;
  readonly logs: string;
  readonly dagRepo: string;
  readonly caCert: string;
}

/** The config environment with its ports moved to the loopback ports we were given. */
export function withLocalPorts(env: EnvironmentConfig, ports: LocalPorts): EnvironmentConfig {
  return { ...env, pgbouncer: { ...env.pgbouncer, port: ports.pgbouncer } };
}

export function localEndpoints(env: EnvironmentConfig, ports: LocalPorts, paths: LocalPaths): AirflowEndpoints {
  const api = `http://${LOOPBACK}:${ports.apiServer}`;
  return {
    executionApiUrl: `${api}/execution/`,
    baseUrl: `${api}/`,
    dagsFolder: path.join(paths.airflowHome, 'dags'),
    logsFolder: paths.logs,
    statsdHost: LOOPBACK,
    statsdPort: ports.statsd,
    // The same CloudWatch (or S3) destination as in the cluster, served by a local AWS API emulator.
    remoteBaseLogFolder: remoteBaseLogFolder(env),
    workerLogServerPort: 0, // set per worker: several workers share one host here
    triggererLogServerPort: ports.triggererLogs,
  };
}

/** Values of the Kubernetes Secrets dist/ references, rendered from the same External Secrets templates. */
export function localSecretValues(env: EnvironmentConfig, ports: LocalPorts, s: LocalSecrets): Record<string, Record<string, string>> {
  // Loopback PostgreSQL has no TLS (PgBouncer's side says the same in local/stack.ts).
  const tpl = secretTemplates(env, LOOPBACK, 'disable');
  const db = SECRET_KEYS.airflowDb;
  const dbValues = {
    [db.username]: s.dbUser,
    [db.password]: s.dbPassword,
    [db.clientPassword]: s.clientPassword,
    [db.host]: LOOPBACK,
    [db.port]: String(ports.postgres),
    [db.dbname]: DATABASES.metadata,
  };
  const brokerValues = { [SECRET_KEYS.broker.host]: LOOPBACK, [SECRET_KEYS.broker.port]: String(ports.redis), [SECRET_KEYS.broker.authToken]: s.redisAuthToken };
  const render = (t: Record<string, string>, v: Record<string, string>) => Object.fromEntries(Object.entries(t).map(([k, x]) => [k, renderSecretTemplate(x, v)]));
  const c = K8S_SECRETS.core.keys;
  return {
    [K8S_SECRETS.metadata.name]: render(tpl.metadata, dbValues),
    [K8S_SECRETS.broker.name]: render(tpl.broker, brokerValues),
    [K8S_SECRETS.core.name]: { [c.fernetKey]: s.fernetKey, [c.apiSecretKey]: s.apiSecretKey, [c.jwtSecret]: s.jwtSecret, [c.adminPassword]: s.adminPassword },
  };
}

/** Connection id of the DAG repository for Airflow's GitDagBundle. */
export const DAG_REPO_CONN_ID = 'dags_git';
export const DAG_BUNDLE_NAME = 'dags';

/**
 * DAGs come from a real git repository, followed like git-sync follows the DAG repo in dist/:
 * the configured branch and sub-folder, refreshed every `dags.syncPeriodSeconds`. A failed fetch keeps
 * the last good checkout (bundles are versioned), so a bad push or an unreachable repo never wipes DAGs.
 */
export function gitDagBundleSettings(env: EnvironmentConfig, repoPath: string): Record<string, string> {
  return {
    AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST: JSON.stringify([
      {
        name: DAG_BUNDLE_NAME,
        classpath: 'airflow.providers.git.bundles.git.GitDagBundle',
        kwargs: { git_conn_id: DAG_REPO_CONN_ID, tracking_ref: env.dags.branch, subdir: env.dags.subPath || null, refresh_interval: env.dags.syncPeriodSeconds },
      },
    ]),
    [`AIRFLOW_CONN_${DAG_REPO_CONN_ID.toUpperCase()}`]: JSON.stringify({ conn_type: 'git', host: repoPath }),
  };
}

/** Full environment for one Airflow process of the local stack. */
export function localAirflowEnv(
  env: EnvironmentConfig,
  ports: LocalPorts,
  paths: LocalPaths,
  secrets: LocalSecrets,
  extra: Record<string, string> = {},
): Record<string, string> {
  const local = withLocalPorts(env, ports);
  const { plain, fromSecrets } = airflowEnvironment(local, localEndpoints(local, ports, paths));
  const values = localSecretValues(local, ports, secrets);
  const out: Record<string, string> = { ...plain, AIRFLOW_HOME: paths.airflowHome };
  for (const [name, ref] of Object.entries(fromSecrets)) {
    const v = values[ref.secret]?.[ref.key];
    if (v === undefined) throw new Error(`no local value for ${name} (secret ${ref.secret}, key ${ref.key})`);
    out[name] = v;
  }
  return {
    ...out,
    ...gitDagBundleSettings(env, paths.dagRepo),
    // Bundle checkouts live in each pod's /tmp; here they must not be shared between stacks on one machine.
    AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_STORAGE_PATH: path.join(paths.state, 'dag-bundles'),
    // Pods get AWS credentials from Pod Identity; locally the emulator takes any key.
    AIRFLOW_CONN_AWS_DEFAULT: JSON.stringify({
      conn_type: 'aws',
      login: 'local',
      password: 'local',
      extra: { region_name: env.aws.region, endpoint_url: `http://${LOOPBACK}:${ports.awsApi}` },
    }),
    // Our loopback Redis speaks TLS with a certificate from a local CA: trust it the way pods trust ElastiCache's.
    SSL_CERT_FILE: paths.caCert,
    ...extra,
  };
}
