import { k8s } from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import type { Resources } from '../config';
import { WorkloadDisruptionBudget } from './pod-disruption-budget';
import {
  containerSecurityContext,
  contentChecksum,
  labelsFor,
  placement,
  podSecurityContext,
  resourceRequirements,
  selectorFor,
  topologySpread,
  type NodePoolRole,
} from './workload-defaults';

/** A container of a hardened Deployment: its requests/limits and security context are the construct's. */
export type HardenedContainer = Omit<k8s.Container, 'resources' | 'securityContext'> & { readonly resources: Resources };

export interface HardenedDeploymentProps {
  readonly namespace: string;
  /** Name of the Deployment and of the ConfigMap, Service and PDB that go with it. */
  readonly name: string;
  /** `app.kubernetes.io/component` label. */
  readonly component: string;
  readonly serviceAccountName: string;
  /** False when another workload already creates the ServiceAccount. @default true */
  readonly createServiceAccount?: boolean;
  /** Fixed replicas, or undefined when an autoscaler (KEDA, the office-hours schedule) owns the count. */
  readonly replicas: number | undefined;
  /** Replicas the PDB decision uses when `replicas` is autoscaled. @default replicas, else 1 */
  readonly minReplicas?: number;
  /** The non-root user (and group, which also owns mounted Secrets and emptyDirs) the pod runs as. */
  readonly uid: number;
  /** @default 0 */
  readonly gid?: number;
  /** @default 'core' */
  readonly pool?: NodePoolRole;
  readonly containers: readonly HardenedContainer[];
  readonly initContainers?: readonly k8s.Container[];
  readonly volumes?: readonly k8s.Volume[];
  /** Files of a ConfigMap named like the workload; a change of their content rolls the pods (checksum annotation). */
  readonly configFiles?: Record<string, string>;
  /** Annotations of the Deployment itself (Reloader's secret watch). */
  readonly annotations?: Record<string, string>;
  readonly podAnnotations?: Record<string, string>;
  /** @default Kubernetes' 30 s */
  readonly terminationGracePeriodSeconds?: number;
  /** One process namespace for the pod's containers, the pause container as PID 1. @default false */
  readonly shareProcessNamespace?: boolean;
  /** @default a rolling update that never goes below the replica count (maxUnavailable 0, maxSurge 1) */
  readonly strategy?: k8s.DeploymentStrategy;
  /** Ports of a ClusterIP Service named like the workload; no Service when absent. */
  readonly servicePorts?: readonly k8s.ServicePort[];
}

const NEVER_BELOW_REPLICAS: k8s.DeploymentStrategy = {
  type: 'RollingUpdate',
  rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(0), maxSurge: k8s.IntOrString.fromNumber(1) },
};

/**
 * The one way this repository builds a Deployment: ServiceAccount without a token, non-root pod and
 * containers with no capabilities and a read-only root, requests = memory limits, zone spread, Karpenter
 * pool placement, a rolling update that keeps capacity, and a PDB once there are two replicas.
 */
export class HardenedDeployment extends Construct {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly selector: Record<string, string>;
  readonly deployment: k8s.KubeDeployment;

  constructor(scope: Construct, id: string, props: HardenedDeploymentProps) {
    super(scope, id);
    const { namespace, name } = props;
    this.name = name;
    this.labels = labelsFor(name, props.component);
    this.selector = selectorFor(name);

    if (props.createServiceAccount ?? true) new k8s.KubeServiceAccount(this, 'ServiceAccount', {
      metadata: { name: props.serviceAccountName, namespace, labels: this.labels },
      automountServiceAccountToken: false,
    });
    const files = props.configFiles;
    if (files) new k8s.KubeConfigMap(this, 'Config', { metadata: { name, namespace, labels: this.labels }, data: files });

    const checksum: Record<string, string> = files ? { 'airflow-eks/config-checksum': contentChecksum(Object.values(files).join('')) } : {};
    this.deployment = new k8s.KubeDeployment(this, 'Deployment', {
      metadata: { name, namespace, labels: this.labels, ...(props.annotations ? { annotations: props.annotations } : {}) },
      spec: {
        ...(props.replicas !== undefined ? { replicas: props.replicas } : {}),
        revisionHistoryLimit: 5,
        selector: { matchLabels: this.selector },
        strategy: props.strategy ?? NEVER_BELOW_REPLICAS,
        template: {
          metadata: { labels: this.labels, annotations: { ...checksum, ...props.podAnnotations } },
          spec: {
            serviceAccountName: props.serviceAccountName,
            automountServiceAccountToken: false,
            securityContext: podSecurityContext(props.uid, props.gid ?? 0),
            terminationGracePeriodSeconds: props.terminationGracePeriodSeconds,
            shareProcessNamespace: props.shareProcessNamespace,
            topologySpreadConstraints: topologySpread(this.selector),
            ...placement(props.pool ?? 'core'),
            initContainers: props.initContainers ? [...props.initContainers] : undefined,
            containers: props.containers.map((c) => ({ ...c, resources: resourceRequirements(c.resources), securityContext: containerSecurityContext() })),
            volumes: props.volumes ? [...props.volumes] : undefined,
          },
        },
      },
    });

    if (props.servicePorts) new k8s.KubeService(this, 'Service', {
      metadata: { name, namespace, labels: this.labels },
      spec: { selector: this.selector, ports: [...props.servicePorts] },
    });

    const replicas = props.replicas ?? props.minReplicas ?? 1;
    if (WorkloadDisruptionBudget.appliesTo(replicas)) {
      new WorkloadDisruptionBudget(this, 'Pdb', { name, namespace, selector: this.selector, labels: this.labels, replicas });
    }
  }
}
