/**
 * `npm run deploy` / `npm run destroy` run the cdk CLI as a terminal would (inherited stdio, no timeout), check each
 * step's exit status, hand the config file to the cdk app, and refuse up front when nobody could answer cdk's
 * approval prompt. A fake `npx` first on PATH stands in for `npx --no-install cdk` and records what it was given;
 * the AWS CLI and Helm are faked as in deploy-preflight.test.ts.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadEnvironments } from '../../manifests-src/config';
import { environments as committed } from '../../manifests-src/config/environments';
import { approvalProblem, cdkInvocation, cdkSpawnOptions, requireApproval, runCdk } from '../../infra/deploy/cdk';
import { ALLOW_EXAMPLES_CONTEXT, DEPLOY_ENVIRONMENT_CONTEXT, placeholderProblems, synthPlaceholderProblems } from '../../infra/deploy/placeholders';
import { FIRST_CREATE_CONTEXT } from '../../infra/lib/first-create';

const ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const FIXTURES = path.join(__dirname, 'fixtures', 'aws');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-command-'));
const bin = path.join(work, 'bin');
fs.mkdirSync(bin);
fs.writeFileSync(path.join(bin, 'aws'), `#!/bin/sh\nexec node ${JSON.stringify(path.join(FIXTURES, 'fake-aws.js'))} "$@"\n`, { mode: 0o755 });
fs.writeFileSync(path.join(bin, 'helm'), '#!/bin/sh\necho "name: ok"\n', { mode: 0o755 });
/**
 * The fake `npx --no-install cdk ...`: appends {args, AIRFLOW_EKS_CONFIG, AWS_REGION, whether fd 0/1 are terminals}
 * to $FAKE_CDK_LOG, writes a line to its own stdout, and exits with <code> when $FAKE_CDK_FAIL ("<code> <words>")
 * names words of its command line.
 */
fs.writeFileSync(
  path.join(bin, 'npx'),
  `#!/usr/bin/env node
const fs = require('node:fs');
const tty = require('node:tty');
const a = process.argv.slice(2);
if (a[0] !== '--no-install' || a[1] !== 'cdk') { console.error('fake npx: not a cdk call: ' + a.join(' ')); process.exit(99); }
const args = a.slice(2);
fs.appendFileSync(process.env.FAKE_CDK_LOG, JSON.stringify({ args, config: process.env.AIRFLOW_EKS_CONFIG ?? null, region: process.env.AWS_REGION, stdinTTY: tty.isatty(0), stdoutTTY: tty.isatty(1) }) + '\\n');
process.stdout.write('FAKE-CDK-OUTPUT ' + args[0] + ' ' + args[1] + '\\n');
const fail = process.env.FAKE_CDK_FAIL;
if (fail) {
  const [code, ...words] = fail.split(' ');
  if (args.join(' ').includes(words.join(' '))) { console.error('FAKE-CDK-FAILED'); process.exit(Number(code)); }
}
`,
  { mode: 0o755 },
);
const cdkLog = path.join(work, 'cdk-calls.jsonl');
const awsLog = path.join(work, 'aws-calls.log');
const fakeEnv = { PATH: `${bin}:${process.env.PATH}`, FAKE_AWS_RESPONSES: path.join(FIXTURES, 'responses.json'), FAKE_AWS_LOG: awsLog, FAKE_CDK_LOG: cdkLog };

interface CdkCallRecord {
  args: string[];
  config: string | null;
  region: string;
  stdinTTY: boolean;
  stdoutTTY: boolean;
}

/** Writes a config file under the repository (so it can be named by a relative path) and removes it after the run. */
const written: string[] = [];
function configFile(envs: unknown[]): string {
  const dir = fs.mkdtempSync(path.join(ROOT, '.deploy-command-test-'));
  written.push(dir);
  const file = path.join(dir, 'config.json');
  fs.writeFileSync(file, JSON.stringify({ environments: envs }));
  return path.relative(ROOT, file);
}

