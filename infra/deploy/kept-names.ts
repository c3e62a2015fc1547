/**
 * Preflight for a redeploy after `npm run destroy`: the delete keeps the stateful resources (retention.ts), and the
 * ones with a fixed name (the `airflow-eks/<env>/airflow` secret, the log groups, the metadata DB secret, the
 * CodeCommit repository, the ECR repositories...) make the next create fail with AlreadyExists half-way through.
 * The list of names comes from the synthesized templates, never from a list kept by hand: every resource whose
 * DeletionPolicy keeps it and whose name property is fixed. Each one that exists but is not a resource of its stack is
 * reported with the two ways out: adopt it (`cdk import`) or delete it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EnvironmentConfig } from '../../manifests-src/config';
import { stackName } from '../lib/airflow-eks-stack';
import { buildApp } from '../lib/build-app';
import { registriesKey, registriesStackName } from '../lib/registries';
import { RETAINED_TYPES } from '../lib/retention';
import type { AwsCli } from './aws-cli';
import type { Check } from './preflight';

/** DeletionPolicy values that leave the resource itself (and so its name) behind; Snapshot leaves only a snapshot. */
const KEEPS_THE_RESOURCE = ['Retain', 'RetainExceptOnCreate'];

/** Whether a name is taken in the account and region: true/false, or the CLI's error when it could not tell. */
type Lookup = (aws: AwsCli, name: string) => boolean | { error: string };

/** How to read the fixed name of a kept resource type from its properties, and how to ask AWS whether it exists. */
interface NamedType {
  /** The name, when the template fixes it (a string, or a join of strings and pseudo parameters). */
  readonly name: (props: Record<string, unknown>) => unknown;
  readonly lookup: Lookup;
  /**
   * Whether CloudFormation refuses to create a second one with AlreadyExists. EFS does not (its Name is a tag): an
   * existing one is reported, not refused, since the deploy would create a new, empty file system beside it.
   */
  readonly blocks: boolean;
}

/** A describe call whose "not found" error means the name is free. */
const describe = (notFound: RegExp, ...args: string[]): Lookup => (aws, name) => {
  const r = aws.run(...args, name);
  if (r.ok) return true;
  return notFound.test(r.error) ? false : { error: r.error };
};

/** Every kept type that can carry a fixed name. */
export const NAMED_KEPT_TYPES: Record<string, NamedType> = {
  'AWS::SecretsManager::Secret': { name: (p) => p.Name, lookup: describe(/ResourceNotFoundException/, 'secretsmanager', 'describe-secret', '--secret-id'), blocks: true },
  'AWS::Logs::LogGroup': {
    name: (p) => p.LogGroupName,
    lookup: (aws, name) => {
      const r = aws.run('logs', 'describe-log-groups', '--log-group-name-prefix', name);
      return r.ok ? (r.json.logGroups ?? []).some((g: { logGroupName: string }) => g.logGroupName === name) : { error: r.error };
    },
    blocks: true,
  },
  'AWS::CodeCommit::Repository': { name: (p) => p.RepositoryName, lookup: describe(/RepositoryDoesNotExistException/, 'codecommit', 'get-repository', '--repository-name'), blocks: true },
  'AWS::ECR::Repository': { name: (p) => p.RepositoryName, lookup: describe(/RepositoryNotFoundException/, 'ecr', 'describe-repositories', '--repository-names'), blocks: true },
  'AWS::RDS::DBCluster': { name: (p) => p.DBClusterIdentifier, lookup: describe(/DBClusterNotFoundFault/, 'rds', 'describe-db-clusters', '--db-cluster-identifier'), blocks: true },
  'AWS::RDS::DBInstance': { name: (p) => p.DBInstanceIdentifier, lookup: describe(/DBInstanceNotFound/, 'rds', 'describe-db-instances', '--db-instance-identifier'), blocks: true },
  'AWS::RDS::DBSubnetGroup': { name: (p) => p.DBSubnetGroupName, lookup: describe(/DBSubnetGroupNotFoundFault/, 'rds', 'describe-db-subnet-groups', '--db-subnet-group-name'), blocks: true },
  'AWS::RDS::DBClusterParameterGroup': { name: (p) => p.DBClusterParameterGroupName, lookup: describe(/DBParameterGroupNotFound/, 'rds', 'describe-db-cluster-parameter-groups', '--db-cluster-parameter-group-name'), blocks: true },
  'AWS::EFS::FileSystem': {
    name: (p) => (p.FileSystemTags as Array<{ Key: string; Value: unknown }> | undefined)?.find((t) => t.Key === 'Name')?.Value,
    lookup: (aws, name) => {
      const r = aws.run('efs', 'describe-file-systems');
      return r.ok ? (r.json.FileSystems ?? []).some((f: { Name?: string }) => f.Name === name) : { error: r.error };
    },
    blocks: false,
  },
};

/** Kept types that have no name CloudFormation could collide on (the test holds every kept type to one of the two). */
export const NAMELESS_KEPT_TYPES = ['AWS::KMS::Key', 'AWS::SecretsManager::SecretTargetAttachment'] as const;

/** One kept resource with a fixed name, as a stack of the environment's deploy would create it. */
export interface KeptName {
  readonly stack: string;
  readonly logicalId: string;
  readonly type: string;
  readonly name: string;
  readonly blocks: boolean;
}

type Template = { Resources?: Record<string, { Type: string; DeletionPolicy?: string; Properties?: Record<string, unknown> }> };

