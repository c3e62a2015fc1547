/**
 * From measured CPU-seconds per task to the vCPU and memory a task rate needs: Little's law for CPU
 * (busy cores = CPU-s per task x tasks per second), plus each component's idle floor, at a target
 * utilisation that leaves headroom for bursts.
 */

export interface ComponentCost {
  /** CPU-seconds this component spends per finished task (from the benchmark). */
  readonly cpuSecondsPerTask: number;
  /** Cores it uses with nothing to do (heartbeats, parsing loops). */
  readonly idleCores: number;
  /** Resident memory measured for the component at the benchmark's rate. */
  readonly memoryMiB: number;
}

export interface SizingInput {
  readonly components: Readonly<Record<string, ComponentCost>>;
  readonly tasksPerMinute: number;
  /** Fraction of a core we plan to use (0.7 leaves 30 % for bursts). */
  readonly targetUtilisation: number;
  /** Task rate at which memoryMiB was measured; memory of per-task components scales from it. */
  readonly measuredTasksPerMinute: number;
  /** Components whose memory grows with the rate (workers: more slots in use); others are fixed. */
  readonly scalingMemory?: readonly string[];
}

export interface ComponentSize {
  readonly vcpu: number;
  readonly memoryMiB: number;
}

export interface Sizing {
  readonly components: Readonly<Record<string, ComponentSize>>;
  readonly total: ComponentSize;
}

const roundUp = (x: number, step: number) => Math.ceil(x / step - 1e-9) * step;

export function sizeFor(input: SizingInput): Sizing {
  if (!(input.tasksPerMinute >= 0)) throw new Error(`tasksPerMinute must be >= 0, got ${input.tasksPerMinute}`);
  if (!(input.targetUtilisation > 0 && input.targetUtilisation <= 1)) throw new Error(`targetUtilisation must be within (0, 1], got ${input.targetUtilisation}`);
  if (!(input.measuredTasksPerMinute > 0)) throw new Error(`measuredTasksPerMinute must be > 0, got ${input.measuredTasksPerMinute}`);
  const perSecond = input.tasksPerMinute / 60;
  const scaling = new Set(input.scalingMemory ?? []);
  const components: Record<string, ComponentSize> = {};
  for (const [name, c] of Object.entries(input.components)) {
    const busy = c.idleCores + c.cpuSecondsPerTask * perSecond;
    const memory = scaling.has(name) ? c.memoryMiB * Math.max(1, input.tasksPerMinute / input.measuredTasksPerMinute) : c.memoryMiB;
    // Kubernetes requests in millicores (50m steps) and MiB (64 Mi steps).
    components[name] = { vcpu: roundUp(busy / input.targetUtilisation, 0.05), memoryMiB: roundUp(memory, 64) };
  }
  const all = Object.values(components);
  return {
    components,
    total: { vcpu: Math.round(all.reduce((s, c) => s + c.vcpu, 0) * 100) / 100, memoryMiB: all.reduce((s, c) => s + c.memoryMiB, 0) },
  };
}
