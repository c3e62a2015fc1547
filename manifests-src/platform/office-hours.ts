import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config';
import { labelsFor } from '../hardening/workload-defaults';

/**
 * Replicas a fixed-size Deployment renders: none when office hours are on (KEDA's cron trigger owns the
 * count, like the workers' query trigger does), else the configured number.
 */
export function scheduledReplicas(env: Pick<EnvironmentConfig, 'officeHours'>, replicas: number): number | undefined {
  return env.officeHours.enabled ? undefined : replicas;
}

export interface OfficeHoursScaledObjectProps {
  readonly env: EnvironmentConfig;
  /** Deployment KEDA scales. */
  readonly deploymentName: string;
  /** Replicas inside the window. */
  readonly replicas: number;
}

/**
 * KEDA ScaledObject with a cron trigger only: `replicas` between officeHours.start and end, zero outside.
 * Nothing here polls the database; once PgBouncer is at zero no client holds a connection, so a 0-ACU Aurora
 * pauses (docs/cost.md). Renders nothing when office hours are off.
 */
export class OfficeHoursScaledObject extends Construct {
  constructor(scope: Construct, id: string, props: OfficeHoursScaledObjectProps) {
    super(scope, id);
    const { env } = props;
    const o = env.officeHours;
    if (!o.enabled) return;
    new ApiObject(this, 'ScaledObject', {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledObject',
      metadata: { name: props.deploymentName, namespace: env.namespace, labels: labelsFor(props.deploymentName, 'office-hours') },
      spec: {
        scaleTargetRef: { name: props.deploymentName },
        minReplicaCount: 0,
        maxReplicaCount: props.replicas,
        cooldownPeriod: 60,
        triggers: [{ type: 'cron', metadata: { timezone: o.timezone, start: o.start, end: o.end, desiredReplicas: String(props.replicas) } }],
      },
    });
  }
}
