import { k8s } from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config';
import { PORTS, SERVICE_ACCOUNTS } from '../config';
import { execProbes } from '../hardening/workload-defaults';
import type { AirflowConfig } from './airflow-config';
import { AirflowComponent } from './airflow-component';
import { airflowCommands } from './airflow-settings';

export interface CeleryWorkerProps {
  readonly env: EnvironmentConfig;
  readonly config: AirflowConfig;
}

/** Makes the image's init deliver SIGTERM to the Celery main process only (see the worker's env). */
export const WORKER_SIGNAL_ENV = { name: 'DUMB_INIT_SETSID', value: '0' } as const;

/** The Celery app Airflow's provider defines; the liveness probe pings this worker through the broker. */
const CELERY_APP = 'airflow.providers.celery.executors.celery_executor.app';

/**
 * Celery workers. KEDA owns the replica count (no `replicas` here, so Argo CD and KEDA never fight).
 * Scale-in safety: SIGTERM starts Celery's warm shutdown (no new tasks, running ones finish) and the
 * grace period is as long as the longest task we accept; `do-not-disrupt` keeps Karpenter from
 * consolidating a node away under running tasks.
 */
export class CeleryWorkerDeployment extends Construct {
  readonly component: AirflowComponent;

  constructor(scope: Construct, id: string, props: CeleryWorkerProps) {
    super(scope, id);
    const w = props.env.workers;
    this.component = new AirflowComponent(this, 'Component', {
      env: props.env,
      config: props.config,
      component: 'worker',
      replicas: undefined,
      minReplicas: w.minReplicas,
      resources: w.resources,
      command: airflowCommands(props.env).worker,
      serviceAccountName: SERVICE_ACCOUNTS.worker.name,
      probes: execProbes(['sh', '-c', `celery --app ${CELERY_APP} inspect ping -d "celery@$(hostname)" --timeout 20`], { periodSeconds: 120 }),
      ports: [{ name: 'logs', containerPort: PORTS.workerLogServer }],
      clonesDags: true,
      terminationGracePeriodSeconds: w.terminationGracePeriodSeconds,
      pool: 'workers',
      podAnnotations: { 'karpenter.sh/do-not-disrupt': 'true' },
      // The image's dumb-init would forward SIGTERM to every process in the group, killing the pool's
      // task processes at once; with setsid off only Celery's main process gets it: a warm shutdown.
      extraEnv: { [WORKER_SIGNAL_ENV.name]: WORKER_SIGNAL_ENV.value },
      // Surge only: a rollout never takes a worker away before its replacement is up.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(0), maxSurge: k8s.IntOrString.fromString('25%') } },
    });
  }
}
