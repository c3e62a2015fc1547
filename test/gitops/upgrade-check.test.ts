import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { airflowFacts, airflowSettings, changes, environmentsIn, imagesOf, lockedAirflowPackages, migrationPlan, renderUpgradeReport, snapshotAt, upgradeReport, type AirflowFacts, type Snapshot } from '../../scripts/upgrade-check';

const root = path.resolve(__dirname, '../..');
const tree = snapshotAt(root);
let facts: AirflowFacts;
// One call to the installed Airflow for every key any test asks about (a few seconds each).
beforeAll(() => {
  facts = airflowFacts([...new Set([...environmentsIn(tree).flatMap((e) => [...airflowSettings(tree, e).keys()]), 'AIRFLOW__CORE__NO_SUCH_OPTION', 'AIRFLOW__WEBSERVER__SECRET_KEY'])]);
});
const factsFor = () => () => facts;

/** The working tree with one environment's Airflow settings and the lock edited. */
function edited(edit: { env?: string; settings?: Record<string, string>; lock?: (l: string) => string; image?: [string, string] }): Snapshot {
  const dist = new Map(tree.dist);
  if (edit.env && edit.settings) {
    const f = `dist/${edit.env}/airflow/airflow-config.yaml`;
    dist.set(f, `${dist.get(f)!.trimEnd()}\n${Object.entries(edit.settings).map(([k, v]) => `  ${k}: "${v}"`).join('\n')}\n`);
  }
  if (edit.image) for (const [f, t] of dist) dist.set(f, t.split(edit.image[0]).join(edit.image[1]));
  return { lock: edit.lock ? edit.lock(tree.lock) : tree.lock, dist };
}

test('the lock gives Airflow and every provider pinned; changes lists added, removed and changed by name', () => {
  const pkgs = lockedAirflowPackages(tree.lock);
  expect(pkgs.get('apache-airflow')).toMatch(/^3\.\d+\.\d+$/);
  expect(pkgs.get('apache-airflow-providers-celery')).toMatch(/^\d+\.\d+/);
  expect([...pkgs.keys()].every((k) => k === 'apache-airflow' || k.startsWith('apache-airflow-providers-'))).toBe(true);
  expect(changes(new Map([['a', '1'], ['b', '1'], ['c', '1']]), new Map([['a', '1'], ['b', '2'], ['d', '1']]))).toEqual([
    { name: 'b', from: '1', to: '2' },
    { name: 'c', from: '1', to: undefined },
    { name: 'd', from: undefined, to: '1' },
  ]);
});

test('what ships: every environment, its Airflow settings and the images of its pods come from dist/', () => {
  expect(environmentsIn(tree)).toEqual(['dev', 'prod', 'prod-cn']);
  expect(airflowSettings(tree, 'prod').get('AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES')).toMatch(/^\d+$/);
  const images = imagesOf(tree, 'dev');
  expect([...images.keys()]).toEqual(expect.arrayContaining(['Deployment/airflow-scheduler/scheduler', 'Job/airflow-migrate/migrate']));
  expect(images.get('Deployment/airflow-scheduler/scheduler')).toContain(`:${lockedAirflowPackages(tree.lock).get('apache-airflow')}-`);
});

test('migrations between releases, from the installed Airflow\'s own head map and files', () => {
  const up = migrationPlan(facts, '3.2.0', facts.version);
  expect(up.direction).toBe('up');
  expect(up.fromHead).toBe(facts.heads['3.2.0']);
  expect(up.migrations.length).toBeGreaterThan(0);
  expect(up.migrations.every((f) => /^\d{4}_3_3_\d+_/.test(f))).toBe(true);
  expect(migrationPlan(facts, '3.3.0', facts.version)).toMatchObject({ direction: 'none', migrations: [] });
  expect(migrationPlan(facts, facts.version, '3.2.0')).toMatchObject({ direction: 'down', toHead: facts.heads['3.2.0'] });
  expect(() => migrationPlan(facts, facts.version, '9.0.0')).toThrow(/Airflow 9\.0\.0 is newer than the installed .*: install the working tree's lock first/);
});

test('an unknown or renamed setting blocks, for the environment that has it; a provider and an image change are listed', () => {
  const version = lockedAirflowPackages(tree.lock).get('apache-airflow')!;
  const to = edited({
    env: 'prod',
    settings: { AIRFLOW__CORE__NO_SUCH_OPTION: 'x', AIRFLOW__WEBSERVER__SECRET_KEY: 'y' },
    lock: (l) => l.replace(/^apache-airflow-providers-redis==\S+/m, 'apache-airflow-providers-redis==99.0.0'),
    image: [`:${version}-`, ':9.9.9-'],
  });
  const r = upgradeReport(tree, to, factsFor());
  expect(r.airflow).toBeUndefined();
  expect(r.providers).toEqual([{ name: 'apache-airflow-providers-redis', from: lockedAirflowPackages(tree.lock).get('apache-airflow-providers-redis'), to: '99.0.0' }]);
  const prod = r.environments.find((e) => e.env === 'prod')!;
  expect(prod.unknown).toEqual(['AIRFLOW__CORE__NO_SUCH_OPTION']);
  expect(prod.renamed).toEqual([{ key: 'AIRFLOW__WEBSERVER__SECRET_KEY', use: 'AIRFLOW__API__SECRET_KEY' }]);
  expect(prod.settings.map((c) => c.name)).toEqual(['AIRFLOW__CORE__NO_SUCH_OPTION', 'AIRFLOW__WEBSERVER__SECRET_KEY']);
  expect(prod.images.length).toBeGreaterThan(0);
  expect(prod.images.every((c) => c.to!.includes(':9.9.9-'))).toBe(true);
  expect(r.environments.find((e) => e.env === 'dev')!.unknown).toEqual([]);
  expect(r.blocking).toEqual([
    `prod: AIRFLOW__CORE__NO_SUCH_OPTION is not a setting of Airflow ${facts.version}; remove it or use its new name (Airflow's release notes)`,
    `prod: AIRFLOW__WEBSERVER__SECRET_KEY is renamed in Airflow ${facts.version}: use AIRFLOW__API__SECRET_KEY`,
  ]);
  expect(renderUpgradeReport(r, 'HEAD')).toMatch(/BLOCKING \(2\)/);
});

test('a downgrade below the database\'s head blocks with the way back', () => {
  const from = { ...tree, lock: tree.lock };
  const to = edited({ lock: (l) => l.replace(/^apache-airflow==\S+/m, 'apache-airflow==3.2.0') });
  const r = upgradeReport(from, to, factsFor());
  expect(r.airflow).toEqual({ name: 'apache-airflow', from: facts.version, to: '3.2.0' });
  expect(r.migration!.direction).toBe('down');
  expect(r.blocking.join('\n')).toMatch(/goes below the database's migration head .*: run airflow db downgrade --to-version 3\.2\.0 .*or restore the pre-upgrade backup/);
});

test('npm run upgrade:check compares the working tree with a revision; a bad --from is refused', () => {
  const run = (...args: string[]) => spawnSync('npx', ['tsx', 'scripts/upgrade-check.ts', ...args], { cwd: root, encoding: 'utf8' });
  const ok = run('--from', 'HEAD');
  expect(ok.stdout).toMatch(/^Upgrade check: working tree against HEAD/);
  expect(ok.stdout).toMatch(/Database: no migration \(head \w+ for both\)/);
  expect(ok.status).toBe(0);
  const bad = run('--from');
  expect(bad.status).toBe(2);
  expect(bad.stderr).toMatch(/--from needs a git revision/);
  expect(run('--from', 'no-such-revision-xyz').status).toBe(2);
});
