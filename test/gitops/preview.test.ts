import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { loadEnvironments } from '../../manifests-src/config';
import { environments as committed } from '../../manifests-src/config/environments';
import { diffObjects, formatPreview, summaryLine } from '../../scripts/preview/object-diff';
import { objectsOfTree } from '../../scripts/preview/object-tree';
import { previewChanges, renderTrees } from '../../scripts/preview/preview';
import { readTreeAtRef } from '../../scripts/preview/sources';

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

let tmp: string;
/** A checkout whose dist/ and argocd/ are freshly synthesized, so these tests do not depend on the working tree. */
let synced: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'preview-'));
  synced = path.join(tmp, 'synced');
  writeTrees(synced, renderTrees(loadEnvironments()));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function writeTrees(dir: string, trees: Record<string, Map<string, string>>): void {
  for (const [tree, files] of Object.entries(trees)) {
    for (const [rel, text] of files) {
      const p = path.join(dir, tree, rel);
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, text);
    }
  }
}

const preview = (args: string[]) => spawnSync(TSX, [path.join(ROOT, 'scripts/preview.ts'), ...args], { cwd: synced, encoding: 'utf8' });

function configFile(name: string, edit: (e: any) => any): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, stringify({ environments: committed.map((e) => (e.name === 'prod' ? edit(structuredClone(e)) : e)) }));
  return file;
}

describe('npm run preview', () => {
  test('no change against the committed trees: exit 0 and an all-zero summary', () => {
    const r = preview(['--stat']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^0 added, 0 changed, 0 removed objects$/m);
    expect(r.status).toBe(0);
  });

  test('a config change lists the changed objects with a unified diff and exits 1, naming the fix', () => {
    const cfg = configFile('more-workers.yaml', (e) => ({ ...e, workers: { maxReplicas: 20 } }));
    const r = preview(['--config', cfg]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^Environment prod$/m);
    expect(r.stdout).toMatch(/^ {2}Application airflow$/m);
    expect(r.stdout).toMatch(/^ {4}~ ScaledObject\/airflow\/airflow-worker \(changed\)$/m);
    expect(r.stdout).toMatch(/^ +-\s+maxReplicaCount: 10$/m);
    expect(r.stdout).toMatch(/^ +\+\s+maxReplicaCount: 20$/m);
    expect(r.stdout).not.toMatch(/^Environment dev$/m); // other environments unchanged
    expect(r.stdout).toMatch(/^0 added, [1-9]\d* changed, 0 removed objects$/m);
    expect(r.stderr).toMatch(/run `npm run synth`/);
  });

  test('a bad config exits 2 with the ConfigError message', () => {
    const cfg = configFile('bad.yaml', (e) => ({ ...e, workers: { concurrency: 'lots' } }));
    const r = preview(['--config', cfg]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/invalid configuration/);
    expect(r.stderr).toMatch(/workers\.concurrency/);
  });

  test('a hand-edited committed file is reported against the same config', () => {
    const stale = path.join(tmp, 'stale-cli');
    writeTrees(stale, renderTrees(loadEnvironments()));
    const app = path.join(stale, 'argocd/prod/apps/airflow.yaml');
    fs.writeFileSync(app, fs.readFileSync(app, 'utf8').replace('selfHeal: true', 'selfHeal: false'));
    const r = spawnSync(TSX, [path.join(ROOT, 'scripts/preview.ts')], { cwd: stale, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^ {2}Application argocd\n {4}~ Application\/argocd\/prod-airflow \(changed\)$/m);
    expect(r.stdout).toMatch(/^0 added, 1 changed, 0 removed objects$/m);
    expect(r.stderr).toMatch(/run `npm run synth`/);
  });

  test('an unknown --ref exits 2', () => {
    const r = preview(['--ref', 'no-such-revision-anywhere']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown git revision/);
  });
});

describe('object-level preview', () => {
  const envs = loadEnvironments();
  const rendered = renderTrees(envs);

  test('a stale tree on disk: removed, hand-edited and extra objects are each reported once', () => {
    const dir = path.join(tmp, 'stale');
    writeTrees(dir, rendered);
    // Delete the pgbouncer folder of dev, edit a Deployment in prod, add a stray object.
    fs.rmSync(path.join(dir, 'dist/dev/pgbouncer'), { recursive: true });
    const scheduler = path.join(dir, 'dist/prod/airflow/scheduler.yaml');
    fs.writeFileSync(scheduler, fs.readFileSync(scheduler, 'utf8').replace(/replicas: 2/, 'replicas: 5'));
    fs.writeFileSync(path.join(dir, 'dist/prod/airflow/stray.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: stray, namespace: airflow}\n');

    const r = previewChanges(envs, { root: dir });
    const pgbouncerObjects = objectsOfTree('dist', new Map([...rendered.dist].filter(([f]) => f.startsWith('dev/pgbouncer/')))).size;
    expect(r.counts).toEqual({ added: pgbouncerObjects, changed: 1, removed: 1 });
    expect(r.changes.find((c) => c.kind === 'changed')).toMatchObject({ env: 'prod', app: 'airflow', id: 'Deployment/airflow/airflow-scheduler' });
    expect(r.changes.find((c) => c.kind === 'removed')).toMatchObject({ id: 'ConfigMap/airflow/stray' });
    expect(summaryLine(r)).toBe(`${pgbouncerObjects} added, 1 changed, 1 removed objects`);
    const text = formatPreview(r);
    expect(text).toMatch(/-\s+replicas: 5/);
    expect(text).toMatch(/\+\s+replicas: 2/);
  });

  test('the same trees give no difference (formatting and document order do not count)', () => {
    const dir = path.join(tmp, 'same');
    writeTrees(dir, rendered);
    const worker = path.join(dir, 'dist/prod/airflow/worker.yaml');
    // Re-ordering the documents in a file is not a change of any object.
    const [header, ...docs] = fs.readFileSync(worker, 'utf8').split(/^---\n/m);
    fs.writeFileSync(worker, [header, ...docs.reverse()].join('---\n'));
    expect(previewChanges(envs, { root: dir }).changes).toEqual([]);
  });

  test('--ref reads the trees committed at a git revision', () => {
    const repo = path.join(tmp, 'repo');
    writeTrees(repo, { dist: new Map([['prod/airflow/a.yaml', 'kind: ConfigMap\nmetadata: {name: a, namespace: airflow}\ndata: {k: v1}\n']]) });
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: repo });
    git('init', '-q');
    git('add', '.');
    git('commit', '-q', '-m', 'one');
    fs.writeFileSync(path.join(repo, 'dist/prod/airflow/a.yaml'), 'kind: ConfigMap\nmetadata: {name: a, namespace: airflow}\ndata: {k: v2}\n');
    git('commit', '-q', '-am', 'two');
    const before = objectsOfTree('dist', readTreeAtRef('HEAD~1', 'dist', repo));
    const after = objectsOfTree('dist', readTreeAtRef('HEAD', 'dist', repo));
    const r = diffObjects(before, after);
    expect(r.changes.map((c) => [c.kind, c.id])).toEqual([['changed', 'ConfigMap/airflow/a']]);
    expect(r.changes[0].patch).toMatch(/^-\s+k: v1$/m);
    expect(readTreeAtRef('HEAD', 'argocd', repo).size).toBe(0);
  });
});
