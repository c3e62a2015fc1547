/**
 * What an exec probe costs, measured: `npm run measure:probes` runs each exec probe command of dist/ inside a
 * cgroup whose CPU quota is the container's limit (docs/reliability.md). On a 2-core machine at load 30 to 50:
 * `airflow jobs check --local` and `celery inspect ping` took 13.2 to 28.4 s wall and 2.7 to 3.0 CPU-seconds
 * per run under the 500m, 1 and 2 CPU limits of dev and prod (at least 5.8 s at 500m even on an idle node).
 */
export const MEASURED_EXEC_PROBE = { maxWallSeconds: 28.4, cpuSecondsPerRun: 3.0 } as const;

/** Timeout: twice the slowest measured run, so a busy node does not fail a healthy pod. */
export const EXEC_PROBE_TIMEOUT_SECONDS = Math.ceil(2 * MEASURED_EXEC_PROBE.maxWallSeconds);

/**
 * Period: at 3 CPU-seconds per run, every 90 s costs about 3% of a core (7% of a 500m limit); the
 * previous liveness + readiness pair every 60 s cost 3x that. Three failures: a hung process restarts
 * within about 5 minutes.
 */
export const EXEC_PROBE_PERIOD_SECONDS = 90;
export const EXEC_PROBE_FAILURES = 3;

/**
 * A Celery worker's start, container start to Celery's `ready.`, measured on the local cluster (dev, 1 CPU limit,
 * cluster test 3, 2026-11-26): 5.9, 6.4 and 7.4 s. Its startup probe (a Celery ping: 3 CPU-s when measured, 0.4
 * since it no longer starts Airflow) waits a quarter longer than the slowest, so the first ping comes after Celery's
 * start instead of competing with it (none of five workers observed before this became Ready on a ping sent at its
 * start: Ready after 36-150 s).
 */
export const MEASURED_WORKER_START_SECONDS = [5.9, 6.4, 7.4] as const;
export const WORKER_FIRST_PROBE_AFTER_SECONDS = Math.ceil(1.25 * Math.max(...MEASURED_WORKER_START_SECONDS));
