import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { descendantsOf, killQuietly } from './proc';

export interface ManagedProcessOptions {
  /** Short name used in status lines and log file names. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly logFile: string;
  /** Run as this user (servers that refuse root, e.g. PostgreSQL and PgBouncer); exec'd, so signals reach the server itself. */
  readonly runAsUser?: string;
  /**
   * Who gets the stop signal: the whole process group (an init that forwards to the group) or only the
   * main process (Celery workers: the image runs them with DUMB_INIT_SETSID=0 for a warm shutdown).
   * @default 'group'
   */
  readonly stopSignalScope?: 'group' | 'leader';
}

export type ProcessState = 'starting' | 'running' | 'stopping' | 'exited';

/**
 * One long-running program of the local stack, in its own process group. A stop is a pod's stop: the
 * stop signal, the grace period, then SIGKILL for every process it started, including task processes
 * that moved to process groups of their own (a container kill takes them all).
 */
export class ManagedProcess {
  private child?: ChildProcess;
  private exitPromise?: Promise<number | null>;
  state: ProcessState = 'starting';
  exitCode: number | null = null;
  /** When its main process was last started and last exited (ms since the epoch). */
  startedAt?: number;
  exitedAt?: number;
  /** Set when we stopped it on purpose, so an exit is not reported as a crash. */
  expectedExit = false;

  constructor(readonly opts: ManagedProcessOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    const out = fs.openSync(this.opts.logFile, 'a');
    const [cmd, args] = this.opts.runAsUser
      ? ['setpriv', [`--reuid=${this.opts.runAsUser}`, `--regid=${this.opts.runAsUser}`, '--init-groups', '--', this.opts.command, ...this.opts.args]]
      : [this.opts.command, [...this.opts.args]];
    this.child = spawn(cmd, args, { env: this.opts.env, cwd: this.opts.cwd, detached: true, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    this.startedAt = Date.now();
    this.state = 'running';
    this.expectedExit = false;
    this.exitPromise = new Promise((resolve) => {
      this.child!.once('exit', (code, signal) => {
        this.state = 'exited';
        this.exitedAt = Date.now();
        this.exitCode = code ?? (signal ? 128 : null);
        resolve(this.exitCode);
      });
    });
  }

  get running(): boolean {
    return this.state === 'running' || this.state === 'stopping';
  }

  /** Signal the main process, or its whole process group. */
  signal(sig: NodeJS.Signals, scope: 'group' | 'leader' = 'group'): void {
    if (this.child?.pid && this.running) killQuietly(scope === 'group' ? -this.child.pid : this.child.pid, sig);
  }

  /** Resolves with the exit code, or undefined when it has not exited within the timeout. */
  async waitExit(timeoutMs: number): Promise<number | null | undefined> {
    if (!this.exitPromise) return null;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), timeoutMs)));
    const result = await Promise.race([this.exitPromise, timeout]);
    clearTimeout(timer);
    return result;
  }

  /** The stop signal, the grace period, then SIGKILL for everything left. */
  async stop(graceMs = 30_000, sig: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.running) return;
    this.expectedExit = true;
    this.state = 'stopping';
    const tree = this.tree();
    this.signal(sig, this.opts.stopSignalScope ?? 'group');
    if ((await this.waitExit(graceMs)) === undefined) {
      this.signal('SIGKILL');
      await this.waitExit(10_000);
    }
    this.killAll(tree);
  }

  /** A fault: every process dies at once and the exit counts as a crash (the stack restarts it). */
  async crash(sig: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const tree = this.tree();
    if (sig === 'SIGKILL') this.killAll(tree, 'SIGKILL');
    else this.signal(sig);
    await this.waitExit(10_000);
  }

  private tree(): number[] {
    return this.child?.pid ? [this.child.pid, ...descendantsOf(this.child.pid)] : [];
  }

  private killAll(pids: number[], sig: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child?.pid) killQuietly(-this.child.pid, sig);
    for (const p of [...pids, ...(this.child?.pid ? descendantsOf(this.child.pid) : [])]) killQuietly(p, sig);
  }
}
