import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { loadEnvironments } from '../../manifests-src/config';
import { environments as committed } from '../../manifests-src/config/environments';
import { renderDist } from '../../manifests-src/synth';
import { replaceDirAtomically } from '../../manifests-src/write-atomic';

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

function synth(args: string[]) {
  return spawnSync(TSX, ['manifests-src/main.ts', ...args], { cwd: ROOT, encoding: 'utf8' });
}

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = fs.readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

describe('synth', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('is deterministic: two renders are byte-identical', () => {
    const a = renderDist(loadEnvironments());
    const b = renderDist(loadEnvironments());
    expect([...a.keys()]).toEqual([...b.keys()]);
    for (const [k, v] of a) expect(b.get(k)).toBe(v);
    expect([...a.values()].join('')).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/); // no timestamps
  });

  test('one folder per environment and Argo CD group', () => {
    const files = [...renderDist(loadEnvironments()).keys()];
    expect(new Set(files.map((f) => f.split('/').slice(0, 2).join('/')))).toEqual(
      new Set(['dev', 'prod', 'prod-cn'].flatMap((e) => ['platform', 'secrets', 'logging', 'pgbouncer', 'airflow'].map((g) => `${e}/${g}`))),
    );
  });

  test.each([
    ['a wrong type', { workers: { concurrency: 'lots' } }, /workers\.concurrency/],
    ['an unknown field', { pgbouncer: { poolsize: 3 } }, /pgbouncer\.poolsize: unknown field/],
    ['a bad region', { aws: { account: '123456789012', region: 'us-east-9', partition: 'aws' } }, /aws\.region: unknown region/],
  ])('bad config (%s) exits non-zero, names the field and leaves the previous output untouched', (_l, override, message) => {
    const out = path.join(tmp, 'dist');
    fs.mkdirSync(path.join(out, 'prod'), { recursive: true });
    fs.writeFileSync(path.join(out, 'prod', 'previous.yaml'), 'kind: Previous\n');
    const before = snapshot(out);
    const cfg = path.join(tmp, 'bad.yaml');
    const prod = committed.find((e) => e.name === 'prod')!;
    fs.writeFileSync(cfg, stringify({ environments: [{ ...prod, ...override }] }));
    const r = synth(['--config', cfg, '--out', out]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/Nothing was written/);
    expect(snapshot(out)).toEqual(before);
    expect(fs.readdirSync(tmp).filter((f) => f.startsWith('.dist'))).toEqual([]); // no staging left behind
  });

  test('unparseable config file is reported with the file name', () => {
    const cfg = path.join(tmp, 'broken.yaml');
    fs.writeFileSync(cfg, 'environments: [ {name: prod\n');
    const r = synth(['--config', cfg, '--out', path.join(tmp, 'dist')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/broken\.yaml: not valid YAML/);
  });

  test('a good config replaces the output folder completely (stale files go)', () => {
    const out = path.join(tmp, 'dist');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'stale.yaml'), 'kind: Stale\n');
    const r = synth(['--out', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const files = snapshot(out);
    expect(files['stale.yaml']).toBeUndefined();
    expect(Object.keys(files)).toEqual(expect.arrayContaining(['prod/airflow/scheduler.yaml', 'dev/pgbouncer/pgbouncer.yaml']));
  });

  test('a write failure in staging leaves the target as it was', () => {
    const out = path.join(tmp, 'dist');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'keep.yaml'), 'kind: Keep\n');
    expect(() => replaceDirAtomically(out, new Map([['ok.yaml', 'a'], ['../escape.yaml', 'b']]))).toThrow(/outside/);
    expect(snapshot(out)).toEqual({ 'keep.yaml': 'kind: Keep\n' });
    expect(fs.readdirSync(tmp)).toEqual(['dist']);
  });
});