/** One committed environment with real-looking values in place of every example. */
function clean(env: unknown): any {
  const e = JSON.parse(JSON.stringify(env).replaceAll('123456789012', '210987654321').replaceAll('example.com', 'acme-data.io').replaceAll('example.cn', 'acme-data.cn'));
  e.ingress.certificateArn = `arn:${e.aws.partition}:acm:${e.aws.region}:210987654321:certificate/0f1e2d3c-aaaa-bbbb-cccc-123456789abc`;
  return e;
}

/** Runs a command line the way `npm run deploy` does; with `terminal`, under a pseudo-terminal (`script`). */
function runCommand(script: 'cli' | 'destroy', args: string[], opts: { terminal?: boolean; env?: NodeJS.ProcessEnv } = {}) {
  fs.rmSync(cdkLog, { force: true });
  fs.rmSync(awsLog, { force: true });
  const argv = [TSX, `infra/deploy/${script}.ts`, ...args];
  const env: NodeJS.ProcessEnv = { ...process.env, ...fakeEnv, ...opts.env };
  delete env.AIRFLOW_EKS_CONFIG;
  delete env.CI;
  const r = opts.terminal
    ? spawnSync('script', ['-qec', argv.map((a) => `'${a}'`).join(' '), '/dev/null'], { cwd: ROOT, encoding: 'utf8', env, timeout: 300_000 })
    : spawnSync(argv[0], argv.slice(1), { cwd: ROOT, encoding: 'utf8', env, timeout: 300_000 });
  const calls: CdkCallRecord[] = fs.existsSync(cdkLog) ? fs.readFileSync(cdkLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l)) : [];
  const aws = fs.existsSync(awsLog) ? fs.readFileSync(awsLog, 'utf8').trim().split('\n').filter(Boolean) : [];
  return { status: r.status, out: (r.stdout ?? '').replaceAll('\r\n', '\n'), err: r.stderr ?? '', calls, aws };
}

afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
  for (const d of written) fs.rmSync(d, { recursive: true, force: true });
});

describe('the cdk command line and its environment', () => {
  test('deploy: approval broadening, the environment and extra context as -c, options after -- passed on; the config as an absolute AIRFLOW_EKS_CONFIG', () => {
    const inv = cdkInvocation({ command: 'deploy', stack: 'airflow-eks-prod', environment: 'prod', region: 'eu-west-1', configFile: 'my.yaml', context: { [FIRST_CREATE_CONTEXT]: 'true' }, extraArgs: ['--profile', 'x'] }, { PATH: '/bin', AIRFLOW_EKS_CONFIG: 'stale.yaml' });
    expect(inv.cmd).toBe('npx');
    expect(inv.args).toEqual(['--no-install', 'cdk', 'deploy', 'airflow-eks-prod', '--require-approval', 'broadening', '-c', `${DEPLOY_ENVIRONMENT_CONTEXT}=prod`, '-c', `${FIRST_CREATE_CONTEXT}=true`, '--profile', 'x']);
    expect(inv.env).toEqual({ PATH: '/bin', AWS_REGION: 'eu-west-1', AIRFLOW_EKS_CONFIG: path.resolve('my.yaml') });
    expect(path.isAbsolute(inv.env.AIRFLOW_EKS_CONFIG!)).toBe(true);
  });

  test('no --config: the committed config (an inherited AIRFLOW_EKS_CONFIG is not passed on); an approval level given after -- replaces ours', () => {
    const inv = cdkInvocation({ command: 'deploy', stack: 's', environment: 'dev', region: 'us-east-1', extraArgs: ['--require-approval', 'never'] }, { AIRFLOW_EKS_CONFIG: 'x.yaml' });
    expect(inv.env).not.toHaveProperty('AIRFLOW_EKS_CONFIG');
    expect(inv.args.filter((a) => a === '--require-approval')).toHaveLength(1);
    expect(inv.args.slice(-2)).toEqual(['--require-approval', 'never']);
    expect(requireApproval(['--require-approval=any-change'])).toBe('any-change');
    expect(requireApproval([])).toBe('broadening');
  });

  test('destroy: --force (the command asked already) and the environment context', () => {
    expect(cdkInvocation({ command: 'destroy', stack: 'airflow-eks-dev', environment: 'dev', region: 'us-east-1' }, {}).args).toEqual(['--no-install', 'cdk', 'destroy', 'airflow-eks-dev', '--force', '-c', `${DEPLOY_ENVIRONMENT_CONTEXT}=dev`]);
  });
});

