import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { AIRFLOW_DB_ROLE, DATABASES, K8S_SECRETS } from '../../manifests-src/config';
import type { LocalStack } from '../../local/stack';
import { PROJECT_ROOT, VENV_BIN } from '../../local/stack';
import { psql } from '../../local/clients';
import { LOOPBACK } from '../../local/ports';
import { startTestStack, taskInstances, trigger, unpause, waitRuns, WORKLOAD_TASK } from '../support/local-stack';

/**
 * The database credentials as dist/dev renders them, on the real stack: the migration's direct path keeps an
 * idle-in-transaction lock session alive past PgBouncer's idle_transaction_timeout, and a password rotation
 * (alternating logins, one ExternalSecret) while tasks run fails no task.
 */
jest.setTimeout(900_000);

const run = promisify(execFile);
const HOLD_SCRIPT = path.join(PROJECT_ROOT, 'test', 'local', 'fixtures', 'hold_migration_lock.py');
let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack('db-credentials', { workers: 1 });
  await unpause(stack, 'platform_workload');
  // Warm-up: the first tasks after a cold start meet a cold api-server (bundle checkout, imports); on a
  // loaded machine their Execution API calls can time out and retry. The rotation test counts retries.
  const warm = await trigger(stack, 'platform_workload', { tasks: 4, seconds: 0 });
  await waitRuns(stack, 'platform_workload', [warm], 600_000);
});

afterAll(async () => {
  await stack?.stop();
});

