import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EnvironmentConfig } from '../manifests-src/config';
import { DATABASES, K8S_SECRETS, SECRET_KEYS } from '../manifests-src/config';
import { airflowEnvironment, remoteBaseLogFolder, type AirflowEndpoints } from '../manifests-src/airflow/airflow-settings';
import { dagBundleCloneSettings, gitSecretTemplates } from '../manifests-src/airflow/dag-bundle';
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
  /** DAG repository credentials (HTTPS user + token); a local bare repository ignores them, the format is what matters. */
  readonly gitUsername: string;
  readonly gitPassword: string;
}

export interface LocalPaths {
  readonly state: string;
  readonly airflowHome: string;
  readonly logs: string;
  readonly dagRepo: string;
  readonly caCert: string;
  /** Folder standing in for the mounted `airflow-git` Secret. */
  readonly gitSecretDir: string;
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
    dagRepoUrl: paths.dagRepo,
    // Not shared between stacks on one machine.
    dagBundleStorage: path.join(paths.state, 'dag-bundles'),
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

/**
 * The `airflow-git` Secret's files, rendered from the same External Secrets template as in dist/ and
 * written where the processes that clone read them (read-only for the owner, like the mounted Secret).
 */
export function writeGitSecretFiles(env: EnvironmentConfig, s: LocalSecrets, dir: string): void {
  const templates = gitSecretTemplates(env, dir);
  if (!templates) return;
  const values = { [SECRET_KEYS.git.username]: s.gitUsername, [SECRET_KEYS.git.password]: s.gitPassword };
  fs.mkdirSync(dir, { recursive: true });
  for (const [file, template] of Object.entries(templates)) {
    const target = path.join(dir, file);
    fs.rmSync(target, { force: true });
    fs.writeFileSync(target, renderSecretTemplate(template, values), { mode: 0o400 });
  }
}

/** Extra settings of the processes that clone the DAG bundle (dag-processor, workers), as in their pods. */
export function localCloneSettings(env: EnvironmentConfig, paths: LocalPaths): Record<string, string> {
  return dagBundleCloneSettings(env, paths.gitSecretDir);
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
