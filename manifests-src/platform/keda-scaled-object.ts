import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config';
import { K8S_SECRETS } from '../config';
import { labelsFor } from '../hardening/workload-defaults';

/**
 * Desired Celery worker count: task instances occupying or waiting for a worker slot in the queues these
 * workers serve, divided by worker_concurrency (the same config value the workers run with), rounded up.
 * Deferred tasks are excluded: they wait in the triggerer, not in a worker slot.
 */
export function kedaWorkerQuery(env: Pick<EnvironmentConfig, 'workers'>, served: readonly string[] = env.workers.queues): string {
  const queues = served.map((q) => `'${q}'`).join(', ');
  return (
    `SELECT ceil(COUNT(*)::decimal / ${env.workers.concurrency}) FROM task_instance ` +
    `WHERE state IN ('queued', 'running') AND queue IN (${queues})`
  );
}

export interface WorkerScaledObjectProps {
  readonly env: EnvironmentConfig;
  /** Deployment KEDA scales. */
  readonly deploymentName: string;
  /** Queues that Deployment serves. @default workers.queues */
  readonly queues?: readonly string[];
  /** @default workers.minReplicas / workers.maxReplicas */
  readonly minReplicas?: number;
  readonly maxReplicas?: number;
  /** The TriggerAuthentication is shared: only one ScaledObject creates it. @default true */
  readonly createTriggerAuthentication?: boolean;
}

/**
 * KEDA ScaledObject for the Celery workers, reading the metadata DB through PgBouncer.
 * Scale-in is slow on purpose (stabilization window, one pod per period): each removed pod gets a warm
 * shutdown with the full grace period, so running tasks finish instead of turning into zombies.
 */
export class WorkerScaledObject extends Construct {
  static readonly TRIGGER_AUTH = 'airflow-metadata-db';

  constructor(scope: Construct, id: string, props: WorkerScaledObjectProps) {
    super(scope, id);
    const { env } = props;
    const w = env.workers;
    const labels = labelsFor(props.deploymentName, 'worker-autoscaling');
    if (props.createTriggerAuthentication ?? true) new ApiObject(this, 'TriggerAuthentication', {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'TriggerAuthentication',
      metadata: { name: WorkerScaledObject.TRIGGER_AUTH, namespace: env.namespace, labels },
      spec: {
        secretTargetRef: [{ parameter: 'connection', name: K8S_SECRETS.metadata.name, key: K8S_SECRETS.metadata.keys.kedaConn }],
      },
    });
    new ApiObject(this, 'ScaledObject', {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledObject',
      metadata: { name: props.deploymentName, namespace: env.namespace, labels },
      spec: {
        scaleTargetRef: { name: props.deploymentName },
        minReplicaCount: props.minReplicas ?? w.minReplicas,
        maxReplicaCount: props.maxReplicas ?? w.maxReplicas,
        pollingInterval: w.kedaPollingIntervalSeconds,
        cooldownPeriod: w.kedaCooldownPeriodSeconds,
        advanced: {
          horizontalPodAutoscalerConfig: {
            behavior: {
              scaleDown: {
                stabilizationWindowSeconds: w.scaleDownStabilizationSeconds,
                policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }],
              },
              scaleUp: {
                stabilizationWindowSeconds: 0,
                policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
              },
            },
          },
        },
        triggers: [
          {
            type: 'postgresql',
            metadata: { query: kedaWorkerQuery(env, props.queues), targetQueryValue: '1' },
            authenticationRef: { name: WorkerScaledObject.TRIGGER_AUTH },
          },
        ],
      },
    });
  }
}
