import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadEnvironments } from '../manifests-src/config';
import { descendantsOf, memoryKiB, procStat } from '../local/proc';
import { LocalStack, PROJECT_ROOT } from '../local/stack';
import { trigger, unpause, waitRuns } from '../local/dag-runs';
import { CgroupV1, cgroupV1Available } from './cgroup-v1';

/**
 * `npm run measure:worker-memory [-- --concurrency 16 --seconds 40]`: one Celery worker of the local stack with
 * every slot busy (platform_workload tasks that sleep), sampling the worker's process tree from /proc
 * (PSS: shared pages counted once, as the container's cgroup charges them; RSS for comparison) and, with root,
 * the peak the kernel charged to a memory cgroup holding the tree. Prints base, per busy slot and a sizing.
 */
function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

interface Sample {
  pss: number;
  rss: number;
  mainPss: number;
  busySlots: number;
  processes: number;
}

function sampleTree(root: number): Sample {
  const kids = descendantsOf(root);
  const all = [root, ...kids].map(memoryKiB);
  // Busy slot: a pool child (direct child of the main process) that has started a task process.
  const poolChildren = kids.filter((k) => ppid(k) === root);
  const busySlots = poolChildren.filter((c) => kids.some((k) => ppid(k) === c)).length;
  return { pss: sum(all.map((a) => a.pss)), rss: sum(all.map((a) => a.rss)), mainPss: all[0].pss, busySlots, processes: all.length };
}

const ppid = (pid: number): number => procStat(pid)?.ppid ?? -1;

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const mib = (kb: number) => kb / 1024;

async function main(): Promise<void> {
  const base = loadEnvironments().find((e) => e.name === 'dev')!;
  const concurrency = arg('--concurrency', base.workers.concurrency);
  const seconds = arg('--seconds', 40);
  const env = { ...base, workers: { ...base.workers, concurrency }, airflow: { ...base.airflow, parallelism: Math.max(base.airflow.parallelism, concurrency) } };
  const stack = new LocalStack({ env, stateDir: path.join(PROJECT_ROOT, '.state', 'bench', 'worker-memory'), workers: 1, onEvent: (l) => console.error(l) });
  fs.rmSync(stack.paths.state, { recursive: true, force: true });
  let group: CgroupV1 | undefined;
  let movedCharges = false;
  try {
    await stack.start();
    await unpause(stack, 'platform_workload');
    const root = stack.processes.get('worker-1')!.pid!;
    const idle = sampleTree(root);
    if (cgroupV1Available()) {
      group = new CgroupV1('worker-memory');
      movedCharges = group.moveChargesWithProcesses();
      for (const pid of [root, ...descendantsOf(root)]) group.add(pid);
    }
    const runs = [await trigger(stack, 'platform_workload', { tasks: concurrency * 2, seconds })];
    let peak: Sample = idle;
    let full: Sample | undefined;
    const done = waitRuns(stack, 'platform_workload', runs, 900_000);
    let finished = false;
    void done.then(() => (finished = true), () => (finished = true));
    while (!finished) {
      const s = sampleTree(root);
      if (s.pss > peak.pss) peak = s;
      if (s.busySlots === concurrency && (!full || s.pss > full.pss)) full = s;
      await new Promise((r) => setTimeout(r, 500));
    }
    const states = await done;
    const at = full ?? peak;
    const perSlot = (mib(at.pss) - mib(idle.mainPss)) / Math.max(1, at.busySlots);
    const cgroupPeak = group ? group.peakMemoryBytes() / 2 ** 20 : undefined;
    console.log(`Worker memory, dev config with worker_concurrency=${concurrency}, ${states.filter((s) => s === 'success').length}/${states.length} runs succeeded; load ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs`);
    console.log('| measure | PSS MiB | RSS MiB | processes | busy slots |');
    console.log('|---|---|---|---|---|');
    console.log(`| idle worker (main + ${concurrency} pool children) | ${mib(idle.pss).toFixed(0)} | ${mib(idle.rss).toFixed(0)} | ${idle.processes} | ${idle.busySlots} |`);
    console.log(`| main process alone (idle) | ${mib(idle.mainPss).toFixed(0)} | | 1 | |`);
    console.log(`| all slots busy (peak PSS sample) | ${mib(at.pss).toFixed(0)} | ${mib(at.rss).toFixed(0)} | ${at.processes} | ${at.busySlots} |`);
    console.log(`| per busy slot (pool child + task process) | ${perSlot.toFixed(0)} | | | |`);
    if (cgroupPeak !== undefined) console.log(`| kernel-charged peak of the tree's memory cgroup (incl. page cache${movedCharges ? '' : '; only memory allocated after the move: this kernel refuses to move charges'}) | ${cgroupPeak.toFixed(0)} | | | |`);
    console.log(`MEASURED base_mib=${mib(idle.mainPss).toFixed(0)} per_slot_mib=${perSlot.toFixed(0)} cgroup_peak_mib=${cgroupPeak?.toFixed(0) ?? 'n/a'}`);
  } finally {
    group?.remove();
    await stack.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
