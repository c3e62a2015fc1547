import type { EnvironmentConfig } from '../config';
import { memoryMiB } from '../config/worker-memory';
import { DAG_BUNDLE_NAME } from './dag-bundle';

/**
 * Disk of the DAG bundle storage (the `dag-bundles` emptyDir of the dag-processor and the workers), bounded by
 * count and age (Airflow's own stale-bundle cleanup, tightened below) and by size (the groomer's bundle step,
 * log-groomer.ts), and sized from `dags.repositorySize`:
 *   - the bare clone and the tracking clone: one copy each;
 *   - every version in use (a shared flock on its tracking file: nobody may delete it): at most one per Celery slot on
 *     a worker, one per parsing process on the dag-processor (it runs DAG callbacks at their run's version);
 *   - BUNDLE_VERSIONS_KEPT idle versions (a retry or the next run of the same commit finds its checkout).
 * Each counts as one `repositorySize` (a version is a checkout without .git: smaller than a clone).
 */

/** Airflow's `stale_bundle_cleanup_min_versions`: idle versions kept however old (its default keeps 10). */
export const BUNDLE_VERSIONS_KEPT = 2;
/** Airflow's `stale_bundle_cleanup_age_threshold`: an idle version may go this long after its last use (default 6 h). */
export const BUNDLE_VERSION_IDLE_SECONDS = 1800;
/** Airflow's `stale_bundle_cleanup_interval`: seconds between its cleanup passes (default 1800). */
export const BUNDLE_CLEANUP_INTERVAL_SECONDS = 300;
/** Room above the groomer's target for versions cloned between two of its passes, as a share of the target. */
export const BUNDLE_DISK_HEADROOM = 0.25;

/** `[dag_processor] stale_bundle_cleanup_*`: count and age bounds, run by the dag-processor and every Celery worker. */
export function bundleCleanupSettings(): Record<string, string> {
  return {
    AIRFLOW__DAG_PROCESSOR__STALE_BUNDLE_CLEANUP_INTERVAL: String(BUNDLE_CLEANUP_INTERVAL_SECONDS),
    AIRFLOW__DAG_PROCESSOR__STALE_BUNDLE_CLEANUP_AGE_THRESHOLD: String(BUNDLE_VERSION_IDLE_SECONDS),
    AIRFLOW__DAG_PROCESSOR__STALE_BUNDLE_CLEANUP_MIN_VERSIONS: String(BUNDLE_VERSIONS_KEPT),
  };
}

/** The size bound of one pod's bundle storage. */
export interface BundleDisk {
  /** Above this many MiB the groomer deletes idle versions, least recently used first. */
  readonly targetMiB: number;
  /** The emptyDir's sizeLimit, MiB: the target plus headroom (past it the kubelet evicts the pod). */
  readonly limitMiB: number;
}

/** `versionsInUse`: Celery slots of a worker, `airflow.parsingProcesses` for the dag-processor (a version each at most). */
export function bundleDisk(env: Pick<EnvironmentConfig, 'dags'>, versionsInUse: number): BundleDisk {
  const copy = memoryMiB(env.dags.repositorySize);
  const copies = 2 + versionsInUse + BUNDLE_VERSIONS_KEPT;
  const targetMiB = copy * copies;
  return { targetMiB, limitMiB: Math.ceil(targetMiB * (1 + BUNDLE_DISK_HEADROOM)) };
}

/** Where Airflow keeps a bundle's versions and their tracking (lock) files, under the storage root. */
export function bundleLayout(storage: string): { readonly versions: string; readonly tracking: string } {
  return { versions: `${storage}/${DAG_BUNDLE_NAME}/versions`, tracking: `${storage}/_tracking/${DAG_BUNDLE_NAME}` };
}
