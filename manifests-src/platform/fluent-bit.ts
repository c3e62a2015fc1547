import { k8s } from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config';
import { CLOUDWATCH_AIRFLOW_METRICS, CLOUDWATCH_PGBOUNCER_METRICS, COMPONENTS, imageRef, METRIC_CLUSTER_DIMENSION, METRICS_SCRAPE_SECONDS, PGBOUNCER_DROPPED_LABELS, PORTS, SERVICE_ACCOUNTS } from '../config';
import { logGroupNames } from '../airflow/airflow-settings';
import { HardenedDeployment } from '../hardening/hardened-deployment';
import { contentChecksum, labelsFor, resourceRequirements, selectorFor } from '../hardening/workload-defaults';

const HEALTH_PORT = 2020;

/**
 * The Fluent Bit each aws-for-fluent-bit release bundles (its release notes): the local cluster builds that
 * version from source to run the committed configuration. A pin not listed here is refused there, by name.
 */
export const FLUENT_BIT_OF_AWS_RELEASE: Readonly<Record<string, string>> = { '3.2.1': '4.2.2' };

export interface FluentBitProps {
  readonly env: EnvironmentConfig;
}

/** fluent-bit.conf: tail container logs, enrich with Kubernetes metadata, ship to CloudWatch Logs. */
export function fluentBitConfig(env: EnvironmentConfig): string {
  return `[SERVICE]
    Flush             5
    # What is read is delivered before exit: the pod's grace period (30 s) leaves room for a slow PutLogEvents.
    Grace             15
    Log_Level         info
    Daemon            off
    Parsers_File      /fluent-bit/etc/parsers.conf
    HTTP_Server       On
    HTTP_Listen       0.0.0.0
    HTTP_Port         ${HEALTH_PORT}
    Health_Check      On
    storage.path      /var/fluent-bit/state/flb-storage/
    storage.sync      normal
    storage.backlog.mem_limit 16M

[INPUT]
    Name              tail
    Tag               kube.*
    Path              /var/log/containers/*.log
    multiline.parser  docker, cri
    DB                /var/fluent-bit/state/flb_container.db
    Read_from_Head    On
    Mem_Buf_Limit     50MB
    Skip_Long_Lines   On
    Refresh_Interval  10
    storage.type      filesystem

# A Python traceback (an Airflow component's, a task's) is one event, not one per line.
[FILTER]
    Name                  multiline
    Match                 kube.*
    multiline.key_content log
    multiline.parser      python
    # The joined records go through an emitter: on the node's disk like the input's, so a restart loses none of them.
    emitter_storage.type  filesystem

[FILTER]
    Name              kubernetes
    Match             kube.*
    Kube_URL          https://kubernetes.default.svc:443
    Kube_Tag_Prefix   kube.var.log.containers.
    Merge_Log         On
    Keep_Log          Off
    K8S-Logging.Exclude On
    Labels            Off
    Annotations       Off

[OUTPUT]
    Name              cloudwatch_logs
    Match             kube.*
    region            ${env.aws.region}
    log_group_name    ${logGroupNames(env).containers}
    log_stream_prefix \${HOST_NAME}-
    auto_create_group false
    workers           1
`;
}

/**
 * aws-for-fluent-bit (multi-arch, runs on Graviton) as a DaemonSet. It must read host log files owned by
 * root, so it runs as uid 0 — but with no capabilities, no escalation and a read-only root filesystem.
 * AWS credentials come from Pod Identity on its ServiceAccount.
 */
