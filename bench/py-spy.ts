import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TOOLS_BIN } from '../local/stack';

/** py-spy (from the local-tools lock) sampling a component's process tree while the burst runs. */

export const PY_SPY = path.join(TOOLS_BIN, 'py-spy');

export interface Recording {
  stop(): Promise<string>;
}

/** Samples at a low rate without pausing the target (--nonblocking), children included (task processes). */
export function record(pid: number, outFile: string, rateHz = 29): Recording {
  if (!fs.existsSync(PY_SPY)) throw new Error(`${PY_SPY} is missing: run bash local/install.sh (py-spy is in requirements/local-tools.lock)`);
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  const child: ChildProcess = spawn(PY_SPY, ['record', '--pid', String(pid), '--subprocesses', '--nonblocking', '--rate', String(rateHz), '--format', 'raw', '--output', outFile], { stdio: 'ignore' });
  return {
    stop: async () => {
      child.kill('SIGINT');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      return outFile;
    },
  };
}

/** `func (/long/path/site-packages/pkg/mod.py:12)` -> `func (site-packages/pkg/mod.py)`: line numbers merged, paths shortened. */
function frameName(raw: string): string {
  const m = /^(.*) \((.*?)(?::\d+)?\)$/.exec(raw.trim());
  if (!m) return raw.trim();
  return `${m[1]} (${m[2].split('/').slice(-3).join('/')})`;
}

/** Each sample of a collapsed-stack file: its Python frames (root first, shortened) and its count. */
function* samplesOf(text: string): Generator<{ frames: string[]; n: number }> {
  for (const line of text.split('\n')) {
    const at = line.lastIndexOf(' ');
    if (at < 0) continue;
    const n = Number(line.slice(at + 1));
    if (!Number.isFinite(n)) continue;
    // The first frames are the processes (e.g. "process 123:\"airflow worker\""): keep the Python frames.
    yield { frames: line.slice(0, at).split(';').map(frameName).filter((f) => f && !f.startsWith('process ')), n };
  }
}

/** Where the samples are: frames by share of all samples, inclusive (anywhere on the stack) and self (leaf). */
export function summariseCollapsed(text: string, top = 40): { samples: number; inclusive: [string, number][]; self: [string, number][] } {
  const inclusive = new Map<string, number>();
  const self = new Map<string, number>();
  let samples = 0;
  for (const { frames, n } of samplesOf(text)) {
    samples += n;
    for (const f of new Set(frames)) inclusive.set(f, (inclusive.get(f) ?? 0) + n);
    const leaf = frames[frames.length - 1];
    if (leaf) self.set(leaf, (self.get(leaf) ?? 0) + n);
  }
  const rank = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([f, n]): [string, number] => [f, n / Math.max(1, samples)]);
  return { samples, inclusive: rank(inclusive), self: rank(self) };
}

/** A phase of a process's work, known by the functions (name without file) that run it. */
export interface Phase {
  readonly label: string;
  readonly functions: readonly string[];
}

/**
 * The life of a task in a Celery worker of Airflow 3.3 (its supervisor in the pool process, the task process it
 * forks), by the functions that run each part. A sample belongs to the innermost phase on its stack.
 */
export const WORKER_PHASES: readonly Phase[] = [
  { label: 'pool process: decode the workload, set up the supervisor and its API client', functions: ['execute_workload'] },
  { label: 'supervisor: fork and the task-start API call', functions: ['ActivitySubprocess.start'] },
  { label: 'supervisor: serving the running task (its requests, heartbeats)', functions: ['ActivitySubprocess.wait'] },
  { label: 'task log upload (CloudWatch Logs client)', functions: ['CloudWatchLogHandler._dequeue_batch', 'CloudWatchLogHandler.emit', 'CloudWatchLogHandler.flush', 'CloudWatchLogHandler.close'] },
  { label: 'task process: start (signals, logging, std streams)', functions: ['_fork_main'] },
  { label: 'task process: DAG bundle and DAG file parse', functions: ['startup'] },
  { label: 'task process: DAG bundle class import', functions: ['DagBundlesManager.__init__'] },
  { label: 'task process: run and finish (operator, state API calls)', functions: ['_run_task_and_map_outcome', 'finalize'] },
];

/** Share of samples per phase (innermost match wins); samples on no phase's functions are `other`. */
export function phaseShares(text: string, phases: readonly Phase[]): [string, number][] {
  const phaseOf = new Map(phases.flatMap((p) => p.functions.map((f): [string, string] => [f, p.label])));
  const counts = new Map<string, number>();
  let samples = 0;
  for (const { frames, n } of samplesOf(text)) {
    samples += n;
    let label = 'other';
    for (const f of frames) label = phaseOf.get(f.split(' (')[0]) ?? label;
    counts.set(label, (counts.get(label) ?? 0) + n);
  }
  return [...counts].sort((a, b) => b[1] - a[1]).map(([l, n]): [string, number] => [l, n / Math.max(1, samples)]);
}
