import { k8s } from 'cdk8s-plus-33';
import type { EnvironmentConfig } from '../config';
import { dagRepoUrl, imageRef, K8S_SECRETS } from '../config';
import { containerSecurityContext } from '../hardening/workload-defaults';
import { GIT_SYNC_LINK, GIT_SYNC_ROOT } from './airflow-settings';

/** Volume git-sync writes into and Airflow reads (emptyDir: it survives container restarts in the pod). */
export const DAGS_VOLUME = 'dags';
const CREDENTIALS_VOLUME = 'git-credentials';
const CREDENTIALS_MOUNT = '/etc/git-secret';
/** git-sync's image user; the pod's fsGroup gives it write access to the shared volume. */
export const GIT_SYNC_UID = 65533;

/**
 * git-sync v4 (GITSYNC_* variables: the v3 GIT_SYNC_* names are silently ignored by v4).
 * An init container does the first sync so Airflow never starts on an empty folder; a native sidecar
 * keeps pulling. git-sync swaps a symlink atomically, so a failed fetch leaves the last good DAGs in place,
 * and it retries forever (max failures -1) instead of crash-looping the pod.
 */
export class GitSync {
  constructor(private readonly env: EnvironmentConfig) {}

  private environment(oneTime: boolean): k8s.EnvVar[] {
    const d = this.env.dags;
    const vars: k8s.EnvVar[] = [
      { name: 'GITSYNC_REPO', value: dagRepoUrl(this.env) },
      { name: 'GITSYNC_REF', value: d.branch },
      { name: 'GITSYNC_ROOT', value: GIT_SYNC_ROOT },
      { name: 'GITSYNC_LINK', value: GIT_SYNC_LINK },
      { name: 'GITSYNC_DEPTH', value: '1' },
      { name: 'GITSYNC_PERIOD', value: `${d.syncPeriodSeconds}s` },
      { name: 'GITSYNC_SYNC_TIMEOUT', value: '120s' },
      { name: 'GITSYNC_MAX_FAILURES', value: oneTime ? '3' : '-1' },
      { name: 'GITSYNC_ONE_TIME', value: oneTime ? 'true' : 'false' },
    ];
    const git = K8S_SECRETS.git;
    if (d.auth === 'https') {
      vars.push(
        { name: 'GITSYNC_USERNAME', valueFrom: { secretKeyRef: { name: git.name, key: git.keys.username } } },
        { name: 'GITSYNC_PASSWORD', valueFrom: { secretKeyRef: { name: git.name, key: git.keys.password } } },
      );
    } else if (d.auth === 'ssh') {
      vars.push(
        { name: 'GITSYNC_SSH_KEY_FILE', value: `${CREDENTIALS_MOUNT}/${git.keys.sshKey}` },
        { name: 'GITSYNC_SSH_KNOWN_HOSTS', value: 'true' },
        { name: 'GITSYNC_SSH_KNOWN_HOSTS_FILE', value: `${CREDENTIALS_MOUNT}/${git.keys.knownHosts}` },
      );
    }
    return vars;
  }

  private container(name: string, oneTime: boolean): k8s.Container {
    const mounts: k8s.VolumeMount[] = [{ name: DAGS_VOLUME, mountPath: GIT_SYNC_ROOT }];
    if (this.env.dags.auth === 'ssh') mounts.push({ name: CREDENTIALS_VOLUME, mountPath: CREDENTIALS_MOUNT, readOnly: true });
    return {
      name,
      image: imageRef(this.env, 'gitSync'),
      env: this.environment(oneTime),
      volumeMounts: mounts,
      securityContext: containerSecurityContext({ runAsUser: GIT_SYNC_UID }),
      resources: {
        requests: { cpu: k8s.Quantity.fromString('50m'), memory: k8s.Quantity.fromString('64Mi') },
        limits: { cpu: k8s.Quantity.fromString('200m'), memory: k8s.Quantity.fromString('256Mi') },
      },
    };
  }

  /** Init containers: a one-shot sync, then the long-running native sidecar (restartPolicy Always). */
  initContainers(): k8s.Container[] {
    return [this.container('git-sync-init', true), { ...this.container('git-sync', false), restartPolicy: 'Always' }];
  }

  volumes(): k8s.Volume[] {
    const vols: k8s.Volume[] = [{ name: DAGS_VOLUME, emptyDir: { sizeLimit: k8s.Quantity.fromString('1Gi') } }];
    if (this.env.dags.auth === 'ssh') vols.push({ name: CREDENTIALS_VOLUME, secret: { secretName: K8S_SECRETS.git.name, defaultMode: 0o440 } });
    return vols;
  }

  /** Read-only view for Airflow containers. */
  mount(): k8s.VolumeMount {
    return { name: DAGS_VOLUME, mountPath: GIT_SYNC_ROOT, readOnly: true };
  }
}
