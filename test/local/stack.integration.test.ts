import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { launchChromium, loginUi } from '../support/ui';
import type { LocalStack } from '../../local/stack';
import { PROJECT_ROOT } from '../../local/stack';
import { portInUse } from '../../local/ports';
import { processSecretDir } from '../../local/settings';
import { secretFile } from '../../manifests-src/airflow/component-secrets';
import { K8S_SECRETS } from '../../manifests-src/config';
import { kedaScalerProbe } from '../../cluster/operators/build';
import { kedaQueryFromDist, samplePeakConnections, startTestStack, taskInstances, trigger, unpause, waitRuns, WORKLOAD_TASK } from '../support/local-stack';

/**
 * Airflow as dist/dev defines it, running for real on loopback: one stack for this file, started once.
 * Each test states what it proves about the generated configuration.
 */
jest.setTimeout(600_000);

let stack: LocalStack;

/** emptyDir size limits (bytes) of a Deployment in the committed dist/<env>. */
function kubernetesSizeLimits(envName: string, deployment: string): Record<string, number> {
  const file = path.join(PROJECT_ROOT, 'dist', envName, 'airflow', `${deployment.replace(/^airflow-/, '')}.yaml`);
  const docs = parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJS());
  const dep = docs.find((d) => d?.kind === 'Deployment' && d.metadata.name === deployment);
  const unit: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 };
  return Object.fromEntries(dep.spec.template.spec.volumes.filter((v: any) => v.emptyDir?.sizeLimit).map((v: any) => {
    const [, n, u] = /^(\d+)(Ki|Mi|Gi)$/.exec(v.emptyDir.sizeLimit)!;
    return [v.name, Number(n) * unit[u]];
  }));
}
const artifacts = path.join(PROJECT_ROOT, 'test-artifacts');

beforeAll(async () => {
  stack = await startTestStack('integration', { workers: 2 });
  for (const d of ['example_platform', 'platform_workload']) await unpause(stack, d);
});

afterAll(async () => {
  await stack?.stop();
});

/** Local ports of PgBouncer's own server connections (SHOW SERVERS on its admin console). */
async function pgbouncerServerPorts(): Promise<number[]> {
  const out = await stack.psqlViaPgBouncer('pgbouncer', 'SHOW SERVERS');
  // Columns vary by version (1.24 added `replication` before `state`): local_port is the field after local_addr,
  // the second address of the row (the first is the server's).
  const localPort = (l: string) => {
    const f = l.split('|');
    const addresses = f.flatMap((x, i) => (/^(\d+\.){3}\d+$/.test(x) ? [i] : []));
    if (addresses.length < 2) throw new Error(`SHOW SERVERS row without a server and a local address: ${l}`);
    return Number(f[addresses[1] + 1]);
  };
  return out ? out.split('\n').map(localPort) : [];
}

test('end to end: XCom, deferrable and mapped tasks run on Celery workers through Redis and end in success', async () => {
  const before = (await stack.celeryResultKeys()).length;
  const runId = await trigger(stack, 'example_platform');
  const [state] = await waitRuns(stack, 'example_platform', [runId], 180_000);
  const tis = await taskInstances(stack, 'example_platform', runId);
  expect(state).toBe('success');
  expect(tis.map((t) => `${t.task_id}:${t.state}`).sort()).toEqual(
    ['extract', 'total', 'wait_deferred', ...Array(5).fill('square')].map((t) => `${t}:success`).sort(),
  );
  // Mapped: five instances of one task; XCom: `total` checks the sum of the squares it received.
  expect(tis.filter((t) => t.task_id === 'square').map((t) => t.map_index).sort()).toEqual([0, 1, 2, 3, 4]);
  // Every task that ran on a worker went through Celery: the result backend (Redis) has a result per task run.
  const after = (await stack.celeryResultKeys()).length;
  expect(after - before).toBeGreaterThanOrEqual(tis.filter((t) => t.task_id !== 'wait_deferred').length);
  // Deferred: the sensor's wait was completed by the triggerer process, not by a worker slot.
  const triggererLog = fs.readFileSync(stack.processes.get('triggerer')!.opts.logFile, 'utf8');
  expect(triggererLog).toContain(`task_id='wait_deferred', dag_id='example_platform', run_id='${runId}'`);
});

