/**
 * Disk of the DAG bundle storage with the real GitDagBundle (the locked Airflow), real git and the groomer's own bash
 * from the rendered pod spec: 12 commits, first used over two hours (Airflow's cleanup with the shipped settings), then
 * all within minutes (frequent commits: the size bound). Only a cluster shows the kubelet's accounting and eviction.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PROJECT_ROOT, VENV_BIN } from '../../local/stack';
import { DAG_BUNDLE_STORAGE, LOCAL_LOGS } from '../../manifests-src/airflow/airflow-settings';
import type { EnvironmentConfig } from '../../manifests-src/config';
import { environment, find, podSpecOf, render } from '../support/render';

const COMMITS = 12;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-disk-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const sh = (cmd: string, cwd = tmp) => {
  const r = spawnSync('bash', ['-c', cmd], { cwd, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
  return r.stdout.trim();
};
const duKiB = (dir: string) => Number(sh(`du -sk ${dir} | cut -f1`));

/** A DAG repository of COMMITS commits: 2 MiB of text data once (git packs it small), then one DAG file changed per commit. */
function dagRepository(): { repo: string; shas: string[]; cloneKiB: number } {
  const repo = path.join(tmp, 'repo');
  fs.mkdirSync(path.join(repo, 'dags'), { recursive: true });
  sh('git init -q -b main && git config user.email t@example.org && git config user.name t', repo);
  sh('yes "region,product,quantity,price" | head -c 2097152 > dags/lookup.csv', repo);
  const shas: string[] = [];
  for (let i = 0; i < COMMITS; i++) {
    fs.writeFileSync(path.join(repo, 'dags', 'pipeline.py'), `# revision ${i}\nfrom airflow.sdk import dag\n`);
    sh(`git add -A && git commit -q -m "revision ${i}" && git rev-parse HEAD`, repo);
    shas.push(sh('git rev-parse HEAD', repo));
  }
  // What `dags.repositorySize` asks for: `du` of a fresh clone.
  sh(`git clone -q ${repo} ${path.join(tmp, 'measure')}`);
  const cloneKiB = duKiB(path.join(tmp, 'measure'));
  fs.rmSync(path.join(tmp, 'measure'), { recursive: true });
  return { repo, shas, cloneKiB };
}
const { repo, shas, cloneKiB } = dagRepository();

/** The bundle settings of the rendered ConfigMap, pointed at the local repository and a fresh storage folder. */
function airflowEnv(env: EnvironmentConfig, storage: string): NodeJS.ProcessEnv {
  const data = find(render([env]), 'ConfigMap', 'airflow-config').data!;
  const bundles = JSON.parse(data.AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST);
  bundles[0].kwargs.repo_url = repo;
  const connId = bundles[0].kwargs.git_conn_id.toUpperCase();
  return {
    PATH: process.env.PATH,
    HOME: tmp,
    AIRFLOW_HOME: path.join(tmp, 'home'),
    ...Object.fromEntries(Object.entries(data).filter(([k]) => k.startsWith('AIRFLOW__DAG_PROCESSOR__'))),
    AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST: JSON.stringify(bundles),
    AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_STORAGE_PATH: storage,
    [`AIRFLOW_CONN_${connId}`]: JSON.stringify({ conn_type: 'git', host: repo }),
  };
}

interface Plan {
  uses: { version: string; age_seconds: number }[];
  hold?: string;
  cleanup: boolean;
}

/** Runs the plan in the real Airflow; `whileHeld` runs while the held version's shared lock is still taken. */
async function runBundles(env: EnvironmentConfig, storage: string, plan: Plan, whileHeld: () => void = () => {}): Promise<string[]> {
  const child = spawn(path.join(VENV_BIN, 'python'), [path.join(__dirname, 'fixtures', 'bundle_versions.py')], { cwd: PROJECT_ROOT, env: airflowEnv(env, storage) });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  child.stdin.write(`${JSON.stringify(plan)}\n`);
  const listed = await new Promise<string[]>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('BUNDLE_VERSIONS '));
      if (line) resolve(JSON.parse(line.slice('BUNDLE_VERSIONS '.length)));
    });
    void exited.then((code) => reject(new Error(`bundle_versions.py exited ${code}:\n${err.slice(-3000)}`)));
  });
  try {
    whileHeld();
  } finally {
    child.stdin.end();
  }
  expect(await exited).toBe(0);
  return listed;
}

