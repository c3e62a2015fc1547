/**
 * `npm run rehearse:deploy -- [env] [--json FILE] [--no-probe]` (default dev): rehearses what `npm run deploy`
 * does with the real cdk CLI against the AWS emulator (moto's server on a free loopback port): bootstrap, the
 * registries stack, the environment stack (first create), then on failure the stack events and the first failed
 * resource, one retry, destroy and a redeploy. Prints each step with its exit status, duration and the stack
 * status after it; moto is always stopped. Every step has a time limit and the report names a step that hit it.
 *
 * The cdk CLI's exit status alone is not trusted: moto 5.1 has no rollback and marks a stack CREATE_COMPLETE even
 * when creating one of its resources raised inside the emulator (HTTP 500), and it skips resource types it has no
 * model for. A step passes only when the CLI, the emulator's log and the stack's resources all agree.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadEnvironments, type EnvironmentConfig } from '../../manifests-src/config';
import { stackName } from '../lib/airflow-eks-stack';
import { FIRST_CREATE_CONTEXT } from '../lib/first-create';
import { registriesStackName } from '../lib/registries';
import { AwsCli } from '../deploy/aws-cli';
import { accountChecks, type StackState } from '../deploy/preflight';
import { freePort, LOOPBACK, portInUse } from '../../local/ports';

const ROOT = path.resolve(__dirname, '..', '..');
const TOOLS_BIN = path.join(ROOT, '.venv', 'local-tools', 'bin');
const INSPECT = path.join(__dirname, 'emulator-inspect.py');
const ALLOW_EXAMPLES = 'airflow-eks:allowExamples=true';

/** Time limits (seconds) per kind of step: generous, so only a hang hits them. */
export const LIMITS = { emulator: 60, synth: 420, bootstrap: 300, deploy: 600, destroy: 300, inspect: 120 } as const;

export type StackStatus = { status: string; reason?: string | null } | null;

/** An error raised inside the emulator while it served a request (an HTTP 500 with a Python traceback). */
export interface EmulatorError {
  /** The exception line, e.g. `KeyError: 'TagKey'`. */
  readonly exception: string;
  /** Innermost frame inside the emulator, relative to its package (`moto/utilities/tagging_service.py:60`). */
  readonly where: string;
  /** The CloudFormation API action being served (from the frames), e.g. execute_change_set. */
  readonly action?: string;
  /** Frame of a resource model's create_from_cloudformation_json, when a resource was being created. */
  readonly createFrame?: string;
  /** The resource type that frame belongs to. */
  type?: string;
}

export interface StepResult {
  readonly name: string;
  readonly command: string;
  readonly exit: number | null;
  readonly timedOut: boolean;
  readonly seconds: number;
  /** The step did what it should, judged by the CLI, the emulator's log and the stack's resources. */
  ok: boolean;
  /** One line: why the step counts as ok or not. */
  verdict: string;
  /** Status of every stack the rehearsal touches, after the step (null: absent). */
  stacks: Record<string, StackStatus>;
  readonly emulatorErrors: EmulatorError[];
  /** Resource types the emulator skipped in this step (moto's "No Moto CloudFormation support for X"), in order. */
  readonly skippedTypes: string[];
  /** Last lines of the CLI's output with an error in them. */
  readonly errorLines: string[];
}

export interface FirstFailure {
  readonly step: string;
  readonly type: string;
  readonly logicalIds: string[];
  readonly reason: string;
  /** stack-event: a *_FAILED CloudFormation event; emulator-error: a traceback inside the emulator. */
  readonly source: 'stack-event' | 'emulator-error' | 'cli';
  /** False when the failure is inside the emulator (the template and parameters were accepted). */
  readonly ours: boolean;
  readonly why: string;
}