test('the metadata DB is reached only through PgBouncer', async () => {
  const runId = await trigger(stack, 'platform_workload', { tasks: 10, seconds: 0 });
  await waitRuns(stack, 'platform_workload', [runId], 180_000);
  const [backendPorts, bouncerPorts] = [await stack.metadataBackendPorts(), await pgbouncerServerPorts()];
  expect(backendPorts.length).toBeGreaterThan(0);
  // Every backend serving the airflow database belongs to one of PgBouncer's server connections.
  for (const port of backendPorts) expect(bouncerPorts).toContain(port);
});

test('KEDA query from dist/ returns the expected worker count on the live metadata DB', async () => {
  const query = kedaQueryFromDist(stack.env.name);
  const tasks = 20;
  const runId = await trigger(stack, 'platform_workload', { tasks, seconds: 90 });
  const countSql = `SELECT count(*) FROM task_instance WHERE run_id = '${runId}' AND task_id = '${WORKLOAD_TASK}' AND state IN ('queued', 'running')`;
  await stack.waitFor(`${tasks} work tasks queued or running`, async () => Number(await stack.psqlDirect('airflow', countSql)) === tasks, 180_000, 500);
  // KEDA's own PostgreSQL scaler (the pinned release, two instances as the operator and its metrics adapter
  // hold) runs the query through PgBouncer with the keda-connection URL the committed ExternalSecret renders.
  const connection = stack.secretValues()[K8S_SECRETS.metadata.name][K8S_SECRETS.metadata.keys.kedaConn];
  const keda = runKedaScaler(connection, query);
  const stillThere = Number(await stack.psqlDirect('airflow', countSql));
  expect(stillThere).toBe(tasks);
  expect(keda.errors).toEqual([]);
  expect(keda.values).toEqual(Array.from({ length: keda.calls }, () => Math.ceil(tasks / stack.env.workers.concurrency)));
  // The same URL without the simple protocol: pgx's named prepared statements, which PgBouncer now tracks per client
  // (max_prepared_statements) across its shared server connections. The simple protocol stays in the URL so the
  // scaler does not depend on that setting; the control with the setting off is the async-engine test's.
  const prepared = runKedaScaler(connection.replace(/&default_query_exec_mode=[^&]*/, ''), query);
  expect(prepared.errors).toEqual([]);
  expect(prepared.values).toEqual(keda.values);
  console.log(`KEDA scaler through PgBouncer: ${keda.errors.length}/${keda.calls} calls failed; with prepared statements ${prepared.errors.length}/${prepared.calls} (${prepared.errors[0] ?? 'no error'})`);
  await stack.api('PATCH', `/api/v2/dags/platform_workload/dagRuns/${encodeURIComponent(runId)}`, { state: 'failed' });
});

test('under a burst of parallel task runs PostgreSQL connections stay within the PgBouncer pool', async () => {
  const p = stack.env.pgbouncer;
  const limit = p.metadataPoolSize;
  const runs = await Promise.all(Array.from({ length: 4 }, () => trigger(stack, 'platform_workload', { tasks: 40, seconds: 1 })));
  const sampler = samplePeakConnections(stack, 100);
  const states = await waitRuns(stack, 'platform_workload', runs, 420_000);
  const peak = await sampler.stop();
  expect(states).toEqual(runs.map(() => 'success'));
  expect(peak).toBeGreaterThan(0);
  expect(peak).toBeLessThanOrEqual(limit);
  console.log(`burst: 4 runs x 40 tasks, peak PostgreSQL connections ${peak} (PgBouncer limit ${limit})`);
});

