import * as path from 'node:path';
import { COMPONENTS, loadEnvironments, SECRET_SETTINGS, SERVICE_ACCOUNTS, type ComponentName, type ComponentSpec } from '../../manifests-src/config';
import { readTree } from '../../manifests-src/validate/drift';
import { parseFiles, podSpecOf, type RenderedObject } from '../support/render';

/**
 * The component registry (contract.ts) against the committed dist/: each entry's workload ships in its group
 * with its service account, container ports, Service and secret files, and no workload ships unregistered.
 */
const envs = loadEnvironments();
const all = parseFiles(readTree(path.join(__dirname, '..', '..', 'dist')));
const names = Object.keys(COMPONENTS) as ComponentName[];
const spec = (c: ComponentName): ComponentSpec => COMPONENTS[c];

function workloadOf(env: string, c: ComponentName): RenderedObject | undefined {
  return all.find((o) => o.env === env && ['Deployment', 'Job'].includes(o.obj.kind) && o.obj.metadata.name === spec(c).workload);
}

const cases = envs.flatMap((env) => names.filter((c) => c !== 'worker-long' || env.workers.longTasks.enabled).map((c) => [env.name, c] as const));

test.each(cases)('%s: %s ships in its group with its service account and ports', (env, c) => {
  const w = workloadOf(env, c);
  expect(w).toBeDefined();
  expect(w!.group).toBe(spec(c).group);
  const pod = podSpecOf(w!.obj);
  expect(pod.serviceAccountName).toBe(spec(c).serviceAccount);
  const ports = Object.fromEntries(pod.containers.flatMap((k: { ports?: { name: string; containerPort: number }[] }) => k.ports ?? []).map((p: { name: string; containerPort: number }) => [p.name, p.containerPort]));
  expect(ports).toMatchObject(spec(c).ports);
});

test.each(cases)('%s: %s has its Service and, as an Airflow process, exactly its secret files', (env, c) => {
  const s = spec(c);
  if (s.service) expect(all.some((o) => o.env === env && o.obj.kind === 'Service' && o.obj.metadata.name === s.service)).toBe(true);
  const volume = podSpecOf(workloadOf(env, c)!.obj).volumes?.find((v: { projected?: unknown }) => v.projected);
  if (!s.airflow) return expect(volume).toBeUndefined();
  const keys = volume.projected.sources.flatMap((src: { secret: { items: { key: string }[] } }) => src.secret.items.map((i) => i.key)).sort();
  expect(keys).toEqual(s.airflow.secrets.map((n) => SECRET_SETTINGS[n].key).sort());
});

test('every workload of the Airflow and PgBouncer groups is in the registry', () => {
  const registered = new Set(names.map((c) => spec(c).workload));
  const unregistered = all.filter((o) => ['airflow', 'pgbouncer'].includes(o.group) && ['Deployment', 'Job', 'StatefulSet', 'DaemonSet'].includes(o.obj.kind) && !registered.has(o.obj.metadata.name));
  expect(unregistered.map((o) => `${o.file} ${o.obj.kind}/${o.obj.metadata.name}`)).toEqual([]);
});

test('the service accounts infra/ associates with AWS are the registry components marked aws', () => {
  for (const c of names) {
    const listed = Object.values(SERVICE_ACCOUNTS).find((sa) => sa.name === spec(c).serviceAccount);
    expect([c, listed?.aws]).toEqual([c, spec(c).aws]);
  }
});
