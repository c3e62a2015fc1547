/**
 * The stack's custom resource that creates Airflow's database login, run as it ships: the bundled handler from
 * cdk.out/ (its PostgreSQL driver inside), against a real PostgreSQL with TLS, as Aurora's master would run it.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { AIRFLOW_DB_ROLE, DATABASES } from '../../manifests-src/config';
import { PG_BIN } from '../../local/prerequisites';
import { SERVER_USER, chownToServerUser } from '../../local/postgres-server';
import { makeTlsMaterial, serverCertificate } from '../../local/tls-material';
import { committedSynth } from './committed-synth';

const ROOT = path.resolve(__dirname, '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pg = require('pg');
type Login = { host: string; port: number; username: string; password: string; dbname?: string };

/** The handler's code as the dev stack publishes it: template S3Key -> the asset manifest's source folder. */
function bundledHandler(): string {
  const t = committedSynth().templates.dev.toJSON() as { Resources: Record<string, { Type: string; Properties: any }> };
  const fn = Object.entries(t.Resources).find(([id, r]) => r.Type === 'AWS::Lambda::Function' && /^AirflowDbLoginHandler/.test(id));
  if (!fn) throw new Error('no AirflowDbLogin handler in the dev template');
  const hash = String(fn[1].Properties.Code.S3Key).replace(/\.zip$/, '');
  const assets = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.out', 'airflow-eks-dev.assets.json'), 'utf8')) as { files: Record<string, { source: { path: string } }> };
  const source = assets.files[hash]?.source.path;
  if (!source) throw new Error(`asset ${hash} is not in the dev stack's asset manifest`);
  return path.join(ROOT, 'cdk.out', source, 'index.js');
}

let server: ChildProcess | undefined;
let work: string;
let ca: string;
const host = '127.0.0.1';
let port: number;
const master = { username: 'airflow_admin', password: 'master-Pw1' };

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, host, () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

async function query(login: Login, sql: string, params: unknown[] = []): Promise<any[]> {
  const c = new pg.Client({ host: login.host, port: login.port, user: login.username, password: login.password, database: login.dbname ?? DATABASES.metadata, ssl: { ca, rejectUnauthorized: true } });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows;
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'db-login-'));
  fs.chmodSync(work, 0o755);
  const data = path.join(work, 'data');
  const tls = path.join(work, 'tls');
  makeTlsMaterial(path.join(tls, 'ca.pem'), host);
  ca = fs.readFileSync(path.join(tls, 'ca.pem'), 'utf8');
  const pw = path.join(work, 'pw');
  fs.writeFileSync(pw, master.password);
  fs.mkdirSync(data);
  chownToServerUser(work);
  execFileSync('runuser', ['-u', SERVER_USER, '--', path.join(PG_BIN, 'initdb'), '-D', data, '-U', master.username, '--pwfile', pw, '--auth', 'scram-sha-256'], { stdio: 'pipe' });
  const { cert, key } = serverCertificate(path.join(tls, 'ca.pem'));
  fs.copyFileSync(cert, path.join(data, 'server.crt'));
  fs.copyFileSync(key, path.join(data, 'server.key'));
  fs.chmodSync(path.join(data, 'server.key'), 0o600);
  chownToServerUser(data);
  port = await freePort();
  server = spawn('runuser', ['-u', SERVER_USER, '--', path.join(PG_BIN, 'postgres'), '-D', data, '-p', String(port), '-k', work, '-c', `listen_addresses=${host}`, '-c', 'ssl=on', '-c', 'fsync=off'], { stdio: 'ignore', detached: true });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await query({ host, port, ...master, dbname: 'postgres' }, 'SELECT 1');
      break;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  // What Aurora does with defaultDatabaseName: the database exists, owned by the master.
  await query({ host, port, ...master, dbname: 'postgres' }, `CREATE DATABASE ${DATABASES.metadata}`);
}, 60_000);

afterAll(() => {
  if (server?.pid) process.kill(-server.pid, 'SIGINT'); // runuser and the postmaster: one process group
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test('the bundled handler creates the login, gives the role the database, and is idempotent', async () => {
  // A fresh node process from an empty folder: the asset must carry its own driver (no node_modules in Lambda).
  const file = bundledHandler();
  const copy = path.join(work, 'lambda');
  fs.mkdirSync(copy);
  fs.copyFileSync(file, path.join(copy, 'index.js'));
  const run = (login: Login) =>
    execFileSync(process.execPath, ['-e', `require('./index.js').ensureLogin(JSON.parse(process.argv[1])).then((r) => console.log(JSON.stringify(r)), (e) => { console.error(e.message); process.exit(1); })`, JSON.stringify({ master: { host, port, ...master }, login, role: AIRFLOW_DB_ROLE, tls: { ca } })], { cwd: copy, encoding: 'utf8', env: { PATH: process.env.PATH } });

  const login = { host, port, username: AIRFLOW_DB_ROLE, password: 'first-Pw1', dbname: DATABASES.metadata };
  const ran = run(login);
  expect(ran).toContain("PASSWORD '***'");
  expect(ran).not.toContain(login.password);
  expect(await query(login, 'SELECT current_user AS u')).toEqual([{ u: AIRFLOW_DB_ROLE }]);
  expect(await query(login, 'SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = current_database()')).toEqual([{ owner: AIRFLOW_DB_ROLE }]);
  await query(login, 'CREATE TABLE t_first (id int)');
  run(login); // a stack update runs it again

  // After a multi-user rotation the secret names the clone with a password the database may not have yet.
  const clone = { ...login, username: `${AIRFLOW_DB_ROLE}_clone`, password: 'clone-Pw2' };
  run(clone);
  await query(clone, `SET ROLE ${AIRFLOW_DB_ROLE}; CREATE TABLE t_clone (id int)`);
  const owners = await query(login, "SELECT tablename, tableowner FROM pg_tables WHERE tablename LIKE 't\\_%' ORDER BY 1");
  expect(owners).toEqual([
    { tablename: 't_clone', tableowner: AIRFLOW_DB_ROLE },
    { tablename: 't_first', tableowner: AIRFLOW_DB_ROLE },
  ]);
  // The previous login still works (alternating users: it stays valid until the next rotation).
  expect(await query(login, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
}, 60_000);

test('a wrong master password fails the custom resource instead of reporting success', async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ensureLogin } = require('../../infra/lib/functions/airflow-db-login/index.js');
  await expect(ensureLogin({ master: { host, port, ...master, password: 'wrong' }, login: { username: AIRFLOW_DB_ROLE, password: 'x', dbname: DATABASES.metadata }, role: AIRFLOW_DB_ROLE, tls: { ca } })).rejects.toThrow(/password authentication failed/);
});
