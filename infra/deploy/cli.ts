/**
 * `npm run deploy -- <env> [--dry-run] [--config FILE] [-- <cdk deploy options>]`: refuses example values, checks
 * the account and the region with the AWS CLI, then deploys in order: the registries stack, the mirror step (when
 * `images.mirrorRegistry` is set; always in aws-cn), the environment stack (a first create runs twice: deletion
 * protection comes on in the second pass). Nothing is created until every check passed. `--dry-run` stops after
 * printing, per stack, what it would create and every check it made.
 *
 * cdk runs in the foreground with the terminal's stdio and no timeout (infra/deploy/cdk.ts): its progress shows as
 * it happens and its approval prompt (`--require-approval broadening`) is answered at the terminal. Without a
 * terminal the deploy refuses up front unless `-- --require-approval never` is passed. The config file reaches the
 * cdk app through AIRFLOW_EKS_CONFIG; each step's exit status is checked and a failed step stops the deploy.
 */
import { readCommandLine } from './command-line';
import { spawnSync } from 'node:child_process';
import { ConfigError } from '../../manifests-src/config';
import { stackName } from '../lib/airflow-eks-stack';
import { FIRST_CREATE_CONTEXT } from '../lib/first-create';
import { registriesStackName } from '../lib/registries';
import { AwsCli } from './aws-cli';
import { approvalProblem, cdkInvocation, runCdk, shellLine, withApprovalNever } from './cdk';
import { mirrorMissing } from './mirror';
import { mirrorIsOwnEcr, mirrorPlan } from './mirror-plan';
import { placeholderProblems } from './placeholders';
import { keptNameChecks } from './kept-names';
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
  const line = readCommandLine(argv, USAGE);
  if ('error' in line) {
    console.error(line.error);
    return 2;
  }
  const { ours, cdkArgs, configFile, all, env } = line;
  const dryRun = ours.includes('--dry-run');

  const placeholders = placeholderProblems(env);
  if (placeholders.length) {
    console.error(`Cannot deploy ${env.name}: the config still holds example values (${placeholders.length}):`);
    for (const p of placeholders) console.error(`  - ${p}`);
    console.error('Nothing was created. Edit manifests-src/config/environments.ts or pass --config FILE.');
    return 2;
  }
  const command = `npm run deploy -- ${shellLine(argv)}`;
  if (!dryRun) {
    const refusal = approvalProblem({ stdin: process.stdin.isTTY, stdout: process.stdout.isTTY }, ours, cdkArgs);
    if (refusal) {
      console.error(refusal);
      return 2;
    }
  }
  if (!hasTool('aws')) {
    console.error('Cannot deploy: the AWS CLI v2 is not installed (https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html). Nothing was created.');
    return 1;
  }

  const aws = new AwsCli(env.aws.region);
  const account = accountChecks(env, aws);
  const mirror = mirrorChecks(env, aws);
  const plan = mirrorPlan(env);
  const missing = mirror.filter((c) => !c.ok);
  const firstCreate = account.state === 'absent' || account.state === 'rollback-complete';
  // A first create (also after a destroy) collides with what a destroy kept under fixed names: name each one.
  const checks = [...account.checks, ...regionChecks(env, aws), ...secretChecks(env, aws), ...(firstCreate ? keptNameChecks(env, aws, all) : []), ...chartChecks(env)];

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
    const deployArgs = ours.filter((a) => a !== '--dry-run');
    console.log(`To deploy: npm run deploy -- ${shellLine(argv.filter((a, i) => !(a === '--dry-run' && i < ours.length)))} from a terminal (cdk asks before it broadens IAM permissions),`);
    console.log(`or, once this plan is reviewed, without a terminal (CI): npm run deploy -- ${shellLine(deployArgs)} -- ${shellLine(withApprovalNever(cdkArgs))}`);
    return 0;
  }

  const region = env.aws.region;
  const cdk = (stack: string, context: Record<string, string> = {}) => () =>
    runCdk(cdkInvocation({ command: 'deploy', stack, environment: env.name, region, configFile, context, extraArgs: cdkArgs }));
  const rerun = `Fix the cause shown above, then run ${command} again`;
  const steps: Step[] = [
    {
      title: `cdk deploy ${registriesStackName(env)} (the ECR repositories of ${env.aws.account}/${region})`,
      run: cdk(registriesStackName(env)),
      retry: `${rerun}. ${stackName(env)} was not touched.`,
    },
  ];
  if (env.images.mirrorRegistry) {
    steps.push({
      title: `mirror step into ${env.images.mirrorRegistry}`,
      run: () => (mirrorIsOwnEcr(env) ? mirrorStep(env.images.mirrorRegistry!, region, missing, plan, () => mirrorChecks(env, aws)) : notOurMirror(env.images.mirrorRegistry!)),
      retry: `${rerun} from a machine that reaches the public registries and the mirror (it copies only what is missing). ${stackName(env)} was not touched.`,
    });
  }
  if (firstCreate) {
    steps.push({
      title: `cdk deploy ${stackName(env)}, first create (Aurora deletion protection off, so a rollback can delete what it created)`,
      run: cdk(stackName(env), { [FIRST_CREATE_CONTEXT]: 'true' }),
      retry: `${rerun}: a stack that rolled back (ROLLBACK_COMPLETE) is deleted and created again. If the stack is still in progress (the deploy was interrupted), wait until it settles (aws cloudformation describe-stacks --stack-name ${stackName(env)} --region ${region}) before rerunning.`,
    });
  }
  steps.push({
    title: firstCreate ? `cdk deploy ${stackName(env)}, second pass (turns Aurora deletion protection on)` : `cdk deploy ${stackName(env)} (update)`,
    run: cdk(stackName(env)),
    retry: firstCreate
      ? `${stackName(env)} exists, but Aurora deletion protection is still off. ${rerun}: it updates the stack and turns deletion protection on.`
      : `${rerun}: a failed update rolls back to the previous state. If the stack is still in progress (the deploy was interrupted), wait until it settles before rerunning.`,
  });

  console.log(`\nDeploying ${env.name}: ${steps.length} steps. cdk shows its own progress and runs until CloudFormation is done (creating EKS and Aurora takes a long time; nothing here stops it part-way).`);
  for (const [i, step] of steps.entries()) {
    const k = `step ${i + 1} of ${steps.length}`;
    console.log(`\n==> ${k[0].toUpperCase()}${k.slice(1)}: ${step.title}`);
    const outcome = step.run();
    if (outcome.status !== 0) {
      const later = steps.slice(i + 1).map((s) => s.title);
      console.error(`\nDeploy of ${env.name} stopped: ${k} failed (${step.title}: ${outcome.why ?? `exit status ${outcome.status}`}).`);
      if (later.length) console.error(`Not run: ${later.join('; ')}.`);
      console.error(step.retry);
      return outcome.status;
    }
    console.log(`==> ${k} done`);
  }
  console.log(`\nDeployed ${stackName(env)}. Argo CD now syncs argocd/${env.name}/ from ${env.gitops.repoUrl}.`);
  return 0;
}

