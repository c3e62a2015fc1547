import { describeEntry } from './allowlist';
import type { ScanReport, ScanRow } from './security-scan';

const COLUMNS: (keyof ScanRow)[] = ['tool', 'target', 'passed', 'failed', 'allowlisted', 'unexpected'];

/** A plain-text table, columns padded to their widest cell; numbers right-aligned. */
export function formatTable(rows: ScanRow[]): string {
  const totals: ScanRow = { tool: 'checkov', target: 'total', passed: 0, failed: 0, allowlisted: 0, unexpected: 0 };
  for (const r of rows) for (const c of ['passed', 'failed', 'allowlisted', 'unexpected'] as const) totals[c] += r[c];
  const cells = [COLUMNS.map(String), ...rows.map((r) => COLUMNS.map((c) => String(r[c]))), ['', 'total', ...COLUMNS.slice(2).map((c) => String(totals[c]))]];
  const widths = COLUMNS.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  return cells
    .map((row) => row.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ').trimEnd())
    .join('\n');
}

/** The whole human-readable report: table, timings, every unexpected finding, every stale allowlist entry. */
export function formatReport(report: ScanReport): string {
  const out = [formatTable(report.rows), ''];
  for (const run of report.runs) out.push(`${run.tool} ${run.target}: ${run.seconds.toFixed(1)} s`);
  if (report.unexpected.length > 0) {
    out.push('', `Unexpected findings (${report.unexpected.length}): fix them, or accept them in security/allowlist.yaml with a reason`);
    for (const f of report.unexpected) out.push(`  ${f.tool} ${f.checkId}  ${f.file}  ${f.resource}  ${f.checkName}`);
  }
  if (report.stale.length > 0) {
    out.push('', `Stale allowlist entries (${report.stale.length}): they accept nothing any more, remove or narrow them`);
    for (const s of report.stale) out.push(`  ${describeEntry(s.entry, s.index)}: unused ${s.unusedPatterns.join(', ')}`);
  }
  return out.join('\n');
}
