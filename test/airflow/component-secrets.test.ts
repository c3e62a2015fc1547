import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadEnvironments } from '../../manifests-src/config';
import { VENV_BIN } from '../../local/stack';
import { find, parseFiles, podSpecOf, type K8sObject, type RenderedObject } from '../support/render';

/** The committed dist/ of one environment, parsed. */
function committed(env: string): RenderedObject[] {
  const dist = path.resolve(__dirname, '../../dist');
  const files = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else files.set(path.relative(dist, p), fs.readFileSync(p, 'utf8'));
    }
  };
  walk(path.join(dist, env));
  return parseFiles(files);
}

/**
 * The allowed table, written out here on purpose (not imported from the generator): what each Airflow
 * process may receive of Secrets `airflow-metadata`, `airflow-broker`, `airflow-git` and the generated secrets.
 */
const ALLOWED: Record<string, string[]> = {
  'Deployment/airflow-api-server': ['airflow-api-secret-key/api-secret-key', 'airflow-fernet-key/fernet-key', 'airflow-jwt-key-set/jwt-key-set.json', 'airflow-jwt-signing-key/jwt-signing-key.pem', 'airflow-metadata/sql-alchemy-conn'],
  'Deployment/airflow-scheduler': ['airflow-broker/broker-url', 'airflow-broker/result-backend', 'airflow-fernet-key/fernet-key', 'airflow-jwt-signing-key/jwt-signing-key.pem', 'airflow-metadata/sql-alchemy-conn'],
  'Deployment/airflow-dag-processor': ['airflow-fernet-key/fernet-key', 'airflow-git/*', 'airflow-metadata/sql-alchemy-conn'],
  'Deployment/airflow-triggerer': ['airflow-api-secret-key/api-secret-key', 'airflow-fernet-key/fernet-key', 'airflow-metadata/sql-alchemy-conn'],
  // User code runs here: no database URL, no Fernet key, no JWT signing secret.
  'Deployment/airflow-worker': ['airflow-api-secret-key/api-secret-key', 'airflow-broker/broker-url', 'airflow-broker/result-backend', 'airflow-git/*'],
  'Job/airflow-migrate': ['airflow-admin-password/admin-password', 'airflow-fernet-key/fernet-key', 'airflow-metadata/migrate-sql-alchemy-conn'],
};

/** Every Secret key a workload's pod can read: volumes (secret, projected) and env (secretKeyRef, secretRef). */
function secretKeysOf(obj: K8sObject): { keys: string[]; viaEnv: string[] } {
  const spec = podSpecOf(obj)!;
  const keys: string[] = [];
  const viaEnv: string[] = [];
  const fromSecret = (name: string, items?: { key: string }[]) => (items ? items.map((i) => `${name}/${i.key}`) : [`${name}/*`]);
  for (const v of spec.volumes ?? []) {
    if (v.secret) keys.push(...fromSecret(v.secret.secretName, v.secret.items));
    for (const src of v.projected?.sources ?? []) if (src.secret) keys.push(...fromSecret(src.secret.name, src.secret.items));
  }
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
    for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef) viaEnv.push(`${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`);
    for (const e of c.envFrom ?? []) if (e.secretRef) viaEnv.push(`${e.secretRef.name}/*`);
  }
  return { keys: [...new Set([...keys, ...viaEnv])].sort(), viaEnv };
}

