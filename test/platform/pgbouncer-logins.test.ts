/**
 * Who may log in to PgBouncer, checked on the real program (the version dist/ ships: Debian's package at
 * images.pgbouncer's pin, from the local runner's root of it, local/pgbouncer-root.ts) running the committed
 * dist/dev ConfigMap (pgbouncer.ini + HBA rules) and the files the committed ExternalSecret renders: the
 * exporter's password-less stats login works from the pod's loopback and only there, only on the read-only
 * console; Airflow's login is SCRAM. No upstream database is needed: nothing here opens a server connection.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { renderSecretTemplate } from '../../manifests-src/platform/external-secret-objects';
import { REPO_ROOT } from '../../cluster/images/build';
import { pgbouncerCommand, pgbouncerRoot } from '../../local/pgbouncer-root';
import { loadEnvironments } from '../../manifests-src/config';

const DIST = join(REPO_ROOT, 'dist/dev');
type Obj = Record<string, any>;

function distObject(file: string, kind: string, name: string): Obj {
  const docs = parseAllDocuments(readFileSync(join(DIST, file), 'utf8')).map((d) => d.toJSON() as Obj);
  const o = docs.find((d) => d?.kind === kind && d.metadata?.name === name);
  if (!o) throw new Error(`dist/dev/${file}: no ${kind} ${name}`);
  return o;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** An address of this machine that is not loopback: a client connecting to it arrives from it. */
function nonLoopbackAddress(): string {
  const a = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal);
  if (!a) throw new Error('this machine has no non-loopback IPv4 address to connect from; the refusal cannot be tested here');
  return a.address;
}

interface PsqlResult { ok: boolean; out: string }

/** psql with a connection URL; never prompts for a password. */
function psql(url: string, sql: string, password?: string): Promise<PsqlResult> {
  const env = { ...process.env, PGCONNECT_TIMEOUT: '5' } as NodeJS.ProcessEnv;
  delete env.PGPASSWORD;
  if (password !== undefined) env.PGPASSWORD = password;
  return new Promise((resolve) => {
    execFile('psql', [url, '-w', '-XAtqc', sql], { env, timeout: 30_000 }, (err, stdout, stderr) => resolve({ ok: !err, out: `${stdout}${stderr}` }));
  });
}

const deployment = distObject('pgbouncer/pgbouncer.yaml', 'Deployment', 'pgbouncer');
const config: Record<string, string> = distObject('pgbouncer/pgbouncer.yaml', 'ConfigMap', 'pgbouncer').data;
const template: Record<string, string> = distObject('secrets/external-secrets.yaml', 'ExternalSecret', 'airflow-metadata').spec.target.template.data;
const exporter = deployment.spec.template.spec.containers.find((c: Obj) => c.name === 'metrics-exporter');
const shippedPort = deployment.spec.template.spec.containers.find((c: Obj) => c.name === 'pgbouncer').ports[0].containerPort;
const values = { username: 'airflow', password: 'upstream-pw', clientPassword: 'client:p@ss', host: '127.0.0.1', port: '9', dbname: 'airflow' };

let dir: string;
let port: number;
let pgbouncer: ChildProcess;
let log = '';
const url = (user: string, host: string, db: string) => `postgresql://${user}@${host}:${port}/${db}?sslmode=disable`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pgbouncer-logins-'));
  chmodSync(dir, 0o755);
  port = await freePort();
  // The pod's mounts, moved under one temporary folder; the listen port moved to a free one.
  const mounts: Record<string, string> = { '/etc/pgbouncer/': 'config/', '/etc/pgbouncer-secret/': 'secret/', '/etc/pgbouncer-ca/': 'ca/' };
  for (const sub of Object.values(mounts)) mkdirSync(join(dir, sub));
  let ini = config['pgbouncer.ini'];
  for (const [from, to] of Object.entries(mounts)) ini = ini.split(from).join(join(dir, to));
  ini = ini.replace(/^listen_port = \d+$/m, `listen_port = ${port}`);
  for (const [key, text] of Object.entries(config)) writeFileSync(join(dir, 'config', key), key === 'pgbouncer.ini' ? ini : text, { mode: 0o644 });
  for (const key of ['userlist.txt', 'databases.ini']) writeFileSync(join(dir, 'secret', key), renderSecretTemplate(template[key], values), { mode: 0o644 });
  // As in its container: PID 1 of its own PID namespace (the preStop hook signals PID 1), as `nobody` (the
  // image's user; PgBouncer refuses to run as root).
  if (process.getuid?.() !== 0) throw new Error('this test runs PgBouncer as PID 1 of a new PID namespace, as its container does: run it as root');
  const bouncer = pgbouncerCommand(pgbouncerRoot(loadEnvironments().find((e) => e.name === 'dev')!), join(dir, 'config', 'pgbouncer.ini'));
  pgbouncer = spawn('unshare', ['--pid', '--fork', '--kill-child', '--', 'setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', bouncer.command, ...bouncer.args], { stdio: ['ignore', 'pipe', 'pipe'] });
  for (const s of [pgbouncer.stdout!, pgbouncer.stderr!]) s.on('data', (b: Buffer) => (log += b.toString()));
  const deadline = Date.now() + 20_000;
  while (!log.includes(`listening on 0.0.0.0:${port}`)) {
    if (pgbouncer.exitCode !== null || Date.now() > deadline) throw new Error(`PgBouncer did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 30_000);

afterAll(async () => {
  if (pgbouncer && pgbouncer.exitCode === null) {
    const exited = new Promise((r) => pgbouncer.once('exit', r));
    // unshare waits for its child ignoring SIGINT: signal PgBouncer, the namespace's PID 1.
    process.kill(pidOne(), 'SIGINT');
    await exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('PgBouncer parses every HBA line it ships (it only warns about, and skips, a line it cannot parse)', () => {
  expect(config['pgbouncer_hba.conf']).toBeDefined();
  expect(log).not.toMatch(/hba|WARNING|ERROR|FATAL/i);
});

test('the exporter\'s URL from dist/ (no password) reads the stats console over the pod\'s loopback', async () => {
  const arg: string = exporter.args.find((a: string) => a.startsWith('--database-url='));
  const shipped = arg.slice('--database-url='.length);
  expect(shipped).toBe(`postgresql://pgbouncer_exporter@127.0.0.1:${shippedPort}/pgbouncer?sslmode=disable`);
  const r = await psql(shipped.replace(`:${shippedPort}/`, `:${port}/`), 'SHOW STATS');
  expect(r).toEqual({ ok: true, out: expect.stringMatching(/^pgbouncer\|/m) });
});

