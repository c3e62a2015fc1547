import type { EnvironmentConfig } from './schema';

/**
 * The contract between the manifests (dist/), the CDK stack (infra/) and the local runner:
 * every secret name and key, service account, tag and port is defined here once.
 * docs/architecture.md "Secret and tag contract" documents the same table.
 */

/** AWS Secrets Manager secrets the infra stack creates and External Secrets reads. */
export function secretsManagerNames(env: Pick<EnvironmentConfig, 'name'>) {
  const prefix = `airflow-eks/${env.name}`;
  return {
    /** Aurora master credentials: keys username, password, host, port, dbname (the CDK-attached secret format). Never read by the cluster. */
    metadataDb: `${prefix}/metadata-db`,
    /**
     * Airflow's own database login (not the master): keys username, password, host, port, dbname, clientPassword.
     * Infra creates the role AIRFLOW_DB_ROLE (LOGIN, owner of database `airflow`) at deploy time and rotates this
     * secret with the alternating-users scheme (Secrets Manager multi-user rotation, `masterarn` = metadataDb):
     * each rotation sets a new password on the login that is NOT current (`airflow` or `airflow_clone`, a member of
     * `airflow`) and makes it current, so the previous login stays valid until the next rotation. Rotation copies
     * every other key, so `clientPassword` (what Airflow and KEDA present to PgBouncer; generated once) survives it.
     */
    airflowDb: `${prefix}/airflow-db`,
    /** ElastiCache: keys host, port, authToken. */
    broker: `${prefix}/broker`,
    /** Airflow keys, generated at deploy time: fernetKey, apiSecretKey, adminPassword. */
    airflow: `${prefix}/airflow`,
    /**
     * Airflow's JWT signing keys (Ed25519): privateKey, nextPrivateKey and keySet (the public keys of the previous,
     * current and next key). Created and rotated by infra's rotation function, so a rotation fails no running task.
     */
    jwtSigning: `${prefix}/jwt-signing`,
    /** DAG repository credentials (created by the user): username + password (HTTPS) or sshKey + knownHosts (SSH). */
    git: `${prefix}/git`,
    /** Credentials Argo CD reads this GitOps repository with: username + password (HTTPS) or sshPrivateKey (SSH). */
    gitops: `${prefix}/gitops`,
  } as const;
}

/** Keys inside those secrets. */
export const SECRET_KEYS = {
  metadataDb: { username: 'username', password: 'password', host: 'host', port: 'port', dbname: 'dbname' },
  airflowDb: { username: 'username', password: 'password', host: 'host', port: 'port', dbname: 'dbname', clientPassword: 'clientPassword' },
  broker: { host: 'host', port: 'port', authToken: 'authToken' },
  airflow: { fernetKey: 'fernetKey', apiSecretKey: 'apiSecretKey', adminPassword: 'adminPassword' },
  jwtSigning: { privateKey: 'privateKey', nextPrivateKey: 'nextPrivateKey', keySet: 'keySet' },
  git: { username: 'username', password: 'password', sshKey: 'sshKey', knownHosts: 'knownHosts' },
  gitops: { username: 'username', password: 'password', sshPrivateKey: 'sshPrivateKey' },
} as const;

