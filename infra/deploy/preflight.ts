import type { EnvironmentConfig } from '../../manifests-src/config';
import { operatorSecrets } from './operator-secrets';
import { CACHE_ENGINE_VERSIONS } from '../lib/broker';
import { stackName } from '../lib/airflow-eks-stack';
import { spawnSync } from 'node:child_process';
import type { AwsCli } from './aws-cli';
import { mirrorIsOwnEcr, mirrorPlan } from './mirror-plan';

/** One preflight check: what was checked, the config field it is about, the outcome and what to do. */
export interface Check {
  readonly name: string;
  readonly field?: string;
  readonly ok: boolean;
  readonly detail: string;
  /** When not ok: what to change or run. */
  readonly fix?: string;
}

/** State of the environment's stack before the deploy: decides the first-create pass and refuses a stuck stack. */
export type StackState = 'absent' | 'rollback-complete' | 'ready' | 'busy-or-failed';

const label = (env: EnvironmentConfig) => `environments(${env.name})`;

/** Account, CDK bootstrap and the state of the environment stack. */
export function accountChecks(env: EnvironmentConfig, aws: AwsCli): { checks: Check[]; state: StackState } {
  const checks: Check[] = [];
  const id = aws.run('sts', 'get-caller-identity');
  if (!id.ok) checks.push({ name: 'credentials', ok: false, detail: id.error, fix: "run 'aws configure' / 'aws sso login' or export AWS_PROFILE" });
  else {
    const account = String(id.json.Account);
    checks.push({ name: 'credentials', field: `${label(env)}.aws.account`, ok: account === env.aws.account, detail: `credentials are for account ${account}`, fix: `use credentials of account ${env.aws.account} (AWS_PROFILE)` });
  }
  const boot = aws.run('cloudformation', 'describe-stacks', '--stack-name', 'CDKToolkit');
  checks.push({ name: 'CDK bootstrap', ok: boot.ok, detail: boot.ok ? 'CDKToolkit stack present' : 'CDKToolkit stack missing', fix: `npx cdk bootstrap aws://${env.aws.account}/${env.aws.region}` });
  const stack = aws.run('cloudformation', 'describe-stacks', '--stack-name', stackName(env));
  let state: StackState = 'absent';
  if (stack.ok) {
    const status = String(stack.json.Stacks?.[0]?.StackStatus ?? '');
    state = status === 'ROLLBACK_COMPLETE' ? 'rollback-complete' : /_COMPLETE$/.test(status) && !/^DELETE/.test(status) ? 'ready' : 'busy-or-failed';
    const detail = {
      'rollback-complete': `${stackName(env)} is ROLLBACK_COMPLETE (a failed first create): cdk deploy deletes it and creates it again; nothing of it was kept`,
      ready: `${stackName(env)} exists (${status}): an update`,
      'busy-or-failed': `${stackName(env)} is ${status}`,
      absent: '',
    }[state];
    checks.push({ name: 'stack state', ok: state !== 'busy-or-failed', detail, fix: 'wait for the running operation, or resolve the failed one in the CloudFormation console (continue-update-rollback), then retry' });
  } else {
    checks.push({ name: 'stack state', ok: true, detail: `${stackName(env)} does not exist: first create (deletion protection comes on in a second pass)` });
  }
  return { checks, state };
}

/** Instance types, Aurora engine/class and the cache engine/node type: offered in this region? */
export function regionChecks(env: EnvironmentConfig, aws: AwsCli): Check[] {
  const checks: Check[] = [];
  const { eks, database, cache } = env.infra;
  const families = env.karpenter.instanceFamilies.map((f) => `${f}.*`);
  const offers = aws.run('ec2', 'describe-instance-type-offerings', '--location-type', 'region', '--filters', `Name=instance-type,Values=${[eks.systemNodeInstanceType, ...families].join(',')}`);
  const offered: string[] = offers.ok ? (offers.json.InstanceTypeOfferings ?? []).map((o: { InstanceType: string }) => o.InstanceType) : [];
  const sys = offered.includes(eks.systemNodeInstanceType);
  checks.push({ name: 'system node type', field: `${label(env)}.infra.eks.systemNodeInstanceType`, ok: sys, detail: offers.ok ? `${eks.systemNodeInstanceType} ${sys ? 'is' : 'is not'} offered in ${env.aws.region}` : offers.error, fix: 'choose a Graviton type the region offers (6g types exist in every region)' });
  for (const family of env.karpenter.instanceFamilies) {
    const has = offered.some((t) => t.startsWith(`${family}.`));
    checks.push({ name: `Karpenter family ${family}`, field: `${label(env)}.karpenter.instanceFamilies`, ok: has, detail: offers.ok ? `${family} ${has ? 'is' : 'is not'} offered in ${env.aws.region}` : offers.error, fix: `remove ${family} or use families the region offers` });
  }

  const dbClass = database.instanceClass === 'serverless' ? 'db.serverless' : database.instanceClass;
  const db = aws.run('rds', 'describe-orderable-db-instance-options', '--engine', 'aurora-postgresql', '--engine-version', database.engineVersion, '--db-instance-class', dbClass);
  const dbOk = db.ok && (db.json.OrderableDBInstanceOptions ?? []).length > 0;
  checks.push({ name: 'Aurora engine and class', field: `${label(env)}.infra.database`, ok: dbOk, detail: db.ok ? `aurora-postgresql ${database.engineVersion} on ${dbClass}: ${dbOk ? 'orderable' : 'not orderable'} in ${env.aws.region}` : db.error, fix: 'set infra.database.engineVersion / instanceClass to a combination the region offers (aws rds describe-orderable-db-instance-options)' });

  const version = CACHE_ENGINE_VERSIONS[cache.engine];
  const ev = aws.run('elasticache', 'describe-cache-engine-versions', '--engine', cache.engine, '--engine-version', version);
  const evOk = ev.ok && (ev.json.CacheEngineVersions ?? []).length > 0;
  checks.push({ name: 'cache engine', field: `${label(env)}.infra.cache.engine`, ok: evOk, detail: ev.ok ? `${cache.engine} ${version}: ${evOk ? 'offered' : 'not offered'} in ${env.aws.region}` : ev.error, fix: 'set infra.cache.engine to "redis" where Valkey is not offered' });
  const nt = aws.run('elasticache', 'describe-reserved-cache-nodes-offerings', '--cache-node-type', cache.nodeType);
  const ntOk = nt.ok && (nt.json.ReservedCacheNodesOfferings ?? []).length > 0;
  checks.push({ name: 'cache node type', field: `${label(env)}.infra.cache.nodeType`, ok: ntOk, detail: nt.ok ? `${cache.nodeType}: ${ntOk ? 'offered' : 'not offered'} in ${env.aws.region}` : nt.error, fix: 'choose a cache node type the region offers (cache.m6g / cache.r6g exist in every region)' });
  return checks;
}

