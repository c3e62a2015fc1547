import * as fs from 'node:fs';

/** The one reader of /proc for the runner and the benchmark: process table, trees, working folders, memory. */

export interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  /** R, S, D, Z ... (field 3 of /proc/<pid>/stat). */
  readonly state: string;
}

/** Fields after the command name, which may itself hold spaces and parentheses. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined; // exited meanwhile, or not ours to read
  }
}

export function procStat(pid: number): ProcStat | undefined {
  const f = statFields(pid);
  return f && { pid, state: f[0], ppid: Number(f[1]) };
}

/** Pids of every process now, except this one. */
export function allPids(): number[] {
  return fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((p) => p !== process.pid);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pids of every live descendant of `root` (children, grandchildren...). */
export function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const pid of allPids()) {
    const s = procStat(pid);
    if (s) children.set(s.ppid, [...(children.get(s.ppid) ?? []), pid]);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length) for (const c of children.get(queue.shift()!) ?? []) (out.push(c), queue.push(c));
  return out;
}

/** Live (not zombie) processes whose working folder is `dir` or below it. */
export function processesIn(dir: string): number[] {
  return allPids().filter((pid) => {
    try {
      const cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
      return (cwd === dir || cwd.startsWith(`${dir}/`)) && procStat(pid)?.state !== 'Z';
    } catch {
      return false;
    }
  });
}

/** PSS and RSS in kB from /proc/<pid>/smaps_rollup (0 when the process is gone). */
export function memoryKiB(pid: number): { pss: number; rss: number } {
  try {
    const t = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = (f: string) => Number(new RegExp(`^${f}:\\s+(\\d+) kB`, 'm').exec(t)?.[1] ?? 0);
    return { pss: kb('Pss'), rss: kb('Rss') };
  } catch {
    return { pss: 0, rss: 0 };
  }
}

/** Sends a signal to a pid (negative: a process group); false when there was nothing to signal. */
export function killQuietly(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false; // already gone
  }
}
