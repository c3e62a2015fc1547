import { z } from 'zod';
import { InfraSettingsSchema } from './infra-schema';

/**
 * The typed configuration: one documented field, one default, used everywhere it matters.
 * Manifests (`manifests-src/`), the CDK stack (`infra/`) and the local runner (`local/`) all read it.
 * Every field has a safe default so that `defineEnvironment({ name, aws })` gives a working prod.
 */

const DNS_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const QUANTITY_CPU = /^(\d+m|\d+(\.\d+)?)$/;
const QUANTITY_MEM = /^\d+(Ki|Mi|Gi)$/;

export const PartitionSchema = z.enum(['aws', 'aws-cn']);
export type Partition = z.infer<typeof PartitionSchema>;

/** Regions we test and price; add one here once its Graviton and service availability is checked. */
export const SUPPORTED_REGIONS: Record<string, Partition> = {
  'us-east-1': 'aws',
  'us-east-2': 'aws',
  'us-west-2': 'aws',
  'eu-west-1': 'aws',
  'eu-central-1': 'aws',
  'ap-northeast-1': 'aws',
  'ap-southeast-1': 'aws',
  'cn-north-1': 'aws-cn',
  'cn-northwest-1': 'aws-cn',
};

export const ResourcesSchema = z
  .object({
    /** CPU request, e.g. `500m`. */
    cpu: z.string().regex(QUANTITY_CPU, 'a CPU quantity such as "500m" or "2"'),
    /** Memory request, e.g. `1Gi`. */
    memory: z.string().regex(QUANTITY_MEM, 'a memory quantity such as "512Mi" or "2Gi"'),
    /** CPU limit; defaults to 2x the request. */
    cpuLimit: z.string().regex(QUANTITY_CPU, 'a CPU quantity such as "1" or "2000m"').optional(),
    /** Memory limit; defaults to the request (memory is not compressible: no overcommit). */
    memoryLimit: z.string().regex(QUANTITY_MEM, 'a memory quantity such as "1Gi"').optional(),
  })
  .strict();
export type Resources = z.infer<typeof ResourcesSchema>;

const component = (replicas: number, cpu: string, memory: string) =>
  z
    .object({
      /** Pod replicas (fixed; workers scale with KEDA instead). */
      replicas: z.number().int().min(0).max(50).default(replicas),
      /** Requests and limits. */
      resources: ResourcesSchema.default({ cpu, memory }),
    })
    .strict()
    .prefault({});

export const ImageSchema = z
  .object({
    /** Repository without registry when `images.mirrorRegistry` is set, e.g. `apache/airflow`. */
    repository: z.string().min(1),
    /** Immutable tag. `latest` is refused: syncs must be reproducible. */
    tag: z
      .string()
      .min(1)
      .refine((t) => t !== 'latest', 'a pinned tag (not "latest")'),
    /** Registry the image comes from when no mirror is configured. */
    registry: z.string().min(1),
  })
  .strict();
export type Image = z.infer<typeof ImageSchema>;

const img = (registry: string, repository: string, tag: string) =>
  ImageSchema.default({ registry, repository, tag });

export const ImagesSchema = z
  .object({
    /**
     * Registry (ECR) that mirrors every third-party image, e.g. `123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn`.
     * Required in `aws-cn`, where public registries are unreachable. One setting switches every image.
     */
    mirrorRegistry: z.string().min(1).optional(),
    /** Our Airflow image (docker/airflow): the official multi-arch image plus locked providers. */
    airflow: img('docker.io', 'apache/airflow', '3.3.2-python3.11'),
    gitSync: img('registry.k8s.io', 'git-sync/git-sync', 'v4.6.0'),
    pgbouncer: img('docker.io', 'apache/airflow', 'airflow-pgbouncer-2025.03.05-1.23.1'),
    pgbouncerExporter: img('docker.io', 'apache/airflow', 'airflow-pgbouncer-exporter-2025.03.05-0.18.0'),
    statsdExporter: img('quay.io', 'prometheus/statsd-exporter', 'v0.28.0'),
    fluentBit: img('public.ecr.aws', 'aws-observability/aws-for-fluent-bit', '2.32.5'),
  })
  .strict();