describe('running cdk', () => {
  const childProcess = require('node:child_process') as typeof import('node:child_process');
  afterEach(() => jest.restoreAllMocks());

  test('the terminal\'s stdio, no timeout and no kill signal', () => {
    const spy = jest.spyOn(childProcess, 'spawnSync').mockReturnValue({ status: 0, signal: null, pid: 1, output: [], stdout: '', stderr: '' });
    jest.spyOn(console, 'log').mockImplementation(() => {});
    const inv = cdkInvocation({ command: 'deploy', stack: 's', environment: 'dev', region: 'us-east-1', configFile: '/c.yaml' }, { PATH: '/bin' });
    expect(runCdk(inv)).toEqual({ status: 0, why: undefined });
    expect(spy).toHaveBeenCalledTimes(1);
    const [cmd, args, options] = spy.mock.calls[0] as unknown as [string, string[], Record<string, unknown>];
    expect([cmd, args]).toEqual([inv.cmd, inv.args]);
    expect(options).toEqual({ stdio: 'inherit', env: inv.env });
    expect(options).not.toHaveProperty('timeout');
    expect(options).not.toHaveProperty('killSignal');
    expect(cdkSpawnOptions({})).toEqual({ stdio: 'inherit', env: {} });
  });

  test('exit status, a signal and a failure to start are reported as the status to exit with', () => {
    jest.spyOn(console, 'log').mockImplementation(() => {});
    const inv = { cmd: 'npx', args: [], env: {} };
    jest.spyOn(childProcess, 'spawnSync').mockReturnValueOnce({ status: null, signal: 'SIGTERM', pid: 1, output: [], stdout: '', stderr: '' });
    expect(runCdk(inv)).toEqual({ status: 143, why: 'ended by SIGTERM' });
    jest.spyOn(childProcess, 'spawnSync').mockReturnValueOnce({ status: null, signal: null, pid: 0, output: [], stdout: '', stderr: '', error: new Error('spawn npx ENOENT') });
    expect(runCdk(inv)).toMatchObject({ status: 127, why: expect.stringContaining('ENOENT') });
  });

  test('the exit status of a real child (the fake cdk) comes back unchanged', () => {
    const inv = cdkInvocation({ command: 'deploy', stack: 's', environment: 'dev', region: 'us-east-1' }, { ...process.env, ...fakeEnv, FAKE_CDK_FAIL: '7 deploy s' });
    const runner = path.join(work, 'run-cdk.ts');
    fs.writeFileSync(runner, `import { runCdk } from ${JSON.stringify(path.join(ROOT, 'infra', 'deploy', 'cdk'))};\nprocess.exitCode = runCdk(${JSON.stringify(inv)}).status;\n`);
    const r = spawnSync(TSX, [runner], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stdout).toContain('FAKE-CDK-OUTPUT deploy s'); // inherited: the child wrote straight into the runner's stdout
    expect(r.stderr).toContain('FAKE-CDK-FAILED');
    expect(r.status).toBe(7);
  });
});

describe('approval without a terminal', () => {
  test('refused unless both stdin and stdout are terminals or approval is never; the message names the dry run and the never option', () => {
    const ours = ['prod', '--config', 'my conf.yaml'];
    const msg = approvalProblem({ stdin: false, stdout: false }, ours, [])!;
    expect(msg).toContain('stdin and stdout are not terminals');
    expect(msg).toContain("npm run deploy -- prod --config 'my conf.yaml' --dry-run");
    expect(msg).toContain("npm run deploy -- prod --config 'my conf.yaml' -- --require-approval never");
    expect(msg).toContain('Nothing was created');
    expect(approvalProblem({ stdin: true, stdout: false }, ours, [])).toContain('stdout is not a terminal');
    expect(approvalProblem({ stdin: true, stdout: true }, ours, [])).toBeUndefined();
    expect(approvalProblem({ stdin: false, stdout: false }, ours, ['--require-approval', 'never'])).toBeUndefined();
    expect(approvalProblem({}, ours, ['--profile', 'p', '--require-approval', 'any-change'])).toContain('-- --profile p --require-approval never');
  });
});

