import type { BurstPhase, IdlePhase, OpenLoopPhase } from './phases';
import { sizeFor, type ComponentCost } from './sizing';
import { compare, formatSpread, median, spread, type Spread } from './stats';

/** The benchmark's JSON artifact and the tables printed from it (terminal and docs/benchmark.md alike). */

export interface BenchmarkReport {
  readonly date: string;
  readonly mode: 'quick' | 'full';
  readonly plan: Record<string, number>;
  readonly machine: { cores: number; memoryGiB: number };
  /** Where Airflow ran: the local runner's processes (default) or dist/ on the local cluster, in pods. */
  readonly target?: 'local' | 'cluster';
  readonly arms: { id: string; label: string; schedulers: number; viaPgBouncer: boolean; resultBackend?: 'redis' | 'database'; remoteTaskLogs?: boolean; parallelism: number; pgbouncerPoolSize: number }[];
  readonly results: ArmResult[];
  /** Arms that did not finish (the error), so a failed arm is visible rather than missing. */
  readonly failures?: { arm: string; round: number; error: string }[];
}

/** One arm, one round. */
export interface ArmResult {
  readonly arm: string;
  readonly round: number;
  readonly startSeconds: number;
  readonly idle: IdlePhase;
  readonly singleTaskSeconds: number[];
  readonly burst: BurstPhase;
  readonly openLoop: OpenLoopPhase;
  /** py-spy during the burst (`--profile`); share of samples per frame, by process; `phases`, for a worker, by phase of a task (WORKER_PHASES). */
  readonly profiles?: Record<string, { samples: number; inclusive: [string, number][]; self: [string, number][]; phases?: [string, number][] }>;
}

/** Components in the order the CPU table lists them. */
export const COMPONENTS = ['scheduler', 'api-server', 'dag-processor', 'triggerer', 'workers', 'postgres', 'pgbouncer', 'redis', 'log-sink'] as const;

export interface ArmSummary {
  readonly id: string;
  readonly label: string;
  readonly repeats: number;
  readonly tasksPerMinute: Spread;
  readonly cpuSecondsPerTask: Spread;
  readonly cpuSecondsPerTaskBy: Record<string, Spread>;
  readonly machineBusy: Spread;
  readonly steal: Spread;
  readonly peakPgConnections: Spread;
  readonly scheduledToStartP50: Spread;
  readonly scheduledToStartP95: Spread;
  readonly scheduledToStartP99: Spread;
  readonly queuedToStartP95: Spread;
  readonly singleTask: Spread;
  readonly failedRuns: number;
  readonly loadavg: string[];
}

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

export function summarise(report: BenchmarkReport): ArmSummary[] {
  return report.arms.map((a) => {
    const rs = report.results.filter((r) => r.arm === a.id);
    const by = (f: (r: ArmResult) => number) => spread(rs.map(f));
    return {
      id: a.id,
      label: a.label,
      repeats: rs.length,
      tasksPerMinute: by((r) => r.burst.tasksPerMinute),
      cpuSecondsPerTask: by((r) => sum(r.burst.cpuSecondsPerTask)),
      cpuSecondsPerTaskBy: Object.fromEntries(COMPONENTS.map((c) => [c, by((r) => r.burst.cpuSecondsPerTask[c] ?? 0)])),
      machineBusy: by((r) => r.burst.machine.busy * 100),
      steal: by((r) => r.burst.machine.steal * 100),
      peakPgConnections: by((r) => r.burst.peakPgConnections),
      scheduledToStartP50: by((r) => r.openLoop.scheduledToStart.p50),
      scheduledToStartP95: by((r) => r.openLoop.scheduledToStart.p95),
      scheduledToStartP99: by((r) => r.openLoop.scheduledToStart.p99),
      queuedToStartP95: by((r) => r.openLoop.queuedToStart.p95),
      singleTask: spread(rs.map((r) => median(r.singleTaskSeconds))),
      failedRuns: rs.reduce((s, r) => s + r.burst.failedRuns, 0),
      loadavg: rs.map((r) => r.burst.loadavgBefore.split(' ').slice(0, 3).join(' ')),
    };
  });
}

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(w[i])).join(' | ')} |`;
  return [line(head), `|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

export function mainTable(s: ArmSummary[]): string {
  return table(
    ['arm', 'n', 'tasks/min', 'CPU-s/task', 'machine busy %', 'steal %', 'peak PG conns', 'sched->start p50 s', 'p95 s', 'p99 s', 'queued->start p95 s', 'idle 1-task s', 'failed runs'],
    s.map((a) => [a.label, String(a.repeats), formatSpread(a.tasksPerMinute, 0), formatSpread(a.cpuSecondsPerTask, 2), formatSpread(a.machineBusy, 0), formatSpread(a.steal, 0), formatSpread(a.peakPgConnections, 0), formatSpread(a.scheduledToStartP50, 2), formatSpread(a.scheduledToStartP95, 2), formatSpread(a.scheduledToStartP99, 2), formatSpread(a.queuedToStartP95, 2), formatSpread(a.singleTask, 1), String(a.failedRuns)]),
  );
}

