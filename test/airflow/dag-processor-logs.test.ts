/**
 * The dag-processor's per-file logs with a few hundred DAG files: the real dag-processor (the locked Airflow) parses
 * a git repository of 300 DAG files through the rendered GitDagBundle and dag-processor settings, once; then the
 * groomer's own bash, from the rendered pod spec, bounds what accumulates by size as well as by age. The metadata
 * database is SQLite here: nothing of the per-file logging depends on it. Only a cluster shows the kubelet's eviction.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PROJECT_ROOT, VENV_BIN } from '../../local/stack';
import { DAG_BUNDLE_STORAGE, LOCAL_LOGS } from '../../manifests-src/airflow/airflow-settings';
import { environment, find, podSpecOf, render } from '../support/render';

const FILES = 300;
const BROKEN = 5;
const env = environment('prod');
const objs = render([env]);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dag-processor-logs-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const sh = (cmd: string, cwd = tmp) => {
  const r = spawnSync('bash', ['-c', cmd], { cwd, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
  return r.stdout.trim();
};
const duKiB = (dir: string) => Number(sh(`du -sk ${dir} | cut -f1`));
const filesUnder = (dir: string): string[] => fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => path.join(d.parentPath, d.name));

/** A repository of FILES DAG files, BROKEN of which fail to import (their traceback is logged on every parse). */
function dagRepository(): string {
  const repo = path.join(tmp, 'repo');
  const dags = path.join(repo, 'dags');
  fs.mkdirSync(dags, { recursive: true });
  for (let i = 0; i < FILES; i++) {
    const broken = i < BROKEN ? 'import not_a_real_module_for_tests  # noqa: F401\n' : '';
    fs.writeFileSync(
      path.join(dags, `generated_${i}.py`),
      `${broken}from datetime import datetime\nfrom airflow.sdk import dag, task\n\n\n@dag(dag_id="generated_${i}", schedule=None, start_date=datetime(2026, 1, 1), catchup=False, tags=["generated"])\ndef generated():\n    @task\n    def work():\n        return ${i}\n\n    work()\n\n\ngenerated()\n`,
    );
  }
  sh('git init -q -b main && git config user.email t@example.org && git config user.name t && git add -A && git commit -q -m dags', repo);
  return repo;
}

