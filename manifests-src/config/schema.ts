import { z } from 'zod';
import { CapacitySchema, derivedParseInterval, derivedParsingProcesses, sizedRequest, withPodResources, type SizedComponent } from './capacity';
import { InfraSettingsSchema } from './infra-schema';
import { cpuCores, derivedWorkerResources, memoryMiB, MWAA_CPU_PER_SLOT, workerMemoryFloorMiB } from './worker-memory';

/**
 * The typed configuration: one documented field, one default, used everywhere it matters.
 * Manifests (`manifests-src/`), the CDK stack (`infra/`) and the local runner (`local/`) all read it.
 * Every field has a safe default so that `defineEnvironment({ name, aws })` gives a working prod.
 */

const DNS_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const QUANTITY_CPU = /^(\d+m|\d+(\.\d+)?)$/;
const QUANTITY_MEM = /^\d+(Ki|Mi|Gi)$/;
/** A weekly cron: minute, hour, any day of month and month, days of week as a range or list (0-6). */
export const CRON_WEEKLY = /^([0-5]?\d) ([01]?\d|2[0-3]) \* \* ([0-6](-[0-6])?(,[0-6](-[0-6])?)*|\*)$/;

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
    cpu: z.string().regex(QUANTITY_CPU, 'a CPU quantity such as "500m" or "2"').describe('CPU request, e.g. `500m`.'),
    memory: z.string().regex(QUANTITY_MEM, 'a memory quantity such as "512Mi" or "2Gi"').describe('Memory request, e.g. `1Gi`.'),
    cpuLimit: z.string().regex(QUANTITY_CPU, 'a CPU quantity such as "1" or "2000m"').optional().describe('CPU limit; defaults to 2x the request.'),
    memoryLimit: z.string().regex(QUANTITY_MEM, 'a memory quantity such as "1Gi"').optional().describe('Memory limit; defaults to the request (memory is not compressible: no overcommit).'),
  })
  .strict();
export type Resources = z.infer<typeof ResourcesSchema>;

/** `resources` of a component whose default requests are sized from `capacity` (filled in after parsing). */
const sizedResources = (c: SizedComponent, replicas: number, what = 'Requests and limits') => {
  const d = sizedRequest(c, replicas, CapacitySchema.parse({}));
  return ResourcesSchema.optional().describe(`${what}. Unset: sized from \`capacity\` per replica, never below a floor (docs/benchmark.md, "Sizing"); at the default capacity and replicas \`${JSON.stringify(d)}\`.`);
};

const PGBOUNCER_REPLICAS = 2;

const component = (c: Exclude<SizedComponent, 'pgbouncer'>, replicas: number) =>
  z
    .object({
      replicas: z.number().int().min(0).max(50).default(replicas).describe('Pod replicas (fixed; workers scale with KEDA instead).'),
      resources: sizedResources(c, replicas),
    })
    .strict()
    .prefault({});

/** The EKS-optimized AL2023 AMI release nodes run unless an environment says otherwise. */
export const PINNED_AMI_ALIAS = 'al2023@v20251110';

export const ImageSchema = z
  .object({
    repository: z.string().min(1).describe('Repository without registry when `images.mirrorRegistry` is set, e.g. `apache/airflow`.'),
    tag: z
      .string()
      .min(1)
      .refine((t) => t !== 'latest', 'a pinned tag (not "latest")').describe('Immutable tag. `latest` is refused: syncs must be reproducible.'),
    registry: z.string().min(1).describe('Public registry docker/mirror.sh (and the deploy\'s mirror step) copies the image from; pods always pull it from our registry (`images.mirrorRegistry`, else the account\'s ECR).'),
  })
  .strict();
export type Image = z.infer<typeof ImageSchema>;

/** An image we build and push ourselves (docker/build.sh): its registry is derived, never configured. */
export const BuiltImageSchema = z
  .object({
    repository: z.string().min(1).describe('ECR repository, e.g. `airflow-eks/airflow`.'),
    tag: z
      .string()
      .min(1)
      .refine((t) => t !== 'latest', 'a pinned tag (not "latest")').describe('Immutable tag docker/build.sh pushes. `latest` is refused.'),
  })
  .strict();

/**
 * An image we build (docker/<name>/Dockerfile, pushed by docker/build.sh) around one pinned Debian package: the
 * pin is the one source of the version, for the image, its tag and the local cluster's and runner's copies.
 */
