import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config';
import { AIRFLOW_DB_ROLE, AIRFLOW_GENERATED_SECRETS, CLUSTER_SECRET_STORE, DATABASES, K8S_SECRETS, SECRET_KEYS, secretsManagerNames } from '../config';
import { SERVICE_NAMES } from '../airflow/airflow-settings';
import { gitSecretTemplates } from '../airflow/dag-bundle';
import { labelsFor } from '../hardening/workload-defaults';
import { pgbouncerDatabasesIni, pgbouncerUserlist } from './pgbouncer-config';
import { RDS_CA_FILE } from './rds-ca';

/** How often External Secrets re-reads Secrets Manager (rotations reach pods through Reloader). */
const REFRESH = '1h';

export interface SecretStoreProps {
  readonly env: EnvironmentConfig;
}

/** The ClusterSecretStore for AWS Secrets Manager; External Secrets authenticates with Pod Identity. */
export class AwsSecretsManagerStore extends Construct {
  constructor(scope: Construct, id: string, props: SecretStoreProps) {
    super(scope, id);
    new ApiObject(this, 'Resource', {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ClusterSecretStore',
      metadata: { name: CLUSTER_SECRET_STORE, labels: labelsFor(CLUSTER_SECRET_STORE, 'secrets', 'airflow-eks') },
      spec: {
        provider: { aws: { service: 'SecretsManager', region: props.env.aws.region } },
        conditions: [{ namespaces: [props.env.namespace] }],
      },
    });
  }
}

const t = (k: string) => `{{ .${k} }}`;
const q = (k: string) => `{{ .${k} | urlquery }}`;

/** How the migration's direct connection verifies the database (the same as PgBouncer's server side). */
export interface UpstreamTls {
  readonly sslmode: string;
  /** CA bundle file that signs the database's certificate. */
  readonly caFile: string;
}

/**
 * The Secret contents External Secrets renders (Go templates over the Secrets Manager keys). Exported so
 * the local runner renders the very same templates with loopback values: connection URLs exist once.
 * `upstream`: TLS towards the database for the migration's direct URL: PgBouncer's own sslmode and CA bundle.
 */
export function secretTemplates(env: EnvironmentConfig, pgbouncerHost: string, upstream: UpstreamTls = { sslmode: env.pgbouncer.serverTlsSslmode, caFile: RDS_CA_FILE }) {
  const db = SECRET_KEYS.airflowDb;
  const m = K8S_SECRETS.metadata.keys;
  // Clients present the fixed client password to PgBouncer; only PgBouncer and the migration hold the rotated one.
  const client = `${AIRFLOW_DB_ROLE}:${q(db.clientPassword)}`;
  const pgbouncer = `${pgbouncerHost}:${env.pgbouncer.port}`;
  const roleOption = encodeURIComponent(`-c role=${AIRFLOW_DB_ROLE}`);
  return {
    metadata: {
      [m.sqlAlchemyConn]: `postgresql+psycopg2://${client}@${pgbouncer}/${DATABASES.metadata}`,
      // KEDA's driver (pgx) caches named prepared statements per connection; behind transaction pooling they work
      // only while PgBouncer tracks them (max_prepared_statements > 0), else the ScaledObject turns Degraded
      // ("prepared statement ... already exists"). The simple protocol prepares nothing, so KEDA needs neither.
      [m.kedaConn]: `postgresql://${client}@${pgbouncer}/${DATABASES.metadata}?sslmode=disable&default_query_exec_mode=simple_protocol`,
      // The migration holds an advisory lock on a session idle in a transaction for the whole run: PgBouncer's
      // idle_transaction_timeout would cut it, so it goes straight to the database as the owner role.
      [m.migrateConn]: `postgresql+psycopg2://${q(db.username)}:${q(db.password)}@${t(db.host)}:${t(db.port)}/${t(db.dbname)}?sslmode=${upstream.sslmode}&sslrootcert=${encodeURIComponent(upstream.caFile)}&options=${roleOption}`,
      [m.pgbouncerUserlist]: pgbouncerUserlist(t(db.clientPassword)),
      [m.pgbouncerDatabases]: pgbouncerDatabasesIni(env, { host: t(db.host), port: t(db.port), dbname: t(db.dbname), user: t(db.username), password: t(db.password) }),
    },
    broker: {
      // ElastiCache with in-transit encryption: rediss:// and verified certificates.
      [K8S_SECRETS.broker.keys.brokerUrl]: `rediss://:${q(SECRET_KEYS.broker.authToken)}@${t(SECRET_KEYS.broker.host)}:${t(SECRET_KEYS.broker.port)}/0?ssl_cert_reqs=required`,
      // Celery results in Redis database 1, not in the metadata DB: the workers, which run user code,
      // need no database credentials.
      [K8S_SECRETS.broker.keys.resultBackend]: `rediss://:${q(SECRET_KEYS.broker.authToken)}@${t(SECRET_KEYS.broker.host)}:${t(SECRET_KEYS.broker.port)}/1?ssl_cert_reqs=required`,
    },
  };
}

