import { environmentsFromArgs, type EnvironmentConfig } from '../../manifests-src/config';

/** `<env> [--config FILE] [our flags] [-- <cdk options>]`, as `npm run deploy` and `npm run destroy` take it. */
export interface CommandLine {
  /** Our part of the arguments (before `--`). */
  readonly ours: string[];
  /** What goes on to every cdk call (after `--`). */
  readonly cdkArgs: string[];
  /** The config file, from `--config` or AIRFLOW_EKS_CONFIG. */
  readonly configFile?: string;
  /** Every environment of the config (the shared registries stack is judged with all of them). */
  readonly all: EnvironmentConfig[];
  readonly env: EnvironmentConfig;
}

/** Splits the arguments and loads the config; a usage or unknown-environment error comes back as text to print. */
export function readCommandLine(argv: string[], usage: string): CommandLine | { error: string } {
  const split = argv.indexOf('--');
  const ours = split >= 0 ? argv.slice(0, split) : argv;
  const cdkArgs = split >= 0 ? argv.slice(split + 1) : [];
  const name = ours.find((a, i) => !a.startsWith('--') && ours[i - 1] !== '--config');
  const configAt = ours.indexOf('--config');
  const configFile = configAt >= 0 ? ours[configAt + 1] : process.env.AIRFLOW_EKS_CONFIG || undefined;
  if (!name || (configAt >= 0 && !configFile)) return { error: usage };
  const all = environmentsFromArgs(ours);
  const env = all.find((e) => e.name === name);
  if (!env) return { error: `unknown environment "${name}": one of ${all.map((e) => e.name).join(', ')}` };
  return { ours, cdkArgs, configFile, all, env };
}