export const DebianPackageImageSchema = z
  .object({
    repository: z.string().min(1).describe('ECR repository, e.g. `airflow-eks/pgbouncer`.'),
    suite: z.enum(['trixie']).describe('Debian release the image is built from (`debian:<suite>-slim`).'),
    packageVersion: z
      .string()
      .regex(/^(\d+:)?\d[A-Za-z0-9.+~-]*$/, 'a Debian package version such as "1.24.1-1+deb13u2" (`apt-cache policy <package>` on the suite)')
      .describe('Exact Debian package version installed; the image tag is derived from it (`+`, `:` and `~` become `_`).'),
  })
  .strict();
export type DebianPackageImage = z.infer<typeof DebianPackageImageSchema>;

const img = (registry: string, repository: string, tag: string) =>
  ImageSchema.default({ registry, repository, tag });

export const ImagesSchema = z
  .object({
    mirrorRegistry: z
      .string()
      .min(1)
      .optional()
      .describe('ECR registry holding every image dist/ pulls and every chart the stack installs, e.g. `123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn`. Required in aws-cn. Unset: images come from the account\'s ECR in the environment\'s region (built by docker/build.sh, copied by docker/mirror.sh) and charts from their upstream repositories.'),
    airflow: BuiltImageSchema.default({ repository: 'airflow-eks/airflow', tag: '3.3.2-python3.11' }).describe(
      'Our Airflow image (docker/airflow: the official image plus the locked providers, git provider and git binary), pushed by docker/build.sh to `images.mirrorRegistry` or the account\'s ECR registry and pulled from there.',
    ),
    pgbouncer: DebianPackageImageSchema.default({ repository: 'airflow-eks/pgbouncer', suite: 'trixie', packageVersion: '1.24.1-1+deb13u2' }).describe(
      'Our PgBouncer image (docker/pgbouncer: Debian\'s pgbouncer at this exact version, >= 1.21 for `pgbouncer.maxPreparedStatements`), pushed by docker/build.sh like `images.airflow`; the local cluster and the local runner run the same package version.',
    ),
    pgbouncerExporter: img('docker.io', 'jbub/pgbouncer_exporter', 'v0.20.0').describe(
      'PgBouncer Prometheus exporter (jbub/pgbouncer_exporter, which the Airflow project repackages). v0.19.0 or later reads the SHOW STATS columns of PgBouncer >= 1.24; the Airflow project\'s latest tag (0.18.0) fails on them and exports nothing.',
    ),
    statsdExporter: img('quay.io', 'prometheus/statsd-exporter', 'v0.28.0').describe('StatsD exporter receiving Airflow metrics.'),
    fluentBit: img('public.ecr.aws', 'aws-observability/aws-for-fluent-bit', '3.2.1').describe(
      'aws-for-fluent-bit (multi-arch) shipping container logs: 3.2.1 bundles Fluent Bit 4.2.2, whose cloudwatch_logs output also carries metrics (EMF); the local cluster builds that Fluent Bit from source.',
    ),
  })
  .strict();
export type Images = z.infer<typeof ImagesSchema>;

