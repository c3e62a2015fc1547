import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config';
import { PORTS } from '../config';
import { httpProbes } from '../hardening/workload-defaults';
import type { AirflowConfig } from './airflow-config';
import { AirflowComponent } from './airflow-component';
import { airflowCommands } from './airflow-settings';
import { scheduledReplicas } from '../platform/office-hours';

export interface SchedulerProps {
  readonly env: EnvironmentConfig;
  readonly config: AirflowConfig;
}

/**
 * Schedulers run active-active (HA through row locks in the metadata DB); liveness uses the
 * scheduler's own health server, which fails when its heartbeat is stale.
 */
export class SchedulerDeployment extends Construct {
  readonly component: AirflowComponent;

  constructor(scope: Construct, id: string, props: SchedulerProps) {
    super(scope, id);
    const c = props.env.components.scheduler;
    this.component = new AirflowComponent(this, 'Component', {
      env: props.env,
      config: props.config,
      component: 'scheduler',
      replicas: scheduledReplicas(props.env, c.replicas),
      minReplicas: c.replicas,
      resources: c.resources,
      command: airflowCommands(props.env).scheduler,
      probes: httpProbes('/health', PORTS.schedulerHealth),
    });
  }
}
