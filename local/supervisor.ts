import * as path from 'node:path';
import { ManagedProcess, type ManagedProcessOptions } from './managed-process';
import { removePidFile, writePidFile } from './pid-file';

/** 'postgres' | 'pgbouncer' | 'redis' | 'aws-api' | 'api-server' | 'scheduler-1' | 'worker-1' | ... */
export type ComponentName = string;

/** Polls `check` until it holds; the timeout names what it waited for and where the logs are. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, intervalMs: number, logsHint: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}; ${logsHint}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * How each server is stopped. PostgreSQL: fast shutdown (SIGINT) drops the sessions, as a failover does; a smart one
 * would wait for them. PgBouncer: safe shutdown (SIGINT: running transactions finish, then exit), what dist/'s preStop
 * hook asks for; since 1.23 its SIGTERM waits for every client to disconnect, which pooled clients never do.
 */
export const SERVER_STOP_SIGNALS: Readonly<Record<string, NodeJS.Signals>> = { postgres: 'SIGINT', pgbouncer: 'SIGINT', redis: 'SIGTERM' };

/**
 * The local stand-in for the kubelet: starts each component as a ManagedProcess, records its pid, restarts
 * it with a growing back-off when it exits unexpectedly (restartPolicy Always), and stops everything in order.
 */
export class Supervisor {
  readonly processes = new Map<ComponentName, ManagedProcess>();
  /** Restarts after an unexpected exit, per component. */
  readonly restarts = new Map<ComponentName, number>();
  /** How to start each restartable component again. */
  private readonly starters = new Map<ComponentName, () => unknown>();
  private stopping = false;
  /** Components whose restart waits: a pod on a lost node stays down until it is scheduled elsewhere. */
  private readonly held = new Map<ComponentName, (() => void) | undefined>();

  constructor(
    private readonly stateDir: string,
    private readonly log: (line: string) => void,
  ) {}

  get runDir(): string {
    return path.join(this.stateDir, 'run');
  }

  waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, intervalMs = 500): Promise<void> {
    return waitFor(what, check, timeoutMs, intervalMs, `logs in ${this.runDir}`);
  }

  /** Registers how to start `name` again after a crash (servers are restarted by hand, Airflow by this). */
  restartWith(name: ComponentName, starter: () => unknown): void {
    this.starters.set(name, starter);
  }

  spawn(name: ComponentName, opts: Omit<ManagedProcessOptions, 'name' | 'cwd' | 'logFile'>): ManagedProcess {
    const p = new ManagedProcess({ ...opts, name, cwd: this.stateDir, logFile: path.join(this.runDir, `${name}.log`) });
    p.start();
    this.processes.set(name, p);
    this.recordPids();
    this.log(`[${name}] started pid ${p.pid}`);
    void p.waitExit(2 ** 31 - 1).then((code) => this.onExit(name, p, code));
    return p;
  }

  private onExit(name: ComponentName, p: ManagedProcess, code: number | null | undefined): void {
    if (p.expectedExit || this.stopping || this.processes.get(name) !== p) return;
    this.log(`[${name}] EXITED unexpectedly with code ${code}; log: ${p.opts.logFile}`);
    const starter = this.starters.get(name);
    if (!starter) return;
    const n = (this.restarts.get(name) ?? 0) + 1;
    this.restarts.set(name, n);
    const restart = (why: string) => {
      if (this.stopping || this.processes.get(name) !== p) return;
      this.log(`[${name}] restarting (restart ${n}, ${why})`);
      starter();
    };
    if (this.held.has(name)) {
      this.log(`[${name}] held down until released`);
      this.held.set(name, () => restart('released'));
      return;
    }
    const delay = Math.min(1000 * 2 ** (n - 1), 10_000);
    setTimeout(() => restart(`after ${delay} ms`), delay);
  }

  /**
   * Keeps `name` down after its next unexpected exit until the returned release is called (then it restarts at
   * once): a pod on a lost node, where no kubelet restarts it in a second.
   */
  holdRestart(name: ComponentName): () => void {
    this.held.set(name, undefined);
    return () => {
      const pending = this.held.get(name);
      this.held.delete(name);
      pending?.();
    };
  }

  recordPids(): void {
    writePidFile(this.stateDir, this.processes);
  }

  /**
   * Stops the clients first, in parallel with their grace periods, then the servers one by one in the order
   * given (PostgreSQL with a fast shutdown, SIGINT, so it does not wait for sessions).
   */
  async stopAll(servers: readonly ComponentName[], graceOf: (name: ComponentName) => number): Promise<void> {
    this.stopping = true;
    const clients = [...this.processes].filter(([n]) => !servers.includes(n));
    await Promise.all(clients.map(([n, p]) => p.stop(graceOf(n))));
    for (const n of servers) await this.processes.get(n)?.stop(30_000, SERVER_STOP_SIGNALS[n] ?? 'SIGTERM');
    // A runner refused at start (another one owns this state folder) started nothing and must not touch its record.
    if (this.processes.size > 0) removePidFile(this.stateDir);
  }
}
