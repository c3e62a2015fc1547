import type { K8sObject } from './upstream';

/** Pod template of a Deployment/StatefulSet as plain data. */
type PodSpec = { containers: Container[]; initContainers?: Container[]; nodeSelector?: Record<string, string>; [k: string]: unknown };
type Container = { name: string; image?: string; imagePullPolicy?: string; [k: string]: unknown };

/** The pod spec of a workload object. */
export function podSpec(workload: K8sObject): PodSpec {
  const spec = (workload.spec as { template?: { spec?: PodSpec } } | undefined)?.template?.spec;
  if (!spec) throw new Error(`${workload.kind}/${workload.metadata.name} has no pod template`);
  return spec;
}

/** Every container (init containers included) of a workload. */
export function containers(workload: K8sObject): Container[] {
  const spec = podSpec(workload);
  return [...(spec.initContainers ?? []), ...spec.containers];
}

/** Puts namespaced objects into `namespace`, and ServiceAccount subjects without one too (what kustomize does). */
export function inNamespace(objects: K8sObject[], namespace: string, clusterScoped: ReadonlySet<string>): K8sObject[] {
  return objects.map((o) => {
    const copy = structuredClone(o);
    if (!clusterScoped.has(copy.kind) && !copy.metadata.namespace) copy.metadata.namespace = namespace;
    const subjects = copy.subjects as { kind: string; namespace?: string }[] | undefined;
    for (const s of subjects ?? []) if (s.kind === 'ServiceAccount' && !s.namespace) s.namespace = namespace;
    return copy;
  });
}

export const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'APIService', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']);

/**
 * Applies chart values every workload shares: images (by container name, or one for all), `IfNotPresent` (images
 * are loaded into the node, never pulled), the node selector, replicas.
 */
export function applyWorkloadValues(
  workload: K8sObject,
  values: { image: (container: Container) => string; nodeSelector?: Record<string, string>; replicas?: number },
): K8sObject {
  const copy = structuredClone(workload);
  for (const c of containers(copy)) {
    c.image = values.image(c);
    c.imagePullPolicy = 'IfNotPresent';
  }
  const spec = podSpec(copy);
  spec.nodeSelector = { ...(spec.nodeSelector ?? {}), ...(values.nodeSelector ?? {}) };
  if (values.replicas !== undefined) (copy.spec as { replicas?: number }).replicas = values.replicas;
  return copy;
}

/** A namespace object. */
export function namespaceObject(name: string): K8sObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

/** A PodDisruptionBudget as the charts render it. */
export function podDisruptionBudget(name: string, namespace: string, selector: Record<string, string>, minAvailable: number | string): K8sObject {
  return { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name, namespace }, spec: { minAvailable, selector: { matchLabels: selector } } };
}
