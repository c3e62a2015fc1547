import type { EnvironmentConfig } from '../../manifests-src/config';
import { argoCdValues } from '../../infra/lib/argocd';
import { CHARTS, type ChartName, type ChartSpec } from '../../infra/lib/charts';
import { argoCdRedisTag } from './images';
import { operatorSource } from './sources';
import { upstreamObjects, type K8sObject } from './upstream';
import { applyWorkloadValues, CLUSTER_SCOPED, inNamespace, namespaceObject } from './workload';

/** The keys of the chart values (infra/lib/argocd.ts) the local install reads. */
interface ArgoCdChartValues {
  global?: { image?: { repository?: string }; nodeSelector?: Record<string, string> };
  redis?: { image?: { repository?: string } };
  configs?: { params?: Record<string, unknown>; cm?: Record<string, unknown> };
}

/**
 * The components the local cluster runs: what syncs (application-controller, repo-server, Redis) and the API
 * server, which serves the UI and API and creates the `default` project the root Application uses. Dex,
 * notifications and ApplicationSet are not needed to sync.
 */
const UPSTREAM_FILES = [
  'manifests/base/server/argocd-server-sa.yaml',
  'manifests/base/server/argocd-server-role.yaml',
  'manifests/base/server/argocd-server-rolebinding.yaml',
  'manifests/cluster-rbac/server/argocd-server-clusterrole.yaml',
  'manifests/cluster-rbac/server/argocd-server-clusterrolebinding.yaml',
  'manifests/base/server/argocd-server-deployment.yaml',
  'manifests/base/server/argocd-server-service.yaml',
  'manifests/base/application-controller-roles/argocd-application-controller-sa.yaml',
  'manifests/base/application-controller-roles/argocd-application-controller-role.yaml',
  'manifests/base/application-controller-roles/argocd-application-controller-rolebinding.yaml',
  'manifests/cluster-rbac/application-controller/argocd-application-controller-clusterrole.yaml',
  'manifests/cluster-rbac/application-controller/argocd-application-controller-clusterrolebinding.yaml',
  'manifests/base/application-controller/argocd-application-controller-statefulset.yaml',
  'manifests/base/application-controller/argocd-application-controller-service.yaml',
  'manifests/base/application-controller/argocd-metrics.yaml',
  'manifests/base/repo-server/argocd-repo-server-sa.yaml',
  'manifests/base/repo-server/argocd-repo-server-deployment.yaml',
  'manifests/base/repo-server/argocd-repo-server-service.yaml',
  'manifests/base/redis/argocd-redis-sa.yaml',
  'manifests/base/redis/argocd-redis-role.yaml',
  'manifests/base/redis/argocd-redis-rolebinding.yaml',
  'manifests/base/redis/argocd-redis-deployment.yaml',
  'manifests/base/redis/argocd-redis-service.yaml',
  'manifests/base/config/argocd-cm.yaml',
  'manifests/base/config/argocd-rbac-cm.yaml',
  'manifests/base/config/argocd-secret.yaml',
  'manifests/base/config/argocd-ssh-known-hosts-cm.yaml',
  'manifests/base/config/argocd-tls-certs-cm.yaml',
  'manifests/base/config/argocd-gpg-keys-cm.yaml',
];

const PART_OF = { 'app.kubernetes.io/part-of': 'argocd' };

/**
 * Kinds whose health only a controller that needs AWS reports (Karpenter's node classes and pools, the ALB
 * controller's Ingress address). Here Argo CD is told so, in argocd-cm, instead of waiting forever; every other
 * kind keeps Argo CD's own health check.
 */
const HEALTH_NOT_ASSESSED_HERE: readonly { groupKind: string; chart: ChartName }[] = [
  { groupKind: 'karpenter.sh_NodePool', chart: 'karpenter' },
  { groupKind: 'karpenter.k8s.aws_EC2NodeClass', chart: 'karpenter' },
  { groupKind: 'networking.k8s.io_Ingress', chart: 'albController' },
];

