import { k8s } from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import type { EnvironmentConfig, Resources } from '../config';
import { imageRef } from '../config';
import {
  containerSecurityContext,
  labelsFor,
  placement,
  podSecurityContext,
  resourceRequirements,
  selectorFor,
  topologySpread,
  type NodePoolRole,
  type ProbeSet,
} from '../hardening/workload-defaults';
import { WorkloadDisruptionBudget } from '../hardening/pod-disruption-budget';
import { AIRFLOW_SECRETS, reloadOnSecrets, type AirflowConfig } from './airflow-config';
import { AIRFLOW_HOME } from './airflow-settings';
import { DagBundleVolumes } from './dag-bundle-volumes';

/** The official image's user: uid 50000, gid 0. */
export const AIRFLOW_UID = 50000;

export interface AirflowComponentProps {
  readonly env: EnvironmentConfig;
  readonly config: AirflowConfig;
  /** Component name: the workload is `airflow-<component>`. */
  readonly component: string;
  /** Fixed replicas, or undefined when an autoscaler (KEDA) owns the count. */
  readonly replicas: number | undefined;
  /** Replicas used for PDB/spread decisions when `replicas` is autoscaled. */
  readonly minReplicas?: number;
  readonly resources: Resources;
  readonly command: readonly string[];
  readonly serviceAccountName: string;
  readonly probes: ProbeSet;
  readonly ports?: k8s.ContainerPort[];
  /** Clones the DAG bundle (dag-processor, workers): bundle storage and the repository credentials. */
  readonly clonesDags: boolean;
  /** @default 60 */
  readonly terminationGracePeriodSeconds?: number;
  /** @default 'core' */
  readonly pool?: NodePoolRole;
  readonly podAnnotations?: Record<string, string>;
  readonly strategy?: k8s.DeploymentStrategy;
  /** Extra plain environment variables of the main container. */
  readonly extraEnv?: Record<string, string>;
}

/**
 * One Airflow component: ServiceAccount + Deployment (+ PDB when it has 2+ replicas), hardened,
 * spread over zones, reading the shared AirflowConfig.
 */
export class AirflowComponent extends Construct {
  readonly name: string;
  readonly selector: Record<string, string>;
  readonly labels: Record<string, string>;
  readonly deployment: k8s.KubeDeployment;

  constructor(scope: Construct, id: string, props: AirflowComponentProps) {
    super(scope, id);
    const { env } = props;
    this.name = `airflow-${props.component}`;
    this.selector = selectorFor(this.name);
    this.labels = labelsFor(this.name, props.component);
    const bundle = props.clonesDags ? new DagBundleVolumes(env) : undefined;

    new k8s.KubeServiceAccount(this, 'ServiceAccount', {
      metadata: { name: props.serviceAccountName, namespace: env.namespace, labels: this.labels },
      automountServiceAccountToken: false,
    });

    const volumes: k8s.Volume[] = [
      { name: 'airflow-home', emptyDir: { sizeLimit: k8s.Quantity.fromString('2Gi') } },
      { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('1Gi') } },
      ...(bundle?.volumes() ?? []),
    ];
    const mounts: k8s.VolumeMount[] = [
      { name: 'airflow-home', mountPath: AIRFLOW_HOME },
      { name: 'tmp', mountPath: '/tmp' },
      ...(bundle?.mounts() ?? []),
    ];

    const main: k8s.Container = {
      name: props.component,
      image: imageRef(env, 'airflow'),
      imagePullPolicy: 'IfNotPresent',
      args: [...props.command],
      envFrom: props.config.envFrom(),
      env: [
        { name: 'PYTHONDONTWRITEBYTECODE', value: '1' },
        ...Object.entries({ ...bundle?.settings(), ...props.extraEnv }).map(([name, value]) => ({ name, value })),
        ...props.config.secretEnv(),
      ],
      ports: props.ports,
      resources: resourceRequirements(props.resources),
      securityContext: containerSecurityContext(),
      volumeMounts: mounts,
      ...props.probes,
    };

    const effectiveReplicas = props.replicas ?? props.minReplicas ?? 1;
    this.deployment = new k8s.KubeDeployment(this, 'Deployment', {
      metadata: {
        name: this.name,
        namespace: env.namespace,
        labels: this.labels,
        annotations: reloadOnSecrets(AIRFLOW_SECRETS),
      },
      spec: {
        ...(props.replicas !== undefined ? { replicas: props.replicas } : {}),
        revisionHistoryLimit: 5,
        selector: { matchLabels: this.selector },
        strategy: props.strategy ?? { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(0), maxSurge: k8s.IntOrString.fromNumber(1) } },
        template: {
          metadata: { labels: this.labels, annotations: { ...props.config.rolloutAnnotations(), ...props.podAnnotations } },
          spec: {
            serviceAccountName: props.serviceAccountName,
            automountServiceAccountToken: false,
            securityContext: podSecurityContext(AIRFLOW_UID),
            terminationGracePeriodSeconds: props.terminationGracePeriodSeconds ?? 60,
            topologySpreadConstraints: topologySpread(this.selector),
            ...placement(props.pool ?? 'core'),
            containers: [main],
            volumes,
          },
        },
      },
    });

    if (WorkloadDisruptionBudget.appliesTo(effectiveReplicas)) {
      new WorkloadDisruptionBudget(this, 'Pdb', {
        name: this.name,
        namespace: env.namespace,
        selector: this.selector,
        labels: this.labels,
        replicas: effectiveReplicas,
      });
    }
  }
}
