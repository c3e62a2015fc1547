import * as path from 'node:path';
import { loadEnvironments } from '../../manifests-src/config';
import { readTree } from '../../manifests-src/validate/drift';
import { parseFiles } from '../support/render';

/** Office hours as committed in dist/: KEDA cron triggers own the fixed components' replicas in dev only. */
const envs = loadEnvironments();
const all = parseFiles(readTree(path.join(__dirname, '..', '..', 'dist')));
const FIXED = ['airflow-api-server', 'airflow-scheduler', 'airflow-dag-processor', 'airflow-triggerer', 'pgbouncer'];

describe.each(envs.map((e) => [e.name, e] as const))('%s', (name, env) => {
  const objs = all.filter((o) => o.env === name);
  const cron = objs.filter((o) => o.obj.kind === 'ScaledObject' && o.obj.spec.triggers.some((t: any) => t.type === 'cron'));
  const deployment = (n: string) => objs.find((o) => o.obj.kind === 'Deployment' && o.obj.metadata.name === n)!.obj;

  test(env.officeHours.enabled ? 'every DB client scales to zero outside the window, by cron only' : 'no office hours: fixed replicas, no cron', () => {
    if (!env.officeHours.enabled) {
      expect(cron).toHaveLength(0);
      for (const n of FIXED) expect(deployment(n).spec.replicas).toBeGreaterThanOrEqual(1);
      return;
    }
    expect(cron.map((o) => o.obj.spec.scaleTargetRef.name).sort()).toEqual([...FIXED].sort());
    for (const { obj } of cron) {
      expect(obj.spec.minReplicaCount).toBe(0);
      // Only the cron trigger: nothing here polls the database, so it can pause.
      expect(obj.spec.triggers).toEqual([{ type: 'cron', metadata: { timezone: env.officeHours.timezone, start: env.officeHours.start, end: env.officeHours.end, desiredReplicas: String(obj.spec.maxReplicaCount) } }]);
      expect(deployment(obj.spec.scaleTargetRef.name).spec.replicas).toBeUndefined();
    }
    const scheduler = cron.find((o) => o.obj.spec.scaleTargetRef.name === 'airflow-scheduler')!;
    expect(scheduler.obj.spec.maxReplicaCount).toBe(env.components.scheduler.replicas);
    // KEDA's worker query reaches the database only through PgBouncer, which is at zero outside the window.
    const secret = objs.find((o) => o.obj.kind === 'ExternalSecret' && JSON.stringify(o.obj).includes('keda-connection'))!;
    expect(JSON.stringify(secret.obj)).toMatch(/keda-connection[^,]*@pgbouncer\./);
    expect(env.infra.database.minCapacityAcu).toBe(0);
  });
});
