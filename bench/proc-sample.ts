import * as fs from 'node:fs';
import * as os from 'node:os';
import { descendantsOf, memoryKiB } from '../local/proc';
import { parsePidStatCpuTicks, parseProcStat, type CpuTicks } from './stats';

/** Reads of /proc the benchmark takes between phases: no process is started to measure. */

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

function readOr(file: string, dflt: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return dflt;
  }
}

/**
 * CPU-seconds of a process tree so far: utime+stime of every live process in it plus cutime+cstime, which
 * hold the reaped children (task processes a worker forked and waited for).
 */
export function treeCpuSeconds(root: number): number {
  let ticks = 0;
  for (const pid of [root, ...descendantsOf(root)]) {
    const stat = readOr(`/proc/${pid}/stat`, '');
    if (stat) ticks += parsePidStatCpuTicks(stat);
  }
  return ticks / USER_HZ;
}

/**
 * Memory of a process tree in MiB: the sum of each process's PSS (shared pages split among their users), so
 * prefork children sharing their parent's pages are not counted once per child as RSS would.
 */
export function treePssMiB(root: number): number {
  return [root, ...descendantsOf(root)].reduce((kib, pid) => kib + memoryKiB(pid).pss, 0) / 1024;
}

export function machineTicks(): CpuTicks {
  return parseProcStat(fs.readFileSync('/proc/stat', 'utf8'));
}

/** The three load averages and runnable/total tasks, as /proc/loadavg prints them. */
export function loadavg(): string {
  return readOr('/proc/loadavg', '').trim();
}

/** The machine a figure was measured on: CPUs and model, memory, architecture, load average now. */
export function machineSummary(): string {
  const cpus = os.cpus();
  return `${cpus.length} vCPU ${cpus[0]?.model.trim() ?? ''}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.arch()}, load ${os.loadavg()[0].toFixed(1)}`;
}

/** CPU-seconds of the benchmark itself (this Node process), so its own cost is visible beside the stack's. */
export function selfCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
