import type { EnvironmentInput } from './schema';

/**
 * The committed configuration: edit here, `npm run synth`, review the preview, push.
 * Only what differs from the schema defaults is written; defaults are production-safe.
 */
// Example git hosts: any git URL works (HTTPS or SSH). `npm run deploy` refuses example values until you set yours.
const gitops = { repoUrl: 'https://git.example.com/platform/airflow-eks.git', targetRevision: 'main' };
const dags = { repoUrl: 'https://git.example.com/data/airflow-dags.git' };

/**
 * The prod cost profile (HA kept): t4g system nodes, a tier-2 Serverless v2 reader, no interface endpoints. The
 * Kubernetes API endpoint is private (the schema default, written out): kubectl through a VPN or bastion in the VPC.
 */
const PROD_INFRA = {
  vpc: { interfaceEndpoints: false },
  eks: { systemNodeInstanceType: 't4g.medium', publicAccessCidrs: [] },
  database: { instanceClass: 'serverless', minCapacityAcu: 0.5, maxCapacityAcu: 16, readerScalesWithWriter: false },
  cache: { nodeType: 'cache.t4g.small' },
  longTaskOnDemandWorkers: 1,
} satisfies EnvironmentInput['infra'];

export const environments: EnvironmentInput[] = [
  {
    name: 'dev',
    aws: { account: '123456789012', region: 'us-east-1', partition: 'aws' },
    cluster: { name: 'airflow-dev' },
    ingress: { host: 'airflow-dev.example.com' },
    gitops: { ...gitops, targetRevision: 'main' },
    dags,
    components: {
      apiServer: { replicas: 1, resources: { cpu: '250m', memory: '1Gi' } },
      scheduler: { replicas: 1, resources: { cpu: '500m', memory: '1Gi' } },
      dagProcessor: { replicas: 1, resources: { cpu: '250m', memory: '1Gi' } },
      triggerer: { replicas: 1, resources: { cpu: '250m', memory: '512Mi' } },
    },
    // Dev releases idle workers after a minute (the Airflow Helm chart's KEDA default is 30 s); prod keeps 300 s
    // so a bursty schedule does not pay a worker start each time. The query counts running tasks: no task is cut.
    // Dev's slots get a sixteenth of a vCPU each (MWAA's get 0.2): its tasks are examples and tests, and the cluster
    // suite runs three such workers on small nodes. Prod keeps the schema's MWAA-like 0.2.
    workers: { minReplicas: 0, maxReplicas: 3, concurrency: 8, taskCpu: 0.0625, kedaCooldownPeriodSeconds: 60, resources: { cpu: '500m', memory: '3392Mi' } },
    pgbouncer: { replicas: 1, metadataPoolSize: 20 },
    // Dev's repository holds a handful of example DAGs: parsed every 30 s (Airflow's default), nothing to size up.
    capacity: { dags: 10 },
    // Dev recovers faster from a lost worker; prod keeps Airflow's conservative defaults.
    airflow: { taskHeartbeatTimeoutSeconds: 60, taskQueuedTimeoutSeconds: 180, orphanedTasksCheckIntervalSeconds: 60 },
    // Dev follows every AMI release, so a new one is met in dev before prod's pinned alias is bumped.
    karpenter: { workerCapacityTypes: ['spot'], instanceFamilies: ['t4g', 'm7g', 'c7g', 'r7g'], amiAlias: 'al2023@latest' },
    // The cheap profile: every choice here trades availability for cost (docs/cost.md lists which).
    // Office hours halve dev's bill (docs/cost.md prices dev with and without them). Off in the committed
    // config because the local-cluster test runs dist/dev at any hour; switch on per deployment.
    officeHours: { enabled: false, timezone: 'UTC', start: '0 8 * * 1-5', end: '0 19 * * 1-5' },
    infra: {
      vpc: { natGateways: 1, natProvider: 'instance', interfaceEndpoints: false, cidr: '10.41.0.0/16' },
      // kubectl from the office/VPN egress range (a documentation range here: put yours); prod stays private.
      eks: { systemNodeInstanceType: 't4g.medium', systemNodeCount: 1, systemNodeDiskGib: 20, karpenterReplicas: 1, containerInsights: false, publicAccessCidrs: ['203.0.113.0/24'] },
      database: { instanceClass: 'serverless', minCapacityAcu: 0, maxCapacityAcu: 4, autoPauseMinutes: 10, readers: 0, deletionProtection: false },
      cache: { replicas: 0, nodeType: 'cache.t4g.micro' },
    },
  },
  {
    name: 'prod',
    aws: { account: '123456789012', region: 'us-east-1', partition: 'aws' },
    cluster: { name: 'airflow-prod', availabilityZones: 2 },
    ingress: { host: 'airflow.example.com' },
    gitops,
    dags,
    workers: { minReplicas: 0 },
    // HA kept: two NAT gateways, a reader in another zone, a broker replica, two system nodes.
    infra: { ...PROD_INFRA, vpc: { ...PROD_INFRA.vpc, cidr: '10.40.0.0/16' } },
  },
  {
    name: 'prod-cn',
    aws: { account: '123456789012', region: 'cn-north-1', partition: 'aws-cn' },
    cluster: { name: 'airflow-prod-cn' },
    images: { mirrorRegistry: '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn' },
    workers: { minReplicas: 0 },
    ingress: { host: 'airflow.example.cn' },
    gitops,
    dags,
    infra: { ...PROD_INFRA, vpc: { ...PROD_INFRA.vpc, cidr: '10.42.0.0/16' } },
  },
];