/** PgBouncer's answer when no HBA line matches the login (1.24; 1.18 said "login rejected"). */
const NO_HBA_LINE = /no authentication method is found/;

test('the same login from a non-loopback address is refused', async () => {
  const r = await psql(url('pgbouncer_exporter', nonLoopbackAddress(), 'pgbouncer'), 'SHOW STATS');
  expect(r.ok).toBe(false);
  expect(r.out).toMatch(NO_HBA_LINE);
  // Even with the (empty) password the userlist holds for it.
  expect(await psql(url('pgbouncer_exporter', nonLoopbackAddress(), 'pgbouncer'), 'SHOW STATS', '')).toEqual({ ok: false, out: expect.stringMatching(NO_HBA_LINE) });
});

test('from loopback the exporter login reaches neither the database nor an admin command', async () => {
  expect(await psql(url('pgbouncer_exporter', '127.0.0.1', 'airflow'), 'SELECT 1')).toEqual({ ok: false, out: expect.stringMatching(NO_HBA_LINE) });
  expect(await psql(url('pgbouncer_exporter', '127.0.0.1', 'pgbouncer'), 'PAUSE')).toEqual({ ok: false, out: expect.stringMatching(/admin access needed/) });
  expect(await psql(url('pgbouncer_exporter', '127.0.0.1', 'pgbouncer'), 'SHUTDOWN')).toEqual({ ok: false, out: expect.stringMatching(/admin access needed/) });
});

test('Airflow\'s login is checked by SCRAM from any address, and has no console access', async () => {
  const host = nonLoopbackAddress();
  expect(await psql(url('airflow', host, 'airflow'), 'SELECT 1', 'wrong')).toEqual({ ok: false, out: expect.stringMatching(/SASL authentication failed/) });
  // The console admits only admin_users/stats_users (there are no admin_users); any other login has no HBA line there.
  expect(await psql(url('airflow', '127.0.0.1', 'pgbouncer'), 'SHOW STATS', values.clientPassword)).toEqual({ ok: false, out: expect.stringMatching(/not allowed/) });
  expect(await psql(url('pgbouncer', '127.0.0.1', 'pgbouncer'), 'SHOW STATS')).toEqual({ ok: false, out: expect.stringMatching(NO_HBA_LINE) });
});

/** The host PID of the namespace's PID 1 (the unshare process's only child). */
function pidOne(): number {
  const children = readFileSync(`/proc/${pgbouncer.pid}/task/${pgbouncer.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
  expect(children).toHaveLength(1);
  return children[0];
}

test('the preStop hook stops PgBouncer safely: it exits although a pooled client is still connected', async () => {
  // PgBouncer (the version dist/ ships) answers the kubelet's SIGTERM by waiting for every client to
  // leave; Airflow's pooled connections never do. The hook asks for a safe shutdown first.
  const hook: string[] = deployment.spec.template.spec.containers.find((c: Obj) => c.name === 'pgbouncer').lifecycle.preStop.exec.command;
  const client = spawn('psql', [url('pgbouncer_exporter', '127.0.0.1', 'pgbouncer'), '-w', '-XAtq'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let clientOut = '';
  client.stdout!.on('data', (b: Buffer) => (clientOut += b.toString()));
  client.stdin!.write('SHOW VERSION;\n');
  const deadline = Date.now() + 10_000;
  while (!/PgBouncer/.test(clientOut)) {
    if (Date.now() > deadline) throw new Error(`the client did not connect: ${clientOut}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const started = Date.now();
  const exited = new Promise<number | null>((r) => pgbouncer.once('exit', (code) => r(code)));
  const hookRun = spawn('nsenter', [`--target=${pidOne()}`, '--pid', '--', ...hook], { stdio: 'ignore' });
  const hookEnded = new Promise((r) => hookRun.once('exit', r));
  const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000));
  expect(await Promise.race([exited, timeout])).toBe(0);
  const seconds = (Date.now() - started) / 1000;
  console.log(`PgBouncer exited ${seconds.toFixed(1)} s after the preStop hook, one client still connected`);
  expect(client.exitCode).toBeNull();
  // The hook's sleep ends with PID 1: nothing of it outlives the container.
  expect(await Promise.race([hookEnded.then(() => 'ended'), timeout])).toBe('ended');
  client.kill();
}, 30_000);
