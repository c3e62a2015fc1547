import { k8s } from 'cdk8s-plus-33';
import type { EnvironmentConfig } from '../config';
import { K8S_SECRETS } from '../config';
import { DAG_BUNDLE_STORAGE } from './airflow-settings';
import { dagBundleCloneSettings, GIT_SECRET_MOUNT } from './dag-bundle';
import { bundleDisk, type BundleDisk } from './dag-bundle-disk';

export const STORAGE_VOLUME = 'dag-bundles';
const CREDENTIALS_VOLUME = 'git-credentials';

/**
 * What a pod that clones the DAG bundle needs: a writable emptyDir for clones and versions, and the
 * `airflow-git` Secret (connections file, SSH key) mounted read-only, group-readable through fsGroup only.
 * The storage is sized from `dags.repositorySize` and the pod's Celery slots (dag-bundle-disk.ts).
 */
export class DagBundleVolumes {
  readonly disk: BundleDisk;

  /** `versionsInUse`: bundle versions the pod's processes may hold at once (bundleDisk). */
  constructor(
    private readonly env: EnvironmentConfig,
    versionsInUse: number,
  ) {
    this.disk = bundleDisk(env, versionsInUse);
  }

  private get hasCredentials(): boolean {
    return this.env.dags.auth !== 'none';
  }

  volumes(): k8s.Volume[] {
    return [
      { name: STORAGE_VOLUME, emptyDir: { sizeLimit: k8s.Quantity.fromString(`${this.disk.limitMiB}Mi`) } },
      ...(this.hasCredentials ? [{ name: CREDENTIALS_VOLUME, secret: { secretName: K8S_SECRETS.git.name, defaultMode: 0o440 } }] : []),
    ];
  }

  mounts(): k8s.VolumeMount[] {
    return [
      { name: STORAGE_VOLUME, mountPath: DAG_BUNDLE_STORAGE },
      ...(this.hasCredentials ? [{ name: CREDENTIALS_VOLUME, mountPath: GIT_SECRET_MOUNT, readOnly: true }] : []),
    ];
  }

  /** Secrets the pod mounts (it rolls when they change). */
  secrets(): string[] {
    return this.hasCredentials ? [K8S_SECRETS.git.name] : [];
  }

  /** The secrets backend reading the connections file (or the plain connection without credentials). */
  settings(): Record<string, string> {
    return dagBundleCloneSettings(this.env);
  }
}
