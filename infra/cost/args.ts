import { CapacitySchema } from '../../manifests-src/config';

/** A bad `npm run cost` argument: the message names the option and what it takes. */
export class UsageError extends Error {
  constructor(message: string) {
    super(`npm run cost: ${message}`);
    this.name = 'UsageError';
  }
}

export interface CostArgs {
  readonly markdown: boolean;
  /** Price the stack sized for this task rate instead of the configured requests. */
  readonly tasksPerMinute?: number;
  /** What is left for the configuration (`--config FILE`). */
  readonly rest: string[];
}

/** `[--markdown] [--tasks-per-minute N] [--config FILE]`; N is checked like `capacity.tasksPerMinute`. */
export function parseCostArgs(argv: readonly string[]): CostArgs {
  const rest = argv.filter((a) => a !== '--markdown');
  const i = rest.indexOf('--tasks-per-minute');
  if (i < 0) return { markdown: argv.includes('--markdown'), rest };
  const raw = rest[i + 1];
  if (raw === undefined || raw.trim() === '' || raw.startsWith('--')) throw new UsageError('--tasks-per-minute needs a value: a whole number of tasks per minute, such as 1000');
  const parsed = CapacitySchema.shape.tasksPerMinute.unwrap().safeParse(Number(raw));
  if (!parsed.success) throw new UsageError(`--tasks-per-minute: ${parsed.error.issues[0].message} (got ${JSON.stringify(raw)})`);
  return { markdown: argv.includes('--markdown'), tasksPerMinute: parsed.data, rest: [...rest.slice(0, i), ...rest.slice(i + 2)] };
}
