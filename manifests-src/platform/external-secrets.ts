import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config';
import { CLUSTER_SECRET_STORE, DATABASES, K8S_SECRETS, SECRET_KEYS, secretsManagerNames } from '../config';
import { SERVICE_NAMES } from '../airflow/airflow-settings';
import { gitSecretTemplates } from '../airflow/dag-bundle';
import { labelsFor } from '../hardening/workload-defaults';
import { pgbouncerDatabasesIni, pgbouncerUserlistLine } from './pgbouncer-config';

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

/**
 * The Secret contents External Secrets renders (Go templates over the Secrets Manager keys). Exported so
 * the local runner renders the very same templates with loopback values: connection URLs exist once.
 */
export function secretTemplates(env: EnvironmentConfig, pgbouncerHost: string) {
  const db = SECRET_KEYS.metadataDb;
  const userInfo = `${q(db.username)}:${q(db.password)}`;
  const pgbouncer = `${pgbouncerHost}:${env.pgbouncer.port}`;
  return {
    metadata: {
      [K8S_SECRETS.metadata.keys.sqlAlchemyConn]: `postgresql+psycopg2://${userInfo}@${pgbouncer}/${DATABASES.metadata}`,
      [K8S_SECRETS.metadata.keys.kedaConn]: `postgresql://${userInfo}@${pgbouncer}/${DATABASES.metadata}?sslmode=disable`,
    },
    broker: {
      // ElastiCache with in-transit encryption: rediss:// and verified certificates.
      [K8S_SECRETS.broker.keys.brokerUrl]: `rediss://:${q(SECRET_KEYS.broker.authToken)}@${t(SECRET_KEYS.broker.host)}:${t(SECRET_KEYS.broker.port)}/0?ssl_cert_reqs=required`,
      // Celery results in Redis database 1, not in the metadata DB: the workers, which run user code,
      // need no database credentials.
      [K8S_SECRETS.broker.keys.resultBackend]: `rediss://:${q(SECRET_KEYS.broker.authToken)}@${t(SECRET_KEYS.broker.host)}:${t(SECRET_KEYS.broker.port)}/1?ssl_cert_reqs=required`,
    },
    pgbouncer: {
      [K8S_SECRETS.pgbouncer.keys.userlist]: pgbouncerUserlistLine(t(db.username), t(db.password)),
      [K8S_SECRETS.pgbouncer.keys.databases]: pgbouncerDatabasesIni(env, { host: t(db.host), port: t(db.port), dbname: t(db.dbname), user: t(db.username) }),
      [K8S_SECRETS.pgbouncer.keys.exporterUrl]: `postgresql://${userInfo}@127.0.0.1:${env.pgbouncer.port}/pgbouncer?sslmode=disable`,
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
        extract: [sm.metadataDb],
        template: tpl.metadata,
      },
      {
        name: K8S_SECRETS.broker.name,
        extract: [sm.broker],
        template: tpl.broker,
      },
      {
        name: K8S_SECRETS.core.name,
        data: (Object.keys(K8S_SECRETS.core.keys) as (keyof typeof K8S_SECRETS.core.keys)[]).map((k) => ({
          secretKey: K8S_SECRETS.core.keys[k],
          remoteRef: { key: sm.airflow, property: SECRET_KEYS.airflow[k] },
        })),
      },
      {
        name: K8S_SECRETS.pgbouncer.name,
        extract: [sm.metadataDb],
        template: tpl.pgbouncer,
      },
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
