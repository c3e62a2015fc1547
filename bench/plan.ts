/** What one benchmark round measures, the same for the local processes and the local cluster. */
export interface Plan {
  readonly rounds: number;
  readonly idleSeconds: number;
  readonly singles: number;
  readonly burstRuns: number;
  readonly tasksPerRun: number;
  readonly openLoopSeconds: number;
  readonly openLoopFraction: number;
}

export const QUICK: Plan = { rounds: 1, idleSeconds: 10, singles: 2, burstRuns: 4, tasksPerRun: 15, openLoopSeconds: 30, openLoopFraction: 0.6 };
export const FULL: Plan = { rounds: 3, idleSeconds: 20, singles: 3, burstRuns: 10, tasksPerRun: 25, openLoopSeconds: 90, openLoopFraction: 0.6 };

/** The value after `name` in argv, or undefined; a flag without a value is an error naming it. */
export function flag(name: string, argv: readonly string[] = process.argv): string | undefined {
  const i = argv.indexOf(name);
  if (i < 0) return undefined;
  const v = argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value`);
  return v;
}

export function positiveInt(name: string, dflt: number, argv: readonly string[] = process.argv): number {
  const v = flag(name, argv);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got "${v}"`);
  return n;
}

/** `--quick` or the full plan, with `--rounds`, `--runs` and `--tasks` overriding it. */
export function planFromArgs(argv: readonly string[] = process.argv): { mode: 'quick' | 'full'; plan: Plan } {
  const mode = argv.includes('--quick') ? 'quick' : 'full';
  const base = mode === 'quick' ? QUICK : FULL;
  return { mode, plan: { ...base, rounds: positiveInt('--rounds', base.rounds, argv), burstRuns: positiveInt('--runs', base.burstRuns, argv), tasksPerRun: positiveInt('--tasks', base.tasksPerRun, argv) } };
}
