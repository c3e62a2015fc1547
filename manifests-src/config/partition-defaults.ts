import type { EnvironmentInput } from './schema';

type Partition = EnvironmentInput['aws']['partition'];
type Defaults = { infra?: EnvironmentInput['infra']; karpenter?: EnvironmentInput['karpenter'] };

/**
 * Defaults that depend on the partition, applied under what the environment sets (a set field always wins). The
 * schema's own defaults are the aws ones (Graviton3/4, Valkey, the newest Aurora minor). In the China regions
 * Graviton3 (7g) instance and cache types, Valkey and the newest Aurora minor are not known to exist in every
 * region, so aws-cn starts from types and engines known there (6g, Redis OSS, an older minor). `npm run deploy`
 * checks the final choice against the region with the AWS CLI before anything is created.
 */
export const PARTITION_DEFAULTS: Record<Partition, Defaults> = {
  aws: {},
  'aws-cn': {
    infra: {
      eks: { systemNodeInstanceType: 'm6g.large' },
      database: { instanceClass: 'db.r6g.large', engineVersion: '16.8' },
      cache: { engine: 'redis', nodeType: 'cache.m6g.large' },
    },
    karpenter: { instanceFamilies: ['m6g', 'c6g', 'r6g'] },
  },
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `base` with `over` on top, recursively for objects; lists and scalars of `over` replace. */
function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isObject(v) && isObject(base[k]) ? merge(base[k] as Record<string, unknown>, v) : v;
  return out;
}

/** The raw environment input with its partition's defaults filled in where it sets nothing. */
export function withPartitionDefaults(input: unknown): unknown {
  if (!isObject(input) || !isObject(input.aws)) return input;
  const defaults = PARTITION_DEFAULTS[input.aws.partition as Partition];
  return defaults ? merge(defaults as Record<string, unknown>, input) : input;
}
