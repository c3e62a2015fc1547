import type { EnvironmentInput } from './schema';

/**
 * The committed configuration: edit here, `npm run synth`, review the preview, push.
 * Only what differs from the schema defaults is written; defaults are production-safe.
 */
// Example git hosts: any git URL works (HTTPS or SSH). `npm run deploy` refuses example values until you set yours.
const gitops = { repoUrl: 'https://git.example.com/platform/airflow-eks.git', targetRevision: 'main' };
const dags = { repoUrl: 'https://git.example.com/data/airflow-dags.git' };

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
    workers: { minReplicas: 0, maxReplicas: 3, concurrency: 8, resources: { cpu: '500m', memory: '2Gi' } },
    pgbouncer: { replicas: 1, metadataPoolSize: 20 },
    // Dev recovers faster from a lost worker; prod keeps Airflow's conservative defaults.
    airflow: { parallelism: 32, taskHeartbeatTimeoutSeconds: 60, taskQueuedTimeoutSeconds: 180, orphanedTasksCheckIntervalSeconds: 60 },
    infra: { vpc: { natGateways: 1, cidr: '10.41.0.0/16' }, database: { instanceClass: 'serverless', deletionProtection: false }, cache: { replicas: 1, nodeType: 'cache.t4g.medium' } },
  },
  {
    name: 'prod',
    aws: { account: '123456789012', region: 'us-east-1', partition: 'aws' },
    cluster: { name: 'airflow-prod', availabilityZones: 2 },
    ingress: { host: 'airflow.example.com' },
    gitops,
    dags,
    infra: { vpc: { cidr: '10.40.0.0/16' } },
  },
  {
    name: 'prod-cn',
    aws: { account: '123456789012', region: 'cn-north-1', partition: 'aws-cn' },
    cluster: { name: 'airflow-prod-cn' },
    images: { mirrorRegistry: '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn' },
    ingress: { host: 'airflow.example.cn' },
    gitops,
    dags,
    infra: { vpc: { cidr: '10.42.0.0/16' } },
  },
];
