import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { VENV_BIN } from '../local/prerequisites';

/**
 * `npm run upgrade:check [-- --from REF]`: what a change will do to a running environment, before it is committed.
 * It compares what ships (the Airflow image lock and dist/) at REF (default HEAD, i.e. the committed state Argo CD
 * runs) with the working tree: the images and Airflow settings each environment's pods change to, the Airflow and
 * provider versions the lock brings, whether the database must migrate (and which way), and every Airflow setting
 * the new version no longer knows or has renamed, asked of the Airflow installed from the working tree's lock.
 * Exit 1 on a finding that would break the rollout: an unknown setting, or a version older than the database.
 */

export const AIRFLOW_LOCK = 'docker/airflow/requirements.lock';
const AIRFLOW_CONFIG = (env: string) => `dist/${env}/airflow/airflow-config.yaml`;

/** What ships at one point: the image lock, and dist/ (path -> text). */
export interface Snapshot {
  readonly lock: string;
  readonly dist: ReadonlyMap<string, string>;
}

export interface Change {
  readonly name: string;
  readonly from?: string;
  readonly to?: string;
}

/** apache-airflow and its providers pinned in a uv lock: name -> version. */
export function lockedAirflowPackages(lock: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of lock.matchAll(/^(apache-airflow(?:-providers-[a-z0-9-]+)?)==([^\s\\]+)/gm)) out.set(m[1], m[2]);
  return out;
}

/** Entries added, removed or changed between two maps, by name. */
export function changes(from: ReadonlyMap<string, string>, to: ReadonlyMap<string, string>): Change[] {
  const names = [...new Set([...from.keys(), ...to.keys()])].sort();
  return names.filter((n) => from.get(n) !== to.get(n)).map((name) => ({ name, from: from.get(name), to: to.get(name) }));
}

export function environmentsIn(s: Snapshot): string[] {
  return [...new Set([...s.dist.keys()].map((p) => p.split('/')[1]))].filter((e) => s.dist.has(AIRFLOW_CONFIG(e))).sort();
}

/** The Airflow settings an environment's pods read (its airflow-config ConfigMap). */
export function airflowSettings(s: Snapshot, env: string): Map<string, string> {
  const text = s.dist.get(AIRFLOW_CONFIG(env));
  return new Map(Object.entries((text ? (parseYaml(text) as { data?: Record<string, string> }).data : undefined) ?? {}));
}

/** Every container image of an environment's manifests: "<kind>/<name>/<container>" -> image. */
export function imagesOf(s: Snapshot, env: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [file, text] of s.dist) {
    if (!file.startsWith(`dist/${env}/`)) continue;
    for (const doc of parseAllDocuments(text)) {
      const o = doc.toJS() as { kind?: string; metadata?: { name?: string }; spec?: Record<string, unknown> } | null;
      const pod = (o?.spec?.template as { spec?: Record<string, unknown> } | undefined)?.spec ?? ((o?.spec?.jobTemplate as { spec?: { template?: { spec?: Record<string, unknown> } } } | undefined)?.spec?.template?.spec);
      if (!pod) continue;
      for (const c of [...((pod.initContainers as { name: string; image: string }[]) ?? []), ...((pod.containers as { name: string; image: string }[]) ?? [])]) out.set(`${o!.kind}/${o!.metadata?.name}/${c.name}`, c.image);
    }
  }
  return out;
}

