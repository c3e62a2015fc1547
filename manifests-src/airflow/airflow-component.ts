import { k8s } from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import type { EnvironmentConfig, Resources } from '../config';
import { COMPONENTS, imageRef, type ComponentName, type ComponentSpec } from '../config';
import { HardenedDeployment, type HardenedContainer, type HardenedDeploymentProps } from '../hardening/hardened-deployment';
import type { NodePoolRole, ProbeSet } from '../hardening/workload-defaults';
import { reloadOnSecrets, type AirflowConfig } from './airflow-config';
import { secretFileSettings, secretMount, secretsOf, secretVolume, type AirflowProcess } from './component-secrets';
import { AIRFLOW_HOME, LOCAL_LOGS } from './airflow-settings';
import { logGroomer } from './log-groomer';
import { DagBundleVolumes, STORAGE_VOLUME } from './dag-bundle-volumes';
import { memoryMiB } from '../config/worker-memory';

/** The registry's Airflow components (those with an `airflow` process). */
export type AirflowComponentName = { [K in ComponentName]: (typeof COMPONENTS)[K] extends { airflow: object } ? K : never }[ComponentName];

/** The official image's user: uid 50000, gid 0. */
export const AIRFLOW_UID = 50000;

export interface AirflowComponentProps {
  readonly env: EnvironmentConfig;
  readonly config: AirflowConfig;
  /** The component in the registry (contract.ts): workload and service account names, ports, secrets, DAG cloning. */
  readonly component: AirflowComponentName;
  /** Fixed replicas, or undefined when an autoscaler (KEDA) owns the count. */
  readonly replicas: number | undefined;
  /** Replicas used for PDB/spread decisions when `replicas` is autoscaled. */
  readonly minReplicas?: number;
  readonly resources: Resources;
  readonly command: readonly string[];
  /** False when another component already creates the ServiceAccount (long-task workers share the workers'). @default true */
  readonly createServiceAccount?: boolean;
  readonly probes: ProbeSet;
  /** @default 60 */
  readonly terminationGracePeriodSeconds?: number;
  /** What the kubelet runs before it sends SIGTERM to the main container. @default none */
  readonly preStop?: k8s.LifecycleHandler;
  /** @default 'core' */
  readonly pool?: NodePoolRole;
  readonly podAnnotations?: Record<string, string>;
  readonly strategy?: k8s.DeploymentStrategy;
  /** Extra plain environment variables of the main container. */
  readonly extraEnv?: Record<string, string>;
  /** A scratch emptyDir of this size at /scratch, $TMPDIR of the process (workers: task temp files). */
  readonly scratchSize?: string;
}

/**
 * emptyDir size limits, from the local runner's measurement (test/local/stack.integration.test.ts prints
 * `du` of each after its workload) with wide headroom: past a limit the kubelet evicts the whole pod.
 */
export const EMPTY_DIR_LIMITS = { airflowHome: '256Mi', logs: '2Gi', tmp: '1Gi' } as const;
export const SCRATCH_DIR = '/scratch';

/**
 * One Airflow component: a HardenedDeployment (ServiceAccount, Deployment, PDB when it has 2+ replicas) of the
 * Airflow image with the shared AirflowConfig, its row of the secrets table, emptyDirs and the log groomer.
 */
export class AirflowComponent extends HardenedDeployment {
  constructor(scope: Construct, id: string, props: AirflowComponentProps) {
    super(scope, id, airflowWorkload(props));
  }
}

function airflowWorkload(props: AirflowComponentProps): HardenedDeploymentProps {
  const { env } = props;
  const spec: ComponentSpec = COMPONENTS[props.component];
  const process = spec.airflow!.process as AirflowProcess;
  // Cloners (dag-processor, workers) get the bundle storage and the repository credentials.
  const bundle = spec.clonesDags ? new DagBundleVolumes(env, process === 'worker' ? env.workers.concurrency : env.airflow.parsingProcesses) : undefined;
  const ports = Object.entries(spec.ports).map(([name, containerPort]) => ({ name, containerPort }));

  const emptyDir = (sizeLimit: string): k8s.EmptyDirVolumeSource => ({ sizeLimit: k8s.Quantity.fromString(sizeLimit) });
  const volumes: k8s.Volume[] = [
    { name: 'airflow-home', emptyDir: emptyDir(EMPTY_DIR_LIMITS.airflowHome) },
    { name: 'logs', emptyDir: emptyDir(EMPTY_DIR_LIMITS.logs) },
    { name: 'tmp', emptyDir: emptyDir(EMPTY_DIR_LIMITS.tmp) },
    ...(props.scratchSize ? [{ name: 'scratch', emptyDir: emptyDir(props.scratchSize) }] : []),
    ...(bundle?.volumes() ?? []),
    secretVolume(process),
  ];
  const mounts: k8s.VolumeMount[] = [
    { name: 'airflow-home', mountPath: AIRFLOW_HOME },
    { name: 'logs', mountPath: LOCAL_LOGS },
    { name: 'tmp', mountPath: '/tmp' },
    ...(props.scratchSize ? [{ name: 'scratch', mountPath: SCRATCH_DIR }] : []),
    ...(bundle?.mounts() ?? []),
    secretMount(),
  ];

  const main: HardenedContainer = {
    name: props.component,
    image: imageRef(env, 'airflow'),
    imagePullPolicy: 'IfNotPresent',
    args: [...props.command],
    envFrom: props.config.envFrom(),
    env: [
      { name: 'PYTHONDONTWRITEBYTECODE', value: '1' },
      ...Object.entries({
        ...secretFileSettings(process),
        ...bundle?.settings(),
        ...(props.scratchSize ? { TMPDIR: SCRATCH_DIR } : {}),
        ...props.extraEnv,
      }).map(([name, value]) => ({ name, value })),
    ],
    ports: ports.length ? ports : undefined,
    resources: props.resources,
    volumeMounts: mounts,
    ...props.probes,
    ...(props.preStop ? { lifecycle: { preStop: props.preStop } } : {}),
  };

  return {
    namespace: env.namespace,
    name: spec.workload,
    component: props.component,
    serviceAccountName: spec.serviceAccount,
    createServiceAccount: props.createServiceAccount,
    replicas: props.replicas,
    minReplicas: props.minReplicas,
    uid: AIRFLOW_UID,
    pool: props.pool,
    annotations: reloadOnSecrets([...secretsOf(process), ...(bundle?.secrets() ?? [])]),
    podAnnotations: { ...props.config.rolloutAnnotations(), ...props.podAnnotations },
    terminationGracePeriodSeconds: props.terminationGracePeriodSeconds ?? 60,
    strategy: props.strategy,
    // The groomer's bash must not be PID 1 (see logGroomer): the pause container is.
    shareProcessNamespace: true,
    initContainers: [
      logGroomer(env, {
        logsVolume: 'logs',
        logsLimitMiB: memoryMiB(EMPTY_DIR_LIMITS.logs),
        bundles: bundle ? { volume: STORAGE_VOLUME, targetMiB: bundle.disk.targetMiB } : undefined,
      }),
    ],
    containers: [main],
    volumes,
  };
}
