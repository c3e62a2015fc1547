/**
 * What test 3 expects of KEDA, derived from the ScaledObject dist/ ships: the worker count for a queue is
 * ceil(queued / concurrency) between min and max, concurrency being the divisor of the query KEDA runs.
 */

export interface WorkerScaling {
  readonly min: number;
  readonly max: number;
  readonly cooldown: number;
  readonly pollingInterval: number;
  /** Celery slots per worker: the divisor of the ScaledObject's query. */
  readonly concurrency: number;
}

/** The replicas KEDA should reach for `queued` tasks. */
export function workersFor(queued: number, s: WorkerScaling): number {
  return Math.min(s.max, Math.max(s.min, Math.ceil(queued / s.concurrency)));
}

/** The smallest queue whose formula lands strictly between min and max (at max - 1), so reaching it shows the formula, not the cap. */
export function queueBelowMax(s: WorkerScaling): { queued: number; workers: number } {
  const workers = s.max - 1;
  if (workers <= Math.max(s.min, 0)) throw new Error(`the ScaledObject's bounds (min ${s.min}, max ${s.max}) leave no worker count below max to test the formula at`);
  return { queued: (workers - 1) * s.concurrency + 1, workers };
}

/** The divisor of `SELECT ceil(COUNT(*)::decimal / N) ...`, the one query shape the chart renders. */
export function queryDivisor(query: string): number {
  const m = /ceil\(COUNT\(\*\)(?:::decimal)?\s*\/\s*(\d+)\)/i.exec(query);
  if (!m) throw new Error(`the ScaledObject's query has no ceil(COUNT(*) / <concurrency>): ${query}`);
  return Number(m[1]);
}

/** Samples a number every `everyMs` until stopped; the peak includes every sample (so a later overshoot counts). */
export class PeakSampler {
  peak = 0;
  readonly errors: string[] = [];
  private readonly timer: NodeJS.Timeout;
  constructor(private readonly read: () => number, everyMs: number) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  sample(): number {
    try {
      const v = this.read();
      this.peak = Math.max(this.peak, v);
      return v;
    } catch (e) {
      this.errors.push((e as Error).message.slice(0, 200));
      return -1;
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
