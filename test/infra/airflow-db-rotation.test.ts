/**
 * The stack's rotation function of Airflow's database login, run as it ships: the bundled asset from cdk.out/ in a
 * process of its own with only the AWS SDK beside it (what the Lambda runtime provides), driven step by step as
 * Secrets Manager drives it, against the AWS emulator's Secrets Manager (seeded from the dev template) and a real
 * PostgreSQL with TLS.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AIRFLOW_DB_ROLE, DATABASES, SECRET_KEYS, secretsManagerNames } from '../../manifests-src/config';
import { bundledFunctionFile, createdSecrets, type CfnTemplate } from '../../infra/assembly/cdk-out';
import { stackName } from '../../infra/lib/airflow-eks-stack';
import { awsJson, seedSecrets } from '../../local/aws-seed';
import { rotateAirflowLogin } from '../../local/login-rotation';
import { currentValue, invokeRotationStep, rotateSecret, ROTATION_STEPS, type RotationTarget } from '../../local/secret-rotation';
import { TOOLS_BIN } from '../../local/prerequisites';
import { loadOrCreateSecrets } from '../../local/secret-store';
import type { LocalSecrets } from '../../local/settings';
import { devEnvironment } from '../support/local-stack';
import { freePort, startTlsPostgres, type Login, type TlsPostgres } from '../support/tls-postgres';
import { committedSynth } from './committed-synth';

const ROOT = path.resolve(__dirname, '..', '..');
const env = devEnvironment();
const secretId = secretsManagerNames(env).airflowDb;
const k = SECRET_KEYS.airflowDb;
const clone = `${AIRFLOW_DB_ROLE}_clone`;

let db: TlsPostgres;
let moto: ChildProcess | undefined;
let target: RotationTarget;
let handler: string;
let local: LocalSecrets;

/** The asset copied into an empty folder that has only the AWS SDK (the runtime's): the driver must be inside. */
function lambdaFolder(work: string): string {
  const t = committedSynth().templates.dev.toJSON() as CfnTemplate;
  const file = bundledFunctionFile(path.join(ROOT, 'cdk.out'), stackName(env), t, /^AirflowDbLoginRotationHandler[0-9A-F]{8}$/);
  const dir = path.join(work, 'lambda');
  fs.mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
  fs.copyFileSync(file, path.join(dir, 'index.js'));
  fs.symlinkSync(path.join(ROOT, 'node_modules', '@aws-sdk'), path.join(dir, 'node_modules', '@aws-sdk'));
  return path.join(dir, 'index.js');
}

const login = (v: Record<string, string>): Login => ({ host: db.host, port: db.port, username: v[k.username], password: v[k.password] });
const versions = async () => (await awsJson(target.endpoint, target.region, 'secretsmanager', 'secretsmanager.DescribeSecret', { SecretId: secretId })).json.VersionIdsToStages as Record<string, string[]>;
const pending = async (token: string) => {
  const r = await awsJson(target.endpoint, target.region, 'secretsmanager', 'secretsmanager.GetSecretValue', { SecretId: secretId, VersionId: token, VersionStage: 'AWSPENDING' });
  return JSON.parse(String(r.json.SecretString)) as Record<string, string>;
};

