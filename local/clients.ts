import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { API_SERVER_HEALTH_PATH } from '../manifests-src/airflow/api-server';
import { AIRFLOW_DB_ROLE, PGBOUNCER_STATS_USER } from '../manifests-src/config';

/** The clients the runner, its tests and the benchmark use: psql, Airflow's REST API, redis-cli. */

const run = promisify(execFile);

export interface PgLogin {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** None for a login the server admits without one (PgBouncer's loopback stats login). */
  readonly password?: string;
}

/** psql's arguments for one login: no psqlrc, unaligned tuples only, quiet, never a password prompt. */
export function psqlArgs(login: PgLogin, db: string): string[] {
  return ['-h', login.host, '-p', String(login.port), '-U', login.user, '-d', db, '-w', '-XAtq'];
}

/** The password goes in the environment, never on the command line; a password-less login sends none. */
export function psqlEnv(login: PgLogin, connectTimeoutS = 5): NodeJS.ProcessEnv {
  const { PGPASSWORD: _inherited, ...env } = process.env;
  return { ...env, ...(login.password === undefined ? {} : { PGPASSWORD: login.password }), PGCONNECT_TIMEOUT: String(connectTimeoutS) };
}

/**
 * The login a client uses with PgBouncer for database `db`: Airflow's client login (SCRAM), or for PgBouncer's
 * `pgbouncer` console the exporter's password-less stats login (the only login its HBA rules admit there, from loopback).
 */
export function pgbouncerLogin(host: string, port: number, clientPassword: string, db: string): PgLogin {
  return db === 'pgbouncer' ? { host, port, user: PGBOUNCER_STATS_USER } : { host, port, user: AIRFLOW_DB_ROLE, password: clientPassword };
}

/** One statement through psql; resolves with its output, trimmed. */
export async function psql(login: PgLogin, db: string, sql: string): Promise<string> {
  const { stdout } = await run('psql', [...psqlArgs(login, db), '-c', sql], { env: psqlEnv(login), timeout: 60_000 });
  return stdout.trim();
}

export type AirflowHealth = Record<string, { status?: string | null }>;

/** Airflow's REST API with a JWT from the auth manager's token endpoint, as any API client gets one. */
export class AirflowApiClient {
  private token?: string;

  constructor(
    readonly baseUrl: () => string,
    private readonly login: () => { username: string; password: string },
  ) {}

  async fetchToken(username = this.login().username, password = this.login().password): Promise<string> {
    const r = await fetch(`${this.baseUrl()}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
    if (r.status !== 200 && r.status !== 201) throw new Error(`login as ${username} failed: HTTP ${r.status} ${await r.text()}`);
    return ((await r.json()) as { access_token: string }).access_token;
  }

  async call<T = unknown>(method: string, p: string, body?: unknown): Promise<T> {
    this.token ??= await this.fetchToken();
    const r = await fetch(`${this.baseUrl()}${p}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${p}: HTTP ${r.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** The api-server's own health endpoint (no login); undefined while it does not answer. */
  async health(): Promise<AirflowHealth | undefined> {
    try {
      const r = await fetch(`${this.baseUrl()}${API_SERVER_HEALTH_PATH}`);
      return r.ok ? ((await r.json()) as AirflowHealth) : undefined;
    } catch {
      return undefined;
    }
  }
}

export interface RedisLogin {
  readonly host: string;
  readonly port: number;
  readonly authToken: string;
  readonly caCert: string;
}

/** One Redis command over TLS with AUTH; its reply. */
export async function redisCommand(login: RedisLogin, command: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['--tls', '--cacert', login.caCert, '-h', login.host, '-p', String(login.port), '--no-auth-warning', '-a', login.authToken, ...command], { timeout: 60_000 });
  if (/^(ERR|WRONGPASS|NOAUTH)/m.test(stdout)) throw new Error(`redis ${command[0]}: ${stdout.trim()}`);
  return stdout.trim();
}

/** Keys matching `pattern` in one Redis database, over TLS with AUTH. */
export async function redisScan(login: RedisLogin, db: number, pattern: string): Promise<string[]> {
  const { stdout } = await run(
    'redis-cli',
    ['--tls', '--cacert', login.caCert, '-h', login.host, '-p', String(login.port), '--no-auth-warning', '-a', login.authToken, '-n', String(db), '--scan', '--pattern', pattern],
    { timeout: 60_000, maxBuffer: 64 << 20 },
  );
  return stdout.split('\n').filter(Boolean);
}
