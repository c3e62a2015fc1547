/**
 * The pods the system node group carries, read from what ships: the EKS add-ons and Helm releases of the
 * synthesized stack (with the values it passes) and the DaemonSets of dist/ that tolerate every node. What a chart
 * or add-on runs by default is stated per chart version below; a release or add-on this file does not know fails
 * the check, so a new one cannot slip past it.
 */
import { resolveValue, tokenOf, type CfnTemplate } from '../assembly/cdk-out';
import type { NodeSetup, PodDemand } from './node-capacity';

type Values = Record<string, any>;
/** A CPU quantity in milli-cores (`250m`, `1`). */
export const milli = (v: unknown) => (v === undefined ? 0 : String(v).endsWith('m') ? Number(String(v).slice(0, -1)) : Number(v) * 1000);
/** A memory quantity in MiB (`512Mi`, `1Gi`). */
export const mebi = (v: unknown) => {
  if (v === undefined) return 0;
  const m = /^(\d+(?:\.\d+)?)(Mi|Gi|Ki)?$/.exec(String(v));
  if (!m) throw new Error(`memory quantity ${String(v)} not understood`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : m[2] === 'Ki' ? 1 / 1024 : m[2] === 'Mi' ? 1 : 1 / (1024 * 1024));
};
const requests = (r: Values | undefined) => ({ cpuMilli: milli(r?.requests?.cpu), memoryMiB: mebi(r?.requests?.memory) });
const deployment = (what: string, replicas: number, resources?: Values): PodDemand => ({ what, replicas, ...requests(resources) });

/**
 * Pods of each chart the stack installs, from the values it passes and the chart's defaults at the pinned version
 * (`CHART_DEFAULTS_READ_AT`: a bumped chart fails the test until its defaults are read again). Requests are counted
 * where our values or the chart's defaults set them; a pod without requests still takes a pod slot.
 */
export const CHART_PODS: Record<string, (v: Values) => PodDemand[]> = {
  // CustomResourceDefinitions only.
  'karpenter-crd': () => [],
  karpenter: (v) => [deployment('karpenter', v.replicas ?? 2, v.controller?.resources)],
  'aws-load-balancer-controller': (v) => [deployment('aws-load-balancer-controller', v.replicaCount ?? 2, v.resources)],
  'external-secrets': (v) => [
    deployment('external-secrets', v.replicaCount ?? 1, v.resources),
    ...(v.webhook?.create === false ? [] : [deployment('external-secrets-webhook', v.webhook?.replicaCount ?? 1, v.webhook?.resources)]),
    ...(v.certController?.create === false ? [] : [deployment('external-secrets-cert-controller', v.certController?.replicaCount ?? 1, v.certController?.resources)]),
  ],
  keda: (v) => [
    deployment('keda-operator', v.operator?.replicaCount ?? 1, v.resources?.operator),
    deployment('keda-operator-metrics-apiserver', v.metricsServer?.replicaCount ?? 1, v.resources?.metricServer),
    ...(v.webhooks?.enabled === false ? [] : [deployment('keda-admission-webhooks', v.webhooks?.replicaCount ?? 1, v.resources?.webhooks)]),
  ],
  reloader: (v) => [deployment('reloader', v.reloader?.deployment?.replicas ?? 1, v.reloader?.deployment?.resources)],
  'argo-cd': (v) => [
    deployment('argocd-application-controller', v.controller?.replicas ?? 1, v.controller?.resources),
    deployment('argocd-server', v.server?.replicas ?? 1, v.server?.resources),
    deployment('argocd-repo-server', v.repoServer?.replicas ?? 1, v.repoServer?.resources),
    ...(v.redis?.enabled === false ? [] : [deployment('argocd-redis', 1, v.redis?.resources)]),
    ...(v.applicationSet?.enabled === false ? [] : [deployment('argocd-applicationset-controller', v.applicationSet?.replicas ?? 1, v.applicationSet?.resources)]),
    ...(v.notifications?.enabled === false ? [] : [deployment('argocd-notifications-controller', 1, v.notifications?.resources)]),
    ...(v.dex?.enabled === false ? [] : [deployment('argocd-dex-server', 1, v.dex?.resources)]),
  ],
};

/** The chart versions whose defaults CHART_PODS states. */
export const CHART_DEFAULTS_READ_AT: Record<string, string> = {
  karpenter: '1.15.1',
  'karpenter-crd': '1.15.1',
  'aws-load-balancer-controller': '3.5.0',
  'external-secrets': '0.20.4',
  keda: '2.21.0',
  reloader: '2.2.17',
  'argo-cd': '10.10.1',
};

/**
 * Pods of the EKS managed add-ons with their default configuration: per node for DaemonSets. Requests as the add-ons'
 * manifests set them (aws-node 25m, kube-proxy 100m, CoreDNS 100m / 70Mi).
 */