beforeAll(async () => {
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'db-rotation-'));
  local = loadOrCreateSecrets(state);
  fs.rmSync(state, { recursive: true, force: true });
  db = await startTlsPostgres(local.masterUser, local.masterPassword);
  const awsPort = await freePort();
  moto = spawn(path.join(TOOLS_BIN, 'moto_server'), ['-H', db.host, '-p', String(awsPort)], { stdio: 'ignore' });
  target = { endpoint: `http://${db.host}:${awsPort}`, region: env.aws.region, caCert: db.caFile };
  const deadline = Date.now() + 30_000;
  while ((await fetch(target.endpoint).catch(() => undefined)) === undefined) {
    if (Date.now() > deadline) throw new Error('the AWS emulator did not start');
    await new Promise((r) => setTimeout(r, 200));
  }
  // What the deployed stack holds: the template's secrets (masterarn = the master's ARN), the local values generated.
  const template = committedSynth().templates.dev.toJSON() as CfnTemplate;
  await seedSecrets(env, template, target, { host: db.host, postgresPort: db.port, redisPort: 1, dbname: DATABASES.metadata }, local, {});
  handler = lambdaFolder(db.work);
  // The login custom resource has run (deploy time), as the rotation schedule's dependency makes it in AWS.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ensureLogin } = require('../../infra/lib/functions/airflow-db-login/index.js');
  await ensureLogin({ master: db.master, login: { username: AIRFLOW_DB_ROLE, password: local.dbPassword, dbname: DATABASES.metadata }, role: AIRFLOW_DB_ROLE, tls: { ca: db.ca } });
}, 90_000);

afterAll(() => {
  moto?.kill();
  db?.stop();
});

