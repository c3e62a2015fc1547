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
  /** Price the stack sized for this many DAG files (`capacity.dags`). */
  readonly dags?: number;
  /** What is left for the configuration (`--config FILE`). */
  readonly rest: string[];
}

/** The options that set a `capacity` field, each checked as the config checks that field. */
const CAPACITY_OPTIONS = [
  { flag: '--tasks-per-minute', field: 'tasksPerMinute', example: 'a whole number of tasks per minute, such as 1000' },
  { flag: '--dags', field: 'dags', example: 'a whole number of DAG files, such as 1000' },
] as const;

/** `[--markdown] [--tasks-per-minute N] [--dags N] [--config FILE]`; each N is checked like its `capacity` field. */
export function parseCostArgs(argv: readonly string[]): CostArgs {
  let rest = argv.filter((a) => a !== '--markdown');
  const out: { tasksPerMinute?: number; dags?: number } = {};
  for (const o of CAPACITY_OPTIONS) {
    const i = rest.indexOf(o.flag);
    if (i < 0) continue;
    const raw = rest[i + 1];
    if (raw === undefined || raw.trim() === '' || raw.startsWith('--')) throw new UsageError(`${o.flag} needs a value: ${o.example}`);
    const parsed = CapacitySchema.shape[o.field].unwrap().safeParse(Number(raw));
    if (!parsed.success) throw new UsageError(`${o.flag}: ${parsed.error.issues[0].message} (got ${JSON.stringify(raw)})`);
    out[o.field] = parsed.data;
    rest = [...rest.slice(0, i), ...rest.slice(i + 2)];
  }
  return { markdown: argv.includes('--markdown'), ...out, rest };
}
