/**
 * From measured CPU-seconds per task to the vCPU and memory a task rate needs: busy cores = CPU-s per
 * task x tasks per second, plus each component's idle floor, at a target utilisation that leaves headroom.
 */

export interface ComponentCost {
  /** CPU-seconds this component spends per finished task (from the benchmark). */
  readonly cpuSecondsPerTask: number;
  /** Cores it uses with nothing to do (heartbeats, parsing loops). */
  readonly idleCores: number;
  /** Memory (PSS) of one replica as measured. */
  readonly memoryMiB: number;
  /**
   * vCPU one replica gets, for components that scale out (workers): memory then grows with the replicas
   * the CPU needs. Unset: one replica, memory fixed.
   */
  readonly replicaVcpu?: number;
}

/**
 * The measured costs the config sizes its default requests from (bench/sizing-baseline.json): written by
 * bench/baseline.ts from one benchmark result's `project` arm, never by hand.
 */
export interface SizingBaseline {
  readonly source: {
    /** The result file, relative to the repository root. */
    readonly file: string;
    readonly date: string;
    readonly mode: string;
    readonly rounds: number;
    readonly arm: string;
    readonly machine: { readonly cores: number; readonly memoryGiB: number };
  };
  /** Medians over the arm's rounds, by benchmark component name (`api-server`, `pgbouncer`...). */
  readonly components: Readonly<Record<string, ComponentCost>>;
}

export interface SizingInput {
  readonly components: Readonly<Record<string, ComponentCost>>;
  readonly tasksPerMinute: number;
  /** Fraction of a core we plan to use (0.7 leaves 30 % for bursts). */
  readonly targetUtilisation: number;
}

export interface ComponentSize {
  readonly vcpu: number;
  readonly memoryMiB: number;
  readonly replicas: number;
}

export interface Sizing {
  readonly components: Readonly<Record<string, ComponentSize>>;
  readonly total: { readonly vcpu: number; readonly memoryMiB: number };
}

const roundUp = (x: number, step: number) => Math.ceil(x / step - 1e-9) * step;

export function sizeFor(input: SizingInput): Sizing {
  if (!(input.tasksPerMinute >= 0)) throw new Error(`tasksPerMinute must be >= 0, got ${input.tasksPerMinute}`);
  if (!(input.targetUtilisation > 0 && input.targetUtilisation <= 1)) throw new Error(`targetUtilisation must be within (0, 1], got ${input.targetUtilisation}`);
  const perSecond = input.tasksPerMinute / 60;
  const components: Record<string, ComponentSize> = {};
  for (const [name, c] of Object.entries(input.components)) {
    if (c.replicaVcpu !== undefined && !(c.replicaVcpu > 0)) throw new Error(`components.${name}.replicaVcpu must be > 0, got ${c.replicaVcpu}`);
    // Kubernetes requests in 50m and 64 Mi steps.
    const vcpu = roundUp((c.idleCores + c.cpuSecondsPerTask * perSecond) / input.targetUtilisation, 0.05);
    const replicas = c.replicaVcpu ? Math.max(1, Math.ceil(vcpu / c.replicaVcpu - 1e-9)) : 1;
    components[name] = { vcpu, replicas, memoryMiB: roundUp(c.memoryMiB, 64) * replicas };
  }
  const all = Object.values(components);
  return {
    components,
    total: { vcpu: Math.round(all.reduce((s, c) => s + c.vcpu, 0) * 100) / 100, memoryMiB: all.reduce((s, c) => s + c.memoryMiB, 0) },
  };
}
