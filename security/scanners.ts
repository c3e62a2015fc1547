import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { Finding, ScanRun } from './finding';

/** Where security/install.sh puts the pinned scanners, relative to the repository root. */
export const SECURITY_VENV = join('.cache', 'security-venv');

/** Installs the scanners from security/requirements.lock when missing or outdated (a no-op otherwise). */
export function ensureScanners(root: string): void {
  const r = spawnSync('bash', [join(root, 'security', 'install.sh')], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`security/install.sh failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
}

function scannerBin(root: string, name: string): string {
  const bin = join(root, SECURITY_VENV, 'bin', name);
  if (!existsSync(bin)) throw new Error(`${name} is not installed: run bash security/install.sh`);
  return bin;
}

/** A short label for a list of scanned files: the file itself, or `folder (N files)`. */
export function describeFiles(files: string[]): string {
  if (files.length === 1) return files[0];
  const dirs = new Set(files.map((f) => f.slice(0, Math.max(0, f.lastIndexOf('/')))));
  return dirs.size === 1 ? `${[...dirs][0]} (${files.length} files)` : `${files.length} files`;
}

/** Repository-relative path with `/` separators, whatever form a scanner printed it in. */
export function repoPath(root: string, printed: string): string {
  const abs = printed.startsWith(root) ? printed : join(root, printed.replace(/^\/+/, ''));
  return relative(root, abs).split(sep).join('/');
}

const MAX_OUTPUT = 512 * 1024 * 1024;

interface CheckovCheck {
  check_id: string;
  check_name: string;
  file_path: string;
  resource: string;
}
interface CheckovReport {
  check_type: string;
  results: { passed_checks?: CheckovCheck[]; failed_checks?: CheckovCheck[]; parsing_errors?: string[] };
  summary: { parsing_errors: number };
}

/**
 * Turns checkov's `-o json` output into findings. Checkov prints one report object for one framework, an
 * array for several, and a bare summary when it found nothing to scan.
 */
export function parseCheckovJson(root: string, json: unknown): Pick<ScanRun, 'passedByFile' | 'findings'> {
  const reports = (Array.isArray(json) ? json : [json]) as CheckovReport[];
  const passedByFile = new Map<string, number>();
  const findings: Finding[] = [];
  for (const report of reports) {
    if (!report.results) continue;
    const errors = report.results.parsing_errors ?? [];
    if (errors.length > 0) throw new Error(`checkov could not parse: ${errors.map((e) => repoPath(root, e)).join(', ')}`);
    for (const c of report.results.passed_checks ?? []) {
      const file = repoPath(root, c.file_path);
      passedByFile.set(file, (passedByFile.get(file) ?? 0) + 1);
    }
    for (const c of report.results.failed_checks ?? []) {
      const file = repoPath(root, c.file_path);
      if (!passedByFile.has(file)) passedByFile.set(file, 0);
      findings.push({ tool: 'checkov', file, resource: c.resource, checkId: c.check_id, checkName: c.check_name });
    }
  }
  return { passedByFile, findings };
}

/** Runs checkov over a folder (`-d`) or a list of files (`-f`) for one framework. */
export function runCheckov(root: string, framework: 'kubernetes' | 'cloudformation', target: { dir: string } | { files: string[] }): ScanRun {
  // --skip-download keeps checkov offline: without it, it fetches guidelines from the vendor API and prints
  // a traceback when there is no network. --compact drops code blocks (the JSON shrinks from ~70 MB to ~4 MB).
  const args = 'dir' in target ? ['-d', target.dir] : ['-f', ...target.files];
  const started = process.hrtime.bigint();
  const r = spawnSync(
    scannerBin(root, 'checkov'),
    [...args, '--framework', framework, '-o', 'json', '--compact', '--skip-download', '--soft-fail'],
    { cwd: root, encoding: 'utf8', maxBuffer: MAX_OUTPUT },
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0) throw new Error(`checkov failed (exit ${r.status}):\n${r.stderr}`);
  const parsed = parseCheckovJson(root, JSON.parse(r.stdout));
  return { tool: 'checkov', target: 'dir' in target ? target.dir : describeFiles(target.files), seconds, ...parsed };
}

interface CfnLintMatch {
  Filename: string;
  Level: 'Error' | 'Warning' | 'Informational';
  Location: { Path: (string | number)[] };
  Message: string;
  Rule: { Id: string; ShortDescription: string };
}

/** `AWS::Type.LogicalId` for a finding under Resources, otherwise the template section, e.g. `Parameters.Foo`. */
function cfnResourceId(template: { Resources?: Record<string, { Type?: string }> } | undefined, path: (string | number)[]): string {
  const [section, name] = path;
  if (section === 'Resources' && typeof name === 'string') return `${template?.Resources?.[name]?.Type ?? 'Resource'}.${name}`;
  return [section, name].filter((p) => p !== undefined).join('.') || 'Template';
}

/**
 * Turns cfn-lint's `--format json` output into findings. Informational matches are style hints, not
 * defects, so they are not findings. cfn-lint reports no passes: a template without findings counts 1.
 */
export function parseCfnLintJson(root: string, json: unknown, templates: string[]): Pick<ScanRun, 'passedByFile' | 'findings'> {
  const matches = (json as CfnLintMatch[]).filter((m) => m.Level !== 'Informational');
  const bodies = new Map<string, any>();
  const body = (file: string) => {
    if (!bodies.has(file)) bodies.set(file, JSON.parse(readFileSync(join(root, file), 'utf8')));
    return bodies.get(file);
  };
  const findings: Finding[] = matches.map((m) => {
    const file = repoPath(root, m.Filename);
    return { tool: 'cfn-lint', file, resource: cfnResourceId(body(file), m.Location.Path), checkId: m.Rule.Id, checkName: m.Message };
  });
  const passedByFile = new Map<string, number>();
  for (const t of templates) passedByFile.set(t, findings.some((f) => f.file === t) ? 0 : 1);
  return { passedByFile, findings };
}

/**
 * Runs cfn-lint over templates, each linted for the region its stack deploys to (resource types and
 * instance types differ per region, cn-north-1 most of all). Exit codes 2/4/8 mean "found something".
 */
export function runCfnLint(root: string, templates: string[], regionOf: (template: string) => string | undefined): ScanRun {
  const started = process.hrtime.bigint();
  const byRegion = new Map<string, string[]>();
  for (const t of templates) {
    const region = regionOf(t) ?? '';
    byRegion.set(region, [...(byRegion.get(region) ?? []), t]);
  }
  const matches: unknown[] = [];
  for (const [region, files] of byRegion) {
    const regionArgs = region ? ['--regions', region] : [];
    const r = spawnSync(scannerBin(root, 'cfn-lint'), ['--format', 'json', ...regionArgs, '--', ...files], {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: MAX_OUTPUT,
    });
    if (r.status === null || (r.status & 1) === 1 || r.status > 14) throw new Error(`cfn-lint failed (exit ${r.status}):\n${r.stderr}`);
    matches.push(...(JSON.parse(r.stdout || '[]') as unknown[]));
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { tool: 'cfn-lint', target: describeFiles(templates), seconds, ...parseCfnLintJson(root, matches, templates) };
}
