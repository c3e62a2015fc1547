import * as os from 'node:os';
import { airflowCommands, airflowEnvironment, kubernetesEndpoints } from '../../manifests-src/airflow/airflow-settings';
import { loadEnvironments } from '../../manifests-src/config';
import { armStackOptions, benchmarkArms } from '../../bench/arms';

describe('benchmark arms change one thing at a time', () => {
  const dev = loadEnvironments().find((e) => e.name === 'dev')!;
  const arms = Object.fromEntries(benchmarkArms(dev).map((a) => [a.id, a]));
  const settings = (id: string) => airflowEnvironment(arms[id].env, kubernetesEndpoints(arms[id].env)).plain;

  test('stock and stock+PgBouncer differ only in the database path', () => {
    expect(arms.stock.env).toEqual(arms['stock+pgbouncer'].env);
    expect(arms.stock.schedulers).toBe(arms['stock+pgbouncer'].schedulers);
    expect([arms.stock.viaPgBouncer, arms['stock+pgbouncer'].viaPgBouncer]).toEqual([false, true]);
    expect([arms.stock.resultBackend, arms['stock+pgbouncer'].resultBackend]).toEqual(['database', 'database']);
  });

  test('stock carries Airflow 3 defaults for the settings this project tunes, with the same worker slots', () => {
    expect(settings('stock')).toMatchObject({
      AIRFLOW__CORE__PARALLELISM: '32',
      AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG: '16',
      AIRFLOW__CORE__MAX_ACTIVE_RUNS_PER_DAG: '16',
      AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL: '300',
      AIRFLOW__SCHEDULER__ORPHANED_TASKS_CHECK_INTERVAL: '300',
      AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT: '600',
      AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT: '300',
      AIRFLOW__CELERY__SYNC_PARALLELISM: String(Math.max(1, os.cpus().length - 1)),
      AIRFLOW__API__WORKERS: '1',
    });
    expect(settings('stock').AIRFLOW__CELERY__WORKER_CONCURRENCY).toBe(settings('project').AIRFLOW__CELERY__WORKER_CONCURRENCY);
    expect(airflowCommands(arms.stock.env).worker).not.toContain('--without-gossip');
  });

  test('the project arm is the committed config, as the manifests use it', () => {
    expect(arms.project.env).toEqual(dev);
    expect(airflowCommands(arms.project.env).worker).toEqual(expect.arrayContaining(['--without-gossip', '--without-mingle']));
    expect(arms.project.schedulers).toBe(dev.components.scheduler.replicas);
  });

  test('each ablation undoes exactly the change it names', () => {
    expect(arms['project-gossip'].env).toEqual({ ...dev, workers: { ...dev.workers, gossip: true } });
    expect(arms['project-sync-parallelism'].env).toEqual({ ...dev, airflow: { ...dev.airflow, celerySyncParallelism: arms.stock.env.airflow.celerySyncParallelism } });
  });

  test('the alternatives change one setting of the project arm: api-server workers, result backend', () => {
    expect(settings('project-api-workers-2')).toEqual({ ...settings('project'), AIRFLOW__API__WORKERS: '2' });
    expect(arms['project-result-backend-db'].env).toEqual(dev);
    expect([arms.project.resultBackend, arms['project-result-backend-db'].resultBackend]).toEqual(['redis', 'database']);
  });

  test('the two-scheduler arm runs two schedulers sharing the in-flight cap the config derives for two', () => {
    const two = arms['project-schedulers-2'];
    expect(two.schedulers).toBe(2);
    expect(dev.components.scheduler.replicas).toBe(1);
    expect(Number(settings('project-schedulers-2').AIRFLOW__CORE__PARALLELISM)).toBe(Math.ceil(Number(settings('project').AIRFLOW__CORE__PARALLELISM) / 2));
    expect(two.env.workers).toEqual(dev.workers);
  });

  test('the DAG bundle preload is on in the project, off in stock and in its ablation', () => {
    expect([arms.project.env.workers.preloadDagBundle, arms.stock.env.workers.preloadDagBundle, arms['project-no-bundle-preload'].env.workers.preloadDagBundle]).toEqual([true, false, false]);
    expect(settings('project-no-bundle-preload')).toEqual(Object.fromEntries(Object.entries(settings('project')).filter(([k]) => k !== 'AIRFLOW__CELERY__EXTRA_CELERY_CONFIG')));
  });

  test('the log-upload arm is the project with the remote log switch of its settings off, every other arm uploads', () => {
    const noLogs = armStackOptions(arms['project-no-remote-logs']);
    expect(noLogs).toEqual({ ...armStackOptions(arms.project), airflowOverrides: expect.any(Object) });
    // The override names a setting the project sets, and turns it off.
    expect(settings('project').AIRFLOW__LOGGING__REMOTE_LOGGING).toBe('True');
    expect(noLogs.airflowOverrides).toEqual({ AIRFLOW__LOGGING__REMOTE_LOGGING: 'False' });
    const others = Object.values(arms).filter((a) => a.id !== 'project-no-remote-logs');
    expect(others.filter((a) => armStackOptions(a).airflowOverrides !== undefined).map((a) => a.id)).toEqual([]);
  });
});
