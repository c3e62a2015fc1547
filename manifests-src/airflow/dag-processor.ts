import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config';
import { execProbes } from '../hardening/workload-defaults';
import type { AirflowConfig } from './airflow-config';
import { AirflowComponent } from './airflow-component';
import { airflowCommands } from './airflow-settings';
import { scheduledReplicas } from '../platform/office-hours';

export interface DagProcessorProps {
  readonly env: EnvironmentConfig;
  readonly config: AirflowConfig;
}

/** Standalone dag-processor: clones the DAG bundle and parses it into serialized DAGs (Airflow 3 always runs it apart). */
export class DagProcessorDeployment extends Construct {
  readonly component: AirflowComponent;

  constructor(scope: Construct, id: string, props: DagProcessorProps) {
    super(scope, id);
    const c = props.env.components.dagProcessor;
    this.component = new AirflowComponent(this, 'Component', {
      env: props.env,
      config: props.config,
      component: 'dag-processor',
      replicas: scheduledReplicas(props.env, c.replicas),
      minReplicas: c.replicas,
      resources: c.resources,
      command: airflowCommands(props.env).dagProcessor,
      probes: execProbes(['airflow', 'jobs', 'check', '--job-type', 'DagProcessorJob', '--local']),
    });
  }
}
