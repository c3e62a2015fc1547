import { k8s } from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config';
import { imageRef, SERVICE_ACCOUNTS } from '../config';
import { logGroupPrefix } from '../airflow/airflow-settings';
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
    log_group_name    ${logGroupPrefix(env)}/containers
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