/** A name the template fixes before deploy: a string, or Fn::Join of strings and the environment's pseudo parameters. */
function literal(value: unknown, env: EnvironmentConfig): string | undefined {
  if (typeof value === 'string') return value;
  const pseudo: Record<string, string> = { 'AWS::Region': env.aws.region, 'AWS::AccountId': env.aws.account, 'AWS::Partition': env.aws.partition, 'AWS::URLSuffix': env.aws.partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com' };
  const join = (value as { 'Fn::Join'?: [string, unknown[]] } | undefined)?.['Fn::Join'];
  if (!join) return undefined;
  const parts = join[1].map((p) => (typeof p === 'string' ? p : pseudo[(p as { Ref?: string }).Ref ?? '']));
  return parts.every((p) => p !== undefined) ? parts.join(join[0]) : undefined;
}

/** Pure: the kept resources of one synthesized template whose name is fixed. */
export function keptNamesOf(stack: string, template: Template, env: EnvironmentConfig): KeptName[] {
  return Object.entries(template.Resources ?? {}).flatMap(([logicalId, r]) => {
    const named = NAMED_KEPT_TYPES[r.Type];
    if (!named || !KEEPS_THE_RESOURCE.includes(r.DeletionPolicy ?? '')) return [];
    const name = literal(named.name(r.Properties ?? {}), env);
    return name ? [{ stack, logicalId, type: r.Type, name, blocks: named.blocks }] : [];
  });
}

/** The fixed names the deploy of `env` would create: its registries stack (shared with `all` of its account/region) and its own. */
export function keptNames(env: EnvironmentConfig, all: EnvironmentConfig[] = [env]): KeptName[] {
  const group = [env, ...all.filter((e) => e.name !== env.name && registriesKey(e) === registriesKey(env))];
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'airflow-eks-kept-'));
  try {
    const { app } = buildApp(group, { outdir, stageAssets: false, nag: false });
    const assembly = app.synth();
    return [registriesStackName(env), stackName(env)].flatMap((stack) => keptNamesOf(stack, assembly.getStackByName(stack).template as Template, env));
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** Logical ids of the stack's live resources; none when the stack does not exist (or is gone). */
function ownedBy(aws: AwsCli, stack: string): Set<string> | { error: string } {
  const r = aws.run('cloudformation', 'list-stack-resources', '--stack-name', stack);
  if (!r.ok) return /does not exist/.test(r.error) ? new Set() : { error: r.error };
  const live = (r.json.StackResourceSummaries ?? []).filter((s: { ResourceStatus: string }) => s.ResourceStatus !== 'DELETE_COMPLETE');
  return new Set(live.map((s: { LogicalResourceId: string }) => s.LogicalResourceId));
}

const short = (type: string) => type.split('::').slice(1).join(' ');

/**
 * For each fixed name the deploy of `env` would create: does something by that name exist already that its stack
 * does not own? Only names outside a live stack are looked up (an update of a stack that owns them asks nothing
 * more than the stack's resource list). Pass every environment as `all` so the shared registries stack is judged
 * with all its repositories.
 */
export function keptNameChecks(env: EnvironmentConfig, aws: AwsCli, all: EnvironmentConfig[] = [env], names: KeptName[] = keptNames(env, all)): Check[] {
  const checks: Check[] = [];
  for (const stack of [...new Set(names.map((n) => n.stack))]) {
    const mine = names.filter((n) => n.stack === stack);
    const owned = ownedBy(aws, stack);
    if ('error' in owned) {
      checks.push({ name: `kept names of ${stack}`, ok: false, detail: `could not list the resources of ${stack}: ${owned.error}`, fix: 'give the deploying principal cloudformation:ListStackResources, then retry' });
      continue;
    }
    const free: string[] = [];
    for (const n of mine.filter((m) => !owned.has(m.logicalId))) {
      const found = NAMED_KEPT_TYPES[n.type].lookup(aws, n.name);
      if (found === false) {
        free.push(n.name);
        continue;
      }
      const kept = RETAINED_TYPES[n.type];
      if (typeof found === 'object') {
        checks.push({ name: `kept ${short(n.type)} ${n.name}`, ok: false, detail: `could not tell whether it exists: ${found.error}`, fix: 'give the deploying principal read access to it (the deploy must know whether creating it would collide), then retry' });
        continue;
      }
      const adopt = `adopt it with its data: npx cdk import ${n.stack} (give ${n.name} for ${n.logicalId}, and the ids of the kept resources it refers to, such as its KMS key, in the same run), then npm run deploy -- ${env.name}`;
      const remove = `delete it (its data is lost): ${(kept?.remove ?? 'see the AWS console').replaceAll('<id>', n.name)} --region ${env.aws.region}`;
      checks.push(
        n.blocks
          ? { name: `kept ${short(n.type)} ${n.name}`, ok: false, detail: `exists outside ${n.stack}, left by an earlier delete (${kept?.why ?? 'kept'}): creating ${n.logicalId} would fail with AlreadyExists`, fix: `${adopt}; or ${remove}` }
          : { name: `kept ${short(n.type)} ${n.name}`, ok: true, detail: `one exists outside ${n.stack} (left by an earlier delete): the deploy creates a new, empty one beside it; to keep using the old one, ${adopt}` },
      );
    }
    const ownedCount = mine.length - mine.filter((m) => !owned.has(m.logicalId)).length;
    checks.push({ name: `kept names of ${stack}`, ok: true, detail: `${mine.length} fixed name(s): ${ownedCount} belong to the stack, ${free.length} free${free.length ? ` (${free.join(', ')})` : ''}` });
  }
  return checks;
}