/** Kubernetes Secrets that ExternalSecrets materialise in the Airflow namespace, and their keys. */
export const K8S_SECRETS = {
  /**
   * Everything that must agree about database credentials, rendered by ONE ExternalSecret from `airflowDb`:
   * the clients' URLs through PgBouncer, PgBouncer's userlist (the same client password) and upstream logins,
   * and the migration's direct URL. A rotation changes only the upstream login and the migration URL.
   */
  metadata: {
    name: 'airflow-metadata',
    keys: {
      sqlAlchemyConn: 'sql-alchemy-conn',
      kedaConn: 'keda-connection',
      /** Direct to Aurora, for `airflow db migrate` only (its advisory-lock session must not pass PgBouncer). */
      migrateConn: 'migrate-sql-alchemy-conn',
      pgbouncerUserlist: 'userlist.txt',
      pgbouncerDatabases: 'databases.ini',
    },
  },
  /** Celery broker and result backend URLs (rediss://, ElastiCache): workers never get a database URL. */
  broker: { name: 'airflow-broker', keys: { brokerUrl: 'broker-url', resultBackend: 'result-backend' } },
  /*
   * The generated Airflow secrets (`SECRET_KEYS.airflow`), one Secret each because their readers differ and
   * Reloader rolls a workload when any Secret it mounts changes: sharing one Secret made an admin-password change
   * restart every worker and the tasks running on it. Each is named after its `SECRET_KEYS.airflow` property.
   */
  /** Fernet key: every process that reads or writes encrypted connections and variables. */
  fernetKey: { name: 'airflow-fernet-key', keys: { fernetKey: 'fernet-key' } },
  /** [api] secret_key: signs log-server requests (api-server, triggerer and worker log servers). */
  apiSecretKey: { name: 'airflow-api-secret-key', keys: { apiSecretKey: 'api-secret-key' } },
  /** The JWT signing key: the api-server and the scheduler (which issues task tokens). */
  jwtSigningKey: { name: 'airflow-jwt-signing-key', keys: { privateKey: 'jwt-signing-key.pem' } },
  /** The public keys trusted for JWTs (previous, current, next): the api-server, which validates them. */
  jwtKeySet: { name: 'airflow-jwt-key-set', keys: { keySet: 'jwt-key-set.json' } },
  /** The first admin's password: read only by the migration Job that creates the admin. */
  adminPassword: { name: 'airflow-admin-password', keys: { adminPassword: 'admin-password' } },
  /** DAG repository credentials as files: an Airflow connections file, plus the key and known_hosts in SSH mode. */
  git: { name: 'airflow-git', keys: { connections: 'connections.json', sshKey: 'ssh-key', knownHosts: 'known-hosts' } },
} as const;

/** The generated Airflow secrets, each a property of the `airflow` Secrets Manager secret and a Secret of its own. */
export const AIRFLOW_GENERATED_SECRETS = Object.keys(SECRET_KEYS.airflow) as (keyof typeof SECRET_KEYS.airflow & keyof typeof K8S_SECRETS)[];

/**
 * The database role that owns Airflow's schema. Clients log in to PgBouncer as this name; PgBouncer and the
 * migration log in to Aurora as the current rotation login (this role or its `_clone`) and SET ROLE to it,
 * so every table has one owner whichever login created it.
 */
export const AIRFLOW_DB_ROLE = 'airflow';

/** Aurora's master login (the `metadataDb` secret's username): infra creates the cluster with it, never the cluster's pods. */
export const DB_MASTER_USER = 'airflow_admin';

/**
 * PgBouncer's read-only console login (`stats_users`) for its metrics exporter. It has no password: PgBouncer's
 * HBA file admits it only from the pod's own loopback and only to the `pgbouncer` console database.
 */
export const PGBOUNCER_STATS_USER = 'pgbouncer_exporter';

/** The SecretStore every ExternalSecret references (AWS Secrets Manager, Pod Identity auth). */
export const CLUSTER_SECRET_STORE = 'aws-secrets-manager';

/** Tags Karpenter uses to discover subnets and security groups; infra/ puts them on the VPC resources. */
export function discoveryTags(env: Pick<EnvironmentConfig, 'cluster'>): Record<string, string> {
  return { 'karpenter.sh/discovery': env.cluster.name };
}

/** IAM role Karpenter nodes assume (created by infra/, referenced by the EC2NodeClass). */
export function karpenterNodeRoleName(env: Pick<EnvironmentConfig, 'cluster'>): string {
  return `KarpenterNodeRole-${env.cluster.name}`;
}

/**
 * Subnets of a VPC the infra stack creates, in allocation order: public (load balancers, NAT) then private
 * (nodes, pods, Aurora, ElastiCache), one per zone each. NetworkPolicies name AWS peers by these ranges.
 */
export const SUBNET_LAYOUT = [
  { name: 'public', cidrMask: 24 },
  { name: 'private', cidrMask: 19 },
] as const;
export type SubnetTier = (typeof SUBNET_LAYOUT)[number]['name'];

/**
 * The subnet CIDRs the CDK allocates for `infra.vpc.cidr` (sequentially, each block aligned to its own
 * size; test/platform/network-policies.test.ts checks this against the infra stack's real VPC). With
 * `infra.vpc.existingVpcId` the subnets are not known here: the whole VPC CIDR is returned.
 */