describe.each(['dev', 'prod', 'prod-cn'])('least secrets per component in the committed dist/%s', (envName) => {
  const objs = committed(envName);
  const airflow = objs.filter((o) => ['Deployment', 'Job'].includes(o.obj.kind) && o.obj.metadata.name.startsWith('airflow-') && o.obj.metadata.name !== 'airflow-statsd');

  test('every Airflow workload is in the allowed table and receives exactly its row, none of it through env', () => {
    expect(airflow.map((o) => `${o.obj.kind}/${o.obj.metadata.name}`).sort()).toEqual(Object.keys(ALLOWED).sort());
    for (const o of airflow) {
      const id = `${o.obj.kind}/${o.obj.metadata.name}`;
      const { keys, viaEnv } = secretKeysOf(o.obj);
      expect([id, keys]).toEqual([id, ALLOWED[id]]);
      expect([id, viaEnv]).toEqual([id, []]);
    }
  });

  test('Reloader rolls a workload only for Secrets whose every key it reads (a key it does not read never restarts it)', () => {
    const secretKeys = new Map<string, string[]>();
    for (const es of objs.filter((o) => o.obj.kind === 'ExternalSecret').map((o) => o.obj)) {
      const template = es.spec.target.template?.data;
      secretKeys.set(es.spec.target.name, template ? Object.keys(template) : es.spec.dataFrom ? ['*'] : es.spec.data.map((d: any) => d.secretKey));
    }
    // Declared exception: the database Secret is rendered by one ExternalSecret so its URLs and PgBouncer's files
    // always agree (K8S_SECRETS.metadata); a login rotation rolls these components, none of which runs a task.
    const EXCEPTIONS = new Set(['api-server', 'scheduler', 'dag-processor', 'triggerer'].map((c) => `Deployment/airflow-${c} airflow-metadata`));
    const unread: string[] = [];
    for (const o of airflow.filter((x) => x.obj.kind === 'Deployment')) {
      const id = `${o.obj.kind}/${o.obj.metadata.name}`;
      const read = new Set(secretKeysOf(o.obj).keys);
      const watched = (o.obj.metadata.annotations?.['secret.reloader.stakater.com/reload'] ?? '').split(',').filter(Boolean);
      for (const name of watched) {
        if (EXCEPTIONS.has(`${id} ${name}`) || read.has(`${name}/*`)) continue;
        unread.push(...(secretKeys.get(name) ?? ['(no ExternalSecret)']).filter((k) => !read.has(`${name}/${k}`)).map((k) => `${id} restarts on ${name}/${k}`));
      }
    }
    expect(unread).toEqual([]);
  });

  test('secret files are read-only, group-readable through fsGroup only, and Airflow reads them with _CMD', () => {
    for (const o of airflow) {
      const spec = podSpecOf(o.obj)!;
      const c = spec.containers[0];
      const vol = spec.volumes.find((v: any) => v.name === 'airflow-secrets');
      expect(vol.projected.defaultMode).toBe(0o440);
      expect(spec.securityContext.fsGroup).toBeDefined();
      const mount = c.volumeMounts.find((m: any) => m.name === 'airflow-secrets');
      expect(mount.readOnly).toBe(true);
      const files = vol.projected.sources.flatMap((s: any) => s.secret.items.map((i: any) => i.path));
      for (const e of c.env.filter((x: any) => x.name.endsWith('_CMD'))) {
        const m = /^cat (\/\S+)\/([^/]+)$/.exec(e.value)!;
        expect([e.name, m[1], files.includes(m[2])]).toEqual([e.name, mount.mountPath, true]);
      }
    }
  });
});

describe('Airflow really reads secret options from the files (the worker pod\'s settings, real Airflow config)', () => {
  test('the worker resolves the broker and result backend from files and has no database URL, Fernet key or JWT secret', () => {
    const objs = committed('prod');
    const config = find(objs, 'ConfigMap', 'airflow-config').data!;
    const worker = podSpecOf(find(objs, 'Deployment', 'airflow-worker'))!;
    const c = worker.containers[0];
    const mount = c.volumeMounts.find((m: any) => m.name === 'airflow-secrets').mountPath;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airflow-secrets-'));
    const items = worker.volumes.find((v: any) => v.name === 'airflow-secrets').projected.sources.flatMap((s: any) => s.secret.items);
    for (const i of items) fs.writeFileSync(path.join(dir, i.path), `value-of-${i.key}`, { mode: 0o400 });
    const env: Record<string, string> = { PATH: process.env.PATH!, AIRFLOW_HOME: dir, ...config };
    for (const e of c.env) if (e.value !== undefined) env[e.name] = e.value.split(mount).join(dir);
    const script = [
      'import json',
      'from airflow.configuration import conf',
      "g = lambda s, k: conf.get(s, k, fallback=None)",
      "print(json.dumps({'broker': g('celery', 'broker_url'), 'result': g('celery', 'result_backend'), 'api': g('api', 'secret_key'),",
      "  'fernet': g('core', 'fernet_key'), 'jwt': g('api_auth', 'jwt_secret'), 'db': g('database', 'sql_alchemy_conn'),",
      "  'issuer': g('api_auth', 'jwt_issuer'), 'audience': g('api_auth', 'jwt_audience'), 'sync': conf.getint('celery', 'sync_parallelism')}))",
    ].join('\n');
    const r = spawnSync(path.join(VENV_BIN, 'python'), ['-W', 'ignore', '-c', script], { env, encoding: 'utf8', timeout: 120_000 });
    fs.rmSync(dir, { recursive: true, force: true });
    expect(r.status).toBe(0);
    const seen = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(seen).toMatchObject({ broker: 'value-of-broker-url', result: 'value-of-result-backend', api: 'value-of-api-secret-key', issuer: 'https://airflow.example.com/', audience: 'airflow-eks:airflow-prod:airflow', sync: loadEnvironments().find((e) => e.name === 'prod')!.airflow.celerySyncParallelism });
    // Not configured at all: Airflow's defaults (no Fernet key, no JWT secret, its built-in SQLite URL).
    expect(seen.fernet ?? '').toBe('');
    expect(seen.jwt ?? '').toBe('');
    expect(seen.db ?? '').not.toMatch(/postgres/);
  }, 120_000);
});