export class FluentBitDaemonSet extends Construct {
  constructor(scope: Construct, id: string, props: FluentBitProps) {
    super(scope, id);
    const { env } = props;
    const sa = SERVICE_ACCOUNTS.fluentBit;
    const name = sa.name;
    const namespace = sa.namespace;
    const labels = labelsFor(name, 'logging', 'airflow-eks');
    const selector = selectorFor(name);
    const config = fluentBitConfig(env);

    new k8s.KubeNamespace(this, 'Namespace', { metadata: { name: namespace, labels: { 'app.kubernetes.io/part-of': 'airflow-eks' } } });
    new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata: { name, namespace, labels } });
    new k8s.KubeClusterRole(this, 'ClusterRole', {
      metadata: { name, labels },
      rules: [{ apiGroups: [''], resources: ['pods', 'namespaces'], verbs: ['get', 'list', 'watch'] }],
    });
    new k8s.KubeClusterRoleBinding(this, 'ClusterRoleBinding', {
      metadata: { name, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    });
    new k8s.KubeConfigMap(this, 'Config', { metadata: { name, namespace, labels }, data: { 'fluent-bit.conf': config } });

    const httpGet = { path: '/api/v1/health', port: k8s.IntOrString.fromNumber(HEALTH_PORT) };
    new k8s.KubeDaemonSet(this, 'DaemonSet', {
      metadata: { name, namespace, labels },
      spec: {
        selector: { matchLabels: selector },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromString('10%') } },
        template: {
          metadata: { labels, annotations: { 'airflow-eks/config-checksum': contentChecksum(config) } },
          spec: {
            serviceAccountName: name,
            // The kubernetes filter reads pod metadata from the API server: it needs its token.
            automountServiceAccountToken: true,
            priorityClassName: 'system-node-critical',
            terminationGracePeriodSeconds: 30,
            securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
            tolerations: [{ operator: 'Exists' }],
            nodeSelector: { 'kubernetes.io/arch': 'arm64', 'kubernetes.io/os': 'linux' },
            containers: [
              {
                name: 'fluent-bit',
                image: imageRef(env, 'fluentBit'),
                imagePullPolicy: 'IfNotPresent',
                env: [{ name: 'HOST_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
                ports: [{ name: 'http', containerPort: HEALTH_PORT }],
                resources: resourceRequirements({ cpu: '100m', memory: '200Mi', memoryLimit: '400Mi' }),
                securityContext: {
                  runAsUser: 0,
                  runAsNonRoot: false,
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ['ALL'], add: ['DAC_READ_SEARCH'] },
                },
                startupProbe: { httpGet, periodSeconds: 5, failureThreshold: 24 },
                readinessProbe: { httpGet, periodSeconds: 10 },
                livenessProbe: { httpGet, periodSeconds: 30, failureThreshold: 5 },
                volumeMounts: [
                  { name: 'config', mountPath: '/fluent-bit/etc/fluent-bit.conf', subPath: 'fluent-bit.conf', readOnly: true },
                  { name: 'state', mountPath: '/var/fluent-bit/state' },
                  { name: 'varlog', mountPath: '/var/log', readOnly: true },
                  { name: 'tmp', mountPath: '/tmp' },
                ],
              },
            ],
            volumes: [
              { name: 'config', configMap: { name } },
              { name: 'state', hostPath: { path: '/var/fluent-bit/state', type: 'DirectoryOrCreate' } },
              { name: 'varlog', hostPath: { path: '/var/log', type: 'Directory' } },
              { name: 'tmp', emptyDir: {} },
            ],
          },
        },
      },
    });
  }
}

/** The metrics agent's Deployment (and the `app.kubernetes.io/name` the StatsD exporter's NetworkPolicy admits). */
export const METRICS_AGENT = 'fluent-bit-metrics';
/** Where the image keeps its binary (aws-for-fluent-bit's layout); the agent runs it on its YAML configuration. */
const FLUENT_BIT_BINARY = '/fluent-bit/bin/fluent-bit';
const METRICS_CONFIG = '/fluent-bit/etc/fluent-bit.yaml';

/** One exporter the metrics agent scrapes: where, which of its metrics CloudWatch keeps, which labels it drops. */
interface ScrapeTarget {
  readonly tag: string;
  readonly host: string;
  readonly port: number;
  readonly metrics: readonly string[];
  readonly dropLabels: readonly string[];
}

