/**
 * The stack's custom resource that creates Airflow's database login, run as it ships: the bundled handler from
 * cdk.out/ (its PostgreSQL driver inside), against a real PostgreSQL with TLS, as Aurora's master would run it.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AIRFLOW_DB_ROLE, DATABASES, DB_MASTER_USER } from '../../manifests-src/config';
import { bundledFunctionFile, type CfnTemplate } from '../../infra/assembly/cdk-out';
import { startTlsPostgres, type Login, type TlsPostgres } from '../support/tls-postgres';
import { committedSynth } from './committed-synth';

const ROOT = path.resolve(__dirname, '..', '..');

/** The handler's code as the dev stack publishes it (the asset in cdk.out/ its S3 key names). */
function bundledHandler(): string {
  const t = committedSynth().templates.dev.toJSON() as CfnTemplate;
  return bundledFunctionFile(path.join(ROOT, 'cdk.out'), 'airflow-eks-dev', t, /^AirflowDbLoginHandler[0-9A-F]{8}$/);
}

let db: TlsPostgres;
let work: string;
let ca: string;
let host: string;
let port: number;
const master = { username: DB_MASTER_USER, password: 'master-Pw1' };
const query = (login: Login, sql: string, params: unknown[] = []) => db.query(login, sql, params);

beforeAll(async () => {
  db = await startTlsPostgres(master.username, master.password);
  ({ work, ca, host, port } = db);
}, 60_000);

afterAll(() => db?.stop());

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
