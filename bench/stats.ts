/** Pure statistics for the benchmark: small samples, so order statistics rather than means. */

/** Nearest-rank percentile (p in 0..100) of a sample; NaN for an empty one. */
export function percentile(xs: readonly number[], p: number): number {
  if (p < 0 || p > 100) throw new Error(`percentile: p must be within 0..100, got ${p}`);
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * s.length));
  return s[rank - 1];
}

/** Median (mean of the two middle values for an even count). */
export function median(xs: readonly number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median of repeats with their range: what the table prints as `median (min-max)`. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

export function spread(xs: readonly number[]): Spread {
  const s = xs.filter((x) => Number.isFinite(x));
  return { median: median(s), min: s.length ? Math.min(...s) : NaN, max: s.length ? Math.max(...s) : NaN, n: s.length };
}

/** `12.3 (11.0-14.1)`; a single repeat prints just its value. */
export function formatSpread(s: Spread, digits = 1): string {
  if (!s.n) return '-';
  const f = (x: number) => x.toFixed(digits);
  return s.n === 1 || s.min === s.max ? f(s.median) : `${f(s.median)} (${f(s.min)}-${f(s.max)})`;
}

/** Ratio of two medians, and whether the ranges overlap (overlap = the difference is within the noise). */
export function compare(a: Spread, b: Spread): { ratio: number; overlapping: boolean } {
  return { ratio: a.median / b.median, overlapping: a.min <= b.max && b.min <= a.max };
}

/** CPU time split of a machine between two /proc/stat readings, in fractions of the elapsed ticks. */
export interface CpuTicks {
  readonly busy: number;
  readonly idle: number;
  readonly steal: number;
}

export function utilisation(before: CpuTicks, after: CpuTicks): { busy: number; idle: number; steal: number } {
  const d = { busy: after.busy - before.busy, idle: after.idle - before.idle, steal: after.steal - before.steal };
  const total = d.busy + d.idle + d.steal;
  if (total <= 0) return { busy: NaN, idle: NaN, steal: NaN };
  return { busy: d.busy / total, idle: d.idle / total, steal: d.steal / total };
}

/** Parses the aggregate `cpu` line of /proc/stat (user nice system idle iowait irq softirq steal ...). */
export function parseProcStat(text: string): CpuTicks {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new Error('/proc/stat has no aggregate "cpu" line');
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return { busy: user + nice + system + irq + softirq, idle: idle + iowait, steal: steal ?? 0 };
}

/** utime+stime+cutime+cstime (fields 14-17) of a /proc/<pid>/stat line, in clock ticks. */
export function parsePidStatCpuTicks(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): field n is at index n - 3.
  return [14, 15, 16, 17].reduce((sum, n) => sum + Number(fields[n - 3]), 0);
}
