import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EnvironmentConfig } from '../manifests-src/config';
import { AIRFLOW_GENERATED_SECRETS, DATABASES, K8S_SECRETS, SECRET_KEYS } from '../manifests-src/config';
import { airflowEnvironment, remoteBaseLogFolder, type AirflowEndpoints } from '../manifests-src/airflow/airflow-settings';
import { COMPONENT_SECRETS, SECRET_SETTINGS, secretFileSettings, type AirflowProcess } from '../manifests-src/airflow/component-secrets';
import { dagBundleCloneSettings, gitSecretTemplates } from '../manifests-src/airflow/dag-bundle';
import { renderSecretTemplate, secretTemplates } from '../manifests-src/platform/external-secret-objects';
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
  /** The JWT signing keys secret (`SECRET_KEYS.jwtSigning`): made and rotated by infra's rotation function. */
  readonly jwtSigning: Record<string, string>;
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
export function localSecretValues(env: EnvironmentConfig, ports: LocalPorts, paths: Pick<LocalPaths, 'caCert'>, s: LocalSecrets): Record<string, Record<string, string>> {
  // Loopback PostgreSQL has a certificate from the local CA, which stands in for the RDS CA bundle (as for PgBouncer).
  const tpl = secretTemplates(env, LOOPBACK, { sslmode: env.pgbouncer.serverTlsSslmode, caFile: paths.caCert });
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
  return {
    [K8S_SECRETS.metadata.name]: render(tpl.metadata, dbValues),
    [K8S_SECRETS.broker.name]: render(tpl.broker, brokerValues),
    ...Object.fromEntries(AIRFLOW_GENERATED_SECRETS.map((k) => [K8S_SECRETS[k].name, { [Object.values(K8S_SECRETS[k].keys)[0]]: s[k] }])),
    [K8S_SECRETS.jwtSigningKey.name]: { [K8S_SECRETS.jwtSigningKey.keys.privateKey]: s.jwtSigning[SECRET_KEYS.jwtSigning.privateKey] },
    [K8S_SECRETS.jwtKeySet.name]: { [K8S_SECRETS.jwtKeySet.keys.keySet]: s.jwtSigning[SECRET_KEYS.jwtSigning.keySet] },
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

/** Folder standing in for a process's mounted secret volume: only the keys its row of the table allows. */
export function processSecretDir(paths: LocalPaths, process: AirflowProcess): string {
  return path.join(paths.state, 'secrets', process);
}

/**
 * Writes each process's secret files, as the projected volume of its pod holds them: only the keys of its
 * row in COMPONENT_SECRETS, rendered from the same templates, owner-read-only.
 */
export function writeProcessSecretFiles(env: EnvironmentConfig, ports: LocalPorts, paths: LocalPaths, secrets: LocalSecrets): void {
  const values = localSecretValues(withLocalPorts(env, ports), ports, paths, secrets);
  for (const component of Object.keys(COMPONENT_SECRETS) as AirflowProcess[]) {
    const dir = processSecretDir(paths, component);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const name of COMPONENT_SECRETS[component]) {
      const { secret, key } = SECRET_SETTINGS[name];
      const v = values[secret]?.[key];
      if (v === undefined) throw new Error(`no local value for ${name} (secret ${secret}, key ${key})`);
      fs.writeFileSync(path.join(dir, key), v, { mode: 0o400 });
    }
  }
}

/** Full environment for one Airflow process of the local stack: shared settings plus its own secret files. */
export function localAirflowEnv(
  env: EnvironmentConfig,
  ports: LocalPorts,
  paths: LocalPaths,
  component: AirflowProcess,
  extra: Record<string, string> = {},
): Record<string, string> {
  const local = withLocalPorts(env, ports);
  const { plain } = airflowEnvironment(local, localEndpoints(local, ports, paths));
  return {
    ...plain,
    AIRFLOW_HOME: paths.airflowHome,
    ...secretFileSettings(component, processSecretDir(paths, component)),
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
