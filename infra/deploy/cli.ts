/**
 * `npm run deploy -- <env> [--dry-run] [--config FILE]`: refuses example values, checks the account and the region
 * with the AWS CLI, then deploys in order: the registries stack, the mirror step (when `images.mirrorRegistry` is
 * set; always in aws-cn), the environment stack (a first create runs twice: deletion protection comes on in the
 * second pass). Nothing is created until every check passed. `--dry-run` stops after printing, per stack, what it
 * would create and every check it made.
 */
import { spawnSync } from 'node:child_process';
import { ConfigError, environmentsFromArgs } from '../../manifests-src/config';
import { stackName } from '../lib/airflow-eks-stack';
import { FIRST_CREATE_CONTEXT } from '../lib/first-create';
import { registriesStackName } from '../lib/registries';
import { AwsCli } from './aws-cli';
import { mirrorMissing, run } from './mirror';
import { mirrorPlan } from './mirror-plan';
import { placeholderProblems } from './placeholders';
import { accountChecks, chartChecks, mirrorChecks, regionChecks, secretChecks, type Check } from './preflight';
import { stackPlans } from './stack-plan';

const USAGE = 'usage: npm run deploy -- <environment> [--dry-run] [--config FILE] [-- <cdk deploy options>]';

function printChecks(checks: Check[]): void {
  for (const c of checks) {
    console.log(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}${c.field ? `  [${c.field}]` : ''}`);
    if (!c.ok && c.fix) console.log(`       fix: ${c.fix}`);
  }
}

function hasTool(cmd: string, arg = '--version'): boolean {
  return spawnSync(cmd, [arg], { stdio: 'ignore' }).status === 0;
}

function main(argv: string[]): number {
  const split = argv.indexOf('--');
  const ours = split >= 0 ? argv.slice(0, split) : argv;
  const cdkArgs = split >= 0 ? argv.slice(split + 1) : [];
  const dryRun = ours.includes('--dry-run');
  const name = ours.find((a, i) => !a.startsWith('--') && ours[i - 1] !== '--config');
  if (!name) {
    console.error(USAGE);
    return 2;
  }
  const all = environmentsFromArgs(ours);
  const env = all.find((e) => e.name === name);
  if (!env) {
    console.error(`unknown environment "${name}": one of ${all.map((e) => e.name).join(', ')}`);
    return 2;
  }

  const placeholders = placeholderProblems(env);
  if (placeholders.length) {
    console.error(`Cannot deploy ${env.name}: the config still holds example values (${placeholders.length}):`);
    for (const p of placeholders) console.error(`  - ${p}`);
    console.error('Nothing was created. Edit manifests-src/config/environments.ts or pass --config FILE.');
    return 2;
  }
  if (!hasTool('aws')) {
    console.error('Cannot deploy: the AWS CLI v2 is not installed (https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html). Nothing was created.');
    return 1;
  }

  const aws = new AwsCli(env.aws.region);
  const account = accountChecks(env, aws);
  const checks = [...account.checks, ...regionChecks(env, aws), ...secretChecks(env, aws), ...chartChecks(env)];
  const mirror = mirrorChecks(env, aws);
  const plan = mirrorPlan(env);
  const missing = mirror.filter((c) => !c.ok);
  const firstCreate = account.state === 'absent' || account.state === 'rollback-complete';

  console.log(`Deploy plan for ${env.name} (${env.aws.account}/${env.aws.region}, ${env.aws.partition})${dryRun ? ' [dry run: nothing is created]' : ''}`);
  const stacks = stackPlans(env, all, firstCreate ? { [FIRST_CREATE_CONTEXT]: 'true' } : {});
  stacks.forEach((s, i) => {
    const total = Object.values(s.resources).reduce((a, b) => a + b, 0);
    console.log(`\n${i + 1}. stack ${s.stack}: ${total} resources`);
    for (const [type, n] of Object.entries(s.resources).sort()) console.log(`     ${String(n).padStart(3)} ${type}`);
    if (i === 0 && env.images.mirrorRegistry) {
      console.log(`\n   mirror step into ${env.images.mirrorRegistry}: ${plan.charts.length} charts, ${plan.images.length} images; ${missing.length} missing now`);
      for (const c of missing) console.log(`     to copy: ${c.detail.replace(/ missing$/, '')}`);
    }
  });
  if (firstCreate) console.log(`\n   ${stackName(env)}: first create, then a second pass turning Aurora deletion protection on`);

  console.log('\nChecks (AWS CLI, Helm):');
  printChecks([...checks, ...mirror]);
  const failed = checks.filter((c) => !c.ok);
  if (failed.length) {
    console.error(`\nCannot deploy ${env.name}: ${failed.length} check(s) failed. Nothing was created.`);
    return 1;
  }
  if (dryRun) {
    console.log(`\nDry run: all checks passed${missing.length ? `; the mirror step would copy ${missing.length} item(s)` : ''}. Nothing was created.`);
    return 0;
  }

  const cdk = (stack: string, context: string[] = []) => run('npx', ['--no-install', 'cdk', 'deploy', stack, '--require-approval', 'broadening', ...context, ...cdkArgs], { env: { ...process.env, AWS_REGION: env.aws.region } });
  cdk(registriesStackName(env));
  if (env.images.mirrorRegistry && missing.length) {
    const missingRepos = new Set(missing.map((c) => c.detail.replace(/ missing$/, '')));
    mirrorMissing({
      registry: env.images.mirrorRegistry,
      region: env.aws.region,
      charts: plan.charts.filter((c) => missingRepos.has(`${c.repository}:${c.version}`)),
      images: plan.images.filter((i) => missingRepos.has(`${i.repository}:${i.tag}`)),
    });
    const still = mirrorChecks(env, aws).filter((c) => !c.ok);
    if (still.length) {
      printChecks(still);
      console.error(`Cannot install ${env.name}: the mirror still lacks ${still.length} item(s). ${stackName(env)} was not touched.`);
      return 1;
    }
  }
  if (firstCreate) cdk(stackName(env), ['-c', `${FIRST_CREATE_CONTEXT}=true`]);
  cdk(stackName(env));
  console.log(`Deployed ${stackName(env)}. Argo CD now syncs argocd/${env.name}/ from ${env.gitops.repoUrl}.`);
  return 0;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      console.error('Nothing was created.');
      process.exitCode = 2;
    } else {
      console.error((e as Error).message);
      process.exitCode = 1;
    }
  }
}


