import { k8s } from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config';
import { PORTS } from '../config';
import { httpProbes } from '../hardening/workload-defaults';
import type { AirflowConfig } from './airflow-config';
import { AirflowComponent } from './airflow-component';
import { airflowCommands, SERVICE_NAMES } from './airflow-settings';
import { scheduledReplicas } from '../platform/office-hours';
import { albTargetDraining } from '../platform/alb-target-draining';

/** Public, unauthenticated health endpoint of the Airflow 3 api-server (also the ALB health check). */
export const API_SERVER_HEALTH_PATH = '/api/v2/monitor/health';

export interface ApiServerProps {
  readonly env: EnvironmentConfig;
  readonly config: AirflowConfig;
}

/** api-server: UI, REST API and the Task Execution API workers call. Stateless, behind a ClusterIP Service. */
export class ApiServerDeployment extends Construct {
  readonly component: AirflowComponent;

  constructor(scope: Construct, id: string, props: ApiServerProps) {
    super(scope, id);
    const { env } = props;
    const c = env.components.apiServer;
    // Leaves the ALB before it stops serving (platform/alb-target-draining.ts).
    const draining = albTargetDraining(env);
    this.component = new AirflowComponent(this, 'Component', {
      env,
      config: props.config,
      component: 'api-server',
      replicas: scheduledReplicas(props.env, c.replicas),
      minReplicas: c.replicas,
      resources: c.resources,
      command: airflowCommands(env).apiServer,
      probes: httpProbes(API_SERVER_HEALTH_PATH, PORTS.apiServer),
      preStop: { sleep: { seconds: draining.preStopSleepSeconds } },
      terminationGracePeriodSeconds: draining.terminationGracePeriodSeconds,
    });
    new k8s.KubeService(this, 'Service', {
      metadata: { name: SERVICE_NAMES.apiServer, namespace: env.namespace, labels: this.component.labels },
      spec: {
        type: 'ClusterIP',
        selector: this.component.selector,
        ports: [{ name: 'http', port: PORTS.apiServer, targetPort: k8s.IntOrString.fromString('http') }],
      },
    });
  }
}