export interface RehearsalReport {
  readonly env: string;
  readonly account: string;
  readonly region: string;
  emulator: { port: number; version: string; reportedAccount?: string };
  readonly steps: StepResult[];
  assets?: { stack: string; expected: number; published: number; missing: string[]; dockerImages: number };
  events?: Array<{ logicalId: string; type: string; status: string; reason?: string | null }>;
  firstFailure?: FirstFailure;
  /** Template resource types: moto has a model ('model'), runs them as custom resources ('custom') or has none. */
  support?: Record<string, 'model' | 'custom' | 'none'>;
  /** The first type the emulator lacks that it met while creating (any step, including the probe). */
  firstUnsupportedType?: string;
  /** The first resource, in template order, of a type the emulator has no model for (when it met none itself). */
  firstUnsupportedInTemplate?: { logicalId: string; type: string };
  retry?: { before: StackStatus; firstCreate: boolean; outcome: string };
  probe?: { sidestep: string; ok: boolean; error?: string; skippedTypes: string[]; emulatorErrors: EmulatorError[]; note?: string; stackStatus: StackStatus };
  timedOutStep?: string;
  seconds: number;
}

interface Ctx {
  readonly env: EnvironmentConfig;
  readonly work: string;
  readonly endpoint: string;
  readonly childEnv: NodeJS.ProcessEnv;
  readonly motoLog: string;
  readonly stacks: string[];
  readonly report: RehearsalReport;
  readonly log: (line: string) => void;
  readonly deployLimit: number;
}

/** Environment of every child: static credentials, the emulator's endpoint, nothing of the caller's AWS setup. */
function childEnvironment(endpoint: string, region: string, work: string): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !/^(https?|no|all)_proxy$/i.test(k)));
  return {
    ...base,
    AWS_ACCESS_KEY_ID: 'rehearsal',
    AWS_SECRET_ACCESS_KEY: 'rehearsal',
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ENDPOINT_URL: endpoint,
    // The CLI builds the TemplateURL it hands CloudFormation from the S3 endpoint (this override, else
    // AWS_ENDPOINT_URL). moto reads a path-style URL only from localhost or s3*.amazonaws.com hosts (from
    // http://127.0.0.1:PORT it takes "127" as the bucket), so the URL gets the form real CloudFormation receives;
    // the emulator resolves it from its own S3 and nothing connects to that host.
    AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION: `https://s3.${region}.amazonaws.com`,
    AWS_CONFIG_FILE: path.join(work, 'aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(work, 'aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    // Only the emulator is reached: no version check, telemetry or notices from the cdk CLI.
    CDK_DISABLE_VERSION_CHECK: '1',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
  };
}

/** Runs a command with a time limit; kills its whole process group when the limit is hit. */
function runBounded(cmd: string, args: string[], env: NodeJS.ProcessEnv, limitSeconds: number, logFile: string): Promise<{ exit: number | null; timedOut: boolean; seconds: number; output: string }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const out = fs.openSync(logFile, 'w');
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', out, out], detached: true });
    let timedOut = false;
    const kill = (sig: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, sig);
      } catch {
        /* already gone */
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill('SIGTERM');
      setTimeout(() => kill('SIGKILL'), 5000).unref();
    }, limitSeconds * 1000);
    const done = (exit: number | null) => {
      clearTimeout(timer);
      fs.closeSync(out);
      resolve({ exit, timedOut, seconds: (Date.now() - started) / 1000, output: fs.readFileSync(logFile, 'utf8') });
    };
    child.on('error', () => done(null));
    child.on('exit', (code) => done(code));
  });
}

/** One question to the emulator through boto3 (the local-tools interpreter). */
function inspect<T>(ctx: Pick<Ctx, 'endpoint' | 'env' | 'childEnv'>, op: string, ...args: string[]): T {
  const r = spawnSync(path.join(TOOLS_BIN, 'python'), [INSPECT, ctx.endpoint, ctx.env.aws.region, op, ...args], { encoding: 'utf8', env: ctx.childEnv, timeout: LIMITS.inspect * 1000 });
  if (r.status !== 0) throw new Error(`emulator inspect ${op} failed: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`);
  return JSON.parse(r.stdout) as T;
}