export function subnetCidrs(env: Pick<EnvironmentConfig, 'infra' | 'cluster'>, tier: SubnetTier): string[] {
  const { cidr, existingVpcId } = env.infra.vpc;
  if (existingVpcId) return [cidr];
  const [base, bits] = cidr.split('/');
  const toInt = (ip: string) => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  const toIp = (n: number) => [24, 16, 8, 0].map((sh) => Math.floor(n / 2 ** sh) % 256).join('.');
  const end = toInt(base) + 2 ** (32 - Number(bits));
  let next = toInt(base);
  const out: Record<string, string[]> = {};
  for (const layer of SUBNET_LAYOUT) {
    const size = 2 ** (32 - layer.cidrMask);
    out[layer.name] = [];
    for (let i = 0; i < env.cluster.availabilityZones; i++) {
      next = Math.ceil(next / size) * size;
      if (next + size > end) throw new Error(`infra.vpc.cidr ${cidr} is too small for ${env.cluster.availabilityZones} ${layer.name} /${layer.cidrMask} subnets; use a /16`);
      out[layer.name].push(`${toIp(next)}/${layer.cidrMask}`);
      next += size;
    }
  }
  return out[tier];
}

/** Ports fixed by Airflow or by us; a port is defined here and nowhere else. */
export const PORTS = {
  apiServer: 8080,
  workerLogServer: 8793,
  triggererLogServer: 8794,
  statsd: 9125,
  statsdMetrics: 9102,
  pgbouncerExporter: 9127,
  redis: 6379,
  postgres: 5432,
  dagProcessorHealth: 8795,
  schedulerHealth: 8974,
  /** The EKS Pod Identity agent on every node (link-local), where the AWS SDKs get credentials. */
  podIdentityAgent: 80,
} as const;

/** The EKS Pod Identity agent's link-local addresses (IPv4 and IPv6). */
export const POD_IDENTITY_AGENT_CIDRS = ['169.254.170.23/32', 'fd00:ec2::23/128'] as const;

/** The database name clients ask PgBouncer for (its one alias of the Aurora database). */
export const DATABASES = { metadata: 'airflow' } as const;

/** Folders under dist/<env>/: each one is an Argo CD Application, synced in this order (wave). */
export const APP_GROUPS = [
  { name: 'platform', wave: 0, description: 'Karpenter NodePools and EC2NodeClass, namespaces, the ClusterSecretStore' },
  { name: 'secrets', wave: 1, description: 'ExternalSecrets: every credential, by reference to AWS Secrets Manager' },
  { name: 'pgbouncer', wave: 2, description: 'PgBouncer in front of Aurora' },
  { name: 'airflow', wave: 3, description: 'Airflow 3 components, KEDA, ingress, PDBs, network policies' },
  // Last: a log shipper that cannot start (image pull, mirror gap) must not hold back the data plane.
  // FluentBit reads the node's container log files from the head on first start (Read_from_Head), so what
  // ran before it started is still shipped.
  { name: 'logging', wave: 4, description: 'FluentBit DaemonSet to CloudWatch Logs' },
] as const;
export type AppGroupName = (typeof APP_GROUPS)[number]['name'];

