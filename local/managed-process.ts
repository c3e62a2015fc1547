import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';

export interface ManagedProcessOptions {
  /** Short name used in status lines and log file names. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly logFile: string;
  /** Run as this user (servers that refuse root, e.g. PostgreSQL and PgBouncer). */
  readonly runAsUser?: string;
}

export type ProcessState = 'starting' | 'running' | 'stopping' | 'exited';

/**
 * One long-running program of the local stack, in its own process group so that a stop (or a fault
 * test's kill -9) reaches everything it forked, as a pod kill does.
 */
export class ManagedProcess {
  private child?: ChildProcess;
  private exitPromise?: Promise<number | null>;
  state: ProcessState = 'starting';
  exitCode: number | null = null;
  /** Set when we stopped it on purpose, so an exit is not reported as a crash. */
  expectedExit = false;

  constructor(readonly opts: ManagedProcessOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    const out = fs.openSync(this.opts.logFile, 'a');
    const [cmd, args] = this.opts.runAsUser
      ? ['runuser', ['-u', this.opts.runAsUser, '--', this.opts.command, ...this.opts.args]]
      : [this.opts.command, [...this.opts.args]];
    this.child = spawn(cmd, args, { env: this.opts.env, cwd: this.opts.cwd, detached: true, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    this.state = 'running';
    this.expectedExit = false;
    this.exitPromise = new Promise((resolve) => {
      this.child!.once('exit', (code, signal) => {
        this.state = 'exited';
        this.exitCode = code ?? (signal ? 128 : null);
        resolve(this.exitCode);
      });
    });
  }

  get running(): boolean {
    return this.state === 'running' || this.state === 'stopping';
  }

  /** Signal the whole process group. */
  signal(sig: NodeJS.Signals): void {
    if (this.child?.pid && this.running) {
      try {
        process.kill(-this.child.pid, sig);
      } catch {
        /* already gone */
      }
    }
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

  /** SIGTERM, wait for the grace period, then SIGKILL the group: the same contract as a pod. */
  async stop(graceMs = 30_000, sig: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.running) return;
    this.expectedExit = true;
    this.state = 'stopping';
    this.signal(sig);
    if ((await this.waitExit(graceMs)) === undefined) {
      this.signal('SIGKILL');
      await this.waitExit(10_000);
    }
    this.killGroupLeftovers();
  }

  /** A fault: the signal reaches the whole group and the exit counts as a crash (the stack restarts it). */
  async crash(sig: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    this.signal(sig);
    await this.waitExit(10_000);
    if (sig === 'SIGKILL') this.killGroupLeftovers();
  }

  /** kill -9 without grace, on purpose (no restart): what removing a node does. */
  async kill(): Promise<void> {
    this.expectedExit = true;
    this.signal('SIGKILL');
    await this.waitExit(10_000);
    this.killGroupLeftovers();
  }

  /** Children that outlived the leader still carry its process group id. */
  private killGroupLeftovers(): void {
    if (!this.child?.pid) return;
    try {
      process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      /* group is empty */
    }
  }
}