/**
 * The metrics agent's configuration (Fluent Bit's YAML format, which processors need): scrape the StatsD exporter and
 * PgBouncer's exporter, keep only the metrics CloudWatch should hold (each custom metric is billed), add the cluster
 * dimension, and write them as embedded metric format into the metrics log group, from which CloudWatch extracts them
 * (namespace: a name's first segment; dimensions: its labels). PgBouncer's exporter is reached through its Service:
 * with several replicas each scrape reads one of them, which a Maximum over a period covers.
 */
export function fluentBitMetricsConfig(env: EnvironmentConfig): string {
  const targets: ScrapeTarget[] = [
    { tag: 'airflow.metrics', host: `${COMPONENTS.statsd.service}.${env.namespace}.svc.cluster.local`, port: PORTS.statsdMetrics, metrics: Object.values(CLOUDWATCH_AIRFLOW_METRICS).map((m) => m.name), dropLabels: [] },
    { tag: 'pgbouncer.metrics', host: `${COMPONENTS.pgbouncer.service}.${env.namespace}.svc.cluster.local`, port: PORTS.pgbouncerExporter, metrics: Object.values(CLOUDWATCH_PGBOUNCER_METRICS).map((m) => m.name), dropLabels: PGBOUNCER_DROPPED_LABELS },
  ];
  const input = (t: ScrapeTarget) => `    - name: prometheus_scrape
      tag: ${t.tag}
      host: ${t.host}
      port: ${t.port}
      metrics_path: /metrics
      scrape_interval: ${METRICS_SCRAPE_SECONDS}s
      processors:
        metrics:
          - name: metrics_selector
            metric_name: /^(${t.metrics.join('|')})$/
            action: include
${t.dropLabels.map((l) => `          - name: labels
            delete: ${l}
`).join('')}          - name: labels
            insert: ${METRIC_CLUSTER_DIMENSION} ${env.cluster.name}
`;
  return `service:
  flush: 5
  log_level: info
  http_server: on
  http_listen: 0.0.0.0
  http_port: ${HEALTH_PORT}
  health_check: on

pipeline:
  inputs:
${targets.map(input).join('\n')}
  outputs:
    - name: cloudwatch_logs
      match: '*.metrics'
      region: ${env.aws.region}
      log_group_name: ${logGroupNames(env).metrics}
      log_stream_name: ${METRICS_AGENT}
      log_format: json/emf
      auto_create_group: false
`;
}

/**
 * One Fluent Bit (the image the DaemonSet runs, its service account and Pod Identity role) that sends Airflow's
 * metrics to CloudWatch: a single replica, so each datapoint is sent once (a scrape from every node would repeat it).
 */
export class FluentBitMetricsAgent extends Construct {
  constructor(scope: Construct, id: string, props: FluentBitProps) {
    super(scope, id);
    const { env } = props;
    const sa = SERVICE_ACCOUNTS.fluentBit;
    const httpGet = { path: '/api/v1/health', port: k8s.IntOrString.fromNumber(HEALTH_PORT) };
    new HardenedDeployment(this, 'Workload', {
      namespace: sa.namespace,
      name: METRICS_AGENT,
      component: 'metrics',
      serviceAccountName: sa.name,
      createServiceAccount: false,
      replicas: 1,
      uid: 65534,
      gid: 65534,
      configFiles: { 'fluent-bit.yaml': fluentBitMetricsConfig(env) },
      containers: [
        {
          name: 'fluent-bit',
          image: imageRef(env, 'fluentBit'),
          command: [FLUENT_BIT_BINARY, '-c', METRICS_CONFIG],
          ports: [{ name: 'http', containerPort: HEALTH_PORT }],
          resources: { cpu: '50m', memory: '64Mi', memoryLimit: '128Mi' },
          startupProbe: { httpGet, periodSeconds: 5, failureThreshold: 24 },
          readinessProbe: { httpGet, periodSeconds: 10 },
          livenessProbe: { httpGet, periodSeconds: 30, failureThreshold: 5 },
          volumeMounts: [{ name: 'config', mountPath: METRICS_CONFIG, subPath: 'fluent-bit.yaml', readOnly: true }],
        },
      ],
      volumes: [{ name: 'config', configMap: { name: METRICS_AGENT } }],
    });
  }
}