export function cpuTable(s: ArmSummary[]): string {
  return table(['arm', ...COMPONENTS], s.map((a) => [a.label, ...COMPONENTS.map((c) => formatSpread(a.cpuSecondsPerTaskBy[c], 3))]));
}

/** The goals of the issue, judged from medians; `overlapping` ranges are reported as not proven. */
export function goals(s: ArmSummary[], poolSize: number): string[] {
  const stock = s.find((a) => a.id === 'stock');
  const project = s.find((a) => a.id === 'project');
  const pgb = s.find((a) => a.id === 'stock+pgbouncer');
  const out: string[] = [];
  const mark = (ok: boolean) => (ok ? 'met' : 'NOT met');
  if (stock && project) {
    const t = compare(project.tasksPerMinute, stock.tasksPerMinute);
    const c = compare(stock.cpuSecondsPerTask, project.cpuSecondsPerTask);
    out.push(`throughput project/stock ${t.ratio.toFixed(2)}x (goal >= 1.5x): ${mark(t.ratio >= 1.5)}${t.overlapping ? ', ranges overlap' : ''}`);
    out.push(`CPU-s/task stock/project ${c.ratio.toFixed(2)}x (goal >= 1.4x when CPU-bound): ${mark(c.ratio >= 1.4)}${c.overlapping ? ', ranges overlap' : ''}`);
  }
  if (project) {
    out.push(`open-loop p95 scheduled->start ${project.scheduledToStartP95.median.toFixed(2)} s (goal <= 2 s): ${mark(project.scheduledToStartP95.median <= 2)}`);
    out.push(`idle single task ${project.singleTask.median.toFixed(1)} s (goal <= 3 s): ${mark(project.singleTask.median <= 3)}`);
  }
  if (pgb) out.push(`PgBouncer arm peak PG connections ${pgb.peakPgConnections.max} (goal <= pool size ${poolSize}): ${mark(pgb.peakPgConnections.max <= poolSize)}`);
  return out;
}

/** The arm the sizing is measured on: the committed config's settings. */
export const SIZING_ARM = 'project';

/**
 * Per-component costs for sizing, medians over the sizing arm's rounds: CPU-s per task, idle floor, memory of
 * one replica (workers: the burst ran plan.workers of them, scaled out by CPU need at plan.workerRequestVcpu).
 * Undefined when the result has no sizing arm.
 */
export function componentCosts(report: BenchmarkReport): Record<string, ComponentCost> | undefined {
  const rs = report.results.filter((r) => r.arm === SIZING_ARM);
  if (!rs.length) return undefined;
  return Object.fromEntries(
    COMPONENTS.filter((c) => c !== 'log-sink').map((c) => [
      c,
      {
        cpuSecondsPerTask: median(rs.map((r) => r.burst.cpuSecondsPerTask[c] ?? 0)),
        idleCores: median(rs.map((r) => r.idle.idleCores[c] ?? 0)),
        memoryMiB: median(rs.map((r) => r.burst.pssMiB[c] ?? 0)) / (c === 'workers' ? report.plan.workers : 1),
        ...(c === 'workers' ? { replicaVcpu: report.plan.workerRequestVcpu } : {}),
      },
    ]),
  );
}

/** vCPU and memory for a task rate, from the project arm's CPU-s/task, idle floor and memory. */
export function sizingTable(report: BenchmarkReport, rates: number[]): string {
  const components = componentCosts(report);
  if (!components) return `(no ${SIZING_ARM} arm measured)`;
  const names = Object.keys(components);
  const rows = rates.map((rate) => {
    const z = sizeFor({ components, tasksPerMinute: rate, targetUtilisation: 0.7 });
    const cell = (c: string) => `${z.components[c].vcpu.toFixed(2)} / ${z.components[c].memoryMiB}${z.components[c].replicas > 1 ? ` (${z.components[c].replicas} pods)` : ''}`;
    return [String(rate), ...names.map(cell), `${z.total.vcpu.toFixed(2)} / ${z.total.memoryMiB}`];
  });
  return table(['tasks/min', ...names.map((c) => `${c} vCPU / MiB`), 'total vCPU / MiB'], rows);
}

