import { k8s } from 'cdk8s-plus-33';
import type { EnvironmentConfig } from '../config';
import { imageRef } from '../config';
import { containerSecurityContext, resourceRequirements } from '../hardening/workload-defaults';
import { DAG_BUNDLE_STORAGE, LOCAL_LOGS } from './airflow-settings';
import { bundleLayout } from './dag-bundle-disk';
const HEARTBEAT = `${LOCAL_LOGS}/.groomer-heartbeat`;
const PERIOD_SECONDS = 300;
export const LOG_GROOMER = 'log-groomer';
/** Share of the logs emptyDir the groomed files may fill; the rest is for running tasks' logs (open, not deletable). */
export const GROOMED_LOGS_SHARE = 0.5;

export interface LogGroomerProps {
  /** The logs emptyDir and its sizeLimit, MiB. */
  readonly logsVolume: string;
  readonly logsLimitMiB: number;
  /** A pod that clones the DAG bundle: its storage volume and the size above which idle versions go. */
  readonly bundles?: { readonly volume: string; readonly targetMiB: number };
}

/**
 * Keeps the pod's local disk under its emptyDir limits, like the official chart's log groomer and more:
 * - logs: deletes files older than `logging.localRetentionMinutes`, then, if the rest still passes
 *   GROOMED_LOGS_SHARE of the volume, the oldest files until it does not. Task logs are also deleted by Airflow
 *   right after their upload (`delete_local_logs`); what nothing else cleans is the dag-processor's per-file logs
 *   (one file per DAG file per day, appended on every parse);
 * - DAG bundle versions (cloners only): Airflow's own cleanup goes by count and age (dag-bundle-disk.ts); above
 *   the size target the groomer deletes idle versions, least recently used first, each under an exclusive
 *   non-blocking flock on its tracking file, the lock Airflow's cleanup takes and a running task holds shared.
 * A native sidecar (restartPolicy Always): the emptyDirs never reach their sizeLimit, so the kubelet never
 * evicts the pod for local files.
 */
export function logGroomer(env: EnvironmentConfig, props: LogGroomerProps): k8s.Container {
  const minutes = env.logging.localRetentionMinutes;
  const kib = (mib: number) => Math.floor(mib * 1024);
  const layout = bundleLayout(DAG_BUNDLE_STORAGE);
  // The kernel drops a signal sent to PID 1 that PID 1 neither catches nor blocks, and the kubelet sends SIGTERM
  // once: a pod deleted while the groomer's bash was still starting (before its trap) waited out its whole grace
  // period, an hour on workers (seen on the local cluster: a worker evicted 1 s after it started). An init as
  // PID 1 has the same window, only shorter; so the pod shares one process namespace (airflow-component.ts), the
  // pause container is PID 1, and a SIGTERM ends bash with or without its trap. The trap makes that exit 0.
  const loop = [
    'set -u',
    "trap 'exit 0' TERM",
    // Oldest files first until the folder's `du` is within the budget (KiB).
    'trim_logs() {',
    '  local used; used=$(du -sk "$1" | cut -f1)',
    '  while [ "$used" -gt "$2" ] && read -r _ k f; do rm -f -- "$f" && used=$((used - k)); done \\',
    `    < <(find "$1" -type f ! -name .groomer-heartbeat -printf '%T@ %k %p\\n' | sort -n)`,
    '}',
    // Least recently used idle version first (a tracking file's mtime is the version's last use).
    'trim_bundles() {',
    '  [ -d "$1" ] || return 0',
    '  local used; used=$(du -sk "$1" | cut -f1)',
    '  while [ "$used" -gt "$2" ] && read -r _ t; do',
    `    flock -xn "$t" rm -rf -- "${layout.versions}/\${t##*/}" "$t" && used=$(du -sk "$1" | cut -f1)`,
    `  done < <(find ${layout.tracking} -maxdepth 1 -type f -printf '%T@ %p\\n' 2>/dev/null | sort -n)`,
    '}',
    'while true; do',
    `  find ${LOCAL_LOGS} -type f ! -name .groomer-heartbeat -mmin +${minutes} -delete`,
    `  trim_logs ${LOCAL_LOGS} ${kib(props.logsLimitMiB * GROOMED_LOGS_SHARE)}`,
    `  find ${LOCAL_LOGS} -mindepth 1 -type d -empty -delete`,
    ...(props.bundles ? [`  trim_bundles ${DAG_BUNDLE_STORAGE} ${kib(props.bundles.targetMiB)}`] : []),
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
    volumeMounts: [
      { name: props.logsVolume, mountPath: LOCAL_LOGS },
      ...(props.bundles ? [{ name: props.bundles.volume, mountPath: DAG_BUNDLE_STORAGE }] : []),
    ],
  };
}
