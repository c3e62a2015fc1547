import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config';
import { execProbes } from '../hardening/workload-defaults';
import type { AirflowConfig } from './airflow-config';
import { AirflowComponent } from './airflow-component';
import { airflowCommands } from './airflow-settings';
import { scheduledReplicas } from '../platform/office-hours';

export interface TriggererProps {
  readonly env: EnvironmentConfig;
  readonly config: AirflowConfig;
}

/** Triggerer: runs deferrable operators' triggers; several replicas share triggers through the DB. */
export class TriggererDeployment extends Construct {
  readonly component: AirflowComponent;

  constructor(scope: Construct, id: string, props: TriggererProps) {
    super(scope, id);
    const c = props.env.components.triggerer;
    this.component = new AirflowComponent(this, 'Component', {
      env: props.env,
      config: props.config,
      component: 'triggerer',
      replicas: scheduledReplicas(props.env, c.replicas),
      minReplicas: c.replicas,
      resources: c.resources,
      command: airflowCommands(props.env).triggerer,
      probes: execProbes(['airflow', 'jobs', 'check', '--job-type', 'TriggererJob', '--local']),
    });
  }
}