/** One pass of the groomer of `deployment` (its script from the pod spec), on the given folders. */
function groomOnce(env: EnvironmentConfig, deployment: string, storage: string, logs: string): void {
  const groomer = podSpecOf(find(render([env]), 'Deployment', deployment))!.initContainers.find((c: any) => c.name === 'log-groomer');
  const script = (groomer.command[2] as string).split(DAG_BUNDLE_STORAGE).join(storage).split(LOCAL_LOGS).join(logs).replace(/sleep \d+ & wait \$!/, 'break');
  fs.mkdirSync(logs, { recursive: true });
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', timeout: 30_000 });
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
}

const MINUTE = 60;

test(`Airflow's cleanup with the shipped settings: of ${COMMITS} versions used over two hours it keeps the newest, those used in the last 30 minutes and the one a running task holds`, async () => {
  const env = environment('prod');
  const storage = path.join(tmp, 'by-age');
  // Revision i was last used (11 - i) x 11 minutes ago; revision 2 is still running (its lock held), started long ago.
  const uses = shas.map((version, i) => ({ version, age_seconds: (COMMITS - 1 - i) * 11 * MINUTE }));
  const kept = await runBundles(env, storage, { uses, hold: shas[2], cleanup: true });
  // Newest two (min versions), revision 9 (22 minutes: inside the 30-minute threshold), and the held one.
  expect(kept).toEqual([shas[2], shas[9], shas[10], shas[11]].sort());
  console.log(`bundle versions after Airflow's cleanup: ${kept.length} of ${COMMITS} (Airflow's defaults: 10 versions kept, and any used in the last 6 h)`);
}, 180_000);

test(`the size bound: ${COMMITS} versions used within minutes (frequent commits) outgrow the storage sized from dags.repositorySize; the groomer's step brings it under the target, least recently used first, never the running task's version`, async () => {
  // A worker of 1 slot sized from this repository's measured clone.
  const env = environment('prod', { dags: { repositorySize: `${cloneKiB}Ki` }, workers: { concurrency: 1 } });
  const storage = path.join(tmp, 'by-size');
  // All within the age threshold: Airflow's cleanup keeps every one. Revision 0 still runs.
  const uses = shas.map((version, i) => ({ version, age_seconds: (COMMITS - i) * 30 }));
  // bare + tracking clone + 1 version in use + 2 kept: 5 clones' worth (docs/local-disk.md).
  const targetKiB = cloneKiB * 5;
  const spec = podSpecOf(find(render([env]), 'Deployment', 'airflow-worker'))!;
  const limit = spec.volumes.find((v: any) => v.name === 'dag-bundles').emptyDir.sizeLimit as string;
  expect(Number(limit.replace(/Mi$/, '')) * 1024).toBeGreaterThanOrEqual(targetKiB);
  let before = 0;
  let after = 0;
  let left: string[] = [];
  const listed = await runBundles(env, storage, { uses, hold: shas[0], cleanup: true }, () => {
    before = duKiB(storage);
    groomOnce(env, 'airflow-worker', storage, path.join(tmp, 'logs-by-size'));
    after = duKiB(storage);
    left = fs.readdirSync(path.join(storage, 'dags', 'versions')).sort();
  });
  expect(listed).toHaveLength(COMMITS);
  expect(before).toBeGreaterThan(targetKiB);
  expect(after).toBeLessThanOrEqual(targetKiB);
  // What is left: the held revision 0 and the most recently used ones, with nothing deleted newer than a kept one.
  expect(left).toContain(shas[0]);
  const idleKept = shas.slice(1).filter((s) => left.includes(s));
  expect(idleKept.length).toBeGreaterThan(0);
  expect(idleKept).toEqual(shas.slice(COMMITS - idleKept.length));
  // Their tracking files went with them; the rest stay.
  expect(fs.readdirSync(path.join(storage, '_tracking', 'dags')).sort()).toEqual(left);
  console.log(`bundle storage, ${COMMITS} versions within minutes: ${before} KiB -> ${after} KiB (target ${targetKiB} KiB, sizeLimit ${limit}; clone ${cloneKiB} KiB), ${left.length} versions left`);
}, 180_000);
