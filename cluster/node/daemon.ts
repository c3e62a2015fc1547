import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LOG_DIR, RUN_DIR } from './layout';

/**
 * The cluster's host processes (etcd, control plane, containerd, kubelet, kube-proxy, managed services)
 * outlive `cluster up`: each runs detached in its own session, with a pid file and a log file, and is
 * stopped by pid (never by name).
 */

export interface DaemonSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Run inside this network namespace (`ip netns exec`). */
  readonly netns?: string;
}

const pidFile = (name: string) => path.join(RUN_DIR, `${name}.pid`);
export const logFile = (name: string) => path.join(LOG_DIR, `${name}.log`);

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

export function daemonPid(name: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(pidFile(name), 'utf8'));
    return isAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Starts the daemon unless it already runs (a second `up` reuses what is there). */
export function startDaemon(spec: DaemonSpec): number {
  const running = daemonPid(spec.name);
  if (running) return running;
  if (path.isAbsolute(spec.command) && !fs.existsSync(spec.command)) throw new Error(`${spec.name}: ${spec.command} is missing; run: bash cluster/install.sh`);
  fs.mkdirSync(RUN_DIR, { recursive: true });
  fs.mkdirSync(LOG_DIR, { recursive: true });
  const out = fs.openSync(logFile(spec.name), 'a');
  const [cmd, args] = spec.netns ? ['ip', ['netns', 'exec', spec.netns, spec.command, ...spec.args]] : [spec.command, [...spec.args]];
  const child = spawn(cmd, args, { env: spec.env ?? process.env, detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  child.unref();
  fs.writeFileSync(pidFile(spec.name), String(child.pid));
  return child.pid!;
}

/** Every pid in the process group / session the daemon leads, read from /proc. */
function sessionMembers(sid: number): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[3]) === sid) out.push(Number(d));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** SIGTERM, wait up to `graceMs`, then SIGKILL the whole session; removes the pid file. */
export async function stopDaemon(name: string, graceMs = 20_000): Promise<void> {
  const pid = daemonPid(name);
  if (pid) {
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      /* gone */
    }
    const deadline = Date.now() + graceMs;
    while (isAlive(pid) && Date.now() < deadline) await sleep(200);
    for (const p of [pid, ...sessionMembers(pid)]) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
  fs.rmSync(pidFile(name), { force: true });
}

export function daemonNames(): string[] {
  if (!fs.existsSync(RUN_DIR)) return [];
  return fs.readdirSync(RUN_DIR).filter((f) => f.endsWith('.pid')).map((f) => f.slice(0, -4));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it is true; throws naming what it waited for and where the logs are. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number, logName?: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) {
      const tail = logName && fs.existsSync(logFile(logName)) ? `\n--- last lines of ${logFile(logName)}:\n${fs.readFileSync(logFile(logName), 'utf8').split('\n').slice(-15).join('\n')}` : '';
      throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${tail}`);
    }
    await sleep(500);
  }
}

/** Runs a command, returns trimmed stdout; throws with its stderr. */
export function sh(cmd: string, args: readonly string[], opts: { input?: string; env?: NodeJS.ProcessEnv; allowFail?: boolean } = {}): string {
  try {
    return execFileSync(cmd, args, { input: opts.input, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 64 << 20 }).toString().trim();
  } catch (e) {
    if (opts.allowFail) return '';
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${err.stderr?.toString().trim() || err.message}`);
  }
}
