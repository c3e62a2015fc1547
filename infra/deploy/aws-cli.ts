import { spawnSync } from 'node:child_process';

/** One AWS CLI call as the preflight made it, for the dry-run report. */
export interface AwsCall {
  readonly args: string[];
  readonly ok: boolean;
}

/** Result of a call: parsed JSON on success, the CLI's error text otherwise. */
export type AwsResult = { ok: true; json: any } | { ok: false; error: string };

/**
 * The AWS CLI (v2) as the deploy uses it: JSON output, the environment's region, every call recorded. Tests put a
 * fake `aws` executable first on PATH that answers with recorded JSON.
 */
export class AwsCli {
  readonly calls: AwsCall[] = [];
  /** @param env environment of the `aws` process (PATH decides which `aws` runs). */
  constructor(readonly region: string, private readonly env: NodeJS.ProcessEnv = process.env) {}

  run(...args: string[]): AwsResult {
    const full = [...args, '--region', this.region, '--output', 'json'];
    const r = spawnSync('aws', full, { encoding: 'utf8', timeout: 120_000, env: this.env });
    const ok = r.status === 0;
    this.calls.push({ args: ['aws', ...full], ok });
    if (!ok) return { ok: false, error: (r.error?.message ?? r.stderr ?? '').trim() || `exit ${r.status}` };
    try {
      return { ok: true, json: r.stdout.trim() ? JSON.parse(r.stdout) : {} };
    } catch {
      return { ok: false, error: `not JSON: ${r.stdout.slice(0, 200)}` };
    }
  }
}