/** Secret settings: the Airflow option, and the Kubernetes Secret key that holds its value. */
export const SECRET_SETTINGS = {
  sqlAlchemyConn: { option: 'AIRFLOW__DATABASE__SQL_ALCHEMY_CONN', secret: K8S_SECRETS.metadata.name, key: K8S_SECRETS.metadata.keys.sqlAlchemyConn },
  /**
   * The same option, straight to the database as the rotated login (not through PgBouncer): `airflow db migrate`
   * holds its advisory lock on a session idle in a transaction for the whole run, which PgBouncer's
   * idle_transaction_timeout would cut.
   */
  migrateConn: { option: 'AIRFLOW__DATABASE__SQL_ALCHEMY_CONN', secret: K8S_SECRETS.metadata.name, key: K8S_SECRETS.metadata.keys.migrateConn },
  brokerUrl: { option: 'AIRFLOW__CELERY__BROKER_URL', secret: K8S_SECRETS.broker.name, key: K8S_SECRETS.broker.keys.brokerUrl },
  resultBackend: { option: 'AIRFLOW__CELERY__RESULT_BACKEND', secret: K8S_SECRETS.broker.name, key: K8S_SECRETS.broker.keys.resultBackend },
  fernetKey: { option: 'AIRFLOW__CORE__FERNET_KEY', secret: K8S_SECRETS.fernetKey.name, key: K8S_SECRETS.fernetKey.keys.fernetKey },
  apiSecretKey: { option: 'AIRFLOW__API__SECRET_KEY', secret: K8S_SECRETS.apiSecretKey.name, key: K8S_SECRETS.apiSecretKey.keys.apiSecretKey },
  /** Options that take the file's path (not `_CMD`): the signing key, and the key set trusted to validate. */
  jwtSigningKey: { option: 'AIRFLOW__API_AUTH__JWT_PRIVATE_KEY_PATH', byPath: true, secret: K8S_SECRETS.jwtSigningKey.name, key: K8S_SECRETS.jwtSigningKey.keys.privateKey },
  jwtKeySet: { option: 'AIRFLOW__API_AUTH__TRUSTED_JWKS_URL', byPath: true, secret: K8S_SECRETS.jwtKeySet.name, key: K8S_SECRETS.jwtKeySet.keys.keySet },
  /** Not an Airflow option: the bootstrap script reads it to create the first admin. */
  adminPassword: { option: undefined, secret: K8S_SECRETS.adminPassword.name, key: K8S_SECRETS.adminPassword.keys.adminPassword },
} as const;
export type SecretSettingName = keyof typeof SECRET_SETTINGS;

/** Peers outside the Airflow namespace, named in the components' flows. */
export type ExternalPeer =
  | 'load-balancer' // ALB targets pods by IP from inside the VPC
  | 'aurora'
  | 'elasticache'
  | 'aws-apis-and-git' // HTTPS: Secrets/STS/CloudWatch/S3 endpoints and the DAG repository
  | 'git-ssh'
  | 'kube-dns'
  | 'pod-identity-agent' // EKS Pod Identity agent on the node: AWS credentials for the pod's service account
  | 'keda' // keda-operator runs the scaler query through PgBouncer
  | 'metrics-scraper'; // our metrics agent (airflow-logging/fluent-bit-metrics), or Container Insights' CloudWatch agent, scraping Prometheus endpoints

/** A port of a flow: a fixed number, or PgBouncer's listening port, which is configured (`pgbouncer.port`). */
export type FlowPort = number | 'pgbouncer.port';

/** One connection a component opens (`to`) or accepts from a peer outside the namespace (`from`). */
export interface ComponentFlow<P extends string = string> {
  readonly peer: P | ExternalPeer;
  readonly port: FlowPort;
  readonly protocol?: 'TCP' | 'UDP';
  /** Why the flow exists. */
  readonly why: string;
}

export interface ComponentSpec<P extends string = string> {
  /** The workload's name (Deployment or Job) and the `app.kubernetes.io/name` of its pods. */
  readonly workload: string;
  readonly serviceAccount: string;
  /** The service account gets a Pod Identity association from infra/ (the pod calls AWS APIs). */
  readonly aws: boolean;
  /** The dist/<env>/<group>/ folder (Argo CD Application) it ships in. */
  readonly group: AppGroupName;
  /** Container ports by name (PgBouncer's own port is configured: `pgbouncer.port`). */
  readonly ports: Readonly<Record<string, number>>;
  /** Service in front of it: the host name other pods use. */
  readonly service?: string;
  /** An Airflow process: the secrets table row it gets as files (worker-long shares the worker's). */
  readonly airflow?: { readonly process: P; readonly secrets: readonly SecretSettingName[] };
  /** Clones the DAG bundle (the others read serialized DAGs from the database). */
  readonly clonesDags?: boolean;
  /** Connections it opens, besides DNS, Pod Identity (when `aws`) and git over SSH (when it clones with SSH). */
  readonly connectsTo: readonly ComponentFlow<P>[];
  /** Connections it accepts from outside the namespace. */
  readonly acceptsFrom?: readonly ComponentFlow<P>[];
}