function localHealthOverrides(): Record<string, string> {
  return Object.fromEntries(
    HEALTH_NOT_ASSESSED_HERE.map(({ groupKind, chart }) => {
      const spec: ChartSpec = CHARTS[chart];
      const why = `not assessed in the local cluster: ${spec.chart} does not run here (${spec.notLocal ?? 'needs AWS'})`;
      return [`resource.customizations.health.${groupKind}`, `hs = {}\nhs.status = "Healthy"\nhs.message = ${JSON.stringify(why)}\nreturn hs\n`];
    }),
  );
}

/** The local git server Argo CD syncs from (HTTPS under the committed host names, certificate from a local CA). */
export interface LocalGit {
  /** Git host names the CA is trusted for (argocd-tls-certs-cm). */
  readonly gitHosts?: readonly string[];
  /** PEM of the local CA. */
  readonly caCertPem?: string;
}

/** Chart rendering of a config value: strings as they are, everything else as its YAML/JSON text. */
function configValue(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/**
 * Argo CD's objects for the local cluster: the module's own install manifests for application-controller,
 * repo-server and Redis, with what the CDK stack's chart values set (infra/lib/argocd.ts `argoCdValues`): images,
 * node selector, `configs.params` as argocd-cmd-params-cm, `configs.cm` merged into argocd-cm.
 */
export function argoCdObjects(env: EnvironmentConfig, local: LocalGit = {}): K8sObject[] {
  const values = argoCdValues(env) as ArgoCdChartValues;
  const namespace = CHARTS.argocd.namespace;
  const argoImage = `${values.global?.image?.repository ?? CHARTS.argocd.images[0]}:${operatorSource('argocd').appVersion}`;
  const redisImage = `${values.redis?.image?.repository ?? CHARTS.argocd.images[1]}:${argoCdRedisTag()}`;
  const upstream = inNamespace(UPSTREAM_FILES.flatMap((f) => upstreamObjects('argocd', f)), namespace, CLUSTER_SCOPED);

  const objects = upstream.map((o) => {
    if (o.kind === 'Deployment' || o.kind === 'StatefulSet') {
      return applyWorkloadValues(o, { image: (c) => (c.name === 'redis' ? redisImage : argoImage), nodeSelector: values.global?.nodeSelector });
    }
    if (o.kind === 'ConfigMap' && o.metadata.name === 'argocd-tls-certs-cm' && local.caCertPem) {
      // Argo CD's own way to trust an HTTPS git server's CA: one entry per host name.
      return { ...o, data: Object.fromEntries((local.gitHosts ?? []).map((h) => [h, local.caCertPem!])) };
    }
    if (o.kind === 'ConfigMap' && o.metadata.name === 'argocd-cm') {
      const { create: _create, ...cm } = values.configs?.cm ?? {};
      // The stack's health checks (ExternalSecret, ...) are what the local waves must gate on: never replaced here.
      const replaced = Object.keys(localHealthOverrides()).filter((k) => k in cm);
      if (replaced.length) throw new Error(`the local health overrides would replace the stack's argocd-cm ${replaced.join(', ')}`);
      const data = { ...((o.data as Record<string, string>) ?? {}), ...Object.fromEntries(Object.entries(cm).map(([k, v]) => [k, configValue(v)])), ...localHealthOverrides() };
      return { ...o, data };
    }
    return o;
  });
  const params: K8sObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'argocd-cmd-params-cm', namespace, labels: { 'app.kubernetes.io/name': 'argocd-cmd-params-cm', ...PART_OF } },
    data: Object.fromEntries(Object.entries(values.configs?.params ?? {}).map(([k, v]) => [k, configValue(v)])),
  };
  for (const o of objects) {
    if (o.kind === 'ConfigMap' || o.kind === 'Secret') o.metadata.labels = { ...(o.metadata.labels ?? {}), ...PART_OF };
  }
  return [namespaceObject(namespace), ...objects, params];
}

/** The workloads that must be Ready before Argo CD counts as installed. */
export function argoCdWorkloads(): { kind: string; name: string; namespace: string }[] {
  const namespace = CHARTS.argocd.namespace;
  return [
    { kind: 'deployment', name: 'argocd-redis', namespace },
    { kind: 'deployment', name: 'argocd-repo-server', namespace },
    { kind: 'deployment', name: 'argocd-server', namespace },
    { kind: 'statefulset', name: 'argocd-application-controller', namespace },
  ];
}
