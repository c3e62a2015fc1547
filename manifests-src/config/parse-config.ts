import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { environments as committed } from './environments';
import { withPartitionDefaults } from './partition-defaults';
import { EnvironmentSchema, type EnvironmentConfig } from './schema';

/** Invalid configuration: one line per bad field, naming the field, what it expects and what it got. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const s = JSON.stringify(value);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function valueAt(root: unknown, p: PropertyKey[]): unknown {
  return p.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined), root);
}

function formatIssue(label: string, input: unknown, issue: z.core.$ZodIssue): string[] {
  const field = [label, ...issue.path.map(String)].join('.');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => `${field}.${k}: unknown field; remove it or fix its spelling (see docs/configuration.md)`);
  }
  const got = describe(valueAt(input, issue.path));
  return [`${field}: ${issue.message} (got ${got})`];
}

/** Parses and validates environments; throws ConfigError listing every problem at once. */
export function loadEnvironments(inputs: unknown = committed): EnvironmentConfig[] {
  if (!Array.isArray(inputs) || inputs.length === 0) {
    throw new ConfigError(['environments: expected a non-empty list of environments']);
  }
  const problems: string[] = [];
  const result: EnvironmentConfig[] = [];
  inputs.forEach((input, i) => {
    const label = `environments[${i}]${input && typeof input === 'object' && typeof (input as { name?: unknown }).name === 'string' ? `(${(input as { name: string }).name})` : ''}`;
    const parsed = EnvironmentSchema.safeParse(withPartitionDefaults(input));
    if (parsed.success) result.push(parsed.data);
    else for (const issue of parsed.error.issues) problems.push(...formatIssue(label, input, issue));
  });
  const seen = new Set<string>();
  for (const env of result) {
    if (seen.has(env.name)) problems.push(`environments: name "${env.name}" is used twice; names must be unique`);
    seen.add(env.name);
  }
  if (problems.length) throw new ConfigError(problems);
  return result;
}

/** Reads a config file (JSON or YAML) holding `{ environments: [...] }`, for overrides and tests. */
export function readConfigFile(file: string): unknown {
  const text = fs.readFileSync(file, 'utf8');
  let doc: unknown;
  try {
    doc = path.extname(file) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new ConfigError([`${file}: not valid ${path.extname(file) === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`]);
  }
  if (!doc || typeof doc !== 'object' || !('environments' in doc)) {
    throw new ConfigError([`${file}: expected a top-level "environments:" list`]);
  }
  return (doc as { environments: unknown }).environments;
}

/** The environments for this run: `--config FILE` (or AIRFLOW_EKS_CONFIG) overrides the committed ones. */
export function environmentsFromArgs(argv: string[] = process.argv.slice(2)): EnvironmentConfig[] {
  const i = argv.indexOf('--config');
  const file = i >= 0 ? argv[i + 1] : process.env.AIRFLOW_EKS_CONFIG;
  return loadEnvironments(file ? readConfigFile(file) : committed);
}
