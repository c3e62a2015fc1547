import type { EnvironmentConfig } from '../../manifests-src/config';
import { CHARTS } from '../../infra/lib/charts';
import { kedaValues } from '../../infra/lib/keda-addon';
import { operatorSource } from './sources';
import { upstreamObjects, type K8sObject } from './upstream';
import { applyWorkloadValues, CLUSTER_SCOPED, inNamespace, namespaceObject, podDisruptionBudget } from './workload';

/** The keys of the chart values (infra/lib/keda-addon.ts) the local install reads. */
interface KedaChartValues {
  image?: Record<'keda' | 'metricsApiServer', { registry: string; repository: string }>;
  nodeSelector?: Record<string, string>;
  operator?: { replicaCount?: number };
  metricsServer?: { replicaCount?: number };
  podDisruptionBudget?: { operator?: { minAvailable?: number | string } };
}

/**
 * The module's own install (config/): service account, RBAC (generated from the code), the operator, the metrics API
 * server with its Service and APIService. The operator generates the certificates (kedaorg-certs) and patches the
 * APIService's caBundle itself (--enable-cert-rotation). Admission webhooks are left out (optional).
 */
const UPSTREAM_FILES = [
  'config/service_account/service_account.yaml',
  'config/rbac/role.yaml',
  'config/rbac/role_binding.yaml',
  'config/rbac/aggregate_cluster_roles.yaml',
  'config/manager/manager.yaml',
  'config/manager/service.yaml',
  'config/metrics-server/role.yaml',
  'config/metrics-server/role_binding.yaml',
  'config/metrics-server/deployment.yaml',
  'config/metrics-server/service.yaml',
  'config/metrics-server/api_service.yaml',
];

/** KEDA's objects for the local cluster with what the CDK stack's chart values set (images, replicas, node selector, PDB). */
export function kedaObjects(env: EnvironmentConfig): K8sObject[] {
  const values = kedaValues(env) as KedaChartValues;
  const namespace = CHARTS.keda.namespace;
  const tag = operatorSource('keda').appVersion;
  const image = (key: 'keda' | 'metricsApiServer', fallback: string) => {
    const v = values.image?.[key];
    return `${v ? `${v.registry}/${v.repository}` : fallback}:${tag}`;
  };
  const operatorImage = image('keda', CHARTS.keda.images[0]);
  const metricsImage = image('metricsApiServer', CHARTS.keda.images[1]);
  const upstream = inNamespace(UPSTREAM_FILES.flatMap((f) => upstreamObjects('keda', f)), namespace, CLUSTER_SCOPED);
  const objects = upstream.map((o) => {
    if (o.kind !== 'Deployment') return o;
    const operator = o.metadata.name === 'keda-operator';
    return applyWorkloadValues(o, {
      image: () => (operator ? operatorImage : metricsImage),
      nodeSelector: values.nodeSelector,
      replicas: operator ? values.operator?.replicaCount : values.metricsServer?.replicaCount,
    });
  });
  const pdb = values.podDisruptionBudget?.operator;
  const extra = pdb?.minAvailable !== undefined ? [podDisruptionBudget('keda-operator', namespace, { app: 'keda-operator' }, pdb.minAvailable)] : [];
  return [namespaceObject(namespace), ...objects, ...extra];
}

/** The workloads and API service that must be Ready before KEDA counts as installed. */
export function kedaWorkloads(): { kind: string; name: string; namespace: string }[] {
  const namespace = CHARTS.keda.namespace;
  return [
    { kind: 'deployment', name: 'keda-operator', namespace },
    { kind: 'deployment', name: 'keda-metrics-apiserver', namespace },
    { kind: 'apiservice', name: 'v1beta1.external.metrics.k8s.io', namespace: '' },
  ];
}
