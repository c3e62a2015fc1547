import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AIRFLOW_DB_ROLE, DATABASES } from '../manifests-src/config';
import { psql, type PgLogin } from './clients';
import { LOOPBACK, portInUse } from './ports';
import { PG_BIN } from './prerequisites';
import type { StackContext } from './stack-options';
import { serverCertificate } from './tls-material';
// The custom resource's handler (plain JavaScript, bundled into the Lambda at synth): one code path here and in AWS.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureLogin: ensureAirflowLogin } = require('../infra/lib/functions/airflow-db-login/index.js') as { ensureLogin: (a: Record<string, unknown>) => Promise<string[]> };

/** PostgreSQL as Aurora's stand-in: TLS from the local CA, password auth, Airflow's own role and database. */

/** PostgreSQL and PgBouncer refuse to run as root. */
export const SERVER_USER = 'postgres';

export function chownToServerUser(p: string): void {
  execFileSync('chown', ['-R', `${SERVER_USER}:${SERVER_USER}`, p]);
}

/**
 * The servers run as SERVER_USER from folders under the local state: a folder above it that this user may not
 * enter (a clone in root's home folder, or in a `mktemp -d` folder) would fail initdb with a bare "Permission denied".
 */
export function assertServerUserReaches(dir: string): void {
  if (process.getuid?.() !== 0) return; // not root: the servers run as the caller
  const enters = (d: string) => spawnSync('runuser', ['-u', SERVER_USER, '--', 'test', '-x', d]).status === 0;
  const target = path.resolve(dir);
  if (enters(target)) return;
  const ancestors: string[] = [];
  for (let d = target; ; d = path.dirname(d)) {
    ancestors.unshift(d);
    if (d === path.dirname(d)) break;
  }
  const blocked = ancestors.find((d) => !enters(d)) ?? target;
  const mode = (fs.statSync(blocked).mode & 0o777).toString(8).padStart(4, '0');
  throw new Error(
    `PostgreSQL and PgBouncer run as user ${SERVER_USER}, which cannot enter ${blocked} (mode ${mode}) on the way to the local state ${target}: ` +
      `run from a clone in a folder others may enter, or allow it (chmod o+x ${blocked})`,
  );
}

const pgDataDir = (ctx: Pick<StackContext, 'paths'>) => path.join(ctx.paths.state, 'postgres');

/** The master login, straight to PostgreSQL (not through PgBouncer). */
export function masterLogin(ctx: Pick<StackContext, 'host' | 'ports' | 'secrets'>): PgLogin {
  return { host: ctx.host, port: ctx.ports.postgres, user: ctx.secrets.masterUser, password: ctx.secrets.masterPassword };
}

export async function startPostgres(ctx: StackContext): Promise<void> {
  const data = pgDataDir(ctx);
  const run = path.join(ctx.paths.state, 'run');
  if (!fs.existsSync(path.join(data, 'PG_VERSION'))) {
    fs.mkdirSync(data, { recursive: true });
    const pw = path.join(run, 'pgpass.tmp');
    fs.writeFileSync(pw, ctx.secrets.masterPassword);
    chownToServerUser(data);
    chownToServerUser(pw);
    execFileSync('runuser', ['-u', SERVER_USER, '--', path.join(PG_BIN, 'initdb'), '-D', data, '-U', ctx.secrets.masterUser, '--pwfile', pw, '--auth', 'scram-sha-256', '-E', 'UTF8'], { stdio: 'pipe' });
    fs.rmSync(pw);
  }
  const sock = path.join(run, 'pgsock');
  fs.mkdirSync(sock, { recursive: true });
  chownToServerUser(sock);
  chownToServerUser(run);
  allowClientNetworks(ctx, data);
  const args = ['-D', data, '-p', String(ctx.ports.postgres), '-k', sock, '-c', `listen_addresses=${ctx.host}`, '-c', 'max_connections=300', '-c', 'fsync=off', ...tlsArgs(ctx, data)];
  ctx.supervisor.spawn('postgres', { command: path.join(PG_BIN, 'postgres'), args, env: process.env, runAsUser: SERVER_USER });
  await ctx.supervisor.waitFor('postgres', () => portInUse(ctx.ports.postgres, ctx.host), 60_000);
  const master = masterLogin(ctx);
  await ctx.supervisor.waitFor('postgres accepting queries', async () => (await psql(master, 'postgres', 'SELECT 1').catch(() => '')) === '1', 60_000);
  // Aurora creates the database with the cluster (defaultDatabaseName), owned by the master.
  const exists = await psql(master, 'postgres', `SELECT 1 FROM pg_database WHERE datname = '${DATABASES.metadata}'`);
  if (exists !== '1') await psql(master, 'postgres', `CREATE DATABASE ${DATABASES.metadata}`);
  // Airflow's login and role: the code of the stack's custom resource, as it runs in AWS after the cluster.
  // Idempotent, and the secret is the truth: after a local rotation it makes the rotated login current again.
  await ensureAirflowLogin({
    master: { host: ctx.host, port: ctx.ports.postgres, username: master.user, password: master.password },
    login: { username: ctx.secrets.dbUser, password: ctx.secrets.dbPassword, dbname: DATABASES.metadata },
    role: AIRFLOW_DB_ROLE,
    tls: { ca: fs.readFileSync(ctx.paths.caCert, 'utf8') },
  });
}

/** TLS from the local CA, as Aurora has a certificate from the RDS CA: PgBouncer verifies it (verify-full). */
function tlsArgs(ctx: StackContext, data: string): string[] {
  const from = serverCertificate(ctx.paths.caCert);
  const cert = path.join(data, 'server.crt');
  const key = path.join(data, 'server.key');
  fs.copyFileSync(from.cert, cert);
  fs.copyFileSync(from.key, key);
  fs.chmodSync(key, 0o600);
  chownToServerUser(cert);
  chownToServerUser(key);
  return ['-c', 'ssl=on', '-c', `ssl_cert_file=${cert}`, '-c', `ssl_key_file=${key}`];
}

/** pg_hba entries for the client networks (password auth, as Aurora's security group plus credentials). */
function allowClientNetworks(ctx: StackContext, data: string): void {
  const hba = path.join(data, 'pg_hba.conf');
  const text = fs.readFileSync(hba, 'utf8');
  const own = ctx.host === LOOPBACK ? [] : [`${ctx.host}/32`];
  const missing = [...own, ...(ctx.opts.clientCidrs ?? [])].map((c) => `host all all ${c} scram-sha-256`).filter((l) => !text.includes(l));
  if (missing.length) fs.appendFileSync(hba, `${missing.join('\n')}\n`);
}
