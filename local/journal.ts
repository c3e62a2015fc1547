import * as fs from 'node:fs';

/** One line the platform_workload DAG writes at the start and end of each task try. */
export interface JournalEntry {
  event: 'start' | 'end';
  run_id: string;
  map_index: number;
  try: number;
  pid: number;
  /** HOSTNAME of the process that ran the try: the pod name in the cluster, the worker name locally. */
  host: string;
  t: number; // epoch seconds
}

export function readJournal(file: string): JournalEntry[] {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as JournalEntry);
}

export interface TryInterval {
  key: string;
  try: number;
  start: number;
  end?: number;
}

/** Start/end of every try of every task instance, keyed `run_id#map_index`. */
export function tryIntervals(entries: JournalEntry[]): Map<string, TryInterval[]> {
  const out = new Map<string, TryInterval[]>();
  for (const e of entries) {
    const key = `${e.run_id}#${e.map_index}`;
    const list = out.get(key) ?? [];
    out.set(key, list);
    if (e.event === 'start') list.push({ key, try: e.try, start: e.t });
    else {
      const open = list.find((x) => x.try === e.try && x.end === undefined);
      if (open) open.end = e.t;
    }
  }
  return out;
}

export interface ExecutionProblems {
  /** Two tries of one task instance running at the same time. */
  concurrent: string[];
  /** A task instance whose work completed more than once. */
  completedTwice: string[];
}

/**
 * Checks "no task runs twice concurrently" and "no task completes twice". A try without an end was
 * killed; `killedAt` is when the fault killed it, so a later try must start after that.
 * `rerunWindow`: a task that finished its work while the database was unreachable cannot record its
 * success, so Airflow retries it (at-least-once: tasks must be idempotent); a second completion is
 * accepted when the first one ended inside the window.
 */
export function executionProblems(entries: JournalEntry[], killedAt?: number, rerunWindow?: readonly [number, number]): ExecutionProblems {
  const concurrent: string[] = [];
  const completedTwice: string[] = [];
  for (const [key, tries] of tryIntervals(entries)) {
    const sorted = [...tries].sort((a, b) => a.start - b.start);
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1];
      const prevEnd = prev.end ?? killedAt ?? Infinity;
      if (sorted[i].start < prevEnd) concurrent.push(`${key}: try ${sorted[i].try} started while try ${prev.try} was running`);
    }
    const ends = tries.flatMap((t) => (t.end === undefined ? [] : [t.end]));
    const firstEnd = Math.min(...ends);
    const explained = rerunWindow !== undefined && firstEnd >= rerunWindow[0] && firstEnd <= rerunWindow[1];
    if (ends.length > 1 && !explained) completedTwice.push(`${key}: completed ${ends.length} times`);
  }
  return { concurrent, completedTwice };
}