export const ADDON_PODS: Record<string, PodDemand[]> = {
  'vpc-cni': [{ what: 'aws-node', replicas: 1, perNode: true, cpuMilli: 25, memoryMiB: 0 }],
  'kube-proxy': [{ what: 'kube-proxy', replicas: 1, perNode: true, cpuMilli: 100, memoryMiB: 0 }],
  'eks-pod-identity-agent': [{ what: 'eks-pod-identity-agent', replicas: 1, perNode: true, cpuMilli: 0, memoryMiB: 0 }],
  coredns: [{ what: 'coredns', replicas: 2, cpuMilli: 100, memoryMiB: 70 }],
  'aws-efs-csi-driver': [
    { what: 'efs-csi-node', replicas: 1, perNode: true, cpuMilli: 0, memoryMiB: 0 },
    { what: 'efs-csi-controller', replicas: 2, cpuMilli: 0, memoryMiB: 0 },
  ],
  'amazon-cloudwatch-observability': [
    { what: 'cloudwatch-agent', replicas: 1, perNode: true, cpuMilli: 0, memoryMiB: 0 },
    { what: 'fluent-bit (Container Insights)', replicas: 1, perNode: true, cpuMilli: 0, memoryMiB: 0 },
    { what: 'amazon-cloudwatch-observability-controller-manager', replicas: 1, cpuMilli: 0, memoryMiB: 0 },
  ],
};

/** A dist/ workload, as far as placement and requests go. */
export interface DistWorkload {
  readonly kind: string;
  readonly metadata: { readonly name: string };
  readonly spec?: any;
}

/** Everything the system node group carries for one environment's stack and dist/. */
export function systemNodeDemand(template: CfnTemplate, dist: readonly DistWorkload[]): PodDemand[] {
  const out: PodDemand[] = [];
  for (const r of Object.values(template.Resources)) {
    if (r.Type === 'AWS::EKS::Addon') {
      const name = String(r.Properties!.AddonName);
      const pods = ADDON_PODS[name];
      if (!pods) throw new Error(`EKS add-on ${name}: its pods are not counted in infra/capacity/system-pods.ts (ADDON_PODS)`);
      out.push(...pods);
    }
    if (r.Type === 'Custom::AWSCDK-EKS-HelmChart') {
      const chart = String(r.Properties!.Chart);
      const pods = CHART_PODS[chart];
      if (!pods) throw new Error(`Helm chart ${chart}: its pods are not counted in infra/capacity/system-pods.ts (CHART_PODS)`);
      if (CHART_DEFAULTS_READ_AT[chart] !== String(r.Properties!.Version)) throw new Error(`Helm chart ${chart} ${r.Properties!.Version}: CHART_PODS states the defaults of ${CHART_DEFAULTS_READ_AT[chart]}; read the new chart's replica defaults and update both`);
      const values = JSON.parse(String(resolveValue(r.Properties!.Values, () => 'token'))) as Values;
      out.push(...pods(values).map((p) => ({ ...p, what: `${chart}: ${p.what}` })));
    }
  }
  // DaemonSets of dist/ that tolerate every taint and select no pool also run on the system nodes.
  for (const d of dist) {
    if (d.kind !== 'DaemonSet') continue;
    const pod = d.spec.template.spec;
    // Selecting only the OS and architecture every node shares is no restriction.
    const selects = Object.keys(pod.nodeSelector ?? {}).filter((k) => k !== 'kubernetes.io/os' && k !== 'kubernetes.io/arch');
    const everywhere = (pod.tolerations ?? []).some((t: Values) => t.operator === 'Exists' && !t.key) && selects.length === 0 && !pod.affinity?.nodeAffinity;
    if (!everywhere) continue;
    const containers = [...(pod.containers ?? [])];
    out.push({ what: `dist: ${d.metadata.name}`, replicas: 1, perNode: true, cpuMilli: containers.reduce((n, c) => n + milli(c.resources?.requests?.cpu), 0), memoryMiB: containers.reduce((n, c) => n + mebi(c.resources?.requests?.memory), 0) });
  }
  return out;
}

/**
 * How the stack sets up its system nodes, read from the template: prefix delegation in the vpc-cni add-on's
 * configuration, the kubelet's max pods in the node group's launch template (nodeadm NodeConfig in its user data).
 */
export function systemNodeSetup(template: CfnTemplate): NodeSetup {
  const resources = Object.entries(template.Resources);
  const cni = resources.find(([, r]) => r.Type === 'AWS::EKS::Addon' && r.Properties?.AddonName === 'vpc-cni')?.[1];
  const cniConfig = cni?.Properties?.ConfigurationValues ? (JSON.parse(String(cni.Properties.ConfigurationValues)) as Values) : {};
  const prefixDelegation = cniConfig.env?.ENABLE_PREFIX_DELEGATION === 'true';
  const group = resources.find(([, r]) => r.Type === 'AWS::EKS::Nodegroup')?.[1];
  const ltId = tokenOf(group?.Properties?.LaunchTemplate?.Id);
  const userData = ltId ? template.Resources[ltId]?.Properties?.LaunchTemplateData?.UserData : undefined;
  const text = userData?.['Fn::Base64'] !== undefined ? String(resolveValue(userData['Fn::Base64'], () => 'token')) : undefined;
  const m = text ? /\bmaxPods: (\d+)/.exec(text) : null;
  return { prefixDelegation, kubeletMaxPods: m ? Number(m[1]) : undefined };
}