test(`${FILES} DAG files: one parse pass of the real dag-processor writes one log per file; the groomer keeps the logs under their budget, oldest first`, () => {
  const repo = dagRepository();
  const home = path.join(tmp, 'home');
  const data = find(objs, 'ConfigMap', 'airflow-config').data!;
  const bundles = JSON.parse(data.AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST);
  bundles[0].kwargs.repo_url = repo;
  const airflowEnv = {
    PATH: process.env.PATH,
    HOME: tmp,
    AIRFLOW_HOME: home,
    ...Object.fromEntries(Object.entries(data).filter(([k]) => k.startsWith('AIRFLOW__DAG_PROCESSOR__'))),
    AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST: JSON.stringify(bundles),
    AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_STORAGE_PATH: path.join(tmp, 'bundles'),
    AIRFLOW__LOGGING__BASE_LOG_FOLDER: path.join(home, 'logs'),
    AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: `sqlite:///${path.join(tmp, 'airflow.db')}`,
    AIRFLOW__CORE__LOAD_EXAMPLES: 'False',
    [`AIRFLOW_CONN_${bundles[0].kwargs.git_conn_id.toUpperCase()}`]: JSON.stringify({ conn_type: 'git', host: repo }),
  };
  const airflow = (...args: string[]) => {
    const r = spawnSync(path.join(VENV_BIN, 'airflow'), args, { cwd: PROJECT_ROOT, env: airflowEnv, encoding: 'utf8', timeout: 600_000 });
    expect({ args, status: r.status, tail: r.status === 0 ? '' : `${r.stdout}${r.stderr}`.slice(-3000) }).toEqual({ args, status: 0, tail: '' });
  };
  airflow('db', 'migrate');
  airflow('dag-processor', '--num-runs', '1');

  // One log per DAG file per day, under logs/dag_processor/<date>/<bundle>/.
  const logs = path.join(home, 'logs');
  const perFile = filesUnder(path.join(logs, 'dag_processor')).filter((f) => f.endsWith('.py.log'));
  expect(perFile).toHaveLength(FILES);
  const size = (f: string) => fs.statSync(f).size;
  const broken = perFile.filter((f) => /generated_[0-4]\.py\.log$/.test(f));
  const cleanBytes = perFile.filter((f) => !broken.includes(f)).reduce((s, f) => s + size(f), 0) / (FILES - BROKEN);
  const brokenBytes = broken.reduce((s, f) => s + size(f), 0) / BROKEN;
  expect(brokenBytes).toBeGreaterThan(cleanBytes);
  // Unset in dist/: Airflow's default, 30 s.
  const interval = Number(data.AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL ?? 30);
  const perDayMiB = ((cleanBytes * (FILES - BROKEN) + brokenBytes * BROKEN) * (86400 / interval)) / 2 ** 20;
  console.log(
    `dag-processor logs, one parse of ${FILES} files: ${cleanBytes.toFixed(0)} B per file, ${brokenBytes.toFixed(0)} B per broken file; ` +
      `every ${interval} s that is ${perDayMiB.toFixed(0)} MiB a day, kept up to a day after each day's file last changed by age alone`,
  );

  // The shipped budget: half the logs emptyDir (the rest is for running tasks' logs, open and not deletable).
  const spec = podSpecOf(find(objs, 'Deployment', 'airflow-dag-processor'))!;
  const groomer = spec.initContainers.find((c: any) => c.name === 'log-groomer');
  const limit = spec.volumes.find((v: any) => v.name === 'logs').emptyDir.sizeLimit as string;
  const shipped = Number(/trim_logs \S+ (\d+)/.exec(groomer.command[2])![1]);
  expect(shipped).toBe((Number(limit.replace(/Gi$/, '')) * 2 ** 20) / 2);

  // Four hours of parse passes, all inside the retention (age alone deletes none), each hour's copy older.
  const day = path.dirname(path.dirname(perFile[0]));
  for (let h = 1; h <= 3; h++) {
    const copy = `${day}-h${h}`;
    sh(`cp -r ${day} ${copy}`);
    const when = new Date(Date.now() - h * 3600_000);
    for (const f of filesUnder(copy)) fs.utimesSync(f, when, when);
  }
  fs.writeFileSync(path.join(logs, '.groomer-heartbeat'), '');
  const mtimes = new Map(filesUnder(logs).map((f) => [f, fs.statSync(f).mtimeMs]));
  const before = duKiB(logs);
  // The shipped script for one pass, on this folder, with a budget scaled to what one pass wrote here: 60 % of it.
  const budget = Math.floor(before * 0.6);
  const once = (groomer.command[2] as string)
    .split(DAG_BUNDLE_STORAGE)
    .join(path.join(tmp, 'bundles'))
    .split(LOCAL_LOGS)
    .join(logs)
    .replace(/trim_logs (\S+) \d+/, `trim_logs $1 ${budget}`)
    .replace(/sleep \d+ & wait \$!/, 'break');
  const r = spawnSync('bash', ['-c', once], { encoding: 'utf8', timeout: 60_000 });
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  const after = duKiB(logs);
  expect(after).toBeLessThanOrEqual(budget);
  const left = new Set(filesUnder(logs));
  const deleted = [...mtimes.keys()].filter((f) => !left.has(f));
  expect(deleted.length).toBeGreaterThan(0);
  expect(left.has(path.join(logs, '.groomer-heartbeat'))).toBe(true);
  // Oldest first: nothing left is older than anything deleted.
  const newestDeleted = Math.max(...deleted.map((f) => mtimes.get(f)!));
  for (const f of left) if (mtimes.has(f) && !f.endsWith('.groomer-heartbeat')) expect(mtimes.get(f)!).toBeGreaterThanOrEqual(newestDeleted);
  console.log(`dag-processor logs, 4 passes' worth: ${before} KiB -> ${after} KiB (budget ${budget} KiB), ${deleted.length} oldest files deleted`);
}, 900_000);