/** What every Airflow process opens: the database only through PgBouncer, the broker, metrics, AWS APIs. */
const AIRFLOW_FLOWS: readonly ComponentFlow<'pgbouncer' | 'statsd'>[] = [
  { peer: 'pgbouncer', port: 'pgbouncer.port', why: 'metadata DB and result backend, only through PgBouncer' },
  { peer: 'elasticache', port: PORTS.redis, why: 'Celery broker' },
  { peer: 'statsd', port: PORTS.statsd, protocol: 'UDP', why: 'StatsD metrics' },
  { peer: 'aws-apis-and-git', port: 443, why: 'remote task logs, Secrets Manager connections, STS' },
];
const CELERY_WORKER = {
  workload: 'airflow-worker',
  serviceAccount: 'airflow-worker',
  aws: true,
  group: 'airflow',
  ports: { logs: PORTS.workerLogServer },
  airflow: { process: 'worker', secrets: ['brokerUrl', 'resultBackend', 'apiSecretKey'] },
  clonesDags: true,
  connectsTo: [...AIRFLOW_FLOWS, { peer: 'api-server', port: PORTS.apiServer, why: 'Task Execution API' }],
} as const;

/**
 * The component registry: every workload of the Airflow namespace, defined once. The constructs, the flow table
 * (NetworkPolicies), the Service names, the secrets each process gets and the local runner derive from it.
 * Secrets per process are verified against Airflow 3.3's source (manifests-src/airflow/component-secrets.ts says why).
 */
export const COMPONENTS = {
  'api-server': {
    workload: 'airflow-api-server',
    serviceAccount: 'airflow-api-server',
    aws: true,
    group: 'airflow',
    ports: { http: PORTS.apiServer },
    service: 'airflow-api-server',
    airflow: { process: 'api-server', secrets: ['sqlAlchemyConn', 'fernetKey', 'apiSecretKey', 'jwtSigningKey', 'jwtKeySet'] },
    connectsTo: [
      ...AIRFLOW_FLOWS,
      { peer: 'worker', port: PORTS.workerLogServer, why: 'live task logs from the worker log server' },
      { peer: 'worker-long', port: PORTS.workerLogServer, why: 'live task logs from the worker log server' },
      { peer: 'triggerer', port: PORTS.triggererLogServer, why: 'live trigger logs' },
    ],
    acceptsFrom: [{ peer: 'load-balancer', port: PORTS.apiServer, why: 'UI and REST API through the ALB' }],
  },
  scheduler: {
    workload: 'airflow-scheduler',
    serviceAccount: 'airflow-scheduler',
    aws: true,
    group: 'airflow',
    ports: { health: PORTS.schedulerHealth },
    airflow: { process: 'scheduler', secrets: ['sqlAlchemyConn', 'brokerUrl', 'resultBackend', 'fernetKey', 'jwtSigningKey'] },
    connectsTo: AIRFLOW_FLOWS,
  },
  'dag-processor': {
    workload: 'airflow-dag-processor',
    serviceAccount: 'airflow-dag-processor',
    // Its file-processing logs go through the remote log handler: without credentials it exits at start.
    aws: true,
    group: 'airflow',
    ports: {},
    airflow: { process: 'dag-processor', secrets: ['sqlAlchemyConn', 'fernetKey'] },
    clonesDags: true,
    connectsTo: [...AIRFLOW_FLOWS, { peer: 'api-server', port: PORTS.apiServer, why: 'Task Execution API (callbacks)' }],
  },
  triggerer: {
    workload: 'airflow-triggerer',
    serviceAccount: 'airflow-triggerer',
    aws: true,
    group: 'airflow',
    ports: { logs: PORTS.triggererLogServer },
    airflow: { process: 'triggerer', secrets: ['sqlAlchemyConn', 'fernetKey', 'apiSecretKey'] },
    connectsTo: [...AIRFLOW_FLOWS, { peer: 'api-server', port: PORTS.apiServer, why: 'Task Execution API' }],
  },
  worker: CELERY_WORKER,
  /** Long-task workers on on-demand nodes: the workers' process, service account and flows under another name. */
  'worker-long': { ...CELERY_WORKER, workload: 'airflow-worker-long' },
  migrate: {
    workload: 'airflow-migrate',
    serviceAccount: 'airflow-migrate',
    aws: false,
    group: 'airflow',
    ports: {},
    airflow: { process: 'migrate', secrets: ['migrateConn', 'fernetKey', 'adminPassword'] },
    connectsTo: [
      ...AIRFLOW_FLOWS,
      { peer: 'aurora', port: PORTS.postgres, why: 'db migrate bypasses PgBouncer: its advisory-lock session idles in a transaction past idle_transaction_timeout' },
      { peer: 'aws-apis-and-git', port: 443, why: 'RDS CA bundle for its direct, verify-full URL (init container)' },
    ],
  },
  pgbouncer: {
    workload: 'pgbouncer',
    serviceAccount: 'pgbouncer',
    aws: false,
    group: 'pgbouncer',
    ports: { metrics: PORTS.pgbouncerExporter },
    service: 'pgbouncer',
    connectsTo: [
      { peer: 'aurora', port: PORTS.postgres, why: 'server connections to Aurora' },
      { peer: 'aws-apis-and-git', port: 443, why: 'RDS CA bundle from the RDS trust store (init container)' },
    ],
    acceptsFrom: [
      { peer: 'keda', port: 'pgbouncer.port', why: 'KEDA worker-count query' },
      { peer: 'metrics-scraper', port: PORTS.pgbouncerExporter, why: 'PgBouncer metrics' },
    ],
  },
  statsd: {
    workload: 'airflow-statsd',
    serviceAccount: 'airflow-statsd',
    aws: false,
    group: 'airflow',
    ports: { statsd: PORTS.statsd, metrics: PORTS.statsdMetrics },
    service: 'airflow-statsd',
    connectsTo: [],
    acceptsFrom: [{ peer: 'metrics-scraper', port: PORTS.statsdMetrics, why: 'Airflow metrics' }],
  },
} as const satisfies Record<string, ComponentSpec<'api-server' | 'scheduler' | 'dag-processor' | 'triggerer' | 'worker' | 'worker-long' | 'migrate' | 'pgbouncer' | 'statsd'>>;
export type ComponentName = keyof typeof COMPONENTS;