/** Top frames of each profiled process (inclusive share of samples). */
export function profileText(report: BenchmarkReport, top = 12): string[] {
  const out: string[] = [];
  for (const r of report.results) {
    for (const [proc, p] of Object.entries(r.profiles ?? {})) {
      if (p.phases) {
        out.push(`py-spy ${r.arm} round ${r.round} ${proc} (${p.samples} samples) by phase of a task (innermost phase on each stack):`);
        for (const [l, share] of p.phases) out.push(`  ${(share * 100).toFixed(0).padStart(3)} %  ${l}`);
      }
      out.push(`py-spy ${r.arm} round ${r.round} ${proc} (${p.samples} samples), inclusive (below the trunk) / self:`);
      // Frames on (nearly) every stack are the CLI's trunk (main, run_command...): skip them to show the branches.
      for (const [f, share] of p.inclusive.filter(([, x]) => x < 0.85).slice(0, top)) out.push(`  ${(share * 100).toFixed(0).padStart(3)} %  ${f}`);
      out.push('  self:');
      for (const [f, share] of p.self.slice(0, top / 2)) out.push(`  ${(share * 100).toFixed(0).padStart(3)} %  ${f}`);
    }
  }
  return out;
}

export function renderTable(report: BenchmarkReport): string {
  const s = summarise(report);
  const pool = report.arms.find((a) => a.id === 'stock+pgbouncer')?.pgbouncerPoolSize ?? 0;
  return [
    `${report.mode} run ${report.date}: ${report.plan.burstRuns} runs x ${report.plan.tasksPerRun} tasks per burst, ${report.plan.workers} workers x ${report.plan.slotsPerWorker} slots, ${report.machine.cores} cores; median (min-max) of ${report.plan.rounds} round(s)`,
    mainTable(s),
    '',
    report.target === 'cluster'
      ? 'CPU-seconds per task by component (pod cgroups, cpuacct; PostgreSQL, Redis and the log sink from their process trees beside the cluster; workers include their task processes and the remote log upload):'
      : 'CPU-seconds per task by component (process trees from /proc; workers include their task processes and the remote log upload):',
    cpuTable(s),
    '',
    `load average before each burst: ${s.map((a) => `${a.id}: ${a.loadavg.join(' | ')}`).join('; ')}`,
    '',
    'goals:',
    ...goals(s, pool).map((g) => `- ${g}`),
    '',
    'sizing (70 % target utilisation) from the project arm:',
    sizingTable(report, [60, 300, 1000]),
    ...(report.failures?.length ? ['', 'arms that failed:', ...report.failures.map((f) => `- ${f.arm} round ${f.round}: ${f.error}`)] : []),
    ...(report.results.some((r) => r.profiles) ? ['', ...profileText(report)] : []),
  ].join('\n');
}

/**
 * Each change measured alone, before -> after (medians, both arms from the same run): PgBouncer, the project's
 * settings, and each ablation arm (one project change undone) against the project arm. With several runs, a
 * change is taken from the first run that measured both of its arms. The README shows it (bench/render-doc.ts).
 */
export function changeSummary(...reports: BenchmarkReport[]): string {
  const rows = new Map<string, string[]>();
  const cell = (b: Spread, a: Spread, digits: number) => `${b.median.toFixed(digits)} -> ${a.median.toFixed(digits)}${compare(b, a).overlapping ? ' (ranges overlap)' : ''}`;
  for (const report of reports) {
    const s = summarise(report).filter((a) => a.repeats > 0);
    const arm = (id: string) => s.find((a) => a.id === id);
    const pairs: [string, ArmSummary | undefined, ArmSummary | undefined][] = [
      ['PgBouncer in front of PostgreSQL', arm('stock'), arm('stock+pgbouncer')],
      ["this project's settings on top", arm('stock+pgbouncer'), arm('project')],
      ...s.filter((a) => a.id.startsWith('project-')).map((a): [string, ArmSummary | undefined, ArmSummary | undefined] => [`${a.label.replace(/^project, /, '')} -> project arm`, a, arm('project')]),
    ];
    for (const [change, b, a] of pairs) {
      if (!b || !a || rows.has(change)) continue;
      rows.set(change, [change, cell(b.tasksPerMinute, a.tasksPerMinute, 0), cell(b.cpuSecondsPerTask, a.cpuSecondsPerTask, 2), cell(b.cpuSecondsPerTaskBy.scheduler, a.cpuSecondsPerTaskBy.scheduler, 3), cell(b.scheduledToStartP95, a.scheduledToStartP95, 2), cell(b.peakPgConnections, a.peakPgConnections, 0)]);
    }
  }
  return table(['change (before -> after)', 'tasks/min', 'CPU-s/task', 'scheduler CPU-s/task', 'open-loop p95 s', 'peak PG conns'], [...rows.values()]);
}