export type Images = z.infer<typeof ImagesSchema>;

export const EnvironmentSchema = z
  .object({
    /** Environment name: folder under dist/, suffix of AWS names. */
    name: z.string().regex(DNS_LABEL, 'a DNS label such as "prod" or "dev-eu"'),
    aws: z
      .object({
        /** 12-digit AWS account id. */
        account: z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id'),
        /** AWS region; must belong to `partition`. */
        region: z.string(),
        /** `aws` or `aws-cn` (Beijing / Ningxia). */
        partition: PartitionSchema,
      })
      .strict()
      .superRefine((aws, ctx) => {
        const expected = SUPPORTED_REGIONS[aws.region];
        if (!expected) {
          ctx.addIssue({ code: 'custom', path: ['region'], message: `unknown region; use one of ${Object.keys(SUPPORTED_REGIONS).join(', ')}` });
        } else if (expected !== aws.partition) {
          ctx.addIssue({ code: 'custom', path: ['partition'], message: `region ${aws.region} is in partition "${expected}"; set partition: "${expected}"` });
        }
      }),
    /** Kubernetes namespace for Airflow and its PgBouncer. */
    namespace: z.string().regex(DNS_LABEL, 'a DNS label such as "airflow"').default('airflow'),
    cluster: z
      .object({
        /** EKS cluster name; also the Karpenter discovery tag value. */
        name: z.string().regex(/^[A-Za-z][-A-Za-z0-9_]{0,99}$/, 'an EKS cluster name (letters, digits, - and _)'),
        /** Kubernetes minor version the manifests target (EKS standard support). */
        kubernetesVersion: z.enum(['1.33', '1.34', '1.35']).default('1.34'),
        /** Zones the workloads spread over (topology spread); 2 or 3. */
        availabilityZones: z.number().int().min(2).max(3).default(2),
      })
      .strict(),
    images: ImagesSchema.prefault({}),
    airflow: z
      .object({
        /** Airflow version the image runs; the local runner installs the same from the lock. */
        version: z.string().regex(/^3\.\d+\.\d+$/, 'an Airflow 3 version such as "3.3.2"').default('3.3.2'),
        /** [core] parallelism: task instances running at once across the installation. */
        parallelism: z.number().int().min(1).max(10000).default(64),
        /** [core] max_active_tasks_per_dag. */
        maxActiveTasksPerDag: z.number().int().min(1).default(32),
        /** [core] max_active_runs_per_dag. */
        maxActiveRunsPerDag: z.number().int().min(1).default(16),
        /** Slots of `default_pool`, set by the migration Job on every sync. */
        defaultPoolSlots: z.number().int().min(1).default(128),
        /** Extra pools created on every sync: name -> slots. */
        pools: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/, 'a pool name such as "db_heavy"'), z.number().int().min(1)).default({}),
        /** Seconds between DAG folder scans by the dag-processor. */
        dagDirListIntervalSeconds: z.number().int().min(10).default(60),
        /** Admin user the migration Job ensures exists; its password comes from Secrets Manager. */
        adminUsername: z.string().regex(/^[a-z][a-z0-9_.-]{2,63}$/, 'a user name such as "admin"').default('admin'),
        /** Task retries unless a DAG says otherwise. */
        defaultTaskRetries: z.number().int().min(0).max(10).default(2),
      })
      .strict()
      .prefault({}),
    dags: z
      .object({
        /** Git URL of the DAG repository (HTTPS or SSH). Default: the CodeCommit repo the infra stack creates. */
        repoUrl: z
          .string()
          .regex(/^(https:\/\/|ssh:\/\/|git@)[^\s]+$/, 'an https://, ssh:// or git@ URL')
          .optional(),
        /** Branch (or tag) to follow. */
        branch: z.string().min(1).default('main'),
        /** Folder inside the repository that holds the DAG files. */
        subPath: z.string().default('dags'),
        /** Seconds between git-sync pulls. */
        syncPeriodSeconds: z.number().int().min(5).max(3600).default(30),
        /** How git-sync authenticates: HTTPS user/password (CodeCommit git credentials), SSH key, or none. */
        auth: z.enum(['https', 'ssh', 'none']).default('https'),
      })
      .strict()
      .prefault({}),
    workers: z
      .object({
        /** Celery worker_concurrency: task slots per worker pod. KEDA divides by this same number. */
        concurrency: z.number().int().min(1).max(256).default(16),
        /** KEDA minReplicaCount; 0 lets workers scale to zero when nothing is queued. */
        minReplicas: z.number().int().min(0).default(1),
        /** KEDA maxReplicaCount. */
        maxReplicas: z.number().int().min(1).default(10),
        /** Celery queues these workers serve (and KEDA counts). */
        queues: z.array(z.string().regex(/^[a-z][a-z0-9_-]*$/, 'a queue name such as "default"')).min(1).default(['default']),
        /** Seconds a worker gets after SIGTERM to finish running tasks (warm shutdown). Longest task you accept to lose on scale-in. */
        terminationGracePeriodSeconds: z.number().int().min(60).max(86400).default(3600),
        /** KEDA pollingInterval (seconds). */
        kedaPollingIntervalSeconds: z.number().int().min(5).default(15),
        /** KEDA cooldownPeriod (seconds) before scaling to zero. */
        kedaCooldownPeriodSeconds: z.number().int().min(30).default(300),
        /** HPA scale-down stabilization (seconds): how long the desired count must stay lower before pods go. */
        scaleDownStabilizationSeconds: z.number().int().min(0).default(600),
        /** Requests and limits per worker pod. */
        resources: ResourcesSchema.default({ cpu: '1', memory: '4Gi' }),
      })
      .strict()
      .prefault({}),
    components: z
      .object({
        apiServer: component(2, '500m', '2Gi'),
        scheduler: component(2, '1', '2Gi'),
        dagProcessor: component(1, '500m', '2Gi'),
        triggerer: component(2, '250m', '1Gi'),
      })
      .strict()
      .prefault({}),
    pgbouncer: z
      .object({
        /** PgBouncer pods; >= 2 in prod so a restart never cuts the DB off. */
        replicas: z.number().int().min(1).default(2),
        /** Listen port; clients (Airflow, KEDA) reach PgBouncer here. */
        port: z.number().int().min(1024).max(65535).default(6432),
        /** max_client_conn per PgBouncer pod. */
        maxClientConn: z.number().int().min(10).default(1000),
        /** Server connections per PgBouncer pod to the metadata database (default_pool_size). */
        metadataPoolSize: z.number().int().min(1).default(20),
        /** Server connections per PgBouncer pod for the Celery result backend database alias. */
        resultBackendPoolSize: z.number().int().min(1).default(5),
        /** TLS towards Aurora (server_tls_sslmode). */
        serverTlsSslmode: z.enum(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']).default('require'),
        /** Requests and limits per PgBouncer pod. */
        resources: ResourcesSchema.default({ cpu: '250m', memory: '256Mi' }),
      })
      .strict()
      .prefault({}),
    ingress: z
      .object({
        /** Public host name of the Airflow UI and API. */
        host: z.string().regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,}$/, 'a host name such as "airflow.example.com"'),
        /** ACM certificate ARN for HTTPS; when absent the ALB discovers one by host name. */
        certificateArn: z
          .string()
          .regex(/^arn:aws(-cn)?:acm:[a-z0-9-]+:\d{12}:certificate\/[-a-f0-9]+$/, 'an ACM certificate ARN')
          .optional(),
        /** `internal` (VPC only, the default) or `internet-facing`. */
        scheme: z.enum(['internal', 'internet-facing']).default('internal'),
        /** CIDRs allowed to reach the load balancer. */
        allowedCidrs: z.array(z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, 'an IPv4 CIDR such as "10.0.0.0/8"')).default(['10.0.0.0/8']),
      })
      .strict(),
    logging: z
      .object({
        /** CloudWatch Logs group prefix; FluentBit writes `<prefix>/containers`, Airflow task logs `<prefix>/tasks`. */
        logGroupPrefix: z.string().regex(/^\/[-_./A-Za-z0-9]+$/, 'a log group prefix such as "/airflow-eks/prod"').optional(),
        /** Days CloudWatch keeps logs (a value CloudWatch accepts). */
        retentionDays: z.union([z.literal(7), z.literal(14), z.literal(30), z.literal(60), z.literal(90), z.literal(180), z.literal(365)]).default(30),
        /** Where Airflow writes task logs so they outlive worker pods. */
        remoteTaskLogs: z.enum(['cloudwatch', 's3']).default('cloudwatch'),
        /** S3 bucket for task logs when `remoteTaskLogs` is `s3`. */
        s3Bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name').optional(),
      })
      .strict()
      .prefault({}),
    karpenter: z
      .object({
        /** Graviton instance families (arm64 only). */
        instanceFamilies: z.array(z.string().regex(/^[a-z]+\d+g[a-z]*$/, 'a Graviton family such as "m7g" or "c8gd"')).min(1).default(['m7g', 'c7g', 'r7g', 'm8g', 'c8g']),
        /** Capacity types for worker nodes; core components always run on-demand. */
        workerCapacityTypes: z.array(z.enum(['spot', 'on-demand'])).min(1).default(['spot', 'on-demand']),
        /** EC2NodeClass amiSelectorTerms alias; pin a version in prod for repeatable nodes. */
        amiAlias: z.string().regex(/^(al2023|bottlerocket)@(latest|v[\d.]+)$/, 'an alias such as "al2023@v20251117" or "bottlerocket@latest"').default('al2023@latest'),
        /** consolidateAfter for the worker pool. */
        consolidateAfter: z.string().regex(/^\d+[smh]$/, 'a duration such as "5m"').default('5m'),
        /** Max share of nodes Karpenter may disrupt at once. */
        disruptionBudget: z.string().regex(/^(\d+%|\d+)$/, 'a count or percentage such as "10%"').default('10%'),
        /** CPU limit of each NodePool (caps cost). */
        cpuLimit: z.number().int().min(4).default(256),
      })
      .strict()
      .prefault({}),
    gitops: z
      .object({
        /** Git URL Argo CD syncs this repository from. */
        repoUrl: z.string().regex(/^(https:\/\/|ssh:\/\/|git@)[^\s]+$/, 'an https://, ssh:// or git@ URL'),
        /** Branch, tag or commit Argo CD follows. */
        targetRevision: z.string().min(1).default('main'),
      })
      .strict(),
    infra: InfraSettingsSchema.prefault({}),
  })
  .strict()
  .superRefine((env, ctx) => {
    if (env.aws.partition === 'aws-cn' && !env.images.mirrorRegistry) {
      ctx.addIssue({
        code: 'custom',
        path: ['images', 'mirrorRegistry'],
        message: 'required in aws-cn: set it to your ECR registry and run docker/mirror-images.sh',
      });
    }
    if (env.workers.minReplicas > env.workers.maxReplicas) {
      ctx.addIssue({ code: 'custom', path: ['workers', 'minReplicas'], message: `must be <= workers.maxReplicas (${env.workers.maxReplicas})` });
    }
    if (env.logging.remoteTaskLogs === 's3' && !env.logging.s3Bucket) {
      ctx.addIssue({ code: 'custom', path: ['logging', 's3Bucket'], message: 'required when logging.remoteTaskLogs is "s3"' });
    }
    if (env.airflow.parallelism < env.workers.concurrency) {
      ctx.addIssue({
        code: 'custom',
        path: ['airflow', 'parallelism'],
        message: `must be >= workers.concurrency (${env.workers.concurrency}), or no worker can fill its slots`,
      });
    }
  });

export type EnvironmentInput = z.input<typeof EnvironmentSchema>;
export type EnvironmentConfig = z.output<typeof EnvironmentSchema>;
