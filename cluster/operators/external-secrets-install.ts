import type { EnvironmentConfig } from '../../manifests-src/config';
import { CHARTS } from '../../infra/lib/charts';
import { externalSecretsValues } from '../../infra/lib/external-secrets';
import { operatorSource } from './sources';
import type { K8sObject } from './upstream';
import { namespaceObject, podDisruptionBudget } from './workload';

/** The keys of the chart values (infra/lib/external-secrets.ts) the local install reads. */
interface ExternalSecretsChartValues {
  serviceAccount?: { name?: string };
  image?: { repository?: string };
  nodeSelector?: Record<string, string>;
  replicaCount?: number;
  leaderElect?: boolean;
  podDisruptionBudget?: { enabled?: boolean; minAvailable?: number | string };
}

/**
 * Where the controller finds AWS locally. The dist/ ClusterSecretStore names only a region and the service (Pod
 * Identity in EKS = the AWS SDK's default credential chain), so nothing in it changes:
 * - credentials: EKS Pod Identity, as in EKS: the controller's service account has the CDK stack's association, so the
 *   local admission policy adds the agent's credentials endpoint and token (services/pod-identity.ts) and the
 *   default chain reads them; no static key is set;
 * - endpoint: either the real host name (secretsmanager.<region>.amazonaws.com), which the local cluster's DNS points
 *   at its HTTPS front door to the emulator, trusted through `caCertPem` (Go reads SSL_CERT_FILE); or, when `endpoint`
 *   is set, AWS_SECRETSMANAGER_ENDPOINT, which ESO 0.20.x's Secrets Manager client uses instead of the default
 *   resolver (pkg/provider/aws/secretsmanager/resolver.go; AWS_STS_ENDPOINT likewise for STS).
 */
export interface LocalAws {
  /** Secrets Manager endpoint URL as pods reach it. @default the region's real endpoint (resolved by the cluster's DNS) */
  readonly endpoint?: string;
  /** PEM of the CA that signed the local endpoint's certificate. @default the image's CA bundle only */
  readonly caCertPem?: string;
}

/** ConfigMap holding the local CA the controller trusts (mounted, named by SSL_CERT_FILE). */
const LOCAL_CA = { configMap: 'airflow-eks-local-ca', mountPath: '/etc/airflow-eks-local-ca', key: 'ca.crt' };

const NAME = 'external-secrets';
const SELECTOR = { 'app.kubernetes.io/name': NAME, 'app.kubernetes.io/instance': NAME };

