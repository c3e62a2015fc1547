import { join } from 'node:path';
import { loadAllowlist } from '../../security/allowlist';
import { cdkTemplates } from '../../security/cdk-out';
import { formatReport } from '../../security/print-report';
import { ensureScanners } from '../../security/scanners';
import { allowlistPath, runSecurityScan, type ScanReport } from '../../security/security-scan';
import { loadEnvironments } from '../../manifests-src/config';

/**
 * The committed dist/ (and cdk.out/ when `npm run synth:infra` produced it) has no finding the allowlist
 * does not explain, and the allowlist has no entry that explains nothing.
 */
jest.setTimeout(300_000);

const ROOT = join(__dirname, '..', '..');
const templates = cdkTemplates(ROOT);
let report: ScanReport;

beforeAll(() => {
  ensureScanners(ROOT);
  report = runSecurityScan({ root: ROOT, templates, allowlist: loadAllowlist(allowlistPath(ROOT)) });
}, 300_000);

test('no unexpected finding and no stale allowlist entry', () => {
  // The full report is the failure message: it names each finding's file, resource and check.
  expect({ ok: report.ok, report: report.ok ? '' : formatReport(report) }).toEqual({ ok: true, report: '' });
});

test('every environment folder of dist/ was scanned and passed checks', () => {
  for (const env of loadEnvironments()) {
    const row = report.rows.find((r) => r.tool === 'checkov' && r.target === `dist/${env.name}`);
    expect(row?.passed).toBeGreaterThan(0);
  }
});

(templates.length > 0 ? test : test.skip)('every cdk.out template was scanned by checkov and cfn-lint', () => {
  for (const t of templates) {
    expect(report.rows.find((r) => r.tool === 'checkov' && r.target === t)?.passed).toBeGreaterThan(0);
    expect(report.rows.some((r) => r.tool === 'cfn-lint' && r.target === t)).toBe(true);
  }
});
