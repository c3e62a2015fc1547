import { environment, find, render } from '../support/render';

describe('database migration Job', () => {
  const env = environment('prod', { airflow: { pools: { db_heavy: 4 }, defaultPoolSlots: 200 } });
  const objs = render([env]);
  const job = find(objs, 'Job', 'airflow-migrate');
  const container = job.spec.template.spec.containers[0];

  test('runs as an Argo CD PreSync hook, before any Airflow pod of the sync, and is replaced on each sync', () => {
    expect(job.metadata.annotations).toMatchObject({ 'argocd.argoproj.io/hook': 'PreSync', 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation' });
    const sa = find(objs, 'ServiceAccount', 'airflow-migrate');
    expect(Number(sa.metadata.annotations!['argocd.argoproj.io/sync-wave'])).toBeLessThan(Number(job.metadata.annotations!['argocd.argoproj.io/sync-wave']));
  });

  test('migrates, then only creates what is missing: the admin (password from its file) and the configured pools', () => {
    const script: string = container.args[2];
    expect(script).toMatch(/^set -eu\nairflow db migrate\n/);
    expect(script).toContain(`--password "$(cat '/opt/airflow/secrets/airflow/admin-password')"`);
    expect(script).not.toContain('reset-password');
    expect(script).not.toContain("pools set 'default_pool'");
    expect(script).toContain("else airflow pools set 'db_heavy' 4");
    expect(container.env.filter((e: any) => e.valueFrom)).toEqual([]);
    expect(container.volumeMounts).toContainEqual({ name: 'airflow-secrets', mountPath: '/opt/airflow/secrets/airflow', readOnly: true });
  });

  test('carries the same settings as the ConfigMap inline (the ConfigMap does not exist yet on a first sync)', () => {
    const config = find(objs, 'ConfigMap', 'airflow-config');
    const inline = Object.fromEntries(container.env.filter((e: any) => !e.name.endsWith('_CMD')).map((e: any) => [e.name, e.value]));
    expect(inline).toEqual(config.data);
    expect(config.data!.AIRFLOW__CORE__DEFAULT_POOL_TASK_SLOT_COUNT).toBe('200');
    expect(container.envFrom).toBeUndefined();
  });
});
