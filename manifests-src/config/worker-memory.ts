/**
 * Memory a Celery worker pod needs, from measurement: `npm run measure:worker-memory` (docs/reliability.md).
 * A busy slot is a Celery pool child plus the task process Airflow's task supervisor forks; figures are PSS
 * (shared pages counted once, as the container's cgroup charges them), rounded up.
 */
export const MEASURED_WORKER_MEMORY = {
  /** The worker's main Celery process, MiB (measured: 46 MiB PSS idle). */
  baseMiB: 46,
  /**
   * Airflow's own memory per busy slot, MiB: what a task that allocates nothing costs (measured: 977 MiB PSS for
   * the whole tree with 8 of 8 slots busy, minus the main process, over 8 slots = 116 MiB; the log-server
   * processes are spread over the slots).
   */
  perBusySlotMiB: 116,
} as const;

/** Multiplier over the measured figures: allocator growth, bigger DAG modules, a second import of a provider. */
export const WORKER_MEMORY_HEADROOM = 1.25;

/** "4Gi" / "1536Mi" / "512Ki" -> MiB. */
export function memoryMiB(quantity: string): number {
  const m = /^(\d+)(Ki|Mi|Gi)$/.exec(quantity);
  if (!m) throw new Error(`not a memory quantity: ${quantity}`);
  return Number(m[1]) * { Ki: 1 / 1024, Mi: 1, Gi: 1024 }[m[2] as 'Ki' | 'Mi' | 'Gi'];
}

/** "500m" / "2" -> cores. */
export function cpuCores(quantity: string): number {
  return quantity.endsWith('m') ? Number(quantity.slice(0, -1)) / 1000 : Number(quantity);
}

/** The least memory limit a worker with `concurrency` busy slots and `taskMemoryMiB` per task may have, MiB. */
export function workerMemoryFloorMiB(concurrency: number, taskMemoryMiB: number): number {
  const m = MEASURED_WORKER_MEMORY;
  return Math.ceil((m.baseMiB + concurrency * m.perBusySlotMiB) * WORKER_MEMORY_HEADROOM + concurrency * taskMemoryMiB);
}

/**
 * vCPU one default task slot of an Amazon MWAA worker gets, mw1.small to mw1.2xlarge alike (1 vCPU for 5 slots,
 * 2 for 10, 4 for 20, 8 for 40, 16 for 80; infra/cost/prices.ts lists the classes and a test holds them to this).
 */
export const MWAA_CPU_PER_SLOT = 0.2;

/** Worker requests when `workers.resources` is unset: `taskCpu` per slot, and the memory floor rounded up to 128Mi. */
export function derivedWorkerResources(w: { concurrency: number; taskCpu: number; taskMemoryMiB: number }): { cpu: string; memory: string; cpuLimit?: string; memoryLimit?: string } {
  return { cpu: `${Math.ceil(w.concurrency * w.taskCpu * 1000 - 1e-6)}m`, memory: `${Math.ceil(workerMemoryFloorMiB(w.concurrency, w.taskMemoryMiB) / 128) * 128}Mi` };
}