describe('example values', () => {
  const [dev, prod] = loadEnvironments();
  const realDev = loadEnvironments([clean(committed[0])])[0];

  test('the cdk app checks only the environment being deployed; without that key every environment, unless allowExamples', () => {
    const envs = [realDev, prod];
    const ctx = (c: Record<string, unknown>) => (k: string) => c[k];
    expect(synthPlaceholderProblems(envs, ctx({ [DEPLOY_ENVIRONMENT_CONTEXT]: 'dev' }))).toEqual([]);
    const prodProblems = synthPlaceholderProblems(envs, ctx({ [DEPLOY_ENVIRONMENT_CONTEXT]: 'prod' }));
    expect(prodProblems.length).toBeGreaterThan(0);
    expect(prodProblems.every((p) => p.startsWith('environments[1](prod).'))).toBe(true);
    const all = synthPlaceholderProblems([dev, prod], ctx({}));
    expect(all.some((p) => p.startsWith('environments[0](dev).'))).toBe(true);
    expect(all.some((p) => p.startsWith('environments[1](prod).'))).toBe(true);
    expect(synthPlaceholderProblems([dev, prod], ctx({ [ALLOW_EXAMPLES_CONTEXT]: 'true' }))).toEqual([]);
    expect(synthPlaceholderProblems(envs, ctx({ [DEPLOY_ENVIRONMENT_CONTEXT]: 'stage' }))).toEqual([`${DEPLOY_ENVIRONMENT_CONTEXT}=stage: no such environment in the config (dev, prod)`]);
  });

  test('the example account counts only as an account: a real ARN holding the same digits elsewhere passes', () => {
    const withCert = (arn: string) => loadEnvironments([{ ...clean(committed[0]), ingress: { host: 'airflow.acme-data.io', certificateArn: arn } }])[0];
    expect(placeholderProblems(withCert('arn:aws:acm:us-east-1:210987654321:certificate/123456789012-abcd-4ef0-9abc-0123456789ab'))).toEqual([]);
    const example = placeholderProblems(withCert('arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-123456789abc'));
    expect(example).toEqual([expect.stringMatching(/^environments\(dev\)\.ingress\.certificateArn: contains the example account 123456789012/)]);
    const account = placeholderProblems(loadEnvironments([{ ...clean(committed[0]), aws: { ...clean(committed[0]).aws, account: '111122223333' } }])[0]);
    expect(account.some((p) => p.startsWith('environments(dev).aws.account: contains the example account 111122223333'))).toBe(true);
    const mirror = placeholderProblems(loadEnvironments([{ ...clean(committed[2]), images: { mirrorRegistry: '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn' } }])[0]);
    expect(mirror.some((p) => p.startsWith('environments(prod-cn).images.mirrorRegistry: contains the example account 123456789012'))).toBe(true);
  });
});