/** Rules of the chart's controller ClusterRole with its defaults (every reconciler on, no scoped namespace). */
const CONTROLLER_RULES = [
  { apiGroups: ['external-secrets.io'], resources: ['secretstores', 'clustersecretstores', 'externalsecrets', 'clusterexternalsecrets', 'pushsecrets', 'clusterpushsecrets'], verbs: ['get', 'list', 'watch'] },
  {
    apiGroups: ['external-secrets.io'],
    resources: ['externalsecrets', 'externalsecrets/status', 'secretstores', 'secretstores/status', 'clustersecretstores', 'clustersecretstores/status', 'clusterexternalsecrets', 'clusterexternalsecrets/status', 'pushsecrets', 'pushsecrets/status', 'clusterpushsecrets', 'clusterpushsecrets/status'],
    verbs: ['get', 'update', 'patch'],
  },
  { apiGroups: ['generators.external-secrets.io'], resources: ['generatorstates'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'] },
  {
    apiGroups: ['generators.external-secrets.io'],
    resources: ['acraccesstokens', 'cloudsmithaccesstokens', 'clustergenerators', 'ecrauthorizationtokens', 'fakes', 'gcraccesstokens', 'githubaccesstokens', 'quayaccesstokens', 'passwords', 'sshkeys', 'stssessiontokens', 'uuids', 'vaultdynamicsecrets', 'webhooks', 'grafanas', 'mfas'],
    verbs: ['get', 'list', 'watch'],
  },
  { apiGroups: [''], resources: ['serviceaccounts', 'namespaces'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [''], resources: ['namespaces'], verbs: ['update', 'patch'] },
  { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch', 'create', 'update', 'delete', 'patch'] },
  { apiGroups: [''], resources: ['serviceaccounts/token'], verbs: ['create'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
  { apiGroups: ['external-secrets.io'], resources: ['externalsecrets', 'pushsecrets'], verbs: ['create', 'update', 'delete'] },
];

/** Leader election (the chart's namespaced Role). */
const LEADER_ELECTION_RULES = [
  { apiGroups: [''], resources: ['configmaps'], resourceNames: ['external-secrets-controller'], verbs: ['get', 'update', 'patch'] },
  { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update', 'patch'] },
];

/**
 * External Secrets 0.20.x for the local cluster, from the CDK stack's chart values (service account name from the
 * contract, image, replicas, leader election, node selector, PDB) plus the chart's defaults for everything the values
 * leave out (args, security context, RBAC). The admission webhook and its cert-controller are not installed locally.
 */
export function externalSecretsObjects(env: EnvironmentConfig, aws: LocalAws): K8sObject[] {
  const values = externalSecretsValues(env) as ExternalSecretsChartValues;
  const namespace = CHARTS.externalSecrets.namespace;
  const serviceAccount = values.serviceAccount?.name ?? NAME;
  const image = `${values.image?.repository ?? CHARTS.externalSecrets.images[0]}:${operatorSource('externalSecrets').appVersion}`;
  const labels = { ...SELECTOR, 'app.kubernetes.io/version': operatorSource('externalSecrets').appVersion };
  const args = [...(values.leaderElect ? ['--enable-leader-election=true'] : []), '--metrics-addr=:8080', '--loglevel=info', '--zap-time-encoding=epoch'];
  const deployment: K8sObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: NAME, namespace, labels },
    spec: {
      replicas: values.replicaCount ?? 1,
      revisionHistoryLimit: 10,
      selector: { matchLabels: SELECTOR },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: serviceAccount,
          automountServiceAccountToken: true,
          hostNetwork: false,
          nodeSelector: values.nodeSelector ?? {},
          containers: [
            {
              name: NAME,
              image,
              imagePullPolicy: 'IfNotPresent',
              args,
              ports: [{ containerPort: 8080, protocol: 'TCP', name: 'metrics' }],
              env: [
                ...(aws.endpoint ? [{ name: 'AWS_SECRETSMANAGER_ENDPOINT', value: aws.endpoint }] : []),
                ...(aws.caCertPem ? [{ name: 'SSL_CERT_FILE', value: `${LOCAL_CA.mountPath}/${LOCAL_CA.key}` }] : []),
                { name: 'AWS_EC2_METADATA_DISABLED', value: 'true' },
              ],
              volumeMounts: aws.caCertPem ? [{ name: 'local-ca', mountPath: LOCAL_CA.mountPath, readOnly: true }] : [],
              securityContext: {
                allowPrivilegeEscalation: false,
                capabilities: { drop: ['ALL'] },
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
                runAsUser: 1000,
                seccompProfile: { type: 'RuntimeDefault' },
              },
            },
          ],
          volumes: aws.caCertPem ? [{ name: 'local-ca', configMap: { name: LOCAL_CA.configMap } }] : [],
        },
      },
    },
  };
  const pdb = values.podDisruptionBudget;
  return [
    namespaceObject(namespace),
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: serviceAccount, namespace, labels } },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: `${NAME}-controller`, labels }, rules: CONTROLLER_RULES },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: `${NAME}-controller`, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `${NAME}-controller` },
      subjects: [{ kind: 'ServiceAccount', name: serviceAccount, namespace }],
    },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: `${NAME}-leaderelection`, namespace, labels }, rules: LEADER_ELECTION_RULES },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: `${NAME}-leaderelection`, namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${NAME}-leaderelection` },
      subjects: [{ kind: 'ServiceAccount', name: serviceAccount, namespace }],
    },
    ...(aws.caCertPem ? [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: LOCAL_CA.configMap, namespace, labels }, data: { [LOCAL_CA.key]: aws.caCertPem } }] : []),
    deployment,
    ...(pdb?.enabled ? [podDisruptionBudget(`${NAME}-pdb`, namespace, SELECTOR, pdb.minAvailable ?? 1)] : []),
  ];
}

/** The workloads that must be Ready before External Secrets counts as installed. */
export function externalSecretsWorkloads(): { kind: string; name: string; namespace: string }[] {
  return [{ kind: 'deployment', name: NAME, namespace: CHARTS.externalSecrets.namespace }];
}