test('two rotations alternate the login; the previous login keeps working until it is rotated again', async () => {
  const first = await currentValue(target, secretId);
  expect(first[k.username]).toBe(AIRFLOW_DB_ROLE);
  // A client connected before any rotation (PgBouncer's server connection).
  const open = await db.connect(login(first));

  const token1 = await rotateSecret(handler, target, secretId);
  const second = await currentValue(target, secretId);
  expect(second[k.username]).toBe(clone);
  expect(second[k.password]).not.toBe(first[k.password]);
  // Every other key is carried over: clients keep clientPassword, the next rotation finds the master.
  const rest = (v: Record<string, string>) => Object.fromEntries(Object.entries(v).filter(([key]) => key !== k.username && key !== k.password));
  expect(rest(second)).toEqual(rest(first));
  expect((await versions())[token1]).toContain('AWSCURRENT');
  expect(Object.values(await versions()).filter((s) => s.includes('AWSPREVIOUS'))).toHaveLength(1);
  // The clone acts as the owner role: what it creates belongs to the role.
  const asClone = await db.connect(login(second));
  await asClone.query(`SET ROLE ${AIRFLOW_DB_ROLE}`);
  await asClone.query('CREATE TABLE t_rotated (id int)');
  expect((await asClone.query("SELECT tableowner FROM pg_tables WHERE tablename = 't_rotated'")).rows).toEqual([{ tableowner: AIRFLOW_DB_ROLE }]);
  await asClone.end();
  // The previous login still logs in, and the open session still works.
  expect(await db.query(login(first), 'SELECT session_user AS u')).toEqual([{ u: AIRFLOW_DB_ROLE }]);
  expect((await open.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);

  await rotateSecret(handler, target, secretId);
  const third = await currentValue(target, secretId);
  expect(third[k.username]).toBe(AIRFLOW_DB_ROLE);
  expect(third[k.password]).not.toBe(first[k.password]);
  // Rotated again: the first password is gone; the clone's (now previous) still works.
  await expect(db.query(login(first), 'SELECT 1')).rejects.toThrow(/password authentication failed/);
  expect(await db.query(login(second), 'SELECT session_user AS u')).toEqual([{ u: clone }]);
  expect(await db.query(login(third), 'SELECT session_user AS u')).toEqual([{ u: AIRFLOW_DB_ROLE }]);
  // PostgreSQL keeps sessions across a password change: the session opened before the first rotation lives on.
  expect((await open.query('SELECT current_user AS u')).rows).toEqual([{ u: AIRFLOW_DB_ROLE }]);
  await open.end();
}, 120_000);

test('each step run twice (as Secrets Manager retries) changes nothing more; a finished token is left alone', async () => {
  const before = await currentValue(target, secretId);
  const token = randomUUID();
  const run = (Step: (typeof ROTATION_STEPS)[number]) => invokeRotationStep(handler, target, { SecretId: secretId, ClientRequestToken: token, Step });

  await run('createSecret');
  const made = await pending(token);
  await run('createSecret');
  expect(await pending(token)).toEqual(made);
  expect(made[k.username]).not.toBe(before[k.username]);
  expect(Object.values(await versions()).filter((s) => s.includes('AWSPENDING'))).toHaveLength(1);

  await run('setSecret');
  await run('setSecret');
  expect(await db.query(login(made), 'SELECT session_user AS u')).toEqual([{ u: made[k.username] }]);
  await run('testSecret');
  await run('testSecret');
  // Not current until finishSecret: clients reading AWSCURRENT still get the previous login.
  expect(await currentValue(target, secretId)).toEqual(before);

  await run('finishSecret');
  await run('finishSecret');
  expect(await currentValue(target, secretId)).toEqual(made);
  expect((await versions())[token]).toContain('AWSCURRENT');
  // A retry of any step after the rotation finished: nothing changes, the password stays the one in the database.
  for (const step of ROTATION_STEPS) await run(step);
  expect(await currentValue(target, secretId)).toEqual(made);
  expect(await db.query(login(made), 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
}, 120_000);

test('testSecret fails while the pending login does not work yet, and a step of an unknown token is refused', async () => {
  const token = randomUUID();
  const run = (Step: (typeof ROTATION_STEPS)[number], t = token) => invokeRotationStep(handler, target, { SecretId: secretId, ClientRequestToken: t, Step });
  const before = await currentValue(target, secretId);
  await run('createSecret');
  // setSecret skipped: the database still has the pending login's previous password.
  await expect(run('testSecret')).rejects.toThrow(/rotation step testSecret .* failed: .*password authentication failed/s);
  await expect(run('setSecret', 'never-staged-token-0000-000000000000')).rejects.toThrow(/is not pending rotation/);
  // Finish the interrupted rotation as Secrets Manager's retry would, so the secret ends consistent.
  for (const step of ['setSecret', 'testSecret', 'finishSecret'] as const) await run(step);
  expect((await currentValue(target, secretId))[k.username]).not.toBe(before[k.username]);
}, 120_000);

test("the local runner's rotation seeds an empty emulator from the template, then rotates with the same function from cdk.out/", async () => {
  // A second emulator, empty, as the local runner's is when it first rotates.
  const port = await freePort();
  const second = spawn(path.join(TOOLS_BIN, 'moto_server'), ['-H', db.host, '-p', String(port)], { stdio: 'ignore' });
  try {
    const fresh = { ...target, endpoint: `http://${db.host}:${port}` };
    const deadline = Date.now() + 30_000;
    while ((await fetch(fresh.endpoint).catch(() => undefined)) === undefined) {
      if (Date.now() > deadline) throw new Error('the second AWS emulator did not start');
      await new Promise((r) => setTimeout(r, 200));
    }
    const at = { host: db.host, postgresPort: db.port, redisPort: 1, dbname: DATABASES.metadata };
    const now = await rotateAirflowLogin(env, fresh, at, local);
    // Seeded with the runner's first login (airflow), so the rotation made the clone current, in the emulator and the database.
    expect(now.username).toBe(clone);
    expect(await currentValue(fresh, secretId)).toMatchObject({ [k.username]: clone, [k.password]: now.password, [k.clientPassword]: local.clientPassword });
    expect(await db.query({ host: db.host, port: db.port, ...now }, 'SELECT session_user AS u')).toEqual([{ u: clone }]);
    // Only what the template creates is there (the preflight's user secrets are not the rotation's business).
    const names = ((await awsJson(fresh.endpoint, fresh.region, 'secretsmanager', 'secretsmanager.ListSecrets', {})).json.SecretList as { Name: string }[]).map((x) => x.Name).sort();
    const template = committedSynth().templates.dev.toJSON() as CfnTemplate;
    expect(names).toEqual(createdSecrets(template).map((x) => x.name).filter(Boolean).sort());
  } finally {
    second.kill();
  }
}, 120_000);
