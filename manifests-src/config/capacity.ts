import { z } from 'zod';
import { sizeFor, type SizingBaseline } from '../../bench/sizing';
import { dagLoad, neededIntervalSeconds, type ScaleModel } from '../../bench/scale-model';
import measured from '../../bench/sizing-baseline.json';
import measuredAtScale from '../../bench/scale-model.json';
import type { Resources } from './schema';
import { cpuCores, memoryMiB } from './worker-memory';

/**
 * Default requests of the always-on components, sized from the benchmark: per replica, the busy cores its share
 * of `capacity.tasksPerMinute` costs (measured CPU-seconds per task) plus its idle floor, at
 * `capacity.targetUtilisation`, in 50m steps (bench/sizing.ts); memory is the measured PSS times a headroom.
 * Neither goes below REQUEST_FLOORS. The measurements are bench/sizing-baseline.json, generated from a named
 * benchmark result (docs/benchmark.md, "Sizing"). Requests an environment configures always win.
 */
export const SIZING_BASELINE: SizingBaseline = measured;
/** What N DAG files cost (bench/scale-model.json, fitted from the newest `npm run bench:scale` report by `npm run docs`). */
export const SCALE_MODEL: ScaleModel = measuredAtScale;

/** Config component -> the benchmark's name for it. Workers are sized by `workers.*` (KEDA scales them). */
export const MEASURED_AS = { apiServer: 'api-server', scheduler: 'scheduler', dagProcessor: 'dag-processor', triggerer: 'triggerer', pgbouncer: 'pgbouncer' } as const;
export type SizedComponent = keyof typeof MEASURED_AS;

/**
 * The least a sized request may be: the requests before sizing existed, except PgBouncer's CPU.
 * - CPU, Airflow processes: the benchmark runs two small DAGs; a real DAG folder makes the scheduler loop, DAG
 *   parsing and the API's serialized-DAG reads cost more per task than measured, and the exec probes need
 *   their 3 CPU-s every 90 s within the 2x limit (hardening/exec-probe-timing.ts). So sizing only raises CPU,
 *   from the rate where the measured need passes these. PgBouncer (one C event loop, TCP probes, 0.007
 *   CPU-s per task measured): 100m, which dist/dev runs in the cluster suite.
 * - Memory: likewise never below what these pods ran with (the measured PSS is of two small DAGs).
 */
export const REQUEST_FLOORS: Readonly<Record<SizedComponent, { readonly cpu: string; readonly memory: string }>> = {
  apiServer: { cpu: '500m', memory: '2Gi' },
  scheduler: { cpu: '1', memory: '2Gi' },
  dagProcessor: { cpu: '500m', memory: '2Gi' },
  triggerer: { cpu: '250m', memory: '1Gi' },
  pgbouncer: { cpu: '100m', memory: '256Mi' },
};

/** Multiplier over the measured memory (PSS of one replica): allocator growth and more DAGs than the benchmark's. */
export const MEMORY_HEADROOM = 1.5;

const RATE = 'a whole number of tasks per minute from 0 to 10000, such as 300';
const DAGS = 'a whole number of DAG files from 1 to 10000, such as 250';
const SHARE = 'a share of a core from 0.2 to 1, such as 0.7';

export const CapacitySchema = z
  .object({
    tasksPerMinute: z
      .number({ error: RATE })
      .int(RATE)
      .min(0, RATE)
      .max(10000, `${RATE}; beyond, set components.*.resources and pgbouncer.resources from a benchmark at that rate`)
      .default(300)
      .describe(
        'Task instances per minute (all DAGs) the scheduler, API server, dag-processor, triggerer and PgBouncer requests are sized for when their `resources` are unset (docs/benchmark.md, "Sizing"). 300 is the rate the benchmark measured, so the default extrapolates nothing. Workers are sized by `workers.*`.',
      ),
    dags: z
      .number({ error: DAGS })
      .int(DAGS)
      .min(1, DAGS)
      .max(10000, DAGS)
      .default(50)
      .describe(
        'DAG files in the repository, all active, that `airflow.minFileProcessIntervalSeconds` and `airflow.parsingProcesses` (when unset) and the dag-processor, scheduler and API server requests (when their `resources` are unset) are sized for, from what `npm run bench:scale` measured per file (docs/benchmark.md, "Scale"). 50: an MWAA mw1.small\'s published DAG capacity.',
      ),
    targetUtilisation: z
      .number({ error: SHARE })
      .min(0.2, SHARE)
      .max(1, SHARE)
      .default(0.7)
      .describe('Share of each sized CPU request the measured load may use; the rest is headroom for bursts (0.7: 30 %).'),
  })
  .strict();
export type Capacity = z.output<typeof CapacitySchema>;

const cpuQuantity = (cores: number) => (Math.round(cores * 1000) % 1000 === 0 ? String(Math.round(cores)) : `${Math.round(cores * 1000)}m`);
const memQuantity = (mib: number) => (mib % 1024 === 0 ? `${mib / 1024}Gi` : `${mib}Mi`);

