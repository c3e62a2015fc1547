import { k8s } from 'cdk8s-plus-33';
import type { EnvironmentConfig } from '../config';
import { imageRef } from '../config';
import { containerSecurityContext, resourceRequirements } from '../hardening/workload-defaults';
import { LOCAL_LOGS } from './airflow-settings';
const HEARTBEAT = `${LOCAL_LOGS}/.groomer-heartbeat`;
const PERIOD_SECONDS = 300;

/**
 * Deletes local log files older than `logging.localRetentionMinutes`, like the official chart's log
 * groomer. Task logs are also deleted by Airflow right after their upload (`delete_local_logs`); what
 * nothing else cleans is the dag-processor's per-file logs. A native sidecar (restartPolicy Always):
 * the pod's emptyDir never reaches its sizeLimit, so the kubelet never evicts the pod for local logs.
 */
export function logGroomer(env: EnvironmentConfig, volumeName: string): k8s.Container {
  const minutes = env.logging.localRetentionMinutes;
  // bash is PID 1 here (command replaces the image's init): it ignores SIGTERM unless trapped, and the pod's
  // deletion would wait out the whole grace period (an hour on workers) after Celery has drained.
  const loop = [
    'set -u',
    "trap 'exit 0' TERM",
    'while true; do',
    `  find ${LOCAL_LOGS} -type f ! -name .groomer-heartbeat -mmin +${minutes} -delete`,
    `  find ${LOCAL_LOGS} -mindepth 1 -type d -empty -delete`,
    `  touch ${HEARTBEAT}`,
    `  sleep ${PERIOD_SECONDS} & wait $!`,
    'done',
  ].join('\n');
  // Alive while the loop keeps touching its heartbeat.
  const check = { exec: { command: ['bash', '-c', `test -n "$(find ${HEARTBEAT} -mmin -${Math.ceil((PERIOD_SECONDS * 3) / 60)})"`] } };
  return {
    name: 'log-groomer',
    image: imageRef(env, 'airflow'),
    command: ['bash', '-c', loop],
    restartPolicy: 'Always',
    resources: resourceRequirements({ cpu: '50m', memory: '64Mi' }),
    securityContext: containerSecurityContext(),
    volumeMounts: [{ name: volumeName, mountPath: LOCAL_LOGS }],
    startupProbe: { ...check, periodSeconds: 10, failureThreshold: 12 },
    livenessProbe: { ...check, periodSeconds: 60, failureThreshold: 3 },
  };
}