/** Runs the fixture with an environment; resolves with its exit code and output. */
async function hold(mode: 'migration-lock' | 'idle-transaction', seconds: number, env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(path.join(VENV_BIN, 'python'), [HOLD_SCRIPT, mode, String(seconds)], { env, cwd: stack.paths.state, timeout: (seconds + 120) * 1000 });
    return { code: 0, out: stdout + stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : 1, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

test('the migration path keeps its advisory-lock session past PgBouncer idle_transaction_timeout; the clients\' path would not', async () => {
  const timeout = stack.env.pgbouncer.idleTransactionTimeoutSeconds;
  expect(timeout).toBeGreaterThan(0);
  const seconds = timeout + 15;
  const started = Date.now();
  const [migration, viaPgBouncer] = await Promise.all([
    hold('migration-lock', seconds, stack.migrationEnv()),
    // Control: the same idle-in-transaction pattern on the URL every other component uses is cut, so the
    // first result proves the path, not a lenient timeout.
    (async () => {
      // The lock is held and its session is idle in a transaction on the direct path while we look.
      await stack.waitFor('the migration lock to be held', async () =>
        (await stack.psqlDirect('postgres', "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE l.locktype = 'advisory' AND a.state = 'idle in transaction'")) === '1', 120_000, 500);
      return hold('idle-transaction', seconds, stack.airflowEnv('scheduler'));
    })(),
  ]);
  expect(Date.now() - started).toBeGreaterThanOrEqual(seconds * 1000);
  expect(migration.out).toContain('session survived');
  expect(migration.code).toBe(0);
  expect(viaPgBouncer.code).not.toBe(0);
  expect(viaPgBouncer.out).toMatch(/idle transaction timeout|server closed the connection/);
});

/** Logs in to the database directly with a login; resolves with the session user. */
async function sessionUser(user: string, password: string): Promise<string> {
  return psql({ host: LOOPBACK, port: stack.ports.postgres, user, password }, DATABASES.metadata, 'SELECT session_user');
}

test('password rotation while tasks run: alternating logins, one rendered Secret, 0 failed tasks', async () => {
  const keys = K8S_SECRETS.metadata.keys;
  const clientKeys = [keys.sqlAlchemyConn, keys.kedaConn, keys.pgbouncerUserlist];
  const clientView = () => clientKeys.map((k) => stack.secretValues()[K8S_SECRETS.metadata.name][k]);
  const before = clientView();
  // Every session on the metadata database but our own psql: PgBouncer's server connections, one row each.
  const serverLogins = async () => (await stack.psqlDirect('postgres', `SELECT usename FROM pg_stat_activity WHERE datname = '${DATABASES.metadata}' AND application_name <> 'psql'`)).split('\n').filter(Boolean);
  // The login the refreshed Secret gives PgBouncer (its databases.ini), whatever performed the rotation.
  const secretLogin = () => /\buser=(\S+)/.exec(stack.secretValues()[K8S_SECRETS.metadata.name][keys.pgbouncerDatabases])?.[1];
  // Running work tasks (not the short `plan` task, which may end before the switch).
  const running = async () => Number(await stack.psqlDirect(DATABASES.metadata, `SELECT count(*) FROM task_instance WHERE state = 'running' AND dag_id = 'platform_workload' AND task_id = '${WORKLOAD_TASK}'`));

  const runs = await Promise.all([1, 2].map(() => trigger(stack, 'platform_workload', { tasks: 24, seconds: 4 })));

  const logins: string[] = [];
  /** Moments of each rotation and each switch (PgBouncer given the new login), epoch seconds. */
  const moments: { what: string; at: number }[] = [];
  for (const expected of [`${AIRFLOW_DB_ROLE}_clone`, AIRFLOW_DB_ROLE]) {
    // Work in flight: a run triggered before the rotation, whose tasks are running when the login changes.
    runs.push(await trigger(stack, 'platform_workload', { tasks: 16, seconds: 8 }));
    await stack.waitFor('work tasks running before the rotation', async () => (await running()) >= 4, 300_000, 250);
    const previous = { user: stack.secrets.dbUser, password: stack.secrets.dbPassword };
    // The rotation function sets the new password on the other login; Secrets Manager's current value changes.
    const current = await stack.rotateDatabaseLogin();
    moments.push({ what: `rotation to ${expected}`, at: Date.now() / 1000 });
    expect(current).toBe(expected);
    expect(secretLogin()).toBe(expected);
    // Until PgBouncer gets the refreshed Secret (External Secrets' refresh + the pod roll: up to an hour),
    // it still logs in with the previous login, which the alternating scheme keeps valid.
    expect(await sessionUser(previous.user, previous.password)).toBe(previous.user);
    stack.reloadPgBouncerSecret();
    moments.push({ what: `switch to ${expected}`, at: Date.now() / 1000 });
    // PgBouncer replaces its server connections as they are released: then every one of them uses the new login.
    let seen: string[] = [];
    await stack
      .waitFor(`every PgBouncer server connection logged in as ${expected}`, async () => {
        seen = await serverLogins();
        return seen.length > 0 && seen.every((u) => u === expected);
      }, 180_000, 500)
      .catch((e: Error) => {
        throw new Error(`${e.message}; server connections by login: ${seen.join(', ')}`);
      });
    logins.push(expected);
    // Work keeps flowing through the rotation: a run triggered now completes too.
    runs.push(await trigger(stack, 'platform_workload', { tasks: 8, seconds: 1 }));
  }
  expect(logins).toEqual([`${AIRFLOW_DB_ROLE}_clone`, AIRFLOW_DB_ROLE]);

  // Clients and PgBouncer never disagree: nothing a client holds changed with the rotation.
  expect(clientView()).toEqual(before);
  expect(await stack.psqlViaPgBouncer(DATABASES.metadata, 'SELECT current_user')).toBe(AIRFLOW_DB_ROLE);

  const states = await waitRuns(stack, 'platform_workload', runs, 600_000);
  expect(states).toEqual(runs.map(() => 'success'));
  // Tasks were running at each rotation and each switch: task instances that started before it and ended after it.
  for (const m of moments) {
    const spanning = Number(await stack.psqlDirect(DATABASES.metadata, `SELECT count(*) FROM task_instance WHERE dag_id = 'platform_workload' AND start_date < to_timestamp(${m.at}) AND end_date > to_timestamp(${m.at})`));
    expect({ moment: m.what, tasksRunning: spanning > 0 }).toEqual({ moment: m.what, tasksRunning: true });
  }
  // 0 failed tasks: not one try failed and was retried, and PgBouncer refused no login.
  expect(fs.readFileSync(stack.processes.get('pgbouncer')!.opts.logFile, 'utf8')).not.toMatch(/password authentication failed|login rejected|SASL authentication failed/);
  for (const r of runs) expect((await taskInstances(stack, 'platform_workload', r)).filter((t) => t.try_number !== 1 || t.state !== 'success')).toEqual([]);
});

/** Seconds of the task that runs across every rotation below: a 10-minute task, and long enough to outlast four rollouts on 2 vCPU. */
const LONG_TASK_SECONDS = 600;
/** Connection and variable written with the old Fernet key; read back after only the new one is left. */
const PROBE = { conn: 'fernet_rotation_probe', password: 'probe-password-1', variable: 'fernet_rotation_probe', value: 'probe-value-1' };

/** Whether `key` (a single Fernet key) decrypts each ciphertext, by the cryptography package Airflow uses. */
async function decryptsWith(key: string, tokens: string[]): Promise<boolean[]> {
  const code = 'import json,sys\nfrom cryptography.fernet import Fernet, InvalidToken\nf = Fernet(sys.argv[1].encode())\nout = []\nfor t in json.loads(sys.stdin.read()):\n    try:\n        f.decrypt(t.encode()); out.append(True)\n    except InvalidToken:\n        out.append(False)\nprint(json.dumps(out))';
  return new Promise((resolve, reject) => {
    const child = execFile(path.join(VENV_BIN, 'python'), ['-c', code, key], (err, stdout, stderr) => (err ? reject(new Error(`${err.message}: ${stderr}`)) : resolve(JSON.parse(stdout) as boolean[])));
    child.stdin!.end(JSON.stringify(tokens));
  });
}

test('secret rotations while a 10-minute task runs and deferred tasks wait (JWT signing keys, [api] secret_key, broker token, Fernet key): each rolls the readers dist/ names, the task succeeds on try 1 on the worker that started it, replaced workers drain and exit 0, every encrypted value is re-encrypted with the new key', async () => {
  // Encrypted with the current (old) Fernet key, the way users store them: through the REST API.
  await stack.api('POST', '/api/v2/connections', { connection_id: PROBE.conn, conn_type: 'postgres', host: 'db.example.internal', login: 'probe', password: PROBE.password });
  await stack.api('POST', '/api/v2/variables', { key: PROBE.variable, value: PROBE.value });
  await unpause(stack, 'deferred_workload');
  const long = await trigger(stack, 'platform_workload', { tasks: 1, seconds: LONG_TASK_SECONDS });
  const deferred = await trigger(stack, 'deferred_workload', { seconds: LONG_TASK_SECONDS });
  const work = async () => (await taskInstances(stack, 'platform_workload', long)).filter((t) => t.task_id === WORKLOAD_TASK);
  await stack.waitFor('the long task running', async () => (await work()).some((t) => t.state === 'running'), 300_000, 500);
  const triggerKwargs = async () => (await stack.psqlDirect(DATABASES.metadata, `SELECT t.kwargs FROM trigger t JOIN task_instance ti ON ti.trigger_id = t.id WHERE ti.run_id = '${deferred}' AND ti.state = 'deferred' ORDER BY t.id`)).split('\n').filter(Boolean);
  await stack.waitFor('the three waits deferred', async () => (await triggerKwargs()).length === 3, 300_000, 500);
  const [{ hostname: host }] = await work();
  const stillRunning = async (after: string) => expect({ after, ti: (await work()).map((t) => [t.state, t.try_number, t.hostname]) }).toEqual({ after, ti: [['running', 1, host]] });
  const components = (rolled: string[]) => [...new Set(rolled.map((n) => n.replace(/-\d+$/, '')))];

  // JWT: the task heartbeats with a token signed by the key being replaced, through the roll of the api-server
  // (which validates) and the schedulers (which sign).
  const before = stack.secrets.jwtSigning;
  const jwt = await stack.rotateJwtKeys();
  expect(stack.secrets.jwtSigning.privateKey).toBe(before.nextPrivateKey);
  expect(components(jwt.rolled)).toEqual(['api-server', 'scheduler']);
  await stillRunning('JWT rotation');

  // [api] secret_key: the api-server, the triggerer and the workers roll; the worker running the task drains.
  const api = await stack.rotateApiSecretKey();
  expect(components(api.rolled)).toEqual(['api-server', 'triggerer', 'worker']);
  await stillRunning('apiSecretKey rotation');

  // Broker token (ElastiCache ROTATE, rollout, SET): the schedulers and the workers roll; a draining worker is not rolled twice.
  const broker = await stack.rotateBrokerToken();
  expect(components(broker.rolled)).toEqual(['scheduler', 'worker']);
  expect(broker.rolled).not.toContain(api.rolled.find((n) => n.startsWith('worker-')));
  await broker.finish();
  await stillRunning('broker token rotation');

  // Fernet key (new,old; re-encrypt; new): the processes that read it roll twice; afterwards the stored connection
  // and variable open with the new key and not with the old one. The waiting triggers' kwargs are plain JSON (the
  // Execution API stores what a worker deferred unencrypted), which Airflow 3.3's own rotate-fernet-key cannot
  // pass: it fails on them and rotates nothing, so the runbook's step is manifests-src/airflow/rotate_fernet_key.py.
  const ciphertexts = async () => [
    await stack.psqlDirect(DATABASES.metadata, `SELECT password FROM connection WHERE conn_id = '${PROBE.conn}'`),
    await stack.psqlDirect(DATABASES.metadata, `SELECT val FROM variable WHERE key = '${PROBE.variable}'`),
  ];
  const sealed = await ciphertexts();
  expect((await triggerKwargs()).map((k) => k.startsWith('{'))).toEqual([true, true, true]);
  const fernet = await stack.rotateFernetKey({
    beforeReencrypt: async () => {
      await expect(stack.cli('scheduler', ['rotate-fernet-key'])).rejects.toThrow(/InvalidToken/);
      expect(await ciphertexts()).toEqual(sealed);
    },
  });
  expect(fernet.reencrypted).toContain('re-encrypted with the first key');
  expect(await decryptsWith(fernet.oldKey, sealed)).toEqual([true, true]);
  expect(components(fernet.first.rolled)).toEqual(['api-server', 'dag-processor', 'scheduler', 'triggerer']);
  expect(components(fernet.second.rolled)).toEqual(['api-server', 'dag-processor', 'scheduler', 'triggerer']);
  expect(stack.secrets.fernetKey).toBe(fernet.newKey);
  const resealed = await ciphertexts();
  expect(await decryptsWith(fernet.newKey, resealed)).toEqual([true, true]);
  expect(await decryptsWith(fernet.oldKey, resealed)).toEqual([false, false]);
  // Read back through Airflow with only the new key: the CLI as the scheduler, the REST API through the api-server.
  expect(JSON.parse(await stack.cli('scheduler', ['connections', 'get', PROBE.conn, '-o', 'json']))).toEqual([expect.objectContaining({ conn_id: PROBE.conn, password: PROBE.password })]);
  expect(await stack.api<{ value: string }>('GET', `/api/v2/variables/${PROBE.variable}`)).toEqual(expect.objectContaining({ value: PROBE.value }));
  await stillRunning('Fernet key rotation');
  expect((await taskInstances(stack, 'deferred_workload', deferred)).map((t) => [t.task_id, t.state])).toEqual([0, 1, 2].map((i) => [`wait_${i}`, 'deferred']));

  // Work started after all four runs on the new values.
  const after = await trigger(stack, 'platform_workload', { tasks: 4, seconds: 1 });
  expect(await waitRuns(stack, 'platform_workload', [long, after], 900_000)).toEqual(['success', 'success']);
  expect(await waitRuns(stack, 'deferred_workload', [deferred], 600_000)).toEqual(['success']);
  for (const r of [long, after]) expect((await taskInstances(stack, 'platform_workload', r)).filter((t) => t.try_number !== 1 || t.state !== 'success')).toEqual([]);
  expect((await taskInstances(stack, 'deferred_workload', deferred)).filter((t) => t.try_number !== 1 || t.state !== 'success')).toEqual([]);
  // Warm shutdowns: every replaced worker left on its own after its tasks, exit 0.
  expect([...(await jwt.draining), ...(await api.draining), ...(await broker.draining), ...(await fernet.first.draining), ...(await fernet.second.draining)]).toEqual([0, 0]);
});
