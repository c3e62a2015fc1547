import { dirname, join } from 'node:path';
import { applyAllowlist, type AllowlistEntry, type AllowlistResult, type ScannedRoot } from './allowlist';
import { cdkTemplates, templateRegions } from './cdk-out';
import type { Finding, ScanRun, Tool } from './finding';
import { runCfnLint, runCheckov } from './scanners';

/** What to scan and what to accept. */
export interface ScanOptions {
  /** Repository root; every path below is relative to it. */
  root: string;
  /** Folders of Kubernetes manifests for checkov. Default: `['dist']`. */
  manifestDirs?: string[];
  /** CloudFormation templates for checkov and cfn-lint. Default: every `cdk.out/*.template.json` (none when infra is not synthesized). */
  templates?: string[];
  /** Accepted findings. */
  allowlist: AllowlistEntry[];
}

/** One line of the summary table: a tool over one environment folder or one template. */
export interface ScanRow {
  tool: Tool;
  target: string;
  passed: number;
  failed: number;
  allowlisted: number;
  unexpected: number;
}

export interface ScanReport extends AllowlistResult {
  runs: ScanRun[];
  rows: ScanRow[];
  /** True when nothing is unexpected and no allowlist entry is stale. */
  ok: boolean;
}

/** `dist/prod/airflow/worker.yaml` under `dist` groups as `dist/prod`; a file scanned on its own is its own group. */
export function groupOf(file: string, dirs: string[]): string {
  for (const dir of dirs) {
    if (file.startsWith(`${dir}/`)) return `${dir}/${file.slice(dir.length + 1).split('/')[0]}`;
  }
  return file;
}

function tabulate(runs: ScanRun[], result: AllowlistResult, dirs: string[]): ScanRow[] {
  const rows = new Map<string, ScanRow>();
  const row = (tool: Tool, file: string) => {
    const target = groupOf(file, dirs);
    const key = `${tool} ${target}`;
    if (!rows.has(key)) rows.set(key, { tool, target, passed: 0, failed: 0, allowlisted: 0, unexpected: 0 });
    return rows.get(key)!;
  };
  for (const run of runs) {
    for (const [file, passed] of run.passedByFile) row(run.tool, file).passed += passed;
    for (const f of run.findings) row(f.tool, f.file).failed++;
  }
  for (const f of result.allowlisted) row(f.tool, f.file).allowlisted++;
  for (const f of result.unexpected) row(f.tool, f.file).unexpected++;
  return [...rows.values()].sort((a, b) => a.tool.localeCompare(b.tool) || a.target.localeCompare(b.target));
}

/** Runs checkov over the manifests and, when there are templates, checkov and cfn-lint over them; then applies the allowlist. */
export function runSecurityScan(options: ScanOptions): ScanReport {
  const { root, allowlist } = options;
  const dirs = options.manifestDirs ?? ['dist'];
  const templates = options.templates ?? cdkTemplates(root);
  const runs: ScanRun[] = [];
  const roots: ScannedRoot[] = [];
  for (const dir of dirs) {
    runs.push(runCheckov(root, 'kubernetes', { dir }));
    roots.push({ tool: 'checkov', root: dir });
  }
  if (templates.length > 0) {
    const regions = templateRegions(root);
    runs.push(runCheckov(root, 'cloudformation', { files: templates }));
    runs.push(runCfnLint(root, templates, (t) => regions.get(t)));
    for (const dir of new Set(templates.map((t) => dirname(t)))) roots.push({ tool: 'checkov', root: dir }, { tool: 'cfn-lint', root: dir });
  }
  const findings: Finding[] = runs.flatMap((r) => r.findings);
  const result = applyAllowlist(findings, allowlist, roots);
  return { runs, rows: tabulate(runs, result, dirs), ...result, ok: result.unexpected.length === 0 && result.stale.length === 0 };
}

/** The allowlist every scan of this repository uses. */
export function allowlistPath(root: string): string {
  return join(root, 'security', 'allowlist.yaml');
}
