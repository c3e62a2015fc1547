/**
 * A throw-away PostgreSQL standing in for Aurora in unit-ish tests of the stack's database functions: TLS from a
 * fresh local CA, scram passwords, the master login and the metadata database Aurora creates with the cluster.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { DATABASES } from '../../manifests-src/config';
import { PG_BIN } from '../../local/prerequisites';
import { SERVER_USER, chownToServerUser } from '../../local/postgres-server';
import { makeTlsMaterial, serverCertificate } from '../../local/tls-material';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const pg = require('pg');

export type Login = { host: string; port: number; username: string; password: string; dbname?: string };

export interface TlsPostgres {
  readonly host: string;
  readonly port: number;
  /** PEM of the CA the server's certificate is from; `caFile` the same on disk. */
  readonly ca: string;
  readonly caFile: string;
  /** A scratch folder the test may use (removed by stop). */
  readonly work: string;
  readonly master: Login;
  /** One query on a new verified-TLS connection as `login` (default database: the metadata database). */
  query(login: Login, sql: string, params?: unknown[]): Promise<any[]>;
  /** A connection kept open (the caller ends it). */
  connect(login: Login): Promise<{ query(sql: string): Promise<{ rows: any[] }>; end(): Promise<void> }>;
  stop(): void;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, host, () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

export async function startTlsPostgres(masterUser: string, masterPassword: string): Promise<TlsPostgres> {
  const host = '127.0.0.1';
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tls-pg-'));
  fs.chmodSync(work, 0o755);
  const data = path.join(work, 'data');
  const tls = path.join(work, 'tls');
  const caFile = path.join(tls, 'ca.pem');
  makeTlsMaterial(caFile, host);
  const ca = fs.readFileSync(caFile, 'utf8');
  const pw = path.join(work, 'pw');
  fs.writeFileSync(pw, masterPassword);
  fs.mkdirSync(data);
  chownToServerUser(work);
  execFileSync('runuser', ['-u', SERVER_USER, '--', path.join(PG_BIN, 'initdb'), '-D', data, '-U', masterUser, '--pwfile', pw, '--auth', 'scram-sha-256'], { stdio: 'pipe' });
  const { cert, key } = serverCertificate(caFile);
  fs.copyFileSync(cert, path.join(data, 'server.crt'));
  fs.copyFileSync(key, path.join(data, 'server.key'));
  fs.chmodSync(path.join(data, 'server.key'), 0o600);
  chownToServerUser(data);
  const port = await freePort(host);
  const server: ChildProcess = spawn('runuser', ['-u', SERVER_USER, '--', path.join(PG_BIN, 'postgres'), '-D', data, '-p', String(port), '-k', work, '-c', `listen_addresses=${host}`, '-c', 'ssl=on', '-c', 'fsync=off'], { stdio: 'ignore', detached: true });
  const master: Login = { host, port, username: masterUser, password: masterPassword };
  const connect = async (login: Login) => {
    const c = new pg.Client({ host: login.host, port: login.port, user: login.username, password: login.password, database: login.dbname ?? DATABASES.metadata, ssl: { ca, rejectUnauthorized: true } });
    // A session still open when the server stops errors on the client; its queries report failures themselves.
    c.on('error', () => undefined);
    await c.connect();
    return c;
  };
  const query = async (login: Login, sql: string, params: unknown[] = []) => {
    const c = await connect(login);
    try {
      return (await c.query(sql, params)).rows;
    } finally {
      await c.end();
    }
  };
  const stop = () => {
    if (server.pid) process.kill(-server.pid, 'SIGINT'); // runuser and the postmaster: one process group
    fs.rmSync(work, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await query({ ...master, dbname: 'postgres' }, 'SELECT 1');
      break;
    } catch (e) {
      if (Date.now() > deadline) {
        stop();
        throw e;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  // What Aurora does with defaultDatabaseName: the database exists, owned by the master.
  await query({ ...master, dbname: 'postgres' }, `CREATE DATABASE ${DATABASES.metadata}`);
  return { host, port, ca, caFile, work, master, query, connect, stop };
}
