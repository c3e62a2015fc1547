import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * A cgroup v1 group in the cpu, cpuacct and memory hierarchies (root needed): the local stand-in for a
 * container's CPU limit (CFS quota, what Kubernetes sets for `limits.cpu`) and memory accounting.
 */
const ROOT = '/sys/fs/cgroup';
const CFS_PERIOD_US = 100_000;

export function cgroupV1Available(): boolean {
  try {
    fs.accessSync(path.join(ROOT, 'cpu', 'cgroup.procs'), fs.constants.W_OK);
    return fs.existsSync(path.join(ROOT, 'memory', 'cgroup.procs'));
  } catch {
    return false;
  }
}

/** `"500m"` / `"1"` -> cores. */
export function cpuCores(quantity: string): number {
  return quantity.endsWith('m') ? parseInt(quantity, 10) / 1000 : parseFloat(quantity);
}

export class CgroupV1 {
  private readonly dirs: Record<'cpu' | 'cpuacct' | 'memory', string>;

  constructor(name: string, cpuLimitCores?: number) {
    const leaf = `airflow-eks-${name}-${process.pid}`;
    this.dirs = { cpu: path.join(ROOT, 'cpu', leaf), cpuacct: path.join(ROOT, 'cpuacct', leaf), memory: path.join(ROOT, 'memory', leaf) };
    for (const d of Object.values(this.dirs)) fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(this.dirs.cpu, 'cpu.cfs_period_us'), String(CFS_PERIOD_US));
    fs.writeFileSync(path.join(this.dirs.cpu, 'cpu.cfs_quota_us'), cpuLimitCores === undefined ? '-1' : String(Math.round(cpuLimitCores * CFS_PERIOD_US)));
  }

  /** Memory already charged to a process moves with it into the group (so the peak covers what it held); false when the kernel refuses. */
  moveChargesWithProcesses(): boolean {
    try {
      fs.writeFileSync(path.join(this.dirs.memory, 'memory.move_charge_at_immigrate'), '3');
      return true;
    } catch {
      return false;
    }
  }

  /** Moves a process (not its existing children: add those too) into every hierarchy of the group. */
  add(pid: number): void {
    for (const d of Object.values(this.dirs)) {
      try {
        fs.writeFileSync(path.join(d, 'cgroup.procs'), String(pid));
      } catch {
        /* exited meanwhile */
      }
    }
  }

  /** Runs a command inside the group; resolves with exit code and wall seconds. */
  run(command: string, args: string[], env: NodeJS.ProcessEnv, cwd: string, timeoutMs: number): Promise<{ code: number | null; seconds: number; output: string }> {
    const procs = Object.values(this.dirs).map((d) => path.join(d, 'cgroup.procs'));
    // The shell joins the group, then becomes the command: everything it starts is inside the limit.
    const script = `for f in ${procs.join(' ')}; do echo $$ > "$f"; done; exec "$@"`;
    return new Promise((resolve) => {
      const started = process.hrtime.bigint();
      const child = spawn('sh', ['-c', script, 'sh', command, ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (b) => (output += b));
      child.stderr.on('data', (b) => (output += b));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, seconds: Number(process.hrtime.bigint() - started) / 1e9, output });
      });
    });
  }

  /** CPU seconds used by the group so far. */
  cpuSeconds(): number {
    return Number(fs.readFileSync(path.join(this.dirs.cpuacct, 'cpuacct.usage'), 'utf8')) / 1e9;
  }

  /** Seconds the group was throttled by its quota so far. */
  throttledSeconds(): number {
    const stat = fs.readFileSync(path.join(this.dirs.cpu, 'cpu.stat'), 'utf8');
    return Number(/throttled_time (\d+)/.exec(stat)?.[1] ?? 0) / 1e9;
  }

  /** Peak memory the kernel charged to the group (what a container's memory limit is compared with). */
  peakMemoryBytes(): number {
    return Number(fs.readFileSync(path.join(this.dirs.memory, 'memory.max_usage_in_bytes'), 'utf8'));
  }

  /** Removes the group once its processes are gone (they move back to the parent). */
  remove(): void {
    for (const [h, d] of Object.entries(this.dirs)) {
      try {
        for (const pid of fs.readFileSync(path.join(d, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
          fs.writeFileSync(path.join(ROOT, h, 'cgroup.procs'), pid);
        }
        fs.rmdirSync(d);
      } catch {
        /* already gone */
      }
    }
  }
}
