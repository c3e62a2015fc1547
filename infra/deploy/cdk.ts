/**
 * How `npm run deploy` and `npm run destroy` run the cdk CLI: as a user's terminal would. The child inherits stdin,
 * stdout and stderr (cdk's own progress shows as it happens, and its approval prompt reaches the person at the
 * terminal), nothing kills it part-way (creating EKS and Aurora takes longer than any sensible timeout, and a
 * killed deploy leaves the stack busy), and its exit status is returned for the caller to check. Tests put a fake
 * `npx` first on PATH.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import * as path from 'node:path';
import { DEPLOY_ENVIRONMENT_CONTEXT } from './placeholders';

/** One cdk CLI run: the command, the stack, the environment it is for and what the CDK app must see. */
export interface CdkCall {
  readonly command: 'deploy' | 'destroy';
  readonly stack: string;
  /** Environment name: the app checks example values for this environment only. */
  readonly environment: string;
  readonly region: string;
  /** `--config FILE` of the command (relative to the working directory), when given. */
  readonly configFile?: string;
  /** Extra `-c key=value` context. */
  readonly context?: Record<string, string>;
  /** Options after `--` on our command line, passed to cdk as they are. */
  readonly extraArgs?: readonly string[];
}

/** What to spawn for a CdkCall: `npx --no-install cdk ...` with the config file in the child's environment. */
export interface CdkInvocation {
  readonly cmd: string;
  readonly args: string[];
  readonly env: NodeJS.ProcessEnv;
}

/** The `--require-approval` level among the options passed through to cdk (`broadening`, cdk's default, if none). */
export function requireApproval(extraArgs: readonly string[] = []): string {
  for (let i = 0; i < extraArgs.length; i++) {
    const a = extraArgs[i];
    if (a === '--require-approval') return extraArgs[i + 1] ?? 'broadening';
    if (a.startsWith('--require-approval=')) return a.slice('--require-approval='.length);
  }
  return 'broadening';
}

/** Whether `--require-approval` is among the options passed through to cdk. */
const isApprovalOption = (a: string) => a === '--require-approval' || a.startsWith('--require-approval=');

/** The options passed through to cdk with `--require-approval never` in place of any approval level given. */
export function withApprovalNever(extraArgs: readonly string[]): string[] {
  const kept = extraArgs.filter((a, i) => !isApprovalOption(a) && extraArgs[i - 1] !== '--require-approval');
  return [...kept, '--require-approval', 'never'];
}

/**
 * Why a deploy cannot start, or undefined. Unless approval is `never`, cdk asks before broadening IAM (which a
 * first create of the environment stack does) and refuses to ask without a terminal on both stdin and stdout
 * (TtyNotAttached): that would fail part-way, so the deploy refuses before anything runs.
 * @param ours our own arguments (environment, --config), @param extraArgs the options after `--`.
 */
export function approvalProblem(terminal: { stdin?: boolean; stdout?: boolean }, ours: readonly string[], extraArgs: readonly string[]): string | undefined {
  const approval = requireApproval(extraArgs);
  if (approval === 'never' || (terminal.stdin && terminal.stdout)) return undefined;
  const missing = [!terminal.stdin && 'stdin', !terminal.stdout && 'stdout'].filter(Boolean) as string[];
  return [
    `Cannot deploy: cdk asks for approval before it broadens IAM permissions (--require-approval ${approval}; the environment stack does), but ${missing.join(' and ')} ${missing.length > 1 ? 'are not terminals' : 'is not a terminal'}, so nobody could answer and cdk would stop part-way (TtyNotAttached).`,
    'Either run the command from a terminal (not piped, not in CI) and answer the prompts, or review the changes with the dry run',
    `  npm run deploy -- ${shellLine([...ours, '--dry-run'])}`,
    'and then approve them up front:',
    `  npm run deploy -- ${shellLine(ours)} -- ${shellLine(withApprovalNever(extraArgs))}`,
    'Nothing was created.',
  ].join('\n');
}

/** Builds the cdk command line and the child's environment for a call. */
export function cdkInvocation(call: CdkCall, parentEnv: NodeJS.ProcessEnv = process.env): CdkInvocation {
  const extra = [...(call.extraArgs ?? [])];
  const context = { [DEPLOY_ENVIRONMENT_CONTEXT]: call.environment, ...call.context };
  const args = ['--no-install', 'cdk', call.command, call.stack];
  if (call.command === 'deploy' && !extra.some(isApprovalOption)) args.push('--require-approval', 'broadening');
  if (call.command === 'destroy') args.push('--force'); // the destroy command asked already
  for (const [k, v] of Object.entries(context)) args.push('-c', `${k}=${v}`);
  args.push(...extra);
  const env: NodeJS.ProcessEnv = { ...parentEnv, AWS_REGION: call.region };
  // The app (infra/bin/app.ts) reads the config from AIRFLOW_EKS_CONFIG; it runs in cdk's working directory.
  if (call.configFile) env.AIRFLOW_EKS_CONFIG = path.resolve(call.configFile);
  else delete env.AIRFLOW_EKS_CONFIG;
  return { cmd: 'npx', args, env };
}

/** Spawn options of a cdk run: the terminal's stdio, no timeout, no kill signal. */
export function cdkSpawnOptions(env: NodeJS.ProcessEnv): SpawnSyncOptions {
  return { stdio: 'inherit', env };
}

/** Outcome of a cdk run: `status` is its exit status (128 + signal number when a signal ended it). */
export interface CdkOutcome {
  readonly status: number;
  readonly why?: string;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 };

/** Runs cdk in the foreground with the terminal's stdio and waits however long it takes. */
export function runCdk(inv: CdkInvocation): CdkOutcome {
  const shown = [inv.env.AIRFLOW_EKS_CONFIG ? `AIRFLOW_EKS_CONFIG=${inv.env.AIRFLOW_EKS_CONFIG}` : '', inv.cmd, ...inv.args].filter(Boolean).join(' ');
  console.log(`+ ${shown}`);
  const r = spawnSync(inv.cmd, inv.args, cdkSpawnOptions(inv.env));
  if (r.error) return { status: 127, why: `could not start ${inv.cmd}: ${r.error.message}` };
  if (r.signal) return { status: 128 + (SIGNALS[r.signal] ?? 0), why: `ended by ${r.signal}` };
  return { status: r.status ?? 1, why: r.status ? `exit status ${r.status}` : undefined };
}

/** Quotes a command line for the messages that tell the user what to run. */
export function shellLine(words: readonly string[]): string {
  return words.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replaceAll("'", `'\\''`)}'`)).join(' ');
}
