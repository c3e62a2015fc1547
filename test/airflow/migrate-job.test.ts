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

  test('migrates, ensures the admin with the password from the secret, and sets pools from the config', () => {
    const script: string = container.args[2];
    expect(script).toMatch(/^set -eu\nairflow db migrate\n/);
    expect(script).toContain('--password "$AIRFLOW_ADMIN_PASSWORD"');
    expect(script).toContain("airflow pools set 'default_pool' 200");
    expect(script).toContain("airflow pools set 'db_heavy' 4");
    expect(container.env.find((e: any) => e.name === 'AIRFLOW_ADMIN_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'airflow-core', key: 'admin-password' });
  });

  test('carries the same settings as the ConfigMap inline (the ConfigMap does not exist yet on a first sync)', () => {
    const config = find(objs, 'ConfigMap', 'airflow-config');
    const inline = Object.fromEntries(container.env.filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]));
    expect(inline).toEqual(config.data);
    expect(container.envFrom).toBeUndefined();
  });
});
