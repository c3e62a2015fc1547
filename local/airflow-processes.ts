import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { DATABASES } from '../manifests-src/config';
import { airflowCommands } from '../manifests-src/airflow/airflow-settings';
import { bootstrapScript } from '../manifests-src/airflow/bootstrap';
import { secretFile, type AirflowProcess } from '../manifests-src/airflow/component-secrets';
import type { ManagedProcess } from './managed-process';
import { allocatePorts, LOOPBACK } from './ports';
import { VENV_BIN } from './prerequisites';
import { localAirflowEnv, localCloneSettings, processSecretDir } from './settings';
import type { StackContext } from './stack-options';
import type { ComponentName } from './supervisor';

const run = promisify(execFile);

/**
 * The Airflow components as host processes, started with the commands and settings dist/ gives their pods;
 * each registers how to start it again, as restartPolicy Always does.
 */
export class AirflowProcesses {
  private readonly workerPorts = new Map<ComponentName, number>();

  constructor(private readonly ctx: StackContext) {}

  /** The environment of one Airflow process; admin tools (CLI, bootstrap) get the migration Job's secrets. */
  env(component: AirflowProcess = 'migrate', extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const { env, ports, paths, opts, secrets } = this.ctx;
    const e = localAirflowEnv(env, ports, paths, component, { ...(opts.airflowOverrides ?? {}), ...extra });
    // Plain AIRFLOW__* variables win over the *_CMD ones that read the secret files.
    const direct = opts.viaPgBouncer === false ? `postgresql+psycopg2://${secrets.dbUser}:${secrets.dbPassword}@${LOOPBACK}:${ports.postgres}/${DATABASES.metadata}` : undefined;
    if (direct) e.AIRFLOW__DATABASE__SQL_ALCHEMY_CONN = direct;
    // Airflow's default result backend is the metadata database (the URL the scheduler's secret holds); every
    // process, workers included, then needs its credentials.
    if (opts.resultBackend === 'database') {
      const metadataUrl = direct ?? fs.readFileSync(secretFile('sqlAlchemyConn', processSecretDir(paths, 'scheduler')), 'utf8').trim();
      e.AIRFLOW__CELERY__RESULT_BACKEND = `db+${metadataUrl.replace('+psycopg2', '')}`;
    }
    return { PATH: `${VENV_BIN}:${process.env.PATH}`, HOME: paths.airflowHome, LANG: 'C.UTF-8', ...e };
  }

  /** What the Argo CD PreSync Job runs: migrate, first admin from the secret, pools. Returns its time and output. */
  async bootstrap(): Promise<{ seconds: number; output: string }> {
    const started = Date.now();
    const script = bootstrapScript(this.ctx.env, secretFile('adminPassword', processSecretDir(this.ctx.paths, 'migrate')));
    const { stdout, stderr } = await run('bash', ['-c', script], { env: this.env('migrate'), cwd: this.ctx.paths.state, timeout: 600_000, maxBuffer: 64 << 20 }).catch((e: { stderr?: string; message: string }) => {
      throw new Error(`bootstrap (db migrate, admin user, pools) failed: ${e.stderr?.slice(-2000) ?? e.message}`);
    });
    return { seconds: (Date.now() - started) / 1000, output: `${stdout}${stderr}` };
  }

  /** `airflow <args>` in one component's environment (what `kubectl exec deploy/<component> -- airflow ...` runs in the cluster); its standard output. */
  cli(component: AirflowProcess, args: string[]): Promise<string> {
    return this.runAs(component, 'airflow', args);
  }

  /** A Python file run in one component's environment (`kubectl exec -i deploy/<component> -- python - < file`); its standard output. */
  python(component: AirflowProcess, file: string): Promise<string> {
    return this.runAs(component, 'python', [file]);
  }

  private async runAs(component: AirflowProcess, program: 'airflow' | 'python', args: string[]): Promise<string> {
    const { stdout } = await run(path.join(VENV_BIN, program), args, { env: this.env(component), cwd: this.ctx.paths.state, timeout: 300_000, maxBuffer: 16 << 20 }).catch((e: { stderr?: string; message: string }) => {
      throw new Error(`${program} ${args.map((x) => path.basename(x)).join(' ')} (as the ${component}) failed: ${e.stderr?.slice(-2000) ?? e.message}`);
    });
    return stdout;
  }

  private get commands() {
    return airflowCommands(this.ctx.env);
  }

  startApiServer(): ManagedProcess {
    const cmd = [...this.commands.apiServer];
    cmd[cmd.indexOf('--port') + 1] = String(this.ctx.ports.apiServer);
    return this.spawn('api-server', 'api-server', cmd, {}, () => this.startApiServer());
  }

  startScheduler(i: number): ManagedProcess {
    // Two schedulers on one host would fight for the health port (each pod has its own IP); the api-server health covers them.
    return this.spawn(`scheduler-${i}`, 'scheduler', [...this.commands.scheduler], { AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK: 'False' }, () => this.startScheduler(i));
  }

  startDagProcessor(): ManagedProcess {
    return this.spawn('dag-processor', 'dag-processor', [...this.commands.dagProcessor], localCloneSettings(this.ctx.env, this.ctx.paths), () => this.startDagProcessor());
  }

  startTriggerer(): ManagedProcess {
    return this.spawn('triggerer', 'triggerer', [...this.commands.triggerer], {}, () => this.startTriggerer());
  }

  /** Folder for a worker's local task logs: its own, as each pod has its own disk. */
  workerLogDir(name: ComponentName): string {
    return path.join(this.ctx.paths.logs, name);
  }

  async startWorker(i: number): Promise<ManagedProcess> {
    const name = `worker-${i}`;
    let port = this.workerPorts.get(name);
    if (port === undefined) {
      port = (await allocatePorts(['log'] as const)).log;
      this.workerPorts.set(name, port);
    }
    const extra = {
      ...localCloneSettings(this.ctx.env, this.ctx.paths),
      AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT: String(port),
      AIRFLOW__LOGGING__BASE_LOG_FOLDER: this.workerLogDir(name),
      // HOSTNAME is the pod name in the cluster; here it names the worker.
      HOSTNAME: name,
    };
    // As the worker pod's init does with DUMB_INIT_SETSID=0: SIGTERM reaches Celery's main process only.
    return this.spawn(name, 'worker', [...this.commands.worker, '--celery-hostname', `${name}@%h`], extra, () => void this.startWorker(i), 'leader');
  }

  /** Scale-in for good: warm shutdown, then its disk goes with it, as when KEDA removes the pod. */
  async removeWorker(i: number, graceMs: number): Promise<void> {
    const name = `worker-${i}`;
    await this.ctx.supervisor.processes.get(name)?.stop(graceMs);
    fs.rmSync(this.workerLogDir(name), { recursive: true, force: true });
  }

  private spawn(name: ComponentName, component: AirflowProcess, cmd: string[], extra: Record<string, string>, again: () => unknown, stopSignalScope?: 'group' | 'leader'): ManagedProcess {
    this.ctx.supervisor.restartWith(name, again);
    const [bin, ...args] = cmd;
    return this.ctx.supervisor.spawn(name, { command: path.join(VENV_BIN, bin), args, env: this.env(component, extra), stopSignalScope });
  }
}
