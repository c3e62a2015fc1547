import { k8s } from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config';
import { WORKER_FIRST_PROBE_AFTER_SECONDS } from '../hardening/exec-probe-timing';
import { execProbes } from '../hardening/workload-defaults';
import type { AirflowConfig } from './airflow-config';
import { AirflowComponent } from './airflow-component';
import { airflowCommands } from './airflow-settings';
import { secretFile } from './component-secrets';

export interface CeleryWorkerProps {
  readonly env: EnvironmentConfig;
  readonly config: AirflowConfig;
  /** The on-demand long-task workers (`workers.longTasks`) instead of the default workers. @default false */
  readonly longTasks?: boolean;
}

/** Makes the image's init deliver SIGTERM to the Celery main process only (see the worker's env). */
export const WORKER_SIGNAL_ENV = { name: 'DUMB_INIT_SETSID', value: '0' } as const;

/**
 * Skips the image entrypoint's start-up checks in workers. Workers hold no database credentials, so its
 * `airflow db check` would test a local SQLite file; with it go two `airflow config get-value` calls and a
 * broker check: three Airflow start-ups (about 5 CPU-seconds) before Celery, on every scale-out. Celery retries
 * the broker connection at start-up itself (`broker_connection_retry_on_startup`).
 */
export const WORKER_START_CHECKS_ENV = { name: 'CONNECTION_CHECK_MAX_COUNT', value: '0' } as const;

/**
 * The worker's startup and liveness probe: a Celery ping of this worker's node through the broker, sent by Celery's
 * own CLI with the broker URL from the worker's secret file (in the environment, which only its own user can read,
 * not on the command line, which any process can). Not through Airflow's Celery app (`celery --app
 * airflow.providers...app`): that imports and configures Airflow to send one ping, 2.0 CPU-seconds per run against
 * 0.4 (`npm run measure:probes`), on every worker start and every liveness period.
 * The URL carries its TLS settings (`rediss://...?ssl_cert_reqs=required`), which Celery's Redis transport reads the
 * same way for the worker and for this ping.
 */
export function celeryPingProbeCommand(): string[] {
  const ping = `CELERY_BROKER_URL="$(cat ${secretFile('brokerUrl')})" exec celery inspect ping -d "celery@$(hostname)" --timeout 20`;
  return ['sh', '-c', ping];
}

/**
 * Celery workers. KEDA owns the replica count (no `replicas` here, so Argo CD and KEDA never fight).
 * Scale-in safety: SIGTERM starts Celery's warm shutdown (no new tasks, running ones finish) and the
 * grace period is as long as the longest task we accept, which Karpenter's eviction honours, so the
 * always-on workers carry no `do-not-disrupt` (it would pin their node forever). Long-task workers run
 * on on-demand nodes and do carry it: only their NodePool's terminationGracePeriod bounds it.
 */
export class CeleryWorkerDeployment extends Construct {
  readonly component: AirflowComponent;

  constructor(scope: Construct, id: string, props: CeleryWorkerProps) {
    super(scope, id);
    const w = props.env.workers;
    const long = props.longTasks ?? false;
    this.component = new AirflowComponent(this, 'Component', {
      env: props.env,
      config: props.config,
      component: long ? 'worker-long' : 'worker',
      replicas: undefined,
      minReplicas: long ? w.longTasks.minReplicas : w.minReplicas,
      resources: w.resources,
      command: long ? airflowCommands(props.env).longTaskWorker : airflowCommands(props.env).worker,
      createServiceAccount: !long,
      probes: execProbes(celeryPingProbeCommand(), {
        periodSeconds: 120,
        timeoutSeconds: 60,
        firstProbeAfterSeconds: WORKER_FIRST_PROBE_AFTER_SECONDS,
      }),
      terminationGracePeriodSeconds: w.terminationGracePeriodSeconds,
      pool: long ? 'long-workers' : 'workers',
      scratchSize: w.scratchSize,
      podAnnotations: long ? { 'karpenter.sh/do-not-disrupt': 'true' } : undefined,
      // The image's dumb-init would forward SIGTERM to every process in the group, killing the pool's
      // task processes at once; with setsid off only Celery's main process gets it: a warm shutdown.
      extraEnv: { [WORKER_SIGNAL_ENV.name]: WORKER_SIGNAL_ENV.value, [WORKER_START_CHECKS_ENV.name]: WORKER_START_CHECKS_ENV.value },
      // Surge only: a rollout never takes a worker away before its replacement is up.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(0), maxSurge: k8s.IntOrString.fromString('25%') } },
    });
  }
}