const EnvironmentFields = z
  .object({
    name: z.string().regex(DNS_LABEL, 'a DNS label such as "prod" or "dev-eu"').describe('Environment name: folder under dist/, suffix of AWS names.'),
    aws: z
      .object({
        account: z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id').describe('12-digit AWS account id.'),
        region: z.string().describe('AWS region; must belong to `partition`.'),
        partition: PartitionSchema.describe('`aws` or `aws-cn` (Beijing / Ningxia).'),
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
    namespace: z.string().regex(DNS_LABEL, 'a DNS label such as "airflow"').default('airflow').describe('Kubernetes namespace for Airflow and its PgBouncer.'),
    cluster: z
      .object({
        name: z.string().regex(/^[A-Za-z][-A-Za-z0-9_]{0,99}$/, 'an EKS cluster name (letters, digits, - and _)').describe('EKS cluster name; also the Karpenter discovery tag value.'),
        kubernetesVersion: z.enum(['1.33', '1.34', '1.35']).default('1.34').describe('Kubernetes minor version the manifests target (EKS standard support).'),
        availabilityZones: z.number().int().min(2).max(3).default(2).describe('Zones the workloads spread over (topology spread); 2 or 3.'),
      })
      .strict(),
    images: ImagesSchema.prefault({}),
    airflow: z
      .object({
        version: z.string().regex(/^3\.\d+\.\d+$/, 'an Airflow 3 version such as "3.3.2"').default('3.3.2').describe('Airflow version the image runs; the local runner installs the same from the lock.'),
        parallelism: z
          .number()
          .int()
          .min(1)
          .max(10000)
          .optional()
          .describe(
            '[core] parallelism, per scheduler: task instances one scheduler keeps queued or running. Unset: every worker slot at KEDA\'s maximum shared among the schedulers, ceil((workers.maxReplicas [+ workers.longTasks.maxReplicas]) x workers.concurrency / scheduler replicas), so KEDA sees demand up to its maximum and no task waits in the broker for a slot that cannot exist.',
          ),
        maxActiveTasksPerDag: z.number().int().min(1).default(32).describe('[core] max_active_tasks_per_dag.'),
        maxActiveRunsPerDag: z.number().int().min(1).default(16).describe('[core] max_active_runs_per_dag.'),
        defaultPoolSlots: z.number().int().min(1).default(128).describe('Slots of `default_pool` when the database is created ([core] default_pool_task_slot_count); later edits in the UI/API are kept.'),
        pools: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/, 'a pool name such as "db_heavy"'), z.number().int().min(1)).default({}).describe('Extra pools the migration Job creates when missing: name -> slots. An existing pool is left as it is (edits in the UI/API are kept).'),
        dagDirListIntervalSeconds: z.number().int().min(10).default(60).describe('Seconds between DAG folder scans by the dag-processor.'),
        minFileProcessIntervalSeconds: z
          .number()
          .int()
          .min(5)
          .max(3600)
          .optional()
          .describe('[dag_processor] min_file_process_interval: an unchanged DAG file is parsed again this many seconds after its last parse (a changed one at once: Airflow re-queues files modified since their last parse). Unset: what `capacity.dags` active files need so that the dag-processor\'s one manager thread, which writes every parse result to the database, stays at `capacity.targetUtilisation`, from the CPU per file `npm run bench:scale` measured; never below Airflow\'s 30 s (docs/benchmark.md, "Scale"). Only DAGs built from outside state (Variables, APIs, the date) notice a longer interval.'),
        parsingProcesses: z
          .number()
          .int()
          .min(1)
          .max(64)
          .optional()
          .describe('[dag_processor] parsing_processes: DAG files parsed at once. Unset: what `capacity.dags` files need to be parsed within `minFileProcessIntervalSeconds` at `capacity.targetUtilisation`, from the CPU per file `npm run bench:scale` measured, and never below Airflow\'s 2 (docs/benchmark.md, "Scale").'),
        adminUsername: z.string().regex(/^[a-z][a-z0-9_.-]{2,63}$/, 'a user name such as "admin"').default('admin').describe('Admin user the migration Job ensures exists; its password comes from Secrets Manager.'),
        defaultTaskRetries: z.number().int().min(0).max(10).default(2).describe('Task retries unless a DAG says otherwise.'),
        taskHeartbeatTimeoutSeconds: z.number().int().min(30).max(3600).default(300).describe('[scheduler] task_instance_heartbeat_timeout: a running task silent this long (its worker was killed) is failed and retried.'),
        orphanedTasksCheckIntervalSeconds: z.number().int().min(10).max(3600).default(300).describe('[scheduler] orphaned_tasks_check_interval: how often a scheduler re-queues the tasks of a scheduler that died (e.g. in a database failover).'),
        celerySyncParallelism: z
          .number()
          .int()
          .min(1)
          .max(32)
          .default(1)
          .describe(
            '[celery] sync_parallelism: processes each scheduler forks to send tasks to and read states from Celery. 1 sends from the scheduler process itself, no pool forked per batch: measured alone it halves the scheduler\'s CPU per task against 2 (docs/benchmark.md). Airflow\'s own default, node cores - 1, forks dozens of processes on a large node in a pod limited to one CPU.',
          ),
        apiServerWorkers: z
          .number()
          .int()
          .min(1)
          .max(16)
          .default(1)
          .describe('[api] workers: uvicorn worker processes per api-server pod (the Task Execution API is on every task\'s path). Airflow\'s default, 1; Airflow advises more api-server pods (`components.apiServer.replicas`) over more workers. Measured alone in docs/benchmark.md.'),
        taskQueuedTimeoutSeconds: z.number().int().min(60).max(86400).default(600).describe('[scheduler] task_queued_timeout: a task queued this long without starting (message lost with the broker) is re-queued.'),
      })
      .strict()
      .prefault({}),
    dags: z
      .object({
        repoUrl: z
          .string()
          .regex(/^(https:\/\/|ssh:\/\/|git@)[^\s]+$/, 'an https://, ssh:// or git@ URL')
          .optional().describe('Git URL of the DAG repository (HTTPS or SSH). Default: the CodeCommit repo the infra stack creates.'),
        branch: z.string().min(1).default('main').describe('Branch (or tag) to follow.'),
        subPath: z.string().default('dags').describe('Folder inside the repository that holds the DAG files.'),
        refreshIntervalSeconds: z.number().int().min(5).max(3600).default(30).describe('Seconds between fetches of the DAG repository (GitDagBundle refresh_interval).'),
        repositorySize: z
          .string()
          .regex(QUANTITY_MEM, 'a size such as "128Mi" or "1Gi": `du -sh` of a fresh `git clone` of the DAG repository, rounded up')
          .refine((q) => !QUANTITY_MEM.test(q) || (memoryMiB(q) >= 1 && memoryMiB(q) <= 16384), 'from 1Mi to 16Gi: every worker holds one checkout per Celery slot; keep the DAGs in a repository of their own')
          .default('128Mi')
          .describe('Disk size of one clone of the DAG repository with its history (`du -sh` of a fresh `git clone`). Sizes the `dag-bundles` emptyDir of the dag-processor and of each worker: the bare and tracking clones, one version per Celery slot (per parsing process on the dag-processor, which runs DAG callbacks at their run\'s version) and 2 idle versions kept, each counted as one clone, plus 25 %; above that size without the 25 % the groomer deletes idle versions, least recently used first (docs/local-disk.md). Too small: the kubelet evicts a worker and its running tasks once the checkouts outgrow it.'),
        auth: z.enum(['https', 'ssh', 'none']).default('https').describe('How the GitDagBundle authenticates: HTTPS user + password/token (CodeCommit HTTPS Git credentials, or any host\'s token), SSH key + known_hosts, or none (public repository).'),
      })
      .strict()
      .prefault({}),
    workers: z
      .object({
        concurrency: z.number().int().min(1).max(256).default(16).describe('Celery worker_concurrency: task slots per worker pod. KEDA divides by this same number.'),
        minReplicas: z.number().int().min(0).default(1).describe('KEDA minReplicaCount; 0 lets workers scale to zero when nothing is queued.'),
        maxReplicas: z.number().int().min(1).default(10).describe('KEDA maxReplicaCount.'),
        gossip: z.boolean().default(false).describe('Celery worker gossip and mingle (worker-to-worker heartbeat events and start-up sync over Redis). Off: KEDA, not Celery, decides the pool, and each worker otherwise wakes on every peer\'s heartbeat; `airflow celery worker --without-gossip --without-mingle`.'),
        preloadDagBundle: z.boolean().default(true).describe('Import the DAG bundle\'s code (the git provider\'s GitDagBundle and GitPython) once in each Celery worker\'s main process (Celery `imports`, through `[celery] extra_celery_config`), so every task process inherits it instead of importing it: measured, a no-op task\'s worker CPU fell by a quarter (0.155 to 0.113 CPU-s) and a worker\'s start rose by 0.8 CPU-s (docs/benchmark.md). Off: Airflow\'s default, each task process imports it.'),
        queues: z.array(z.string().regex(/^[a-z][a-z0-9_-]*$/, 'a queue name such as "default"')).min(1).default(['default']).describe('Celery queues these workers serve (and KEDA counts).'),
        terminationGracePeriodSeconds: z.number().int().min(60).max(86400).default(3600).describe('Seconds a worker gets after SIGTERM to finish running tasks (warm shutdown). Longest task you accept to lose on scale-in.'),
        kedaPollingIntervalSeconds: z.number().int().min(5).default(15).describe('KEDA pollingInterval (seconds).'),
        kedaCooldownPeriodSeconds: z.number().int().min(30).default(300).describe('KEDA cooldownPeriod (seconds) before scaling to zero.'),
        scaleDownStabilizationSeconds: z.number().int().min(0).default(600).describe('HPA scale-down stabilization (seconds): how long the desired count must stay lower before pods go.'),
        taskCpu: z
          .number()
          .min(0.01)
          .max(16)
          .default(MWAA_CPU_PER_SLOT)
          .describe('vCPU a busy task slot is guaranteed: the worker\'s CPU request must cover `concurrency` times it (checked). 0.2: an MWAA mw1.small to mw1.2xlarge worker\'s vCPU per default slot (1 vCPU for 5 slots ... 16 for 80), so a slot here gets at least what one there gets.'),
        taskMemoryMiB: z.number().int().min(0).max(65536).default(264).describe('Memory a task may allocate itself (MiB), on top of Airflow\'s measured per-slot overhead: the worker memory must cover `concurrency` times both. 264: with the overhead, a slot gets what one of an MWAA mw1.small/medium/large worker\'s gets (2 GiB / 5 slots = 410 MiB; docs/reliability.md).'),
        resources: ResourcesSchema.optional().describe('Requests and limits per worker pod. Unset: `concurrency` x `taskCpu` CPU and the least memory the check below allows, rounded up to 128Mi (16 slots: 3200m and 6656Mi, 416 MiB a slot, docs/reliability.md). The CPU request must cover `concurrency` x `taskCpu`, the memory limit the measured base, `concurrency` busy slots and `taskMemoryMiB` each (both checked).'),
        scratchSize: z.string().regex(QUANTITY_MEM, 'a size such as "4Gi"').default('4Gi').describe('Size limit of the scratch emptyDir for task temp files (`/scratch`, also $TMPDIR of task processes), apart from Airflow\'s own files. Past it the kubelet evicts the worker pod.'),
        longTasks: z
          .object({
            enabled: z.boolean().default(false).describe('Run a second Celery worker Deployment on on-demand nodes only (NodePool `airflow-long-workers`) for tasks that must not meet a spot interruption (2 minutes notice whatever the grace period). Route a task there with `queue=<workers.longTasks.queue>`.'),
            queue: z.string().regex(/^[a-z][a-z0-9_-]*$/, 'a queue name such as "long"').default('long').describe('Celery queue the long-task workers serve (and KEDA counts); must not be one of `workers.queues`.'),
            minReplicas: z.number().int().min(0).default(0).describe('KEDA minReplicaCount of the long-task workers.'),
            maxReplicas: z.number().int().min(1).default(3).describe('KEDA maxReplicaCount of the long-task workers.'),
          })
          .strict()
          .prefault({})
          .describe('On-demand worker queue for long tasks (docs/workers.md).'),
      })
      .strict()
      .prefault({}),
    capacity: CapacitySchema.prefault({}).describe('The load the default requests of the always-on components are sized for (docs/benchmark.md, "Sizing").'),
    components: z
      .object({
        apiServer: component('apiServer', 2),
        scheduler: component('scheduler', 2),
        dagProcessor: component('dagProcessor', 1),
        triggerer: component('triggerer', 2),
      })
      .strict()
      .prefault({}),
    pgbouncer: z
      .object({
        replicas: z.number().int().min(1).default(PGBOUNCER_REPLICAS).describe('PgBouncer pods; >= 2 in prod so a restart never cuts the DB off.'),
        port: z.number().int().min(1024).max(65535).default(6432).describe('Listen port; clients (Airflow, KEDA) reach PgBouncer here.'),
        maxClientConn: z.number().int().min(10).default(1000).describe('max_client_conn per PgBouncer pod.'),
        metadataPoolSize: z.number().int().min(1).default(20).describe('Server connections per PgBouncer pod to the metadata database (default_pool_size).'),
        idleTransactionTimeoutSeconds: z.number().int().min(0).max(3600).default(60).describe('idle_transaction_timeout: close a server connection left idle inside a transaction this long, so a stuck client cannot pin the pool (0 disables).'),
        queryWaitTimeoutSeconds: z.number().int().min(5).max(3600).default(120).describe('query_wait_timeout: a client waiting this long for a server connection gets an error instead of hanging.'),
        maxPreparedStatements: z
          .number()
          .int()
          .min(1, 'must be > 0: the API server\'s async engine (asyncpg) names its prepared statements, and with 0 PgBouncer passes them to whichever server connection the next transaction gets ("prepared statement __asyncpg_stmt_N__ does not exist"); set pgbouncer.maxPreparedStatements to at least 100')
          .default(200)
          .describe('max_prepared_statements: named prepared statements PgBouncer tracks per server connection and re-prepares where a client\'s next transaction lands (PgBouncer >= 1.21). Must be > 0 in transaction pooling for the API server\'s async engine (asyncpg); at least its statement cache (100 per connection, SQLAlchemy\'s default) avoids re-preparing.'),
        serverTlsSslmode: z.enum(['require', 'verify-ca', 'verify-full']).default('verify-full').describe('TLS towards Aurora (server_tls_sslmode): `verify-full` checks the certificate against the RDS CA bundle and the host name.'),
        rdsCaBundleUrl: z
          .string()
          .regex(/^https:\/\/\S+\.pem$/, 'an https:// URL of a PEM bundle')
          .optional()
          .describe('Where PgBouncer pods fetch the RDS CA bundle at start (server_tls_ca_file). Default: the region bundle of the environment\'s partition from the RDS trust store; set it to a copy (e.g. an S3 URL reachable through a VPC endpoint) when pods have no internet egress.'),
        resources: sizedResources('pgbouncer', PGBOUNCER_REPLICAS, 'Requests and limits per PgBouncer pod'),
      })
      .strict()
      .prefault({}),
    ingress: z
      .object({
        host: z.string().regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,}$/, 'a host name such as "airflow.example.com"').describe('Public host name of the Airflow UI and API.'),
        certificateArn: z
          .string()
          .regex(/^arn:aws(-cn)?:acm:[a-z0-9-]+:\d{12}:certificate\/[-a-f0-9]+$/, 'an ACM certificate ARN')
          .optional().describe('ACM certificate ARN for HTTPS; when absent the ALB discovers one by host name.'),
        scheme: z.enum(['internal', 'internet-facing']).default('internal').describe('`internal` (VPC only, the default) or `internet-facing`.'),
        allowedCidrs: z.array(z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, 'an IPv4 CIDR such as "10.0.0.0/8"')).default(['10.0.0.0/8']).describe('CIDRs allowed to reach the load balancer.'),
        deregistrationDelaySeconds: z
          .number()
          .int()
          .min(5)
          .max(300)
          .default(30)
          .describe('Seconds the ALB keeps a leaving api-server pod draining (its target group\'s deregistration_delay). Each api-server pod waits as long (preStop) before it stops serving, so requests the ALB still sends it during deregistration get answers; its termination grace period is derived from it.'),
      })
      .strict(),
    logging: z
      .object({
        logGroupPrefix: z.string().regex(/^\/[-_./A-Za-z0-9]+$/, 'a log group prefix such as "/airflow-eks/prod"').optional().describe('CloudWatch Logs group prefix; FluentBit writes `<prefix>/containers`, Airflow task logs `<prefix>/tasks`.'),
        retentionDays: z.union([z.literal(7), z.literal(14), z.literal(30), z.literal(60), z.literal(90), z.literal(180), z.literal(365)]).default(30).describe('Days CloudWatch keeps logs (a value CloudWatch accepts).'),
        remoteTaskLogs: z.enum(['cloudwatch', 's3']).default('cloudwatch').describe('Where Airflow writes task logs so they outlive worker pods.'),
        localRetentionMinutes: z.number().int().min(10).max(43200).default(1440).describe('Minutes local log files stay on a pod\'s disk before the log groomer deletes them (task logs are also deleted right after their remote upload).'),
        s3Bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name').optional().describe('S3 bucket for task logs when `remoteTaskLogs` is `s3`.'),
      })
      .strict()
      .prefault({}),
    karpenter: z
      .object({
        instanceFamilies: z.array(z.string().regex(/^[a-z]+\d+g[a-z]*$/, 'a Graviton family such as "m7g" or "c8gd"')).min(1).default(['m7g', 'c7g', 'r7g', 'm8g', 'c8g']).describe('Graviton instance families (arm64 only).'),
        workerCapacityTypes: z.array(z.enum(['spot', 'on-demand'])).min(1).default(['spot', 'on-demand']).describe('Capacity types for worker nodes; core components always run on-demand.'),
        amiAlias: z.string().regex(/^al2023@(latest|v[\d.]+)$/, 'an AL2023 alias such as "al2023@v20251110" or "al2023@latest" (nodes take the kubelet settings as a nodeadm NodeConfig, which Bottlerocket does not read)').default(PINNED_AMI_ALIAS).describe('EC2NodeClass amiSelectorTerms alias. Pinned by default (nodes change only when you bump it, through dev first); `al2023@latest` follows every AMI release (dev). AL2023 only: the kubelet settings every node needs (singleProcessOOMKill) go in as a nodeadm NodeConfig. Releases: github.com/awslabs/amazon-eks-ami/releases.'),
        consolidateAfter: z.string().regex(/^\d+[smh]$/, 'a duration such as "5m"').default('5m').describe('consolidateAfter for the worker pool.'),
        disruptionBudget: z.string().regex(/^(\d+%|\d+)$/, 'a count or percentage such as "10%"').default('10%').describe('Max share of nodes Karpenter may disrupt at once.'),
        cpuLimit: z.number().int().min(4).default(256).describe('CPU limit of each NodePool (caps cost).'),
      })
      .strict()
      .prefault({}),
    officeHours: z
      .object({
        enabled: z.boolean().default(false).describe('Scale Airflow (API server, scheduler, dag-processor, triggerer, PgBouncer; workers are already 0 when idle) to zero outside the schedule with KEDA cron triggers. With no PgBouncer nothing reaches the database, so a 0-ACU Aurora pauses. Dev only: schedules do not run outside the window.'),
        timezone: z.string().regex(/^[A-Za-z_]+(\/[A-Za-z_+-]+)*$/, 'an IANA time zone such as "Europe/Berlin" or "UTC"').default('UTC').describe('IANA time zone of start/end.'),
        start: z.string().regex(CRON_WEEKLY, 'a cron "minute hour * * days" such as "0 8 * * 1-5"').default('0 8 * * 1-5').describe('Cron (minute hour * * days) at which Airflow starts.'),
        end: z.string().regex(CRON_WEEKLY, 'a cron "minute hour * * days" such as "0 19 * * 1-5"').default('0 19 * * 1-5').describe('Cron at which Airflow scales to zero; same days as start.'),
      })
      .strict()
      .prefault({}),
    gitops: z
      .object({
        repoUrl: z.string().regex(/^(https:\/\/|ssh:\/\/|git@)[^\s]+$/, 'an https://, ssh:// or git@ URL').describe('Git URL Argo CD syncs this repository from.'),
        targetRevision: z.string().min(1).default('main').describe('Branch, tag or commit Argo CD follows.'),
        auth: z
          .enum(['https', 'ssh', 'none'])
          .default('https')
          .describe('How Argo CD reads `repoUrl`: `https` (username + password/token) or `ssh` (private key) from the Secrets Manager secret `airflow-eks/<env>/gitops`, delivered by External Secrets as an Argo CD repository secret; `none` for a public repository.'),
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
        message: 'required in aws-cn: set it to this account\'s ECR registry in the region; npm run deploy copies the charts and images into it (its mirror step) and docker/build.sh builds the Airflow image there',
      });
    }
    if (!env.dags.repoUrl && !env.infra.createCodeCommitRepo) {
      ctx.addIssue({ code: 'custom', path: ['dags', 'repoUrl'], message: 'required: the git URL of the DAG repository (any git host), or set infra.createCodeCommitRepo: true to have the stack create a CodeCommit repository' });
    }
    if (env.workers.minReplicas > env.workers.maxReplicas) {
      ctx.addIssue({ code: 'custom', path: ['workers', 'minReplicas'], message: `must be <= workers.maxReplicas (${env.workers.maxReplicas})` });
    }
    if (env.workers.longTasks.enabled && env.workers.queues.includes(env.workers.longTasks.queue)) {
      ctx.addIssue({ code: 'custom', path: ['workers', 'longTasks', 'queue'], message: `must differ from workers.queues (${env.workers.queues.join(', ')}), or spot workers would take long tasks too` });
    }
    if (env.workers.longTasks.minReplicas > env.workers.longTasks.maxReplicas) {
      ctx.addIssue({ code: 'custom', path: ['workers', 'longTasks', 'minReplicas'], message: `must be <= workers.longTasks.maxReplicas (${env.workers.longTasks.maxReplicas})` });
    }
    if (env.officeHours.enabled && env.officeHours.start.split(' ')[4] !== env.officeHours.end.split(' ')[4]) {
      ctx.addIssue({ code: 'custom', path: ['officeHours', 'end'], message: `must use the same days as officeHours.start ("${env.officeHours.start.split(' ')[4]}")` });
    }
    if (env.logging.remoteTaskLogs === 's3' && !env.logging.s3Bucket) {
      ctx.addIssue({ code: 'custom', path: ['logging', 's3Bucket'], message: 'required when logging.remoteTaskLogs is "s3"' });
    }
    // Configured worker requests are checked; unset ones are derived to pass (derivedWorkerResources).
    const wr = env.workers.resources;
    const workerMemory = wr ? (wr.memoryLimit ?? wr.memory) : undefined;
    const floor = workerMemoryFloorMiB(env.workers.concurrency, env.workers.taskMemoryMiB);
    // A malformed quantity is reported by its own field check.
    if (workerMemory && /^\d+(Ki|Mi|Gi)$/.test(workerMemory) && memoryMiB(workerMemory) < floor) {
      ctx.addIssue({
        code: 'custom',
        path: ['workers', 'resources', wr?.memoryLimit ? 'memoryLimit' : 'memory'],
        message: `${workerMemory} is too small for workers.concurrency=${env.workers.concurrency} with workers.taskMemoryMiB=${env.workers.taskMemoryMiB}: needs at least ${floor}Mi (docs/reliability.md); raise it or lower workers.concurrency`,
      });
    }
    const cpuNeed = env.workers.concurrency * env.workers.taskCpu;
    if (wr && /^\d+(\.\d+)?m?$/.test(wr.cpu) && cpuCores(wr.cpu) < cpuNeed - 1e-9) {
      ctx.addIssue({
        code: 'custom',
        path: ['workers', 'resources', 'cpu'],
        message: `${wr.cpu} is too little for workers.concurrency=${env.workers.concurrency} at workers.taskCpu=${env.workers.taskCpu}: needs at least ${Math.ceil(cpuNeed * 1000 - 1e-6)}m; raise it, lower workers.concurrency, or set workers.taskCpu to what a slot may get (${MWAA_CPU_PER_SLOT}: an MWAA slot's)`,
      });
    }
    // Infra settings that depend on other sections: every entry point (synth:manifests, synth:infra, local) refuses them alike.
    const { vpc, eks, database } = env.infra;
    if (vpc.natGateways !== undefined && vpc.natGateways > env.cluster.availabilityZones) {
      ctx.addIssue({ code: 'custom', path: ['infra', 'vpc', 'natGateways'], message: `must be <= cluster.availabilityZones (${env.cluster.availabilityZones}): one NAT gateway per zone at most` });
    }
    if (database.minCapacityAcu > database.maxCapacityAcu) {
      ctx.addIssue({ code: 'custom', path: ['infra', 'database', 'minCapacityAcu'], message: `must be <= infra.database.maxCapacityAcu (${database.maxCapacityAcu})` });
    }
    eks.adminPrincipalArns.forEach((arn, i) => {
      const path = ['infra', 'eks', 'adminPrincipalArns', i];
      if (!arn.startsWith(`arn:${env.aws.partition}:`)) ctx.addIssue({ code: 'custom', path, message: `must be an ARN of partition "${env.aws.partition}" like the environment` });
      else if (arn.split(':')[4] !== env.aws.account) ctx.addIssue({ code: 'custom', path, message: `must belong to account ${env.aws.account}` });
    });
    if (env.logging.remoteTaskLogs === 's3' && env.aws.partition === 'aws-cn' && env.logging.s3Bucket?.includes('.')) {
      ctx.addIssue({ code: 'custom', path: ['logging', 's3Bucket'], message: 'dotted bucket names break virtual-host TLS in aws-cn' });
    }
    const p = env.airflow.parallelism;
    if (p !== undefined && p < env.workers.concurrency) {
      ctx.addIssue({
        code: 'custom',
        path: ['airflow', 'parallelism'],
        message: `must be >= workers.concurrency (${env.workers.concurrency}), or no worker can fill its slots`,
      });
    } else if (p !== undefined && p * schedulersOf(env) < maxWorkerSlots(env)) {
      const need = derivedParallelism(env);
      ctx.addIssue({
        code: 'custom',
        path: ['airflow', 'parallelism'],
        message: `must be >= ${need}: ${schedulersOf(env)} scheduler(s) x ${p} queue fewer tasks than the ${maxWorkerSlots(env)} worker slots at KEDA's maximum, so workers.maxReplicas is never reached; raise it, lower workers.maxReplicas, or leave parallelism unset (derived)`,
      });
    }
  });