/** Kubernetes service accounts; those marked `aws` get a Pod Identity association from infra/. */
const sa = (c: ComponentName) => ({ name: COMPONENTS[c].serviceAccount, aws: COMPONENTS[c].aws });
export const SERVICE_ACCOUNTS = {
  apiServer: sa('api-server'),
  scheduler: sa('scheduler'),
  dagProcessor: sa('dag-processor'),
  triggerer: sa('triggerer'),
  worker: sa('worker'),
  migrate: sa('migrate'),
  pgbouncer: sa('pgbouncer'),
  statsd: sa('statsd'),
  // Outside the Airflow namespace: the log shipper and the operator that reads Secrets Manager.
  fluentBit: { name: 'fluent-bit', aws: true, namespace: 'airflow-logging' },
  externalSecrets: { name: 'external-secrets', aws: true, namespace: 'external-secrets' },
} as const;

/** Name of the CodeCommit DAG repository infra/ creates. */
export function codeCommitRepoName(env: Pick<EnvironmentConfig, 'cluster'>): string {
  return `${env.cluster.name}-dags`;
}

/** The DAG repository the GitDagBundle clones: `dags.repoUrl`, or the CodeCommit repository infra/ creates. */
export function dagRepoUrl(env: Pick<EnvironmentConfig, 'dags' | 'aws' | 'cluster'>): string {
  if (env.dags.repoUrl) return env.dags.repoUrl;
  const suffix = env.aws.partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://git-codecommit.${env.aws.region}.${suffix}/v1/repos/${codeCommitRepoName(env)}`;
}

/** The account's ECR registry, partition-aware: China regions use the amazonaws.com.cn domain. */
export function ecrRegistry(env: Pick<EnvironmentConfig, 'aws'>): string {
  const suffix = env.aws.partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `${env.aws.account}.dkr.ecr.${env.aws.region}.${suffix}`;
}

/** Where the images we build (docker/build.sh) are pushed and pulled from: the mirror registry, else the account's ECR. */
export function builtImageRegistry(env: Pick<EnvironmentConfig, 'images' | 'aws'>): string {
  return env.images.mirrorRegistry ?? ecrRegistry(env);
}

