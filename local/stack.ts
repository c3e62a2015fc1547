import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { EnvironmentConfig } from '../manifests-src/config';
import { DATABASES, K8S_SECRETS } from '../manifests-src/config';
import { type AirflowProcess } from '../manifests-src/airflow/component-secrets';
import { AirflowProcesses } from './airflow-processes';
import { AirflowApiClient, pgbouncerLogin, psql, redisCommand, redisScan, type AirflowHealth } from './clients';
import { publishDags } from './dag-repo';
import type { ManagedProcess } from './managed-process';
import { killLeftovers } from './pid-file';
import { startPgBouncer, renderedSecrets, writePgBouncerSecretFiles } from './pgbouncer-server';
import { rotateAirflowLogin } from './login-rotation';
import { processesFor, reloadedBy } from './secret-rollout';
import { assertServerUserReaches, masterLogin, startPostgres } from './postgres-server';
import { allocatePorts, LOOPBACK } from './ports';
import { assertDependencies, PROJECT_ROOT } from './prerequisites';
import { processesIn } from './proc';
import { startAwsApi, startRedis } from './redis-server';
import { loadOrCreateSecrets, saveSecrets } from './secret-store';
import { rotated as rotatedJwtKeys } from '../infra/lib/functions/jwt-signing-keys';
import { LOCAL_PORT_NAMES, writeGitSecretFiles, writeProcessSecretFiles, type LocalPaths, type LocalPorts, type LocalSecrets } from './settings';
import type { LocalStackOptions, StackContext } from './stack-options';
import { SERVER_STOP_SIGNALS, Supervisor, type ComponentName } from './supervisor';
import { makeTlsMaterial } from './tls-material';

/** The operator's Fernet re-encryption (runbook), run as it ships. */
export const ROTATE_FERNET_KEY_PY = path.join(PROJECT_ROOT, 'manifests-src', 'airflow', 'rotate_fernet_key.py');

/** Which processes a Secret change replaced, and the exit codes of the replaced workers once they drained. */
export interface RollResult {
  readonly rolled: string[];
  readonly draining: Promise<(number | null)[]>;
}

export { missingDependencies, PROJECT_ROOT, TOOLS_BIN, VENV_BIN } from './prerequisites';
export type { LocalStackOptions } from './stack-options';
export type { ComponentName } from './supervisor';

/** The stand-ins of the managed services, stopped last and in this order. */
const SERVERS = ['aws-api', 'redis', 'pgbouncer', 'postgres'] as const;

/** Schedulers the local runner starts unless told otherwise: two, as HA runs them. */
export const LOCAL_SCHEDULERS = 2;

/**
 * Airflow as dist/ defines it, as real processes on loopback: PostgreSQL, PgBouncer, Redis (TLS + AUTH),
 * api-server, HA schedulers, dag-processor, triggerer and Celery workers. This file orchestrates; the
 * servers, the Airflow launchers, supervision and the clients live in their own files.
 */