/** One step of the deploy: what it does, how to run it and what to do when it fails. */
interface Step {
  readonly title: string;
  readonly run: () => { status: number; why?: string };
  readonly retry: string;
}

/** A mirror outside this account's ECR in the region: the AWS CLI cannot look into it, so nothing is copied. */
function notOurMirror(registry: string): { status: number } {
  console.log(`${registry} is not this account's ECR in the region: the deploy neither checks nor fills it.`);
  return { status: 0 };
}

/** Copies what the mirror lacks (charts with helm, images with docker buildx), then looks again. */
function mirrorStep(registry: string, region: string, missing: Check[], plan: ReturnType<typeof mirrorPlan>, recheck: () => Check[]): { status: number; why?: string } {
  if (!missing.length) {
    console.log('Nothing to copy: every chart and image is in the mirror.');
    return { status: 0 };
  }
  const missingRepos = new Set(missing.map((c) => c.detail.replace(/ missing$/, '')));
  try {
    mirrorMissing({
      registry,
      region,
      charts: plan.charts.filter((c) => missingRepos.has(`${c.repository}:${c.version}`)),
      images: plan.images.filter((i) => missingRepos.has(`${i.repository}:${i.tag}`)),
    });
  } catch (e) {
    console.error((e as Error).message);
    return { status: 1, why: 'a copy failed' };
  }
  const still = recheck().filter((c) => !c.ok);
  if (still.length) {
    printChecks(still);
    return { status: 1, why: `the mirror still lacks ${still.length} item(s)` };
  }
  return { status: 0 };
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