/** What the CLI was waiting for when it was stopped (its -v output). */
function lastWait(output: string): string {
  const waits = output.split('\n').filter((l) => /Waiting for|waiting/.test(l));
  return waits.length ? `; last: ${waits[waits.length - 1].replace(/^\[[\d:]+\]\s*/, '').trim().slice(0, 160)}` : '';
}

/** Errors raised inside the emulator and the types it skipped, from a slice of its log. */
export function parseEmulatorLog(text: string): { errors: EmulatorError[]; skippedTypes: string[] } {
  const skippedTypes = [...text.matchAll(/^No Moto CloudFormation support for (\S+)/gm)].map((m) => m[1]);
  const errors: EmulatorError[] = [];
  for (const chunk of text.split(/^Error on request:$/m).slice(1)) {
    const lines = chunk.split('\n');
    const frames = [...chunk.matchAll(/File "([^"]+)", line (\d+), in (\S+)/g)].map((m) => ({ file: m[1].replace(/^.*site-packages\//, ''), line: Number(m[2]), fn: m[3] }));
    const exception = lines.find((l) => /^[A-Za-z_][\w.]*(Error|Exception|Exit)\b/.test(l)) ?? '(no exception line)';
    const inEmulator = frames.filter((f) => f.file.startsWith('moto/'));
    const last = inEmulator[inEmulator.length - 1] ?? frames[frames.length - 1];
    const create = frames.find((f) => f.fn === 'create_from_cloudformation_json');
    const action = frames.find((f) => f.file === 'moto/cloudformation/responses.py' && f.fn !== '_dispatch' && f.fn !== 'dispatch' && f.fn !== 'call_action');
    errors.push({ exception, where: last ? `${last.file}:${last.line}` : '?', action: action?.fn, createFrame: create ? `${create.file}:${create.line}` : undefined });
  }
  return { errors, skippedTypes };
}

