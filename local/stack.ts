import { execFile, execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { EnvironmentConfig } from '../manifests-src/config';
import { AIRFLOW_DB_ROLE, DATABASES, K8S_SECRETS, PGBOUNCER_STATS_USER } from '../manifests-src/config';
import { airflowCommands } from '../manifests-src/airflow/airflow-settings';
import { bootstrapScript } from '../manifests-src/airflow/bootstrap';
import { secretFile, type AirflowProcess } from '../manifests-src/airflow/component-secrets';
import { API_SERVER_HEALTH_PATH } from '../manifests-src/airflow/api-server';
import { pgbouncerHba, pgbouncerIni } from '../manifests-src/platform/pgbouncer-config';
import { ManagedProcess } from './managed-process';
import { allocatePorts, LOOPBACK, portInUse } from './ports';
import { publishDags } from './dag-repo';
import {
  LOCAL_PORT_NAMES,
  localAirflowEnv,
  localCloneSettings,
  localSecretValues,
  processSecretDir,
  withLocalPorts,
  writeGitSecretFiles,
  writeProcessSecretFiles,
  type LocalPaths,
  type LocalPorts,
  type LocalSecrets,
} from './settings';

const run = promisify(execFile);

export const PROJECT_ROOT = path.resolve(__dirname, '..');
export const VENV_BIN = path.join(PROJECT_ROOT, '.venv', 'airflow', 'bin');
export const TOOLS_BIN = path.join(PROJECT_ROOT, '.venv', 'local-tools', 'bin');
const PG_BIN = '/usr/lib/postgresql/15/bin';
/** Key of the runner's own pid in pids.json: a live runner's stack is never treated as leftovers. */
const RUNNER_KEY = '(runner)';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** PostgreSQL and PgBouncer refuse to run as root. */
const SERVER_USER = 'postgres';

export interface LocalStackOptions {
  readonly env: EnvironmentConfig;
  /** State folder (PostgreSQL cluster, logs, secrets); reused across runs. */
  readonly stateDir?: string;
  /** Celery workers to start (KEDA would pick this number in the cluster). */
  readonly workers?: number;
  /** Schedulers to start; two prove HA. */
  readonly schedulers?: number;
  /** DAG source folder published to the local DAG repository. */
  readonly dagsDir?: string;
  /** Fixed port for the UI; other ports are picked free. */
  readonly apiServerPort?: number;
  /** Worker warm-shutdown grace on stop (the pod's terminationGracePeriodSeconds, capped for local use). */
  readonly workerGraceMs?: number;
  /** Extra environment for the Airflow processes: AIRFLOW__* overrides (the benchmark's stock baseline) or test hooks. */
  readonly airflowOverrides?: Record<string, string>;
  /** When false the Airflow processes reach PostgreSQL directly instead of through PgBouncer (benchmark baseline only). */
  readonly viaPgBouncer?: boolean;
  /**
   * Address the servers listen on (default loopback). The local cluster puts them on an address of the
   * environment's VPC CIDR so pods reach them as they reach Aurora and ElastiCache.
   */
  readonly listenAddress?: string;
  /** Fixed ports (the cluster uses dist/'s own PostgreSQL and Redis ports); others are picked free. */
  readonly fixedPorts?: Partial<LocalPorts>;
  /** Client networks PostgreSQL accepts besides loopback (the cluster's pod network). */
  readonly clientCidrs?: readonly string[];
  /** Start PgBouncer beside PostgreSQL (the cluster runs dist/'s own PgBouncer pods instead). @default true */
  readonly pgbouncer?: boolean;
  readonly onEvent?: (line: string) => void;
}

export type ComponentName = string; // 'postgres' | 'pgbouncer' | 'redis' | 'api-server' | 'scheduler-1' | 'worker-1' | ...

/** Required programs, checked before anything starts so a missing one is a clear message, not a crash. */
const REQUIRED = [
  [path.join(PG_BIN, 'postgres'), 'Debian package postgresql'],
  ['/usr/sbin/pgbouncer', 'Debian package pgbouncer'],
  ['/usr/bin/redis-server', 'Debian package redis-server'],
  [path.join(VENV_BIN, 'airflow'), 'the Airflow venv from requirements/airflow.lock'],
  [path.join(TOOLS_BIN, 'moto_server'), 'the local-tools venv from requirements/local-tools.lock'],
] as const;

/** What is missing; `servers` checks only the managed-service stand-ins (the cluster runs Airflow in pods). */
export function missingDependencies(which: 'all' | 'servers' = 'all'): string[] {
  const needed = which === 'all' ? REQUIRED : REQUIRED.filter(([, what]) => !what.includes('Airflow venv'));
  return needed.filter(([p]) => !fs.existsSync(p)).map(([p, what]) => `${p} (${what})`);
}

/**
 * Airflow as dist/ defines it, as real processes on loopback: PostgreSQL, PgBouncer, Redis (TLS + AUTH),
 * api-server, HA schedulers, dag-processor, triggerer and Celery workers.
 */
export class LocalStack {
  readonly env: EnvironmentConfig;
  readonly paths: LocalPaths;
  ports!: LocalPorts;
  secrets!: LocalSecrets;
  readonly processes = new Map<ComponentName, ManagedProcess>();
  private readonly workerPorts = new Map<ComponentName, number>();
  /** How to start each Airflow component again: the local stand-in for the kubelet's restartPolicy Always. */
  private readonly starters = new Map<ComponentName, () => unknown>();
  /** Restarts after an unexpected exit, per component. */
  readonly restarts = new Map<ComponentName, number>();
  private stopping = false;

  constructor(readonly opts: LocalStackOptions) {
    const state = path.resolve(opts.stateDir ?? path.join(PROJECT_ROOT, '.state', 'local', opts.env.name));
    this.env = opts.env;
    this.paths = {
      state,
      airflowHome: path.join(state, 'airflow'),
      logs: path.join(state, 'airflow', 'logs'),
      dagRepo: path.join(state, 'dags.git'),
      caCert: path.join(state, 'tls', 'ca.pem'),
      gitSecretDir: path.join(state, 'secrets', 'airflow-git'),
    };
  }

  private log(line: string): void {
    this.opts.onEvent?.(line);
  }

  /** Where the servers listen. */
  get host(): string {
    return this.opts.listenAddress ?? LOOPBACK;
  }

  get apiUrl(): string {
    return `http://${LOOPBACK}:${this.ports.apiServer}`;
  }

  get adminUser(): string {
    return this.env.airflow.adminUsername;
  }

  /** Brings everything up; throws with a clear message if a dependency or a port is missing. */
  async start(): Promise<void> {
    await this.startManagedServices();
    const commit = publishDags(this.opts.dagsDir ?? path.join(PROJECT_ROOT, 'dags'), this.paths.dagRepo, this.env);
    this.log(`dags: published ${commit.slice(0, 12)} to the local DAG repository (${this.env.dags.branch}:${this.env.dags.subPath})`);
    await this.bootstrap();
    await this.startAirflow();
    this.writePidFile();
  }

  /** The stand-ins of the managed services only: PostgreSQL (Aurora), Redis TLS + AUTH (ElastiCache), the AWS API emulator. */
  async startManagedServices(): Promise<void> {
    const missing = missingDependencies(this.opts.listenAddress ? 'servers' : 'all');
    if (missing.length) throw new Error(`missing dependencies:\n  ${missing.join('\n  ')}\nrun: bash local/install.sh`);
    fs.mkdirSync(this.paths.airflowHome, { recursive: true });
    fs.mkdirSync(this.paths.logs, { recursive: true });
    fs.mkdirSync(path.join(this.paths.state, 'run'), { recursive: true });
    this.killLeftovers();
    for (const f of fs.readdirSync(path.join(this.paths.state, 'run'))) if (f.endsWith('.log')) fs.rmSync(path.join(this.paths.state, 'run', f));
    this.ports = await allocatePorts(LOCAL_PORT_NAMES, { ...this.opts.fixedPorts, ...(this.opts.apiServerPort ? { apiServer: this.opts.apiServerPort } : {}) });
    this.secrets = this.loadOrCreateSecrets();
    this.makeTlsMaterial();
    writeGitSecretFiles(this.env, this.secrets, this.paths.gitSecretDir);
    writeProcessSecretFiles(this.env, this.ports, this.paths, this.secrets);

    await this.startPostgres();
    if (this.opts.pgbouncer !== false) await this.startPgBouncer();
    await this.startRedis();
    await this.startAwsApi();
    this.writePidFile();
  }

  // ---------- servers ----------

  private loadOrCreateSecrets(): LocalSecrets {
    const file = path.join(this.paths.state, 'secrets.json');
    const hex = (n: number) => crypto.randomBytes(n).toString('hex');
    // A state folder from before the DAG repository had credentials gets them added.
    if (fs.existsSync(file)) {
      const stored = { gitUsername: 'dags-reader', gitPassword: hex(20), ...(JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LocalSecrets>) };
      // Its database was created with these logins: a folder from before the dedicated Airflow login cannot be upgraded.
      const lacking = (['dbUser', 'dbPassword', 'clientPassword'] as const).filter((k) => !stored[k]);
      if (lacking.length) throw new Error(`${this.paths.state} was created by an older version (secrets.json lacks ${lacking.join(', ')}): remove that folder and start again`);
      return stored as LocalSecrets;
    }
    const s: LocalSecrets = {
      masterUser: 'postgres',
      masterPassword: hex(16),
      dbUser: AIRFLOW_DB_ROLE,
      dbPassword: hex(16),
      clientPassword: hex(16),
      redisAuthToken: hex(24),
      fernetKey: crypto.randomBytes(32).toString('base64url') + '=',
      apiSecretKey: hex(32),
      jwtSecret: hex(32),
      adminPassword: hex(12),
      gitUsername: 'dags-reader',
      gitPassword: hex(20),
    };
    fs.writeFileSync(file, JSON.stringify(s, null, 2), { mode: 0o600 });
    return s;
  }

  /**
   * A local CA (unless one was placed in tls/ already: the cluster brings its own) and a server certificate
   * for the listen address, so the broker URL keeps rediss:// with verification.
   */
  private makeTlsMaterial(): void {
    const dir = path.dirname(this.paths.caCert);
    if (fs.existsSync(path.join(dir, 'server.pem'))) return;
    fs.mkdirSync(dir, { recursive: true });
    const o = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    if (!fs.existsSync(this.paths.caCert)) o(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '3650', '-subj', '/CN=airflow-eks local CA', '-keyout', 'ca-key.pem', '-out', 'ca.pem']);
    o(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${this.host}`, '-keyout', 'server-key.pem', '-out', 'server.csr']);
    fs.writeFileSync(path.join(dir, 'san.ext'), `subjectAltName=IP:${this.host},IP:${LOOPBACK},DNS:localhost\n`);
    o(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '3650', '-extfile', 'san.ext', '-out', 'server.pem']);
  }

  private chownToServerUser(p: string): void {
    execFileSync('chown', ['-R', `${SERVER_USER}:${SERVER_USER}`, p]);
  }

  private spawn(name: ComponentName, command: string, args: string[], env: NodeJS.ProcessEnv, runAsUser?: string, stopSignalScope?: 'group' | 'leader'): ManagedProcess {
    const p = new ManagedProcess({ name, command, args, env, cwd: this.paths.state, runAsUser, stopSignalScope, logFile: path.join(this.paths.state, 'run', `${name}.log`) });
    p.start();
    this.processes.set(name, p);
    this.writePidFile();
    this.log(`[${name}] started pid ${p.pid}`);
    void p.waitExit(2 ** 31 - 1).then((code) => {
      if (p.expectedExit || this.stopping || this.processes.get(name) !== p) return;
      this.log(`[${name}] EXITED unexpectedly with code ${code}; log: ${p.opts.logFile}`);
      const starter = this.starters.get(name);
      if (!starter) return;
      // Like the kubelet: restart with a growing back-off.
      const n = (this.restarts.get(name) ?? 0) + 1;
      this.restarts.set(name, n);
      const delay = Math.min(1000 * 2 ** (n - 1), 10_000);
      setTimeout(() => {
        if (this.stopping || this.processes.get(name) !== p) return;
        this.log(`[${name}] restarting (restart ${n}, after ${delay} ms)`);
        starter();
      }, delay);
    });
    return p;
  }

  get pgDataDir(): string {
    return path.join(this.paths.state, 'postgres');
  }

  private async startPostgres(): Promise<void> {
    const data = this.pgDataDir;
    if (!fs.existsSync(path.join(data, 'PG_VERSION'))) {
      fs.mkdirSync(data, { recursive: true });
      const pw = path.join(this.paths.state, 'run', 'pgpass.tmp');
      fs.writeFileSync(pw, this.secrets.masterPassword);
      this.chownToServerUser(data);
      this.chownToServerUser(pw);
      execFileSync('runuser', ['-u', SERVER_USER, '--', path.join(PG_BIN, 'initdb'), '-D', data, '-U', this.secrets.masterUser, '--pwfile', pw, '--auth', 'scram-sha-256', '-E', 'UTF8'], { stdio: 'pipe' });
      fs.rmSync(pw);
    }
    const sock = path.join(this.paths.state, 'run', 'pgsock');
    fs.mkdirSync(sock, { recursive: true });
    this.chownToServerUser(sock);
    this.chownToServerUser(path.join(this.paths.state, 'run'));
    this.allowClientNetworks(data);
    this.spawn('postgres', path.join(PG_BIN, 'postgres'), ['-D', data, '-p', String(this.ports.postgres), '-k', sock, '-c', `listen_addresses=${this.host}`, '-c', 'max_connections=300', '-c', 'fsync=off', ...this.postgresTlsArgs(data)], process.env, SERVER_USER);
    await this.waitFor('postgres', () => portInUse(this.ports.postgres, this.host), 60_000);
    await this.waitFor('postgres accepting queries', async () => (await this.psqlDirect('postgres', 'SELECT 1').catch(() => '')) === '1', 60_000);
    // What infra does at deploy time with the master login: Airflow's own role, owner of its database.
    const exists = await this.psqlDirect('postgres', `SELECT 1 FROM pg_database WHERE datname = '${DATABASES.metadata}'`);
    if (exists !== '1') {
      await this.psqlDirect('postgres', `CREATE ROLE ${AIRFLOW_DB_ROLE} LOGIN PASSWORD '${this.secrets.dbPassword}'`);
      await this.psqlDirect('postgres', `CREATE DATABASE ${DATABASES.metadata} OWNER ${AIRFLOW_DB_ROLE}`);
    }
  }

  /** TLS from the local CA, as Aurora has a certificate from the RDS CA: PgBouncer verifies it (verify-full). */
  private postgresTlsArgs(data: string): string[] {
    const tls = path.dirname(this.paths.caCert);
    const cert = path.join(data, 'server.crt');
    const key = path.join(data, 'server.key');
    fs.copyFileSync(path.join(tls, 'server.pem'), cert);
    fs.copyFileSync(path.join(tls, 'server-key.pem'), key);
    fs.chmodSync(key, 0o600);
    this.chownToServerUser(cert);
    this.chownToServerUser(key);
    return ['-c', 'ssl=on', '-c', `ssl_cert_file=${cert}`, '-c', `ssl_key_file=${key}`];
  }

  /** pg_hba entries for the client networks (password auth, as Aurora's security group plus credentials). */
  private allowClientNetworks(data: string): void {
    const hba = path.join(data, 'pg_hba.conf');
    const text = fs.readFileSync(hba, 'utf8');
    const own = this.host === LOOPBACK ? [] : [`${this.host}/32`];
    const missing = [...own, ...(this.opts.clientCidrs ?? [])].map((c) => `host all all ${c} scram-sha-256`).filter((l) => !text.includes(l));
    if (missing.length) fs.appendFileSync(hba, `${missing.join('\n')}\n`);
  }

  private async startPgBouncer(): Promise<void> {
    const dir = path.join(this.paths.state, 'pgbouncer');
    fs.mkdirSync(dir, { recursive: true });
    const { auth, dbs } = this.writePgBouncerSecretFiles();
    // The ini and HBA rules dist/ ships, TLS mode included (verify-full): the local CA stands in for the RDS CA bundle.
    const hba = path.join(dir, 'pgbouncer_hba.conf');
    fs.writeFileSync(hba, pgbouncerHba());
    fs.writeFileSync(path.join(dir, 'pgbouncer.ini'), pgbouncerIni(withLocalPorts(this.env, this.ports), { listenAddr: LOOPBACK, authFile: auth, authHbaFile: hba, databasesFile: dbs, serverTlsCaFile: this.paths.caCert, unixSocketDir: '' }));
    this.chownToServerUser(dir);
    this.spawn('pgbouncer', '/usr/sbin/pgbouncer', [path.join(dir, 'pgbouncer.ini')], process.env, SERVER_USER);
    await this.waitFor('pgbouncer', () => portInUse(this.ports.pgbouncer), 30_000);
  }

  /** PgBouncer's files of the `airflow-metadata` Secret, as the pod mounts them (rendered from the current values). */
  private writePgBouncerSecretFiles(): { auth: string; dbs: string } {
    const dir = path.join(this.paths.state, 'pgbouncer');
    const values = this.secretValues()[K8S_SECRETS.metadata.name];
    const keys = K8S_SECRETS.metadata.keys;
    const auth = path.join(dir, keys.pgbouncerUserlist);
    const dbs = path.join(dir, keys.pgbouncerDatabases);
    fs.writeFileSync(auth, values[keys.pgbouncerUserlist], { mode: 0o600 });
    fs.writeFileSync(dbs, values[keys.pgbouncerDatabases], { mode: 0o600 });
    this.chownToServerUser(dir);
    return { auth, dbs };
  }

  /** Every Secret dist/ references, rendered from the current local values with the same templates. */
  secretValues(): Record<string, Record<string, string>> {
    return localSecretValues(withLocalPorts(this.env, this.ports), this.ports, this.paths, this.secrets);
  }

  /**
   * One password rotation as Secrets Manager's alternating-users rotation does it, with the master login:
   * a new password on the login that is not current (created on the first rotation as a member of the owner
   * role), which then becomes current. The previous login keeps working. Returns the new current login.
   */
  async rotateDatabaseLogin(): Promise<string> {
    const next = this.secrets.dbUser === AIRFLOW_DB_ROLE ? `${AIRFLOW_DB_ROLE}_clone` : AIRFLOW_DB_ROLE;
    const password = crypto.randomBytes(16).toString('hex');
    const exists = (await this.psqlDirect('postgres', `SELECT 1 FROM pg_roles WHERE rolname = '${next}'`)) === '1';
    if (exists) await this.psqlDirect('postgres', `ALTER ROLE ${next} PASSWORD '${password}'`);
    else await this.psqlDirect('postgres', `CREATE ROLE ${next} LOGIN PASSWORD '${password}' IN ROLE ${AIRFLOW_DB_ROLE}`);
    this.secrets = { ...this.secrets, dbUser: next, dbPassword: password };
    fs.writeFileSync(path.join(this.paths.state, 'secrets.json'), JSON.stringify(this.secrets, null, 2), { mode: 0o600 });
    // The refreshed Secret in the migrate Job's (and admin tools') files: the direct URL with the new login.
    writeProcessSecretFiles(this.env, this.ports, this.paths, this.secrets);
    return next;
  }

  /**
   * The refreshed Secret reaching PgBouncer: new files, then a reload (in the cluster Reloader rolls the PgBouncer
   * pods, which start with the new files). PgBouncer closes its server connections as they are released and logs in again.
   */
  reloadPgBouncerSecret(): void {
    this.writePgBouncerSecretFiles();
    this.processes.get('pgbouncer')?.signal('SIGHUP', 'leader');
  }

  private async startRedis(): Promise<void> {
    const dir = path.join(this.paths.state, 'redis');
    fs.mkdirSync(dir, { recursive: true });
    const tls = path.dirname(this.paths.caCert);
    // appendonly: the broker keeps its queue across a restart, as an ElastiCache Multi-AZ replica does on failover.
    this.spawn('redis', '/usr/bin/redis-server', [
      '--bind', this.host, '--port', '0', '--tls-port', String(this.ports.redis),
      '--tls-cert-file', path.join(tls, 'server.pem'), '--tls-key-file', path.join(tls, 'server-key.pem'),
      '--tls-ca-cert-file', this.paths.caCert, '--tls-auth-clients', 'no',
      '--requirepass', this.secrets.redisAuthToken, '--dir', dir, '--save', '', '--appendonly', 'yes', '--daemonize', 'no',
    ], process.env);
    await this.waitFor('redis', () => portInUse(this.ports.redis, this.host), 30_000);
  }

  /** CloudWatch Logs / S3 API on loopback: where task logs go so they outlive the worker that wrote them. */
  private async startAwsApi(): Promise<void> {
    this.spawn('aws-api', path.join(TOOLS_BIN, 'moto_server'), ['-H', this.host, '-p', String(this.ports.awsApi)], process.env);
    await this.waitFor('aws-api', () => portInUse(this.ports.awsApi, this.host), 60_000);
  }

  /** Folder for a worker's local task logs: its own, as each pod has its own disk. */
  workerLogDir(name: ComponentName): string {
    return path.join(this.paths.logs, name);
  }

  /** Scale-in for good: warm shutdown, then its disk goes with it, as when KEDA removes the pod. */
  async removeWorker(i: number, graceMs: number): Promise<void> {
    const name = `worker-${i}`;
    await this.processes.get(name)?.stop(graceMs);
    fs.rmSync(this.workerLogDir(name), { recursive: true, force: true });
  }

  async restartServer(name: 'postgres' | 'pgbouncer' | 'redis'): Promise<void> {
    // PostgreSQL: fast shutdown (SIGINT) drops the sessions, as a failover does; a smart one would wait for them.
    await this.processes.get(name)?.stop(30_000, name === 'postgres' ? 'SIGINT' : 'SIGTERM');
    if (name === 'postgres') await this.startPostgres();
    if (name === 'pgbouncer') await this.startPgBouncer();
    if (name === 'redis') await this.startRedis();
    this.writePidFile();
  }

  // ---------- Airflow ----------

  /** The migration's environment: the migrate Job's secret files, whose database URL bypasses PgBouncer. */
  migrationEnv(): NodeJS.ProcessEnv {
    return this.airflowEnv('migrate');
  }

  /** The environment of one Airflow process; admin tools (CLI, bootstrap) get the migration Job's secrets. */
  airflowEnv(component: AirflowProcess = 'migrate', extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const e = localAirflowEnv(this.env, this.ports, this.paths, component, { ...(this.opts.airflowOverrides ?? {}), ...extra });
    if (this.opts.viaPgBouncer === false) {
      const direct = `postgresql+psycopg2://${this.secrets.dbUser}:${this.secrets.dbPassword}@${LOOPBACK}:${this.ports.postgres}/${DATABASES.metadata}`;
      e.AIRFLOW__DATABASE__SQL_ALCHEMY_CONN = direct;
      e.AIRFLOW__CELERY__RESULT_BACKEND = `db+${direct.replace('+psycopg2', '')}`;
    }
    return { PATH: `${VENV_BIN}:${process.env.PATH}`, HOME: this.paths.airflowHome, LANG: 'C.UTF-8', ...e };
  }

  /** Runs an Airflow CLI command with the stack's settings. */
  async airflow(args: string[], timeoutMs = 120_000): Promise<string> {
    const { stdout } = await run(path.join(VENV_BIN, 'airflow'), args, { env: this.airflowEnv(), cwd: this.paths.state, timeout: timeoutMs, maxBuffer: 64 << 20 });
    return stdout;
  }

  /** What the Argo CD PreSync Job runs: migrate, first admin from the secret, pools. */
  private async bootstrap(): Promise<void> {
    const started = Date.now();
    await run('bash', ['-c', bootstrapScript(this.env, secretFile('adminPassword', processSecretDir(this.paths, 'migrate')))], {
      env: this.airflowEnv('migrate'),
      cwd: this.paths.state,
      timeout: 600_000,
      maxBuffer: 64 << 20,
    }).catch((e: { stderr?: string; message: string }) => {
      throw new Error(`bootstrap (db migrate, admin user, pools) failed: ${e.stderr?.slice(-2000) ?? e.message}`);
    });
    this.log(`bootstrap: migrated, admin user and pools set in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }

  private commands() {
    return airflowCommands(this.env);
  }

  startApiServer(): ManagedProcess {
    this.starters.set('api-server', () => this.startApiServer());
    const cmd = [...this.commands().apiServer];
    cmd[cmd.indexOf('--port') + 1] = String(this.ports.apiServer);
    return this.spawnAirflow('api-server', 'api-server', cmd, {});
  }

  startScheduler(i: number): ManagedProcess {
    this.starters.set(`scheduler-${i}`, () => this.startScheduler(i));
    return this.spawnAirflow(`scheduler-${i}`, 'scheduler', [...this.commands().scheduler], {
      // Two schedulers on one host would fight for the health port (each pod has its own IP); the api-server health covers them.
      AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK: 'False',
    });
  }

  startDagProcessor(): ManagedProcess {
    this.starters.set('dag-processor', () => this.startDagProcessor());
    return this.spawnAirflow('dag-processor', 'dag-processor', [...this.commands().dagProcessor], localCloneSettings(this.env, this.paths));
  }

  startTriggerer(): ManagedProcess {
    this.starters.set('triggerer', () => this.startTriggerer());
    return this.spawnAirflow('triggerer', 'triggerer', [...this.commands().triggerer], {});
  }

  async startWorker(i: number): Promise<ManagedProcess> {
    const name = `worker-${i}`;
    this.starters.set(name, () => void this.startWorker(i));
    let port = this.workerPorts.get(name);
    if (port === undefined) {
      port = (await allocatePorts(['log'] as const)).log;
      this.workerPorts.set(name, port);
    }
    const cmd = [...this.commands().worker, '--celery-hostname', `${name}@%h`];
    return this.spawnAirflow(
      name,
      'worker',
      cmd,
      // HOSTNAME is the pod name in the cluster; here it names the worker.
      { ...localCloneSettings(this.env, this.paths), AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT: String(port), AIRFLOW__LOGGING__BASE_LOG_FOLDER: this.workerLogDir(name), HOSTNAME: name },
      // As the worker pod's init does with DUMB_INIT_SETSID=0: SIGTERM reaches Celery's main process only.
      'leader',
    );
  }

  private spawnAirflow(name: ComponentName, component: AirflowProcess, cmd: string[], extra: Record<string, string>, stopSignalScope?: 'group' | 'leader'): ManagedProcess {
    const [bin, ...args] = cmd;
    return this.spawn(name, path.join(VENV_BIN, bin), args, this.airflowEnv(component, extra), undefined, stopSignalScope);
  }

  get workerCount(): number {
    return this.opts.workers ?? 2;
  }

  private async startAirflow(): Promise<void> {
    this.startApiServer();
    for (let i = 1; i <= (this.opts.schedulers ?? 2); i++) this.startScheduler(i);
    this.startDagProcessor();
    this.startTriggerer();
    for (let i = 1; i <= this.workerCount; i++) await this.startWorker(i);
    await this.waitHealthy(240_000);
  }

  /** The api-server's own health endpoint: metadatabase, scheduler, triggerer and dag-processor heartbeats. */
  async health(): Promise<Record<string, { status?: string | null }> | undefined> {
    try {
      const r = await fetch(`${this.apiUrl}${API_SERVER_HEALTH_PATH}`);
      if (!r.ok) return undefined;
      return (await r.json()) as Record<string, { status?: string | null }>;
    } catch {
      return undefined;
    }
  }

  async waitHealthy(timeoutMs: number): Promise<void> {
    const parts = ['metadatabase', 'scheduler', 'triggerer', 'dag_processor'];
    await this.waitFor('airflow healthy (api-server, scheduler, triggerer, dag-processor)', async () => {
      const h = await this.health();
      return !!h && parts.every((p) => h[p]?.status === 'healthy');
    }, timeoutMs);
  }

  // ---------- clients ----------

  private token?: string;

  /** JWT from the auth manager's token endpoint, as any API client gets one. */
  async apiToken(username = this.adminUser, password = this.secrets.adminPassword): Promise<string> {
    const r = await fetch(`${this.apiUrl}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
    if (r.status !== 200 && r.status !== 201) throw new Error(`login as ${username} failed: HTTP ${r.status} ${await r.text()}`);
    return ((await r.json()) as { access_token: string }).access_token;
  }

  async api<T = unknown>(method: string, p: string, body?: unknown): Promise<T> {
    this.token ??= await this.apiToken();
    const r = await fetch(`${this.apiUrl}${p}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${p}: HTTP ${r.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** psql straight to PostgreSQL as the master login (not through PgBouncer): for assertions about the server itself. */
  async psqlDirect(db: string, sql: string): Promise<string> {
    const { stdout } = await run('psql', ['-h', this.host, '-p', String(this.ports.postgres), '-U', this.secrets.masterUser, '-d', db, '-XAtqc', sql], {
      env: { ...process.env, PGPASSWORD: this.secrets.masterPassword, PGCONNECT_TIMEOUT: '5' },
      timeout: 60_000,
    });
    return stdout.trim();
  }

  /** Client ports of the PostgreSQL backends serving the metadata database (our psql session uses another database). */
  async metadataBackendPorts(): Promise<number[]> {
    const rows = await this.psqlDirect('postgres', `SELECT client_port FROM pg_stat_activity WHERE backend_type = 'client backend' AND datname = '${DATABASES.metadata}'`);
    return rows ? rows.split('\n').map(Number) : [];
  }

  /** Keys of Celery task results in the result backend (Redis database 1, over TLS with AUTH). */
  async celeryResultKeys(): Promise<string[]> {
    const { stdout } = await run('redis-cli', ['--tls', '--cacert', this.paths.caCert, '-h', LOOPBACK, '-p', String(this.ports.redis), '--no-auth-warning', '-a', this.secrets.redisAuthToken, '-n', '1', '--scan', '--pattern', 'celery-task-meta-*'], { timeout: 60_000, maxBuffer: 64 << 20 });
    return stdout.split('\n').filter(Boolean);
  }

  /**
   * psql through PgBouncer, the way every component reaches the database; its `pgbouncer` console with the
   * exporter's password-less stats login (the only login PgBouncer's HBA rules admit there, from loopback).
   */
  async psqlViaPgBouncer(db: string, sql: string): Promise<string> {
    const statsConsole = db === 'pgbouncer';
    const user = statsConsole ? PGBOUNCER_STATS_USER : AIRFLOW_DB_ROLE;
    const { stdout } = await run('psql', ['-h', LOOPBACK, '-p', String(this.ports.pgbouncer), '-U', user, '-d', db, '-w', '-XAtqc', sql], {
      env: { ...process.env, ...(statsConsole ? {} : { PGPASSWORD: this.secrets.clientPassword }), PGCONNECT_TIMEOUT: '5' },
      timeout: 60_000,
    });
    return stdout.trim();
  }

  // ---------- lifecycle ----------

  async waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, intervalMs = 500): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await check()) return;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}; logs in ${path.join(this.paths.state, 'run')}`);
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }

  /** Pids of every process group we started, so a later run can clean up after a crashed runner. */
  private writePidFile(): void {
    const pids = Object.fromEntries([...this.processes].filter(([, p]) => p.running).map(([n, p]) => [n, p.pid]));
    fs.writeFileSync(path.join(this.paths.state, 'run', 'pids.json'), JSON.stringify({ [RUNNER_KEY]: process.pid, ...pids }));
  }

  private killLeftovers(): void {
    LocalStack.killLeftovers(this.paths.state, (l) => this.log(l));
  }

  /** Kills the process groups a crashed or interrupted runner left behind in a state folder. */
  static killLeftovers(stateDir: string, log: (line: string) => void = () => {}): void {
    const file = path.join(stateDir, 'run', 'pids.json');
    if (fs.existsSync(file)) {
      const recorded = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, number>;
      const runner = recorded[RUNNER_KEY];
      if (runner !== undefined && runner !== process.pid && isAlive(runner)) {
        throw new Error(`another local runner (pid ${runner}) is using ${stateDir}: stop it first (Ctrl-C there), or run another environment`);
      }
      delete recorded[RUNNER_KEY];
      for (const [name, pid] of Object.entries(recorded)) {
        try {
          process.kill(-pid, 'SIGKILL');
          log(`[${name}] killed a leftover process group ${pid} from an earlier run`);
        } catch {
          /* gone */
        }
      }
      fs.rmSync(file);
    }
    // Task processes leave their worker's process group; they still run inside the state folder.
    for (const pid of LocalStack.processesIn(stateDir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }

  /** Stops Airflow first (workers get their warm shutdown), then the servers. */
  async stop(): Promise<void> {
    this.stopping = true;
    const grace = this.opts.workerGraceMs ?? 60_000;
    const airflow = [...this.processes].filter(([n]) => !['postgres', 'pgbouncer', 'redis', 'aws-api'].includes(n));
    await Promise.all(airflow.map(([n, p]) => p.stop(n.startsWith('worker') ? grace : 30_000)));
    for (const n of ['aws-api', 'redis', 'pgbouncer', 'postgres']) await this.processes.get(n)?.stop(30_000, n === 'postgres' ? 'SIGINT' : 'SIGTERM');
    // A runner refused at start (another one owns this state folder) started nothing and must not touch its record.
    const file = path.join(this.paths.state, 'run', 'pids.json');
    if (this.processes.size > 0 && fs.existsSync(file)) fs.rmSync(file);
    this.log('stopped: every process of the local stack has exited');
  }

  /** Live processes of this stack: every one runs inside the state folder (empty after a clean stop). */
  leftoverPids(): number[] {
    return LocalStack.processesIn(this.paths.state);
  }

  static processesIn(stateDir: string): number[] {
    const out: number[] = [];
    for (const d of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
      try {
        const cwd = fs.readlinkSync(`/proc/${d}/cwd`);
        const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
        const state = stat[stat.lastIndexOf(')') + 2];
        if ((cwd === stateDir || cwd.startsWith(`${stateDir}/`)) && state !== 'Z') out.push(Number(d));
      } catch {
        /* exited meanwhile, or not ours to read */
      }
    }
    return out;
  }
}