/**
 * Renders the subset of External Secrets' template language (Go templates + sprig) used here:
 * `{{ .key }}`, `{{ .key | urlquery }}` and `{{ .key | toJson }}`.
 */
export function renderSecretTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{ \.(\w+)(?: \| (urlquery|toJson))? \}\}/g, (_m, key: string, fn?: string) => {
    const v = values[key];
    if (v === undefined) throw new Error(`secret template refers to missing key "${key}"`);
    if (fn === 'urlquery') return encodeURIComponent(v);
    if (fn === 'toJson') return JSON.stringify(v);
    return v;
  });
}

type Remote = { secretKey: string; remoteRef: { key: string; property: string } };

interface ExternalSecretSpec {
  readonly name: string;
  /** Secret data rendered with External Secrets' Go templates from the fetched values. */
  readonly template?: Record<string, string>;
  readonly data?: Remote[];
  /** Fetch every key of these Secrets Manager secrets (as template variables). */
  readonly extract?: string[];
}

export interface AirflowExternalSecretsProps {
  readonly env: EnvironmentConfig;
}

/**
 * Every credential Airflow, PgBouncer, KEDA and the DAG bundle use, as ExternalSecrets: dist/ holds only the
 * Secrets Manager names. The values are generated once by the infra stack, so syncs never change them
 * (a regenerated JWT secret or Fernet key would log users out or make connections unreadable).
 */
export class AirflowExternalSecrets extends Construct {
  constructor(scope: Construct, id: string, props: AirflowExternalSecretsProps) {
    super(scope, id);
    const { env } = props;
    const sm = secretsManagerNames(env);
    const tpl = secretTemplates(env, `${SERVICE_NAMES.pgbouncer}.${env.namespace}.svc.cluster.local`);

    const specs: ExternalSecretSpec[] = [
      {
        name: K8S_SECRETS.metadata.name,
        extract: [sm.airflowDb],
        template: tpl.metadata,
      },
      {
        name: K8S_SECRETS.broker.name,
        extract: [sm.broker],
        template: tpl.broker,
      },
      // One Secret per generated Airflow secret (see K8S_SECRETS): a change restarts only the workloads that read it.
      ...AIRFLOW_GENERATED_SECRETS.map((k) => ({
        name: K8S_SECRETS[k].name,
        data: [{ secretKey: Object.values(K8S_SECRETS[k].keys)[0], remoteRef: { key: sm.airflow, property: SECRET_KEYS.airflow[k] } }],
      })),
      // The signing key and the trusted key set apart: only the api-server validates, so the scheduler reads one.
      { name: K8S_SECRETS.jwtSigningKey.name, data: [{ secretKey: K8S_SECRETS.jwtSigningKey.keys.privateKey, remoteRef: { key: sm.jwtSigning, property: SECRET_KEYS.jwtSigning.privateKey } }] },
      { name: K8S_SECRETS.jwtKeySet.name, data: [{ secretKey: K8S_SECRETS.jwtKeySet.keys.keySet, remoteRef: { key: sm.jwtSigning, property: SECRET_KEYS.jwtSigning.keySet } }] },
    ];
    const git = gitSecretTemplates(env);
    if (git) specs.push({ name: K8S_SECRETS.git.name, extract: [sm.git], template: git });

    for (const s of specs) {
      new ApiObject(this, s.name, {
        apiVersion: 'external-secrets.io/v1',
        kind: 'ExternalSecret',
        metadata: { name: s.name, namespace: env.namespace, labels: labelsFor(s.name, 'secrets') },
        spec: {
          refreshInterval: REFRESH,
          secretStoreRef: { kind: 'ClusterSecretStore', name: CLUSTER_SECRET_STORE },
          target: {
            name: s.name,
            creationPolicy: 'Owner',
            deletionPolicy: 'Retain',
            ...(s.template ? { template: { engineVersion: 'v2', type: 'Opaque', data: s.template } } : {}),
          },
          ...(s.data ? { data: s.data } : {}),
          ...(s.extract ? { dataFrom: s.extract.map((key) => ({ extract: { key } })) } : {}),
        },
      });
    }
  }
}