function readSlice(file: string, from: number): string {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const buf = Buffer.alloc(Math.max(0, size - from));
    fs.readSync(fd, buf, 0, buf.length, from);
    return buf.toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

function stackStatuses(ctx: Ctx): Record<string, StackStatus> {
  try {
    return inspect<Record<string, StackStatus>>(ctx, 'stacks', ...ctx.stacks);
  } catch (e) {
    return Object.fromEntries(ctx.stacks.map((s) => [s, { status: 'UNREADABLE', reason: (e as Error).message }]));
  }
}

/** Runs one step of the cdk CLI and judges it. */
async function cdkStep(ctx: Ctx, name: string, args: string[], limit: number, judge?: (r: StepResult) => void): Promise<StepResult> {
  const from = fs.statSync(ctx.motoLog).size;
  const full = ['--no-install', 'cdk', ...args, '--no-notices'];
  ctx.log(`--> ${name}: cdk ${args.join(' ')}`);
  const r = await runBounded('npx', full, ctx.childEnv, limit, path.join(ctx.work, `${ctx.report.steps.length + 1}-${name}.log`));
  const { errors, skippedTypes } = parseEmulatorLog(readSlice(ctx.motoLog, from));
  const errorLines = r.output.split('\n').filter((l) => /❌|error|failed|Exception|does not exist/i.test(l) && !/NodeVersionSupportWarning|^\[\d\d:\d\d:\d\d\]|^\s|^['"{}[\]]/.test(l)).slice(-5).map((l) => l.trim());
  const step: StepResult = {
    name,
    command: `cdk ${args.map((a) => (a.startsWith(ctx.work) ? `<work>/${path.relative(ctx.work, a)}` : a)).join(' ')}`,
    exit: r.exit,
    timedOut: r.timedOut,
    seconds: Math.round(r.seconds * 10) / 10,
    ok: r.exit === 0 && !r.timedOut && errors.length === 0,
    verdict: r.timedOut ? `timed out after ${limit} s${lastWait(r.output)}` : r.exit !== 0 ? `cdk exited ${r.exit}` : errors.length ? `cdk exited 0 but the emulator raised ${errors.length} internal error(s)` : 'cdk exited 0, no emulator error',
    stacks: stackStatuses(ctx),
    emulatorErrors: errors,
    skippedTypes,
    errorLines,
  };
  judge?.(step);
  if (r.timedOut && !ctx.report.timedOutStep) ctx.report.timedOutStep = name;
  ctx.report.steps.push(step);
  ctx.log(`    ${step.ok ? 'ok  ' : 'FAIL'} exit=${step.exit} ${step.seconds}s  ${step.verdict}`);
  return step;
}

/** State of the environment stack as the deploy command's preflight sees it (the AWS CLI), or from the emulator. */
function stackState(ctx: Ctx): { state: StackState; via: string } {
  if (spawnSync('aws', ['--version'], { stdio: 'ignore', env: ctx.childEnv }).status === 0) {
    const { state } = accountChecks(ctx.env, new AwsCli(ctx.env.aws.region, ctx.childEnv));
    return { state, via: 'preflight accountChecks (AWS CLI)' };
  }
  const s = stackStatuses(ctx)[stackName(ctx.env)];
  const status = s?.status ?? '';
  const state: StackState = !s ? 'absent' : status === 'ROLLBACK_COMPLETE' ? 'rollback-complete' : /_COMPLETE$/.test(status) && !/^DELETE/.test(status) ? 'ready' : 'busy-or-failed';
  return { state, via: 'the emulator (no AWS CLI on PATH)' };
}

/** Synthesizes the app once per context (the deploy command's cdk synthesizes before each deploy; same inputs). */
async function assembly(ctx: Ctx, firstCreate: boolean): Promise<string | undefined> {
  const dir = path.join(ctx.work, firstCreate ? 'cdk.out-first-create' : 'cdk.out');
  if (fs.existsSync(path.join(dir, 'manifest.json'))) return dir;
  const ctxArgs = ['-c', ALLOW_EXAMPLES, ...(firstCreate ? ['-c', `${FIRST_CREATE_CONTEXT}=true`] : [])];
  const step = await cdkStep(ctx, firstCreate ? 'synth (first create)' : 'synth', ['synth', ...ctxArgs, '-o', dir, '--quiet'], LIMITS.synth);
  return step.ok ? dir : undefined;
}

/** The environment stack's deploy, judged by the stack's resources as well as the CLI. */
async function deployEnv(ctx: Ctx, name: string): Promise<{ step?: StepResult; firstCreate: boolean; before: StackStatus }> {
  const env = stackName(ctx.env);
  const before = stackStatuses(ctx)[env];
  const { state, via } = stackState(ctx);
  const firstCreate = state === 'absent' || state === 'rollback-complete';
  ctx.log(`    stack state before ${name}: ${state} (${via}) -> ${firstCreate ? 'first create' : 'update'}`);
  const app = await assembly(ctx, firstCreate);
  if (!app) return { firstCreate, before };
  const step = await cdkStep(ctx, name, ['deploy', env, '--app', app, '--require-approval', 'never', '-v'], ctx.deployLimit, (s) => {
    const status = s.stacks[env]?.status ?? 'absent';
    if (s.ok && !/(CREATE|UPDATE)_COMPLETE$/.test(status)) {
      s.ok = false;
      s.verdict = `cdk exited 0 but the stack is ${status}`;
    }
    if (s.ok) {
      const resources = inspect<unknown>(ctx, 'resources', env);
      if (!Array.isArray(resources)) {
        s.ok = false;
        s.verdict = `cdk exited 0 but the emulator cannot list the stack's resources: ${JSON.stringify((resources as { error: unknown }).error)}`;
      }
    }
  });
  return { step, firstCreate, before };
}

function templateOf(app: string, stack: string): { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> } {
  return JSON.parse(fs.readFileSync(path.join(app, `${stack}.template.json`), 'utf8'));
}

/** Names the first failed resource of a failed environment deploy: a *_FAILED event, else the emulator's error. */
function firstFailure(ctx: Ctx, step: StepResult, app: string): FirstFailure | undefined {
  const env = stackName(ctx.env);
  const events = inspect<Array<{ logicalId: string; type: string; status: string; reason?: string | null }> | { error: unknown }>(ctx, 'events', env);
  if (Array.isArray(events)) {
    ctx.report.events = events;
    const failed = events.find((e) => /_FAILED$/.test(e.status) && e.type !== 'AWS::CloudFormation::Stack');
    if (failed) {
      const ours = !/not supported|unsupported|not implemented/i.test(failed.reason ?? '');
      return { step: step.name, type: failed.type, logicalIds: [failed.logicalId], reason: failed.reason ?? '', source: 'stack-event', ours, why: 'first *_FAILED stack event' };
    }
  }
  const template = templateOf(app, env);
  const err = step.emulatorErrors.find((e) => e.createFrame) ?? step.emulatorErrors[0];
  if (err) {
    if (err.createFrame) err.type = inspect<string | null>(ctx, 'locate', path.join(app, `${env}.template.json`), err.createFrame) ?? undefined;
    const type = err.type ?? '(unknown type)';
    const logicalIds = Object.entries(template.Resources).filter(([, r]) => r.Type === type).map(([id]) => id);
    return {
      step: step.name,
      type,
      logicalIds,
      reason: `${err.exception} at ${err.where}${err.action ? ` (serving ${err.action})` : ''}`,
      source: 'emulator-error',
      ours: false,
      why: `the CLI's change set was accepted (template and parameters valid); creating ${type} raised inside the emulator (${err.createFrame ?? err.where}), an HTTP 500, not a CloudFormation validation error`,
    };
  }
  if (step.errorLines.length) return { step: step.name, type: '(none named)', logicalIds: [], reason: step.errorLines[step.errorLines.length - 1], source: 'cli', ours: true, why: 'the CLI failed without an emulator error or a failed stack event' };
  return undefined;
}

/** Every file asset of the stack's manifest in the bootstrap bucket, as the CLI published it. */
function checkAssets(ctx: Ctx, app: string): RehearsalReport['assets'] {
  const stack = stackName(ctx.env);
  const manifest = JSON.parse(fs.readFileSync(path.join(app, `${stack}.assets.json`), 'utf8')) as {
    files: Record<string, { destinations: Record<string, { bucketName: string; objectKey: string }> }>;
    dockerImages?: Record<string, unknown>;
  };
  const wanted = Object.values(manifest.files).flatMap((f) => Object.values(f.destinations));
  const byBucket = new Map<string, Array<{ key: string; size: number }>>();
  const missing: string[] = [];
  for (const d of wanted) {
    if (!byBucket.has(d.bucketName)) {
      const objects = inspect<Array<{ key: string; size: number }> | { error: unknown }>(ctx, 'objects', d.bucketName);
      byBucket.set(d.bucketName, Array.isArray(objects) ? objects : []);
    }
    if (!byBucket.get(d.bucketName)!.some((o) => o.key === d.objectKey && o.size > 0)) missing.push(`${d.bucketName}/${d.objectKey}`);
  }
  return { stack, expected: wanted.length, published: wanted.length - missing.length, missing, dockerImages: Object.keys(manifest.dockerImages ?? {}).length };
}

/**
 * Beyond an emulator error in tag handling: CreateStack on the emulator with the same template, tags of the
 * failing type removed, to see which type the emulator meets next that it lacks. Not the deploy's template.
 */
function probe(ctx: Ctx, app: string, failure: FirstFailure): RehearsalReport['probe'] {
  if (failure.source !== 'emulator-error' || !/tag/i.test(failure.reason)) return undefined;
  const env = stackName(ctx.env);
  const template = templateOf(app, env);
  for (const r of Object.values(template.Resources)) if (r.Type === failure.type) delete r.Properties?.Tags;
  const file = path.join(ctx.work, 'probe.template.json');
  fs.writeFileSync(file, JSON.stringify(template));
  const from = fs.statSync(ctx.motoLog).size;
  const bucket = `cdk-hnb659fds-assets-${ctx.env.aws.account}-${ctx.env.aws.region}`;
  const name = `${env}-probe`;
  const r = inspect<{ ok: boolean; error?: { code: string; message: string } }>(ctx, 'create', name, bucket, 'rehearsal-probe.template.json', file);
  const { errors, skippedTypes } = parseEmulatorLog(readSlice(ctx.motoLog, from));
  let note: string | undefined;
  const undefinedRef = /references undefined resource (\S+)/.exec(r.error?.message ?? '');
  if (undefinedRef) {
    const target = template.Resources[undefinedRef[1]];
    note = target ? `${undefinedRef[1]} is defined in the template (${target.Type}): the emulator lost it, the template is not at fault` : `${undefinedRef[1]} is not in the template`;
  }
  const status = inspect<Record<string, StackStatus>>(ctx, 'stacks', name)[name];
  return { sidestep: `Tags removed from every ${failure.type}`, ok: r.ok, error: r.error ? `${r.error.code}: ${r.error.message}` : undefined, skippedTypes, emulatorErrors: errors, note, stackStatus: status };
}

async function startEmulator(ctx: Pick<Ctx, 'motoLog'>, port: number): Promise<{ pid: number; stop: () => void }> {
  const out = fs.openSync(ctx.motoLog, 'a');
  const child = spawn(path.join(TOOLS_BIN, 'moto_server'), ['-H', LOOPBACK, '-p', String(port)], { stdio: ['ignore', out, out], detached: true, env: { ...process.env, PYTHONUNBUFFERED: '1' } });
  fs.closeSync(out);
  let exited = false;
  child.on('exit', () => (exited = true));
  const stop = () => {
    if (exited) return;
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      /* gone */
    }
  };
  const deadline = Date.now() + LIMITS.emulator * 1000;
  while (!(await portInUse(port))) {
    if (exited || Date.now() > deadline) {
      stop();
      throw new Error(`the emulator did not listen on ${LOOPBACK}:${port} within ${LIMITS.emulator} s${exited ? ' (it exited)' : ''}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { pid: child.pid!, stop };
}

export interface RehearsalOptions {
  readonly env?: string;
  /** Run the probe past an emulator error in tag handling. @default true */
  readonly probe?: boolean;
  readonly log?: (line: string) => void;
  /** Time limit of each environment deploy, seconds (one takes ~15 s on the emulator). @default LIMITS.deploy */
  readonly deployLimit?: number;
}

export async function rehearseDeploy(options: RehearsalOptions = {}): Promise<RehearsalReport> {
  const started = Date.now();
  const log = options.log ?? ((l: string) => console.log(l));
  const env = loadEnvironments().find((e) => e.name === (options.env ?? 'dev'));
  if (!env) throw new Error(`unknown environment ${options.env}`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-rehearsal-'));
  const motoLog = path.join(work, 'emulator.log');
  fs.writeFileSync(motoLog, '');
  const port = await freePort();
  const endpoint = `http://${LOOPBACK}:${port}`;
  const version = spawnSync(path.join(TOOLS_BIN, 'python'), ['-c', 'import moto; print(moto.__version__)'], { encoding: 'utf8' }).stdout.trim();
  const report: RehearsalReport = { env: env.name, account: env.aws.account, region: env.aws.region, emulator: { port, version }, steps: [], seconds: 0 };
  const ctx: Ctx = { env, work, endpoint, motoLog, log, report, deployLimit: options.deployLimit ?? LIMITS.deploy, childEnv: childEnvironment(endpoint, env.aws.region, work), stacks: ['CDKToolkit', registriesStackName(env), stackName(env)] };
  log(`emulator: moto ${version} on ${endpoint}; environment ${env.name} (${env.aws.account}/${env.aws.region})`);
  const emulator = await startEmulator(ctx, port);
  const onSignal = () => {
    emulator.stop();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    report.emulator.reportedAccount = inspect<string>(ctx, 'identity');
    log(`    the emulator reports account ${report.emulator.reportedAccount}${report.emulator.reportedAccount === env.aws.account ? ' (the config\'s account)' : ` (the config says ${env.aws.account})`}`);
    const first = await assembly(ctx, true);
    if (!first) return report;
    const boot = await cdkStep(ctx, 'bootstrap', ['bootstrap', `aws://${env.aws.account}/${env.aws.region}`, '--app', first], LIMITS.bootstrap);
    if (!boot.ok) return report;
    await cdkStep(ctx, 'deploy registries', ['deploy', registriesStackName(env), '--app', first, '--require-approval', 'never'], LIMITS.deploy, (s) => {
      const status = s.stacks[registriesStackName(env)]?.status;
      if (s.ok && status !== 'CREATE_COMPLETE' && status !== 'UPDATE_COMPLETE') {
        s.ok = false;
        s.verdict = `cdk exited 0 but the stack is ${status}`;
      }
    });
    ctx.report.support = inspect<Record<string, 'model' | 'custom' | 'none'>>(ctx, 'support', path.join(first, `${stackName(env)}.template.json`));

    const deploy = await deployEnv(ctx, 'deploy environment');
    if (deploy.step && deploy.step.exit === 0) report.assets = checkAssets(ctx, first);
    if (deploy.step && !deploy.step.ok) {
      report.firstFailure = firstFailure(ctx, deploy.step, first);
      if (report.firstFailure) log(`    first failed resource: ${report.firstFailure.type} [${report.firstFailure.logicalIds.join(', ')}]: ${report.firstFailure.reason}`);
      const retry = await deployEnv(ctx, 'retry environment');
      const after = retry.step?.stacks[stackName(env)];
      report.retry = {
        before: retry.before,
        firstCreate: retry.firstCreate,
        outcome: !retry.step ? 'not run (synth failed)' : `${retry.firstCreate ? 'first create' : 'update'} from ${retry.before?.status ?? 'absent'}: ${retry.step.verdict}; stack ${after?.status ?? 'absent'}`,
      };
    } else if (deploy.step?.ok && deploy.firstCreate) {
      await deployEnv(ctx, 'second pass (deletion protection)');
    }
    if (deploy.step) {
      await cdkStep(ctx, 'destroy environment', ['destroy', stackName(env), '--app', first, '--force'], LIMITS.destroy, (s) => {
        const status = s.stacks[stackName(env)]?.status;
        if (s.ok && status && status !== 'DELETE_COMPLETE') {
          s.ok = false;
          s.verdict = `cdk exited 0 but the stack is ${status}`;
        }
      });
      await deployEnv(ctx, 'redeploy environment');
    }
    if (options.probe !== false && report.firstFailure) report.probe = probe(ctx, first, report.firstFailure);
    const skipped = [...report.steps.flatMap((s) => s.skippedTypes), ...(report.probe?.skippedTypes ?? [])].filter((t) => t !== 'AWS::CDK::Metadata' && report.support?.[t] === 'none');
    report.firstUnsupportedType = skipped[0];
    const lacking = Object.entries(templateOf(first, stackName(env)).Resources).find(([, r]) => r.Type !== 'AWS::CDK::Metadata' && report.support?.[r.Type] === 'none');
    if (lacking) report.firstUnsupportedInTemplate = { logicalId: lacking[0], type: lacking[1].Type };
    return report;
  } finally {
    emulator.stop();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    report.seconds = Math.round((Date.now() - started) / 100) / 10;
    if (!process.env.KEEP_REHEARSAL) fs.rmSync(work, { recursive: true, force: true });
  }
}

export function formatReport(r: RehearsalReport): string {
  const out: string[] = [];
  const st = (s: StackStatus) => (s ? s.status : 'absent');
  out.push(`Deploy rehearsal of ${r.env} (${r.account}/${r.region}) against moto ${r.emulator.version}; the emulator reports account ${r.emulator.reportedAccount ?? '?'}`);
  out.push('');
  out.push(`${'step'.padEnd(36)} ${'exit'.padEnd(5)} ${'time'.padStart(7)}  result  stacks after (CDKToolkit / registries / environment)`);
  for (const s of r.steps) {
    const stacks = Object.values(s.stacks).map(st).join(' / ');
    out.push(`${s.name.padEnd(36)} ${String(s.timedOut ? 'T/O' : s.exit).padEnd(5)} ${`${s.seconds}s`.padStart(7)}  ${s.ok ? 'ok    ' : 'FAILED'}  ${stacks}`);
    if (!s.ok) out.push(`${''.padEnd(38)}${s.verdict}`);
    for (const e of s.emulatorErrors) out.push(`${''.padEnd(38)}emulator error: ${e.exception} at ${e.where}${e.createFrame ? ` creating a resource (${e.createFrame})` : ''}`);
    if (s.skippedTypes.length) out.push(`${''.padEnd(38)}emulator skipped (no model): ${[...new Set(s.skippedTypes)].join(', ')}`);
    for (const l of s.ok ? [] : s.errorLines.slice(-2)) out.push(`${''.padEnd(38)}cli: ${l.slice(0, 160)}`);
  }
  if (r.timedOutStep) out.push(`\nTIMED OUT: ${r.timedOutStep}`);
  if (r.assets) out.push(`\nAsset publishing (${r.assets.stack}): ${r.assets.published}/${r.assets.expected} file assets in the bootstrap bucket${r.assets.missing.length ? `; missing ${r.assets.missing.join(', ')}` : ''}; ${r.assets.dockerImages} image assets`);
  if (r.firstFailure) {
    const f = r.firstFailure;
    out.push(`\nFirst failed resource (${f.step}): ${f.type} ${f.logicalIds.length > 1 ? `(one of ${f.logicalIds.join(', ')})` : f.logicalIds.join('')}`);
    out.push(`  reason: ${f.reason}`);
    out.push(`  ${f.ours ? 'OURS' : 'emulator'}: ${f.why}`);
  }
  if (r.events) out.push(`  stack events: ${r.events.map((e) => `${e.logicalId} ${e.status}`).join(', ')}`);
  if (r.retry) out.push(`\nRetry after the failed create: ${r.retry.outcome}`);
  if (r.probe) {
    out.push(`\nProbe (CreateStack on the emulator, ${r.probe.sidestep}; not the deploy's template):`);
    out.push(`  ${r.probe.ok ? 'created' : `refused: ${r.probe.error}`}; stack ${st(r.probe.stackStatus)}`);
    if (r.probe.note) out.push(`  ${r.probe.note}`);
    if (r.probe.skippedTypes.length) out.push(`  emulator skipped (no model), in creation order: ${[...new Set(r.probe.skippedTypes)].join(', ')}`);
    for (const e of r.probe.emulatorErrors) out.push(`  emulator error: ${e.exception} at ${e.where}`);
  }
  if (r.support) {
    const none = Object.entries(r.support).filter(([t, s]) => s === 'none' && t !== 'AWS::CDK::Metadata').map(([t]) => t);
    const custom = Object.entries(r.support).filter(([, s]) => s === 'custom').map(([t]) => t);
    out.push(`\nEnvironment template types the emulator has no model for (${none.length}): ${none.join(', ')}`);
    out.push(`Custom resources (the emulator would invoke their Lambda handlers): ${custom.join(', ')}`);
  }
  out.push(`\nFirst resource type the emulator lacks, in its creation order: ${r.firstUnsupportedType ?? '(not reached)'}`);
  if (r.firstUnsupportedInTemplate) out.push(`First resource of a type the emulator lacks, in template order: ${r.firstUnsupportedInTemplate.type} (${r.firstUnsupportedInTemplate.logicalId})`);
  out.push(`Total ${r.seconds}s`);
  return out.join('\n');
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const jsonAt = argv.indexOf('--json');
  const json = jsonAt >= 0 ? argv[jsonAt + 1] : undefined;
  const name = argv.find((a, i) => !a.startsWith('--') && argv[i - 1] !== '--json');
  rehearseDeploy({ env: name, probe: !argv.includes('--no-probe') })
    .then((r) => {
      console.log(`\n${formatReport(r)}`);
      if (json) fs.writeFileSync(json, JSON.stringify(r, null, 2));
      process.exitCode = r.timedOutStep ? 3 : 0;
    })
    .catch((e) => {
      console.error((e as Error).message);
      process.exitCode = 1;
    });
}
