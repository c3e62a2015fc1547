import { k8s } from 'cdk8s-plus-33';
import type { EnvironmentConfig } from '../config';
import { imageRef } from '../config';
import { containerSecurityContext, resourceRequirements } from '../hardening/workload-defaults';
import { LOCAL_LOGS } from './airflow-settings';
const HEARTBEAT = `${LOCAL_LOGS}/.groomer-heartbeat`;
const PERIOD_SECONDS = 300;
export const LOG_GROOMER = 'log-groomer';

/**
 * Deletes local log files older than `logging.localRetentionMinutes`, like the official chart's log
 * groomer. Task logs are also deleted by Airflow right after their upload (`delete_local_logs`); what
 * nothing else cleans is the dag-processor's per-file logs. A native sidecar (restartPolicy Always):
 * the pod's emptyDir never reaches its sizeLimit, so the kubelet never evicts the pod for local logs.
 */
export function logGroomer(env: EnvironmentConfig, volumeName: string): k8s.Container {
  const minutes = env.logging.localRetentionMinutes;
  // The kernel drops a signal sent to PID 1 that PID 1 neither catches nor blocks, and the kubelet sends SIGTERM
  // once: a pod deleted while the groomer's bash was still starting (before its trap) waited out its whole grace
  // period, an hour on workers (seen on the local cluster: a worker evicted 1 s after it started). An init as
  // PID 1 has the same window, only shorter; so the pod shares one process namespace (airflow-component.ts), the
  // pause container is PID 1, and a SIGTERM ends bash with or without its trap. The trap makes that exit 0.
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
  // No probes: an exec probe runs `runc exec` inside this container's cgroup, and under its 100m CPU limit that
  // never finished within the probe's timeout on the local cluster (every worker pod logged the startup and
  // liveness probes cancelled; a native sidecar's startup probe holds back the main container, and the hung
  // execs outlived the pod's stop). The loop is the container's only process: if it dies, restartPolicy Always
  // restarts it; the heartbeat file stays for a human to read.
  return {
    name: LOG_GROOMER,
    image: imageRef(env, 'airflow'),
    command: ['bash', '-c', loop],
    restartPolicy: 'Always',
    resources: resourceRequirements({ cpu: '50m', memory: '64Mi' }),
    securityContext: containerSecurityContext(),
    volumeMounts: [{ name: volumeName, mountPath: LOCAL_LOGS }],
  };
}