/** The tag of an image built around one Debian package: its version, with the characters a tag refuses (`+`, `:`, `~`) as `_`. */
export function debianPackageTag(packageVersion: string): string {
  return packageVersion.replace(/[+:~]/g, '_');
}

/**
 * Full image reference: every image from our registry (`images.mirrorRegistry`, else the account's ECR, whose
 * repositories the registries stack creates), never from a public registry at run time (pull limits, shared NAT
 * addresses, China). Ours are built there by docker/build.sh (Airflow; PgBouncer, tagged with its Debian package
 * version); the others are copied there from `images.<name>.registry` by docker/mirror.sh.
 */
export function imageRef(env: Pick<EnvironmentConfig, 'images' | 'aws'>, which: Exclude<keyof EnvironmentConfig['images'], 'mirrorRegistry'>): string {
  if (which === 'airflow') return `${builtImageRegistry(env)}/${env.images.airflow.repository}:${env.images.airflow.tag}`;
  if (which === 'pgbouncer') return `${builtImageRegistry(env)}/${env.images.pgbouncer.repository}:${debianPackageTag(env.images.pgbouncer.packageVersion)}`;
  const image = env.images[which];
  return `${builtImageRegistry(env)}/${image.repository}:${image.tag}`;
}

/**
 * Airflow's StatsD prefix (`[metrics] statsd_prefix`): the first segment of every name the StatsD exporter exposes,
 * and so the CloudWatch namespace the metrics agent's EMF encoder gives them (Fluent Bit splits a Prometheus name at
 * its first `_` into namespace and the rest).
 */
export const AIRFLOW_METRICS_PREFIX = 'airflow';

/** The dimension every Airflow metric in CloudWatch carries (added by the metrics agent): the EKS cluster's name. */
export const METRIC_CLUSTER_DIMENSION = 'ClusterName';

/**
 * The Airflow metrics published to CloudWatch, as the StatsD exporter exposes them: what the alarms and the dashboard
 * read, and nothing more (each custom metric is billed). A counter arrives as its running total, so what reads one
 * takes the increase per period (metric math DIFF).
 */
export const CLOUDWATCH_AIRFLOW_METRICS = {
  schedulerHeartbeat: { name: `${AIRFLOW_METRICS_PREFIX}_scheduler_heartbeat`, kind: 'counter' },
  triggererHeartbeat: { name: `${AIRFLOW_METRICS_PREFIX}_triggerer_heartbeat`, kind: 'counter' },
  taskSuccesses: { name: `${AIRFLOW_METRICS_PREFIX}_ti_successes`, kind: 'counter' },
  taskFailures: { name: `${AIRFLOW_METRICS_PREFIX}_ti_failures`, kind: 'counter' },
  queuedTasks: { name: `${AIRFLOW_METRICS_PREFIX}_executor_queued_tasks`, kind: 'gauge' },
  importErrors: { name: `${AIRFLOW_METRICS_PREFIX}_dag_processing_import_errors`, kind: 'gauge' },
} as const satisfies Record<string, { name: string; kind: 'counter' | 'gauge' }>;

/**
 * PgBouncer's metrics published to CloudWatch, as its exporter exposes them, in the namespace `pgbouncer` (the names'
 * first segment), dimensions ClusterName and `database` (the agent drops the exporter's user and pool_mode labels).
 */
export const PGBOUNCER_METRICS_PREFIX = 'pgbouncer';
export const CLOUDWATCH_PGBOUNCER_METRICS = {
  waitingClients: { name: `${PGBOUNCER_METRICS_PREFIX}_exporter_pools_waiting_clients`, kind: 'gauge' },
} as const satisfies Record<string, { name: string; kind: 'counter' | 'gauge' }>;
/** Labels of the exporter's pool metrics that the agent drops: one series per database and cluster remains. */
export const PGBOUNCER_DROPPED_LABELS = ['user', 'pool_mode'] as const;

/** The CloudWatch namespaces the metrics agent publishes to. */
export const AGENT_METRIC_NAMESPACES = [AIRFLOW_METRICS_PREFIX, PGBOUNCER_METRICS_PREFIX] as const;

/** How often the metrics agent scrapes each exporter: one datapoint per metric per interval. */
export const METRICS_SCRAPE_SECONDS = 60;