describe('npm run deploy against the fake cdk', () => {
  test('from a terminal: each step in order with cdk on the terminal (first create, then the second pass), the config file reaching the app', () => {
    const config = configFile([clean(committed[0]), clean(committed[1]), clean(committed[2])]);
    const r = runCommand('cli', ['prod', '--config', config], { terminal: true });
    expect(r.status).toBe(0);
    const stacks = r.calls.map((c) => c.args.slice(0, 2).join(' '));
    expect(stacks).toEqual(['deploy airflow-eks-registries-us-east-1', 'deploy airflow-eks-prod', 'deploy airflow-eks-prod']);
    expect(r.calls[1].args).toContain(`${FIRST_CREATE_CONTEXT}=true`);
    expect(r.calls[2].args.join(' ')).not.toContain(FIRST_CREATE_CONTEXT);
    for (const c of r.calls) {
      expect(c.args).toEqual(expect.arrayContaining(['--require-approval', 'broadening', '-c', `${DEPLOY_ENVIRONMENT_CONTEXT}=prod`]));
      expect(c.config).toBe(path.join(ROOT, config));
      expect(c.region).toBe('us-east-1');
      // cdk's stdin and stdout are the terminal itself: it can prompt, and its progress is shown as it happens.
      expect([c.stdinTTY, c.stdoutTTY]).toEqual([true, true]);
    }
    // cdk's own output passes through, each inside its step.
    const at = (s: string) => r.out.indexOf(s);
    expect(at('Step 1 of 3: cdk deploy airflow-eks-registries-us-east-1')).toBeGreaterThan(0);
    expect(at('FAKE-CDK-OUTPUT deploy airflow-eks-registries-us-east-1')).toBeGreaterThan(at('Step 1 of 3'));
    expect(at('Step 2 of 3: cdk deploy airflow-eks-prod, first create')).toBeGreaterThan(at('FAKE-CDK-OUTPUT deploy airflow-eks-registries'));
    expect(at('Step 3 of 3: cdk deploy airflow-eks-prod, second pass')).toBeGreaterThan(at('Step 2 of 3'));
    expect(r.out.split('FAKE-CDK-OUTPUT deploy airflow-eks-prod')).toHaveLength(3);
    expect(r.out).toContain('Deployed airflow-eks-prod.');
  }, 300_000);

  test('a failed step stops the deploy with its exit status, naming the step and how to retry; stdio is inherited without a terminal too', () => {
    const config = configFile([clean(committed[0]), clean(committed[1])]);
    const r = runCommand('cli', ['dev', '--config', config, '--', '--require-approval', 'never'], { env: { FAKE_CDK_FAIL: `7 ${FIRST_CREATE_CONTEXT}=true` } });
    expect(r.status).toBe(7);
    expect(r.calls.map((c) => c.args.slice(0, 2).join(' '))).toEqual(['deploy airflow-eks-registries-us-east-1', 'deploy airflow-eks-dev']);
    expect(r.calls[1].args).toContain(`${FIRST_CREATE_CONTEXT}=true`);
    expect(r.calls.every((c) => c.args.filter((a) => a === '--require-approval').length === 1 && c.args.includes('never'))).toBe(true);
    // Not piped through us: the fake's stdout and stderr land on ours as it wrote them.
    expect(r.out).toContain('FAKE-CDK-OUTPUT deploy airflow-eks-registries-us-east-1');
    expect(r.err).toContain('FAKE-CDK-FAILED');
    expect(r.err).toContain('step 2 of 3 failed (cdk deploy airflow-eks-dev, first create');
    expect(r.err).toContain('exit status 7');
    expect(r.err).toContain('Not run: cdk deploy airflow-eks-dev, second pass');
    expect(r.err).toContain(`npm run deploy -- dev --config ${config} -- --require-approval never again`);
    expect(r.out).not.toContain('Deployed airflow-eks-dev');

    const first = runCommand('cli', ['dev', '--config', config, '--', '--require-approval', 'never'], { env: { FAKE_CDK_FAIL: '3 airflow-eks-registries' } });
    expect(first.status).toBe(3);
    expect(first.calls).toHaveLength(1);
    expect(first.err).toContain('step 1 of 3 failed');
    expect(first.err).toContain('airflow-eks-dev was not touched');
  }, 300_000);

  test('without a terminal and without --require-approval never: refused before any AWS call or cdk run', () => {
    const config = configFile([clean(committed[0]), clean(committed[1])]);
    const r = runCommand('cli', ['prod', '--config', config]);
    expect(r.status).toBe(2);
    expect(r.err).toContain('stdin and stdout are not terminals');
    expect(r.err).toContain(`npm run deploy -- prod --config ${config} --dry-run`);
    expect(r.err).toContain(`npm run deploy -- prod --config ${config} -- --require-approval never`);
    expect(r.calls).toEqual([]);
    expect(r.aws).toEqual([]);
  });
});