const versionParts = (v: string) => v.split('.').map((x) => Number.parseInt(x, 10));
export function compareVersions(a: string, b: string): number {
  const [x, y] = [versionParts(a), versionParts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/** What the installed Airflow tells (scripts/airflow_upgrade_facts.py). */
export interface AirflowFacts {
  readonly version: string;
  /** Release -> migration head, for every release that moved it. */
  readonly heads: Readonly<Record<string, string>>;
  readonly migrations: ReadonlyArray<{ readonly file: string; readonly version: string }>;
  readonly unknown: readonly string[];
  readonly renamed: ReadonlyArray<{ readonly key: string; readonly use: string }>;
}

/** The migration head a release runs at: that of the newest release at or below it that moved the head. */
export function headOf(facts: AirflowFacts, version: string): string | undefined {
  const at = Object.keys(facts.heads).filter((v) => compareVersions(v, version) <= 0).sort(compareVersions).pop();
  return at && facts.heads[at];
}

export interface MigrationPlan {
  readonly from: string;
  readonly to: string;
  /** up: the new version migrates the database on its first sync; down: the database is newer than the code. */
  readonly direction: 'none' | 'up' | 'down';
  readonly fromHead?: string;
  readonly toHead?: string;
  /** The migration files between the two heads. */
  readonly migrations: readonly string[];
}

export function migrationPlan(facts: AirflowFacts, from: string, to: string): MigrationPlan {
  if (compareVersions(to, facts.version) > 0) throw new Error(`Airflow ${to} is newer than the installed ${facts.version}: install the working tree's lock first (npm test does), then check again`);
  const [fromHead, toHead] = [headOf(facts, from), headOf(facts, to)];
  const [lo, hi] = compareVersions(from, to) <= 0 ? [from, to] : [to, from];
  const migrations = facts.migrations.filter((m) => compareVersions(m.version, lo) > 0 && compareVersions(m.version, hi) <= 0).map((m) => m.file);
  const direction = fromHead === toHead ? 'none' : compareVersions(to, from) > 0 ? 'up' : 'down';
  return { from, to, direction, fromHead, toHead, migrations: direction === 'none' ? [] : migrations };
}

/** Asks the installed Airflow about `keys` (run in a scratch AIRFLOW_HOME, so no local airflow.cfg counts). */
export function airflowFacts(keys: readonly string[]): AirflowFacts {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'upgrade-check-'));
  try {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AIRFLOW__')));
    const r = spawnSync(path.join(VENV_BIN, 'python'), [path.join(__dirname, 'airflow_upgrade_facts.py')], { input: JSON.stringify(keys), encoding: 'utf8', env: { ...env, AIRFLOW_HOME: home } });
    if (r.status !== 0) throw new Error(`scripts/airflow_upgrade_facts.py failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as AirflowFacts;
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

export interface UpgradeReport {
  readonly airflow: Change | undefined;
  readonly providers: Change[];
  readonly migration: MigrationPlan | undefined;
  readonly environments: ReadonlyArray<{ readonly env: string; readonly images: Change[]; readonly settings: Change[]; readonly unknown: readonly string[]; readonly renamed: AirflowFacts['renamed'] }>;
  /** Findings that would break the rollout. */
  readonly blocking: string[];
}

export function upgradeReport(from: Snapshot, to: Snapshot, facts: (keys: readonly string[]) => AirflowFacts = airflowFacts): UpgradeReport {
  const [a, b] = [lockedAirflowPackages(from.lock), lockedAirflowPackages(to.lock)];
  const all = changes(a, b);
  const airflow = all.find((c) => c.name === 'apache-airflow');
  const keys = [...new Set(environmentsIn(to).flatMap((e) => [...airflowSettings(to, e).keys()]))];
  const f = facts(keys);
  const fromVersion = a.get('apache-airflow');
  const toVersion = b.get('apache-airflow');
  const migration = fromVersion && toVersion ? migrationPlan(f, fromVersion, toVersion) : undefined;
  const environments = environmentsIn(to).map((env) => {
    const settings = airflowSettings(to, env);
    return {
      env,
      images: changes(imagesOf(from, env), imagesOf(to, env)),
      settings: changes(airflowSettings(from, env), settings),
      unknown: f.unknown.filter((k) => settings.has(k)),
      renamed: f.renamed.filter((r) => settings.has(r.key)),
    };
  });
  const blocking = [
    ...environments.flatMap((e) => e.unknown.map((k) => `${e.env}: ${k} is not a setting of Airflow ${f.version}; remove it or use its new name (Airflow's release notes)`)),
    ...environments.flatMap((e) => e.renamed.map((r) => `${e.env}: ${r.key} is renamed in Airflow ${f.version}: use ${r.use}`)),
    ...(migration?.direction === 'down' ? [`Airflow ${migration.from} -> ${migration.to} goes below the database's migration head ${migration.fromHead}: run airflow db downgrade --to-version ${migration.to} with the current image first, or restore the pre-upgrade backup (docs/runbook.md, "Rollback")`] : []),
  ];
  return { airflow, providers: all.filter((c) => c !== airflow), migration, environments, blocking };
}

const arrow = (c: Change) => `${c.name}: ${c.from ?? '(none)'} -> ${c.to ?? '(removed)'}`;

export function renderUpgradeReport(r: UpgradeReport, fromRef: string): string {
  const out = [`Upgrade check: working tree against ${fromRef}`, ''];
  out.push(`Airflow: ${r.airflow ? arrow(r.airflow) : 'unchanged'}`);
  out.push(`Providers: ${r.providers.length ? '' : 'unchanged'}`, ...r.providers.map((c) => `  ${arrow(c)}`));
  const m = r.migration;
  if (m) {
    out.push(
      m.direction === 'none'
        ? `Database: no migration (head ${m.toHead ?? 'unknown'} for both)`
        : `Database: migrates ${m.direction} from ${m.fromHead} to ${m.toHead} (${m.migrations.length} migration(s)); the migration Job runs it in the PreSync hook`,
      ...m.migrations.map((f) => `  ${f}`),
    );
  }
  for (const e of r.environments) {
    out.push('', `${e.env}:`);
    out.push(`  images: ${e.images.length ? '' : 'unchanged'}`, ...e.images.map((c) => `    ${arrow(c)}`));
    out.push(`  Airflow settings: ${e.settings.length ? '' : 'unchanged'}`, ...e.settings.map((c) => `    ${arrow(c)}`));
    out.push(`  settings the new Airflow does not know: ${e.unknown.length ? e.unknown.join(', ') : 'none'}; renamed: ${e.renamed.length ? e.renamed.map((x) => `${x.key} -> ${x.use}`).join(', ') : 'none'}`);
  }
  out.push('', r.blocking.length ? `BLOCKING (${r.blocking.length}):\n${r.blocking.map((b) => `  - ${b}`).join('\n')}` : 'Nothing blocks this rollout.');
  return out.join('\n');
}

/** What ships at a git revision (`ref`) or in the working tree (`ref` undefined), under `root`. */
export function snapshotAt(root: string, ref?: string): Snapshot {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8', maxBuffer: 256 * 2 ** 20 });
  const files = ref
    ? git('ls-tree', '-r', '--name-only', ref, 'dist/').split('\n').filter((f) => f.endsWith('.yaml'))
    : git('ls-files', '--cached', '--others', '--exclude-standard', 'dist/').split('\n').filter((f) => f.endsWith('.yaml') && fs.existsSync(path.join(root, f)));
  const read = (f: string) => (ref ? git('show', `${ref}:${f}`) : fs.readFileSync(path.join(root, f), 'utf8'));
  return { lock: read(AIRFLOW_LOCK), dist: new Map(files.map((f) => [f, read(f)])) };
}

if (require.main === module) {
  const i = process.argv.indexOf('--from');
  const ref = i >= 0 ? process.argv[i + 1] : 'HEAD';
  if (!ref || ref.startsWith('--')) {
    console.error('npm run upgrade:check: --from needs a git revision, such as HEAD or origin/main');
    process.exit(2);
  }
  const root = path.resolve(__dirname, '..');
  try {
    const r = upgradeReport(snapshotAt(root, ref), snapshotAt(root));
    console.log(renderUpgradeReport(r, ref));
    process.exitCode = r.blocking.length ? 1 : 0;
  } catch (e) {
    console.error(`npm run upgrade:check: ${(e as Error).message}`);
    process.exit(2);
  }
}
