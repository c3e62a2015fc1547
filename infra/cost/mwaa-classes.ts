import { dagLoad } from '../../bench/scale-model';
import { SCALE_MODEL, loadEnvironments, type EnvironmentConfig, type EnvironmentInput } from '../../manifests-src/config';
import { environments } from '../../manifests-src/config/environments';
import { derivedWorkerResources, memoryMiB } from '../../manifests-src/config/worker-memory';
import { estimate, type Estimate } from './estimate';
import { CROSSOVER_TARGET } from './goals';
import { MWAA_CLASSES, MWAA_DEFAULT_MAX_WORKERS, type MwaaClass } from './prices';

/**
 * Each Amazon MWAA class beside our prod profile sized like for like: as many DAG files as the class publishes
 * (capacity.dags sizes the dag-processor, scheduler and API server), the class's task slots per worker on a worker
 * with at least its vCPU and memory (more memory where our measured floor needs it), as many workers at most as MWAA
 * starts by default (mw1.micro: its one). Both are priced at the estimator's reference load.
 */

/** The goal per class: our monthly total at most this share of the class's. */
export const CLASS_GOAL = CROSSOVER_TARGET;

export interface ClassComparison {
  readonly environmentClass: MwaaClass;
  readonly dags: number;
  readonly slotsPerWorker: number;
  readonly maxWorkers: number;
  readonly env: EnvironmentConfig;
  readonly estimate: Estimate;
  readonly ratio: number | null;
  readonly met: boolean | null;
  /** Our lines that do not shrink with the class (control plane, system nodes, NAT, broker...), the largest first: what keeps a small class above the goal. */
  readonly fixedLines: ReadonlyArray<{ readonly component: string; readonly monthly: number }>;
}

const FIXED = /^(EKS control plane|System nodes|NAT|Load balancer|ElastiCache broker|EKS control-plane logs|KMS keys|Secrets Manager|VPC interface endpoints)/;

/** Our environment for `cls`, from `base` (the committed prod input by default), parsed and derived like any config. */
export function likeForLike(cls: (typeof MWAA_CLASSES)[number], base: EnvironmentInput = environments.find((e) => e.name === 'prod')!): EnvironmentConfig {
  const maxWorkers = Math.min(cls.maxWorkers, MWAA_DEFAULT_MAX_WORKERS);
  const w = { concurrency: cls.slotsPerWorker, taskCpu: cls.workerVcpu / cls.slotsPerWorker, taskMemoryMiB: loadEnvironments([base])[0].workers.taskMemoryMiB };
  const memory = Math.max(cls.workerMemoryGiB * 1024, memoryMiB(derivedWorkerResources(w).memory));
  const input: EnvironmentInput = {
    ...base,
    capacity: { ...base.capacity, dags: cls.dags },
    workers: { ...base.workers, ...w, maxReplicas: maxWorkers, resources: { cpu: String(cls.workerVcpu), memory: `${memory}Mi` } },
  };
  return loadEnvironments([input])[0];
}

export function compareClasses(base?: EnvironmentInput): ClassComparison[] {
  return MWAA_CLASSES.map((cls) => {
    const env = likeForLike(cls, base);
    const e = estimate(env, { mwaaClass: cls.name });
    const ratio = e.mwaa ? e.total / e.mwaa.monthly : null;
    return {
      environmentClass: cls.name,
      dags: cls.dags,
      slotsPerWorker: cls.slotsPerWorker,
      maxWorkers: env.workers.maxReplicas,
      env,
      estimate: e,
      ratio,
      met: ratio === null ? null : ratio <= CLASS_GOAL,
      fixedLines: e.lines.filter((l) => FIXED.test(l.component)).map((l) => ({ component: l.component, monthly: l.monthly })).sort((a, b) => b.monthly - a.monthly),
    };
  });
}

const n0 = (n: number) => Math.round(n).toLocaleString('en-US');

/** One row per class: what we size, both monthly totals, the ratio against the goal. */
export function renderClassTable(rows: readonly ClassComparison[]): string {
  const head = `| MWAA class | DAGs | slots/worker x max workers | our parse interval, dag-processor (processes) | our scheduler x replicas | our api-server memory | our worker pod | ours / month | MWAA / month | ratio (goal <= ${CLASS_GOAL}x) |`;
  const body = rows.map((r) => {
    const c = r.env.components;
    const cur = r.estimate.currency;
    const ratio = r.ratio === null ? 'n/a' : `${r.ratio.toFixed(2)}x ${r.met ? 'met' : 'NOT met'}`;
    return `| ${r.environmentClass} | ${r.dags} | ${r.slotsPerWorker} x ${r.maxWorkers} | ${r.env.airflow.minFileProcessIntervalSeconds} s, ${c.dagProcessor.resources.cpu} (${r.env.airflow.parsingProcesses}) | ${c.scheduler.resources.cpu} x ${c.scheduler.replicas} | ${c.apiServer.resources.memory} | ${r.env.workers.resources.cpu} / ${r.env.workers.resources.memory} | ${cur} ${n0(r.estimate.total)} | ${r.estimate.mwaa ? `${cur} ${n0(r.estimate.mwaa.monthly)}` : 'n/a'} | ${ratio} |`;
  });
  return [head, `|${'---|'.repeat(10)}`, ...body].join('\n');
}

/** Per class not meeting the goal: the fixed lines that hold it there; per class one dag-processor cannot parse within an hour: that. */
export function renderClassNotes(rows: readonly ClassComparison[]): string[] {
  const over = rows.filter((r) => dagLoad(SCALE_MODEL, r.dags, r.env.airflow.minFileProcessIntervalSeconds, r.env.capacity.targetUtilisation).overOneProcessor);
  return [
    ...rows
      .filter((r) => r.met === false)
      .map((r) => `${r.environmentClass}: ${r.ratio!.toFixed(2)}x; fixed lines ${r.estimate.currency} ${n0(r.fixedLines.reduce((s, l) => s + l.monthly, 0))} of ${n0(r.estimate.total)} (${r.fixedLines.slice(0, 3).map((l) => `${l.component} ${n0(l.monthly)}`).join(', ')})`),
    ...over.map((r) => `${r.environmentClass}: ${r.dags} active DAG files take one dag-processor more than an hour a pass at ${r.env.capacity.targetUtilisation * 100}% (its manager writes every result in one thread): split them over bundles, a dag-processor each; priced here as one`),
  ];
}