/** What `capacity.dags` files add to one replica of `component`: cores busy whatever the task rate, and a memory floor (MiB, before headroom). */
function dagShare(component: SizedComponent, capacity: Capacity, intervalSeconds: number): { cores: number; memoryMiB: number } {
  const load = dagLoad(SCALE_MODEL, capacity.dags, intervalSeconds, capacity.targetUtilisation);
  const measuredWith = SCALE_MODEL.measuredWith;
  switch (component) {
    // Every dag-processor replica parses every file; its memory grows with the processes it forks (measured with 2).
    case 'dagProcessor':
      return { cores: load.parseCores, memoryMiB: (SIZING_BASELINE.components['dag-processor'].memoryMiB * load.parsingProcesses) / measuredWith.parsingProcesses };
    // The benchmark's schedulers shared the loop; each replica here is as busy as one of them.
    case 'scheduler':
      return { cores: load.schedulerCores / measuredWith.schedulers, memoryMiB: 0 };
    case 'apiServer':
      return { cores: 0, memoryMiB: load.apiServerMiB };
    default:
      return { cores: 0, memoryMiB: 0 };
  }
}

/**
 * The request of one replica of `component` when `replicas` of them share `capacity`'s task rate, with the cores
 * and memory `capacity.dags` files cost at `intervalSeconds` (`airflow.minFileProcessIntervalSeconds`).
 */
export function sizedRequest(component: SizedComponent, replicas: number, capacity: Capacity, intervalSeconds = derivedParseInterval(capacity)): { cpu: string; memory: string } {
  const cost = SIZING_BASELINE.components[MEASURED_AS[component]];
  if (!cost) throw new Error(`bench/sizing-baseline.json has no "${MEASURED_AS[component]}": regenerate it with npm run docs`);
  const dags = dagShare(component, capacity, intervalSeconds);
  const size = sizeFor({
    components: { [component]: { ...cost, idleCores: cost.idleCores + dags.cores, memoryMiB: Math.max(cost.memoryMiB, dags.memoryMiB) * MEMORY_HEADROOM } },
    // Each replica carries its share of the rate, and its own idle floor.
    tasksPerMinute: capacity.tasksPerMinute / Math.max(1, replicas),
    targetUtilisation: capacity.targetUtilisation,
  }).components[component];
  const floor = REQUEST_FLOORS[component];
  return {
    cpu: cpuQuantity(Math.max(cpuCores(floor.cpu), size.vcpu)),
    memory: memQuantity(Math.max(memoryMiB(floor.memory), size.memoryMiB)),
  };
}

/** Sized requests of every sized component, from an environment's capacity and replicas. */
export function sizedRequests(env: ParseIntervalOf & { capacity: Capacity; components: Record<Exclude<SizedComponent, 'pgbouncer'>, { replicas: number }>; pgbouncer: { replicas: number } }, capacity: Capacity = env.capacity): Record<SizedComponent, { cpu: string; memory: string }> {
  const replicas = (c: SizedComponent) => (c === 'pgbouncer' ? env.pgbouncer : env.components[c]).replicas;
  return Object.fromEntries((Object.keys(MEASURED_AS) as SizedComponent[]).map((c) => [c, sizedRequest(c, replicas(c), capacity, parseIntervalOf(env, capacity))])) as Record<SizedComponent, { cpu: string; memory: string }>;
}

/** An environment's `airflow.minFileProcessIntervalSeconds`: configured, or what `capacity.dags` files need. */
type ParseIntervalOf = { airflow?: { minFileProcessIntervalSeconds?: number } };
export const parseIntervalOf = (env: ParseIntervalOf, capacity: Capacity) => env.airflow?.minFileProcessIntervalSeconds ?? derivedParseInterval(capacity);

/** `airflow.minFileProcessIntervalSeconds` when unset: the interval at which `capacity.dags` active files keep the dag-processor's manager at the target utilisation. */
export function derivedParseInterval(capacity: Capacity): number {
  return neededIntervalSeconds(SCALE_MODEL, capacity.dags, capacity.targetUtilisation);
}

/** `airflow.parsingProcesses` when unset: what `capacity.dags` files need to be parsed within the interval. */
export function derivedParsingProcesses(env: ParseIntervalOf & { capacity: Capacity }): number {
  return dagLoad(SCALE_MODEL, env.capacity.dags, parseIntervalOf(env, env.capacity), env.capacity.targetUtilisation).parsingProcesses;
}

interface SizedPod {
  readonly replicas: number;
  readonly resources?: Resources;
}

/**
 * `env` with the resources of each sized component chosen by `pick` from the configured ones (unset before the
 * defaults are filled in) and the ones sized for `capacity`: the config's defaults, and the sized stack `npm run
 * cost -- --tasks-per-minute` prices.
 */
export function withPodResources<E extends ParseIntervalOf & { components: Record<Exclude<SizedComponent, 'pgbouncer'>, SizedPod>; pgbouncer: SizedPod }>(
  env: E,
  capacity: Capacity,
  pick: (configured: Resources | undefined, sized: Resources) => Resources,
) {
  const pod = <P extends SizedPod>(c: SizedComponent, p: P) => ({ ...p, resources: pick(p.resources, sizedRequest(c, p.replicas, capacity, parseIntervalOf(env, capacity))) });
  const k = env.components;
  return {
    ...env,
    components: { apiServer: pod('apiServer', k.apiServer), scheduler: pod('scheduler', k.scheduler), dagProcessor: pod('dagProcessor', k.dagProcessor), triggerer: pod('triggerer', k.triggerer) },
    pgbouncer: pod('pgbouncer', env.pgbouncer),
  };
}
