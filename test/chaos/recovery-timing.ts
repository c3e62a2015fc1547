/**
 * How the fault tests time a recovery. The clock starts at the first connection the restarted server refused
 * (the outage as a client sees it) or, when the outage was shorter than the probe's cadence, at the old process's
 * exit; the work counts as resumed only at the first task that started after
 * the server answered again: a task that started while the server was still going down is not recovery.
 * So a figure is at least the outage itself, and 0.0 s cannot be measured unless the outage was that short.
 */

/** What a probe of the server saw during a fault, in epoch seconds. */
export interface Outage {
  /** First connection the server refused (or failed to answer within the probe's own timeout). */
  readonly down: number;
  /** First answer after `down`. */
  readonly back: number;
}

export interface OutageWatch {
  /**
   * The server process is known to have stopped at `at` (its exit, seen by whoever restarted it). An outage shorter
   * than the probe's cadence still counts, from there to the first answer of a probe sent after it.
   */
  serverGone(at: number): void;
  /** Waits until the server answers again after having refused (or gone); throws if neither happened (no fault). */
  outage(timeoutMs: number): Promise<Outage>;
}

/**
 * Probes a server every `intervalMs` from now on, as a client would: one connection and one request per probe.
 * `probe` resolves true when the server answered, false (or rejects) when it refused.
 */
export function watchOutage(probe: () => Promise<boolean>, intervalMs = 100, clock: () => number = () => Date.now() / 1000): OutageWatch {
  let refusedAt: number | undefined;
  let goneAt: number | undefined;
  const answers: { sent: number; answered: number }[] = [];
  let stopped = false;
  const down = () => (refusedAt === undefined ? goneAt : goneAt === undefined ? refusedAt : Math.min(refusedAt, goneAt));
  // The answer counts from when it arrived, to a probe sent after the server went down.
  const back = () => {
    const d = down();
    return d === undefined ? undefined : answers.find((a) => a.sent >= d)?.answered;
  };
  const loop = (async () => {
    while (!stopped && back() === undefined) {
      const sent = clock();
      const ok = await probe().catch(() => false);
      if (ok) answers.push({ sent, answered: clock() });
      else refusedAt ??= sent;
      if (back() === undefined) await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    serverGone(at: number) {
      goneAt = at;
    },
    async outage(timeoutMs: number): Promise<Outage> {
      const timer = new Promise<void>((r) => setTimeout(r, timeoutMs).unref());
      await Promise.race([loop, timer]);
      stopped = true;
      await loop;
      const d = down();
      const b = back();
      if (d === undefined) throw new Error('the server never refused a connection: the fault did not reach its clients');
      if (b === undefined) throw new Error(`the server did not answer again within ${timeoutMs / 1000} s of refusing`);
      return { down: d, back: b };
    },
  };
}

/** The first start strictly after the server was back, or undefined: earlier starts are not recovery. */
export function firstStartAfter(starts: readonly number[], outage: Outage): number | undefined {
  const after = starts.filter((s) => s > outage.back);
  return after.length ? Math.min(...after) : undefined;
}

/** The recovery figure of one fault: from the first refused connection to the first task started after `back`. */
export function recoverySeconds(outage: Outage, firstStart: number): number {
  if (!(firstStart > outage.back)) throw new Error(`a task start at ${firstStart} is not after the server was back (${outage.back})`);
  return firstStart - outage.down;
}

/** "outage 4.2 s + 12.3 s to the first task started after it": the row text of a server restart. */
export function describeRecovery(outage: Outage, firstStart: number): string {
  return `${recoverySeconds(outage, firstStart).toFixed(1)} s (outage ${(outage.back - outage.down).toFixed(1)} s, then ${(firstStart - outage.back).toFixed(1)} s to the first task started after it)`;
}
