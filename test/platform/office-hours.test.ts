import * as path from 'node:path';
import { loadEnvironments, type EnvironmentConfig } from '../../manifests-src/config';
import { readTree } from '../../manifests-src/validate/drift';
import { environment, parseFiles, render, type RenderedObject } from '../support/render';

/** Office hours: KEDA cron triggers own the fixed components' replicas, and nothing left running polls the DB. */
const FIXED = ['airflow-api-server', 'airflow-scheduler', 'airflow-dag-processor', 'airflow-triggerer', 'pgbouncer'];
const cronOf = (objs: RenderedObject[]) => objs.filter((o) => o.obj.kind === 'ScaledObject' && o.obj.spec.triggers.some((t: any) => t.type === 'cron'));
const deployment = (objs: RenderedObject[], n: string) => objs.find((o) => o.obj.kind === 'Deployment' && o.obj.metadata.name === n)!.obj;

test('committed dist/: environments without office hours keep fixed replicas and no cron trigger', () => {
  const all = parseFiles(readTree(path.join(__dirname, '..', '..', 'dist')));
  for (const env of loadEnvironments().filter((e) => !e.officeHours.enabled)) {
    const objs = all.filter((o) => o.env === env.name);
    expect(cronOf(objs)).toHaveLength(0);
    for (const n of FIXED) expect(deployment(objs, n).spec.replicas).toBeGreaterThanOrEqual(1);
  }
});

test('with officeHours.enabled every database client scales to zero outside the window, by cron only', () => {
  const env: EnvironmentConfig = environment('dev', { officeHours: { enabled: true, timezone: 'Europe/Berlin', start: '30 7 * * 1-5', end: '0 18 * * 1-5' } });
  const objs = render([env]);
  const cron = cronOf(objs);
  expect(cron.map((o) => o.obj.spec.scaleTargetRef.name).sort()).toEqual([...FIXED].sort());
  for (const { obj } of cron) {
    expect(obj.spec.minReplicaCount).toBe(0);
    // Only the cron trigger: nothing here polls the database, so it can pause.
    expect(obj.spec.triggers).toEqual([{ type: 'cron', metadata: { timezone: 'Europe/Berlin', start: '30 7 * * 1-5', end: '0 18 * * 1-5', desiredReplicas: String(obj.spec.maxReplicaCount) } }]);
    expect(deployment(objs, obj.spec.scaleTargetRef.name).spec.replicas).toBeUndefined();
  }
  expect(cron.find((o) => o.obj.spec.scaleTargetRef.name === 'airflow-scheduler')!.obj.spec.maxReplicaCount).toBe(env.components.scheduler.replicas);
  // KEDA's worker query reaches the database only through PgBouncer, which is at zero outside the window.
  const secret = objs.find((o) => o.obj.kind === 'ExternalSecret' && JSON.stringify(o.obj).includes('keda-connection'))!;
  expect(JSON.stringify(secret.obj)).toMatch(/keda-connection[^,]*@pgbouncer\./);
});
