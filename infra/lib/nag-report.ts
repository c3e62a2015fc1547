import * as fs from 'node:fs';
import * as path from 'node:path';

/** One finding left after acknowledgments: rule id (with detail) and construct path. */
export interface NagFinding {
  readonly rule: string;
  readonly path: string;
  readonly severity: string;
}

interface Report {
  pluginReports?: Array<{ pluginName: string; violations: Array<{ ruleName: string; severity?: string; violatingConstructs?: Array<{ constructPath: string }>; violatingResources?: Array<{ constructPath?: string }> }> }>;
}

/**
 * Findings CDK wrote to `<outdir>/validation-report.json` when a validation plugin failed synth
 * (none when the file is absent: synth passed). Only the given plugin's findings are returned.
 */
export function unacknowledgedFindings(outdir: string, plugin = 'AwsSolutions'): NagFinding[] {
  const file = path.join(outdir, 'validation-report.json');
  if (!fs.existsSync(file)) return [];
  const report = JSON.parse(fs.readFileSync(file, 'utf8')) as Report;
  return (report.pluginReports ?? [])
    .filter((p) => p.pluginName === plugin)
    .flatMap((p) => p.violations)
    .flatMap((v) => [...(v.violatingConstructs ?? []), ...(v.violatingResources ?? [])].map((c) => ({ rule: v.ruleName, path: c.constructPath ?? '?', severity: v.severity ?? 'error' })));
}

/** Rule id without its bracketed detail: `AwsSolutions-IAM5[Resource::*]` -> `AwsSolutions-IAM5`. */
export function ruleOf(id: string): string {
  return id.replace(/\[.*$/, '');
}

/** cdk.out/nag-summary.json: what the one cdk-nag pass of `npm run synth:infra` found. */
export interface NagSummary {
  /** Acknowledged findings per stack, per rule (reasons in nag-suppressions.ts). */
  readonly acknowledged: Record<string, Record<string, number>>;
  /** Findings no table entry accepts (synth failed). */
  readonly open: NagFinding[];
  /** Table entries that accepted nothing in the committed environments (synth failed). */
  readonly unused: string[];
}