describe('npm run destroy against the fake cdk', () => {
  test('lists what is kept, then cdk destroy of the stack named by stackName() with the config file; its exit status is the command\'s', () => {
    const config = configFile([clean(committed[0]), clean(committed[1])]);
    const r = runCommand('destroy', ['prod', '--config', config], { env: { CONFIRM: 'airflow-eks-prod', FAKE_CDK_FAIL: '5 destroy' } });
    expect(r.out).toMatch(/Deleting airflow-eks-prod keeps \d+ resources/);
    expect(r.calls).toHaveLength(1);
    expect(r.calls[0]).toMatchObject({ args: ['destroy', 'airflow-eks-prod', '--force', '-c', `${DEPLOY_ENVIRONMENT_CONTEXT}=prod`], config: path.join(ROOT, config), region: 'us-east-1' });
    expect(r.out).toContain('FAKE-CDK-OUTPUT destroy airflow-eks-prod');
    expect(r.status).toBe(5);
    expect(r.err).toContain('step 1 of 1 failed (cdk destroy airflow-eks-prod: exit status 5)');
    expect(r.err).toContain(`npm run destroy -- prod --config ${config} again`);
  }, 300_000);

  test('without CONFIRM and without a terminal nothing is deleted; example values are refused before anything', () => {
    const config = configFile([clean(committed[0]), clean(committed[1])]);
    const r = runCommand('destroy', ['dev', '--config', config]);
    expect(r.status).toBe(1);
    expect(r.err).toContain(`CONFIRM=airflow-eks-dev npm run destroy -- dev --config ${config}`);
    expect(r.calls).toEqual([]);
    const examples = runCommand('destroy', ['dev'], { env: { CONFIRM: 'airflow-eks-dev' } });
    expect(examples.status).toBe(2);
    expect(examples.err).toContain('environments(dev).aws.account');
    expect(examples.calls).toEqual([]);
  }, 300_000);
});

describe('the cdk app (infra/bin/app.ts) as the cdk CLI runs it', () => {
  const out = path.join(work, 'cdk.out');
  const app = (config: string, context: Record<string, unknown>) =>
    spawnSync(TSX, ['infra/bin/app.ts'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 240_000,
      env: { ...process.env, AIRFLOW_EKS_CONFIG: path.join(ROOT, config), CDK_OUTDIR: out, CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:disable-asset-staging': true, ...context }) },
    });

  test('reads AIRFLOW_EKS_CONFIG; example values in another environment do not block the one being deployed', () => {
    const dev = clean(committed[0]);
    dev.infra.vpc.cidr = '10.77.0.0/16';
    // prod keeps every example value, the example account among them (so a registries stack of its own in the same
    // region); prod-cn has the real account but example hosts and no certificate.
    const cn = JSON.parse(JSON.stringify(committed[2]).replaceAll('123456789012', '210987654321'));
    const config = configFile([dev, committed[1], cn]);
    const refused = app(config, {});
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('environments[1](prod).aws.account');
    expect(refused.stderr).toContain('environments[2](prod-cn).ingress.host');
    expect(refused.stderr).not.toContain('environments[0](dev)');

    const r = app(config, { [DEPLOY_ENVIRONMENT_CONTEXT]: 'dev' });
    expect(r.stderr).not.toContain('invalid configuration');
    expect(r.status).toBe(0);
    const template = JSON.parse(fs.readFileSync(path.join(out, 'airflow-eks-dev.template.json'), 'utf8')) as { Resources: Record<string, { Type: string; Properties?: { CidrBlock?: string } }> };
    expect(Object.values(template.Resources).filter((x) => x.Type === 'AWS::EC2::VPC').map((x) => x.Properties?.CidrBlock)).toEqual(['10.77.0.0/16']);
    // The stacks of dev's account and region only (its registries stack and the environments sharing it), as the
    // dry run synthesizes them: prod's registries stack in another account bears the same name.
    const stacks = fs.readdirSync(out).filter((f) => f.endsWith('.template.json')).sort();
    expect(stacks).toEqual(['airflow-eks-dev.template.json', 'airflow-eks-registries-us-east-1.template.json']);

    const other = app(config, { [DEPLOY_ENVIRONMENT_CONTEXT]: 'prod' });
    expect(other.status).toBe(2);
    expect(other.stderr).toContain('environments[1](prod).aws.account');
    expect(other.stderr).not.toContain('prod-cn');
  }, 300_000);
});