test('each process holds only its own secrets, as files: no secret value in any Airflow process environment', async () => {
  const s = stack.secrets;
  const values = { dbPassword: s.dbPassword, redisAuthToken: s.redisAuthToken, fernetKey: s.fernetKey, apiSecretKey: s.apiSecretKey, jwtSigningKey: s.jwtSigning.privateKey, adminPassword: s.adminPassword };
  const airflow = [...stack.processes].filter(([n, p]) => p.running && !['postgres', 'pgbouncer', 'redis', 'aws-api'].includes(n));
  expect(airflow.length).toBeGreaterThanOrEqual(6);
  // The environment each process was started with (what /proc/<pid>/environ held before setproctitle reused it).
  const folders: Record<string, string[]> = {};
  for (const [name, p] of airflow) {
    const env = Object.entries(p.opts.env).map(([k, v]) => `${k}=${v}`).join('\n');
    for (const [what, v] of Object.entries(values)) expect([name, what, env.includes(v)]).toEqual([name, what, false]);
    const cmd = Object.entries(p.opts.env).find(([k]) => k.endsWith('_CMD'))![1]!;
    const dir = path.dirname(cmd.replace(/^cat /, ''));
    folders[name.replace(/-\d+$/, '')] = fs.readdirSync(dir).sort();
  }
  // The processes really ran (the tests above) holding only their table row.
  expect(folders).toEqual({
    'api-server': ['api-secret-key', 'fernet-key', 'jwt-key-set.json', 'jwt-signing-key.pem', 'sql-alchemy-conn'],
    scheduler: ['broker-url', 'fernet-key', 'jwt-signing-key.pem', 'result-backend', 'sql-alchemy-conn'],
    'dag-processor': ['fernet-key', 'sql-alchemy-conn'],
    triggerer: ['api-secret-key', 'fernet-key', 'sql-alchemy-conn'],
    worker: ['api-secret-key', 'broker-url', 'result-backend'],
  });
});

test('PgBouncer reaches PostgreSQL over TLS it verified (verify-full against the CA), as it reaches Aurora', async () => {
  expect(await stack.psqlViaPgBouncer('pgbouncer', 'SHOW CONFIG').then((o) => o.split('\n').find((l) => l.startsWith('server_tls_sslmode|')))).toMatch(/^server_tls_sslmode\|verify-full\|/);
  const rows = await stack.psqlDirect('postgres', `SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.datname = 'airflow' AND a.backend_type = 'client backend'`);
  expect(rows.split('\n').filter(Boolean).length).toBeGreaterThan(0);
  expect(rows.split('\n').filter((r) => r !== 't')).toEqual([]);
});

test('the api-server refuses anonymous access and a wrong password', async () => {
  for (const p of ['/api/v2/dags', '/api/v2/connections', '/api/v2/config']) {
    const r = await fetch(`${stack.apiUrl}${p}`);
    expect([401, 403]).toContain(r.status);
  }
  await expect(stack.apiToken(stack.adminUser, 'not-the-password')).rejects.toThrow(/login as .* failed: HTTP 401/);
});

test('the migration Job is safe to re-run on every sync: an existing admin keeps its password', async () => {
  // Argo CD runs the PreSync Job on every sync; a rotated secret must not reset a password changed since.
  const file = secretFile('adminPassword', processSecretDir(stack.paths, 'migrate'));
  const original = fs.readFileSync(file, 'utf8');
  fs.writeFileSync(file, 'a-rotated-secret-value');
  try {
    const output = await stack.bootstrap();
    expect(output).toMatch(new RegExp(`${stack.adminUser} already exists`));
  } finally {
    fs.writeFileSync(file, original);
  }
  await expect(stack.apiToken(stack.adminUser, 'a-rotated-secret-value')).rejects.toThrow(/HTTP 401/);
  expect(await stack.apiToken()).toBeTruthy();
});