/** Secrets the operator creates before the deploy (`operatorSecrets`): the git credentials Argo CD and Airflow read. */
export function secretChecks(env: EnvironmentConfig, aws: AwsCli): Check[] {
  return operatorSecrets(env).map((o) => {
    const shape = `{${o.keys.map((k) => `"${k}": "..."`).join(', ')}}`;
    const r = aws.run('secretsmanager', 'describe-secret', '--secret-id', o.name);
    return { name: `secret ${o.name}`, field: o.field, ok: r.ok, detail: r.ok ? 'present' : 'missing', fix: `aws secretsmanager create-secret --name ${o.name} --region ${env.aws.region} --secret-string '${shape}' (or set the auth field to "none" for a public repository)` };
  });
}

/** Every chart and image of the mirror plan present in the mirror (ECR `describe-images`). */
export function mirrorChecks(env: EnvironmentConfig, aws: AwsCli): Check[] {
  if (!env.images.mirrorRegistry) return [];
  if (!mirrorIsOwnEcr(env)) return [{ name: 'mirror', field: `${label(env)}.images.mirrorRegistry`, ok: true, detail: `${env.images.mirrorRegistry} is not this account's ECR in ${env.aws.region}: not checked` }];
  const plan = mirrorPlan(env);
  const wanted = [...plan.charts.map((c) => ({ repository: c.repository, tag: c.version, what: `chart ${c.chart} ${c.version}` })), ...plan.images.map((i) => ({ repository: i.repository, tag: i.tag, what: `image ${i.source}` }))];
  return wanted.map(({ repository, tag, what }) => {
    const r = aws.run('ecr', 'describe-images', '--repository-name', repository, '--image-ids', `imageTag=${tag}`);
    const ok = r.ok && (r.json.imageDetails ?? []).length > 0;
    return { name: `mirror ${what}`, field: `${label(env)}.images.mirrorRegistry`, ok, detail: `${repository}:${tag} ${ok ? 'present' : 'missing'}`, fix: 'npm run deploy -- <env> copies what is missing (its mirror step) before it touches the environment stack; run it from a machine that reaches the public registries' };
  });
}

/**
 * Every pinned chart version exists upstream (`helm show chart`), so a wrong pin stops the deploy here instead of
 * rolling back a half-created stack. Mirrored environments are covered by mirrorChecks (the mirror step pulls from
 * upstream first).
 */
export function chartChecks(env: EnvironmentConfig, helm = 'helm', procEnv: NodeJS.ProcessEnv = process.env): Check[] {
  if (env.images.mirrorRegistry) return [];
  return mirrorPlan(env).charts.map((c) => {
    const ref = c.upstream.startsWith('oci://') ? [c.upstream] : [c.chart, '--repo', c.upstream];
    const r = spawnSync(helm, ['show', 'chart', ...ref, '--version', c.version], { encoding: 'utf8', timeout: 120_000, env: procEnv });
    const ok = r.status === 0;
    const why = r.error ? `${helm} could not run (${r.error.message})` : (r.stderr || r.stdout || '').trim().split('\n').pop();
    return {
      name: `chart ${c.chart} ${c.version}`,
      field: 'infra/lib/charts.ts',
      ok,
      detail: ok ? `${c.upstream} has ${c.chart} ${c.version}` : `not found at ${c.upstream}: ${why}`,
      fix: r.error ? 'install Helm 3: the deploy checks that every pinned chart version exists before creating anything' : `pin a version that ${c.upstream} publishes (helm search repo / helm show chart)`,
    };
  });
}
