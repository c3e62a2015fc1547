import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ManagedProcess } from './managed-process';
import { isAlive, killQuietly, processesIn } from './proc';

/**
 * run/pids.json of a state folder: the pid of every process group the runner started, so a later run can
 * clean up after a crashed one, and the runner's own pid, so a live runner's stack is never taken for leftovers.
 */
const RUNNER_KEY = '(runner)';

const pidFile = (stateDir: string) => path.join(stateDir, 'run', 'pids.json');

export function writePidFile(stateDir: string, processes: ReadonlyMap<string, ManagedProcess>): void {
  const pids = Object.fromEntries([...processes].filter(([, p]) => p.running).map(([n, p]) => [n, p.pid]));
  fs.writeFileSync(pidFile(stateDir), JSON.stringify({ [RUNNER_KEY]: process.pid, ...pids }));
}

export function removePidFile(stateDir: string): void {
  fs.rmSync(pidFile(stateDir), { force: true });
}

/** Kills the process groups a crashed or interrupted runner left behind in a state folder; refuses a live runner's. */
export function killLeftovers(stateDir: string, log: (line: string) => void = () => {}): void {
  const file = pidFile(stateDir);
  if (fs.existsSync(file)) {
    const recorded = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, number>;
    const runner = recorded[RUNNER_KEY];
    if (runner !== undefined && runner !== process.pid && isAlive(runner)) {
      throw new Error(`another local runner (pid ${runner}) is using ${stateDir}: stop it first (Ctrl-C there), or run another environment`);
    }
    delete recorded[RUNNER_KEY];
    for (const [name, pid] of Object.entries(recorded)) {
      if (killQuietly(-pid, 'SIGKILL')) log(`[${name}] killed a leftover process group ${pid} from an earlier run`);
    }
    fs.rmSync(file);
  }
  // Task processes leave their worker's process group; they still run inside the state folder.
  for (const pid of processesIn(stateDir)) killQuietly(pid, 'SIGKILL');
}