test('connection passwords are Fernet-encrypted in PostgreSQL', async () => {
  const secret = `s3cret-${Date.now()}`;
  await stack.api('POST', '/api/v2/connections', { connection_id: 'fernet_probe', conn_type: 'postgres', host: 'db.example', login: 'u', password: secret });
  const cipher = await stack.psqlDirect('airflow', "SELECT password FROM connection WHERE conn_id = 'fernet_probe'");
  expect(await stack.psqlDirect('airflow', "SELECT is_encrypted FROM connection WHERE conn_id = 'fernet_probe'")).toBe('t');
  expect(cipher).not.toContain(secret);
  expect(cipher.startsWith('gAAAAA')).toBe(true); // Fernet token version byte 0x80
  const back = await stack.api<{ password: string }>('GET', '/api/v2/connections/fernet_probe');
  expect(back.password).toBe('***'); // the API masks it
});

test('UI: headless Chromium logs in, sees the DAG list and a finished run; screenshot saved', async () => {
  fs.mkdirSync(artifacts, { recursive: true });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await loginUi(page, stack);
    await page.goto(`${stack.apiUrl}/dags`);
    await page.getByText('example_platform').first().waitFor({ timeout: 60_000 });
    await page.getByText('platform_workload').first().waitFor();
    await page.screenshot({ path: path.join(artifacts, 'ui-dag-list.png'), fullPage: true });
    // The runs list shows each run's state in its own row: every row the API knows as a finished run must say
    // success there (a bare /success/i would match a filter label or any other text on the page).
    const { dag_runs: apiRuns } = await stack.api<{ dag_runs: { dag_run_id: string; state: string }[] }>('GET', '/api/v2/dags/example_platform/dagRuns?limit=100');
    expect(apiRuns.length).toBeGreaterThan(0);
    expect(apiRuns.map((r) => r.state)).toEqual(apiRuns.map(() => 'success'));
    await page.goto(`${stack.apiUrl}/dags/example_platform/runs`);
    const rows = page.locator('tbody tr');
    // Rendered: as many rows as runs, each showing a run state (not a loading placeholder); then each must be success.
    const states = /\b(success|failed|running|queued|upstream_failed)\b/i;
    let texts: string[] = [];
    await stack.waitFor(`the runs list to show the ${apiRuns.length} runs with their state`, async () => {
      texts = await rows.allInnerTexts();
      return texts.length === apiRuns.length && texts.every((t) => states.test(t));
    }, 60_000, 500);
    for (const text of texts) expect(text).toMatch(/\bsuccess\b/i);
    await page.screenshot({ path: path.join(artifacts, 'ui-example-platform-runs.png'), fullPage: true });
  } finally {
    await browser.close();
  }
  expect(fs.statSync(path.join(artifacts, 'ui-dag-list.png')).size).toBeGreaterThan(10_000);
});

test('local disk after the workload stays far below the emptyDir limits dist/ sets (du, printed)', async () => {
  const du = (p: string) => (fs.existsSync(p) ? Number(execFileSync('du', ['-sb', p]).toString().split('\t')[0]) : 0);
  const logs = du(stack.paths.logs);
  const bundles = du(path.join(stack.paths.state, 'dag-bundles'));
  const perWorker = [1, 2].map((i) => du(stack.workerLogDir(`worker-${i}`)));
  const dagProcessor = du(path.join(stack.paths.logs, 'dag_processor'));
  console.log(`local disk: logs ${logs} B (dag-processor ${dagProcessor} B, workers ${perWorker.join(' / ')} B), DAG bundles ${bundles} B`);
  const limits = kubernetesSizeLimits('dev', 'airflow-worker');
  expect(logs).toBeLessThan(limits.logs / 10);
  expect(bundles).toBeLessThan(limits['dag-bundles'] / 10);
});

test('clean shutdown: no process of the runner is left and its ports are free', async () => {
  const ports = Object.values(stack.ports);
  await stack.stop();
  expect(stack.leftoverPids()).toEqual([]);
  for (const p of ports) expect(await portInUse(p)).toBe(false);
});

/** KEDA's PostgreSQL scaler on a live database (cluster/operators/keda-scaler-probe). */
function runKedaScaler(connection: string, query: string): { calls: number; values: number[]; errors: string[] } {
  return JSON.parse(execFileSync(kedaScalerProbe(), ['-connection', connection, '-query', query, '-scalers', '2', '-rounds', '20'], { encoding: 'utf8', timeout: 120_000 }));
}