export class LocalStack implements StackContext {
  readonly env: EnvironmentConfig;
  readonly paths: LocalPaths;
  ports!: LocalPorts;
  secrets!: LocalSecrets;
  readonly supervisor: Supervisor;
  private readonly airflowProcesses = new AirflowProcesses(this);
  private readonly client = new AirflowApiClient(() => this.apiUrl, () => ({ username: this.adminUser, password: this.secrets.adminPassword }));

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
    this.supervisor = new Supervisor(state, (l) => this.log(l));
  }

  private log(line: string): void {
    this.opts.onEvent?.(line);
  }

  get processes(): Map<ComponentName, ManagedProcess> {
    return this.supervisor.processes;
  }

  /** Restarts after an unexpected exit, per component. */
  get restarts(): Map<ComponentName, number> {
    return this.supervisor.restarts;
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

  get workerCount(): number {
    return this.opts.workers ?? 2;
  }

  /** Brings everything up; throws with a clear message if a dependency or a port is missing. */
  async start(): Promise<void> {
    await this.startManagedServices();
    const commit = publishDags(this.opts.dagsDir ?? path.join(PROJECT_ROOT, 'dags'), this.paths.dagRepo, this.env);
    this.log(`dags: published ${commit.slice(0, 12)} to the local DAG repository (${this.env.dags.branch}:${this.env.dags.subPath})`);
    await this.bootstrap();
    await this.startAirflow();
    this.supervisor.recordPids();
  }

  /** What the migration Job runs on every sync: migrate, admin and pools when missing. Returns its output. */
  async bootstrap(): Promise<string> {
    const { seconds, output } = await this.airflowProcesses.bootstrap();
    this.log(`bootstrap: migrated, admin user and pools set in ${seconds.toFixed(1)} s`);
    return output;
  }

  /** The stand-ins of the managed services only: PostgreSQL (Aurora), Redis TLS + AUTH (ElastiCache), the AWS API emulator. */
  async startManagedServices(): Promise<void> {
    assertDependencies(this.opts.listenAddress ? 'servers' : 'all');
    const run = this.supervisor.runDir;
    for (const d of [this.paths.airflowHome, this.paths.logs, run]) fs.mkdirSync(d, { recursive: true });
    assertServerUserReaches(this.paths.state);
    killLeftovers(this.paths.state, (l) => this.log(l));
    for (const f of fs.readdirSync(run)) if (f.endsWith('.log')) fs.rmSync(path.join(run, f));
    this.ports = await allocatePorts(LOCAL_PORT_NAMES, { ...this.opts.fixedPorts, ...(this.opts.apiServerPort ? { apiServer: this.opts.apiServerPort } : {}) });
    this.secrets = loadOrCreateSecrets(this.paths.state);
    makeTlsMaterial(this.paths.caCert, this.host);
    writeGitSecretFiles(this.env, this.secrets, this.paths.gitSecretDir);
    writeProcessSecretFiles(this.env, this.ports, this.paths, this.secrets);

    await startPostgres(this);
    if (this.opts.pgbouncer !== false) await startPgBouncer(this);
    await startRedis(this);
    await startAwsApi(this);
    this.supervisor.recordPids();
  }

  private async startAirflow(): Promise<void> {
    const a = this.airflowProcesses;
    a.startApiServer();
    for (let i = 1; i <= (this.opts.schedulers ?? LOCAL_SCHEDULERS); i++) a.startScheduler(i);
    a.startDagProcessor();
    a.startTriggerer();
    for (let i = 1; i <= this.workerCount; i++) await this.startWorker(i);
    await this.waitHealthy(240_000);
  }

  // ---------- servers ----------

  /** Every Secret dist/ references, rendered from the current local values with the same templates. */
  secretValues(): Record<string, Record<string, string>> {
    return renderedSecrets(this);
  }

  /**
   * One password rotation as Secrets Manager runs it: the stack's own rotation function (the bundled asset in
   * cdk.out/) called step by step against the AWS emulator's Secrets Manager and this PostgreSQL. The login that is
   * not current gets a new password and becomes current; the previous one keeps working. Returns the new login.
   */
  async rotateDatabaseLogin(): Promise<string> {
    const target = { endpoint: `http://${this.host}:${this.ports.awsApi}`, region: this.env.aws.region, caCert: this.paths.caCert };
    const at = { host: this.host, postgresPort: this.ports.postgres, redisPort: this.ports.redis, dbname: DATABASES.metadata };
    const login = await rotateAirflowLogin(this.env, target, at, this.secrets);
    this.secrets = { ...this.secrets, dbUser: login.username, dbPassword: login.password };
    saveSecrets(this.paths.state, this.secrets);
    // The refreshed Secret in the migrate Job's (and admin tools') files: the direct URL with the new login.
    writeProcessSecretFiles(this.env, this.ports, this.paths, this.secrets);
    return login.username;
  }

  /**
   * The refreshed Secret reaching PgBouncer: new files, then a reload (in the cluster Reloader rolls the PgBouncer
   * pods, which start with the new files). PgBouncer closes its server connections as they are released and logs in again.
   */
  reloadPgBouncerSecret(): void {
    writePgBouncerSecretFiles(this);
    this.processes.get('pgbouncer')?.signal('SIGHUP', 'leader');
  }

  /**
   * One rotation of the JWT signing keys by the rotation function's code (as Secrets Manager runs it), then the roll
   * Reloader does in the cluster for both Secrets (the api-server and each scheduler, one at a time).
   */
  async rotateJwtKeys(): Promise<RollResult> {
    this.secrets = { ...this.secrets, jwtSigning: rotatedJwtKeys(this.secrets.jwtSigning) };
    saveSecrets(this.paths.state, this.secrets);
    writeProcessSecretFiles(this.env, this.ports, this.paths, this.secrets);
    return this.rollReaders(K8S_SECRETS.jwtSigningKey.name, K8S_SECRETS.jwtKeySet.name);
  }

  /**
   * What Reloader and each Deployment's strategy do after a Secret changed: every process standing for a Deployment
   * whose reload annotation in the committed dist/ names one of `secrets` is replaced (once, however many it names). A worker gets its replacement first
   * (maxUnavailable 0) and leaves with a warm shutdown within the worker grace of the config, so its running tasks
   * finish; the returned `draining` ends with those old workers' exit codes. The others stop and start one by one.
   */
  async rollReaders(...secrets: string[]): Promise<RollResult> {
    const a = this.airflowProcesses;
    // A process already on its way out (a worker draining from an earlier rollout) is not rolled again.
    const running = [...this.processes].filter(([, p]) => p.state === 'running').map(([n]) => n);
    const deployments = [...new Set(secrets.flatMap((secret) => reloadedBy(this.env.name, secret)))].sort();
    const names = deployments.flatMap((d) => processesFor(d, running));
    const draining: Promise<number | null>[] = [];
    for (const name of names) {
      const old = this.processes.get(name)!;
      if (name.startsWith('worker-')) {
        const next = Math.max(...[...this.processes.keys()].filter((n) => n.startsWith('worker-')).map((n) => Number(n.slice('worker-'.length)))) + 1;
        const fresh = await a.startWorker(next);
        await this.waitFor(`worker-${next} ready`, async () => /\bready\.\s/.test(fs.readFileSync(fresh.opts.logFile, 'utf8')), 180_000);
        draining.push(old.stop(this.env.workers.terminationGracePeriodSeconds * 1000).then(() => old.exitCode));
        continue;
      }
      await old.stop(60_000);
      if (name === 'api-server') a.startApiServer();
      else if (name.startsWith('scheduler-')) a.startScheduler(Number(name.slice('scheduler-'.length)));
      else if (name === 'triggerer') a.startTriggerer();
      else if (name === 'dag-processor') a.startDagProcessor();
      else throw new Error(`rollReaders: no way to start ${name} again`);
      await this.waitHealthy(240_000);
    }
    return { rolled: names, draining: Promise.all(draining) };
  }

  /** A new `[api] secret_key` in Secrets Manager, refreshed into every reader's files, then Reloader's rollout. */
  async rotateApiSecretKey(): Promise<RollResult> {
    this.secrets = { ...this.secrets, apiSecretKey: randomBytes(32).toString('hex') };
    saveSecrets(this.paths.state, this.secrets);
    writeProcessSecretFiles(this.env, this.ports, this.paths, this.secrets);
    return this.rollReaders(K8S_SECRETS.apiSecretKey.name);
  }

  /**
   * A Fernet key change as docs/runbook.md gives it: the new key in front of the old (`new,old`) and the readers roll;
   * manifests-src/airflow/rotate_fernet_key.py in a scheduler's environment (in the cluster, `kubectl exec` into a
   * scheduler: it has the database and both keys) re-encrypts connections, variables and triggers; then the new key
   * alone, and the readers roll again. `beforeReencrypt` runs between the first roll and the re-encryption.
   */
  async rotateFernetKey(opts: { beforeReencrypt?: () => Promise<void> } = {}): Promise<{ oldKey: string; newKey: string; first: RollResult; reencrypted: string; second: RollResult }> {
    const oldKey = this.secrets.fernetKey;
    const newKey = `${randomBytes(32).toString('base64url')}=`;
    const put = (fernetKey: string) => {
      this.secrets = { ...this.secrets, fernetKey };
      saveSecrets(this.paths.state, this.secrets);
      writeProcessSecretFiles(this.env, this.ports, this.paths, this.secrets);
      return this.rollReaders(K8S_SECRETS.fernetKey.name);
    };
    const first = await put(`${newKey},${oldKey}`);
    await opts.beforeReencrypt?.();
    const reencrypted = await this.airflowProcesses.python('scheduler', ROTATE_FERNET_KEY_PY);
    const second = await put(newKey);
    return { oldKey, newKey, first, reencrypted, second };
  }

  /**
   * A broker AUTH token change the way ElastiCache allows it without dropping clients (docs/runbook.md): the new
   * token is added beside the old (AuthTokenUpdateStrategy ROTATE; here a second Redis password), put in Secrets
   * Manager, the readers roll; `finish()` then leaves only the new one (SET).
   */
  async rotateBrokerToken(): Promise<RollResult & { finish: () => Promise<void> }> {
    const token = randomBytes(24).toString('hex');
    const login = { host: LOOPBACK, port: this.ports.redis, authToken: this.secrets.redisAuthToken, caCert: this.paths.caCert };
    await redisCommand(login, ['ACL', 'SETUSER', 'default', `>${token}`]);
    this.secrets = { ...this.secrets, redisAuthToken: token };
    saveSecrets(this.paths.state, this.secrets);
    writeProcessSecretFiles(this.env, this.ports, this.paths, this.secrets);
    const roll = await this.rollReaders(K8S_SECRETS.broker.name);
    return { ...roll, finish: async () => void (await redisCommand({ ...login, authToken: token }, ['ACL', 'SETUSER', 'default', 'resetpass', `>${token}`])) };
  }

  /** Stops a server and starts it again; resolves with when the old process exited (seconds since the epoch). */
  async restartServer(name: 'postgres' | 'pgbouncer' | 'redis'): Promise<{ exitedAt: number }> {
    const old = this.processes.get(name);
    await old?.stop(30_000, SERVER_STOP_SIGNALS[name]);
    const exitedAt = (old?.exitedAt ?? Date.now()) / 1000;
    await { postgres: startPostgres, pgbouncer: startPgBouncer, redis: startRedis }[name](this);
    this.supervisor.recordPids();
    return { exitedAt };
  }

  // ---------- Airflow ----------

  /** The migration's environment: the migrate Job's secret files, whose database URL bypasses PgBouncer. */
  migrationEnv(): NodeJS.ProcessEnv {
    return this.airflowEnv('migrate');
  }

  /** The environment of one Airflow process; admin tools (CLI, bootstrap) get the migration Job's secrets. */
  airflowEnv(component: AirflowProcess = 'migrate', extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return this.airflowProcesses.env(component, extra);
  }

  /** `airflow <args>` as one component (`kubectl exec deploy/<component> -- airflow ...` in the cluster). */
  cli(component: AirflowProcess, args: string[]): Promise<string> {
    return this.airflowProcesses.cli(component, args);
  }

  startWorker(i: number): Promise<ManagedProcess> {
    return this.airflowProcesses.startWorker(i);
  }

  /** Folder for a worker's local task logs: its own, as each pod has its own disk. */
  workerLogDir(name: ComponentName): string {
    return this.airflowProcesses.workerLogDir(name);
  }

  /** Scale-in for good: warm shutdown, then its disk goes with it, as when KEDA removes the pod. */
  removeWorker(i: number, graceMs: number): Promise<void> {
    return this.airflowProcesses.removeWorker(i, graceMs);
  }

  /** The api-server's own health endpoint: metadatabase, scheduler, triggerer and dag-processor heartbeats. */
  health(): Promise<AirflowHealth | undefined> {
    return this.client.health();
  }

  async waitHealthy(timeoutMs: number): Promise<void> {
    const parts = ['metadatabase', 'scheduler', 'triggerer', 'dag_processor'];
    await this.waitFor('airflow healthy (api-server, scheduler, triggerer, dag-processor)', async () => {
      const h = await this.health();
      return !!h && parts.every((p) => h[p]?.status === 'healthy');
    }, timeoutMs);
  }

  // ---------- clients ----------

  /** JWT from the auth manager's token endpoint, as any API client gets one. */
  apiToken(username = this.adminUser, password = this.secrets.adminPassword): Promise<string> {
    return this.client.fetchToken(username, password);
  }

  api<T = unknown>(method: string, p: string, body?: unknown): Promise<T> {
    return this.client.call<T>(method, p, body);
  }

  /** psql straight to PostgreSQL as the master login (not through PgBouncer): for assertions about the server itself. */
  psqlDirect(db: string, sql: string): Promise<string> {
    return psql(masterLogin(this), db, sql);
  }

  /** psql through PgBouncer, the way every component reaches the database; `pgbouncer` is its stats console. */
  psqlViaPgBouncer(db: string, sql: string): Promise<string> {
    return psql(pgbouncerLogin(LOOPBACK, this.ports.pgbouncer, this.secrets.clientPassword, db), db, sql);
  }

  /** Client ports of the PostgreSQL backends serving the metadata database (our psql session uses another database). */
  async metadataBackendPorts(): Promise<number[]> {
    const rows = await this.psqlDirect('postgres', `SELECT client_port FROM pg_stat_activity WHERE backend_type = 'client backend' AND datname = '${DATABASES.metadata}'`);
    return rows ? rows.split('\n').map(Number) : [];
  }

  /** Keys of Celery task results in the result backend (Redis database 1, over TLS with AUTH). */
  celeryResultKeys(): Promise<string[]> {
    return redisScan({ host: LOOPBACK, port: this.ports.redis, authToken: this.secrets.redisAuthToken, caCert: this.paths.caCert }, 1, 'celery-task-meta-*');
  }

  // ---------- lifecycle ----------

  waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, intervalMs = 500): Promise<void> {
    return this.supervisor.waitFor(what, check, timeoutMs, intervalMs);
  }

  /** Kills the process groups a crashed or interrupted runner left behind in a state folder. */
  static killLeftovers(stateDir: string, log: (line: string) => void = () => {}): void {
    killLeftovers(stateDir, log);
  }

  /** Stops Airflow first (workers get their warm shutdown), then the servers. */
  async stop(): Promise<void> {
    const grace = this.opts.workerGraceMs ?? 60_000;
    await this.supervisor.stopAll(SERVERS, (n) => (n.startsWith('worker') ? grace : 30_000));
    this.log('stopped: every process of the local stack has exited');
  }

  /** Live processes of this stack: every one runs inside the state folder (empty after a clean stop). */
  leftoverPids(): number[] {
    return processesIn(this.paths.state);
  }
}