type ParsedEnvironment = { workers: { maxReplicas: number; concurrency: number; longTasks: { enabled: boolean; maxReplicas: number } }; components: { scheduler: { replicas: number } } };

/** Task slots when KEDA has every worker Deployment at its maximum. */
export function maxWorkerSlots(env: ParsedEnvironment): number {
  const w = env.workers;
  return (w.maxReplicas + (w.longTasks.enabled ? w.longTasks.maxReplicas : 0)) * w.concurrency;
}

const schedulersOf = (env: ParsedEnvironment) => Math.max(1, env.components.scheduler.replicas);

/** [core] parallelism per scheduler that lets the schedulers together fill every slot at KEDA's maximum. */
export function derivedParallelism(env: ParsedEnvironment): number {
  return Math.ceil(maxWorkerSlots(env) / schedulersOf(env));
}


/**
 * The parsed environment with what it leaves unset derived from the rest (a configured value wins): the requests
 * sized from its `capacity`, [core] parallelism from the worker slots, the parse interval and processes from `capacity.dags`, and
 * the worker requests from `workers.taskCpu` and the memory floor.
 */
function withDerivedDefaults(env: z.output<typeof EnvironmentFields>) {
  return {
    ...withPodResources(env, env.capacity, (configured, sized) => configured ?? sized),
    airflow: {
      ...env.airflow,
      parallelism: env.airflow.parallelism ?? derivedParallelism(env),
      minFileProcessIntervalSeconds: env.airflow.minFileProcessIntervalSeconds ?? derivedParseInterval(env.capacity),
      parsingProcesses: env.airflow.parsingProcesses ?? derivedParsingProcesses(env),
    },
    workers: { ...env.workers, resources: env.workers.resources ?? derivedWorkerResources(env.workers) },
  };
}

export const EnvironmentSchema = EnvironmentFields.transform(withDerivedDefaults);

export type EnvironmentInput = z.input<typeof EnvironmentSchema>;
export type EnvironmentConfig = z.output<typeof EnvironmentSchema>;
