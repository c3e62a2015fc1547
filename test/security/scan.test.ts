import { join } from 'node:path';
import { loadAllowlist } from '../../security/allowlist';
import { cdkTemplates } from '../../security/cdk-out';
import { formatReport } from '../../security/print-report';
import { ensureScanners } from '../../security/scanners';
import { allowlistPath, runSecurityScan, type ScanReport } from '../../security/security-scan';
import { loadEnvironments } from '../../manifests-src/config';
import { stackName } from '../../infra/lib/airflow-eks-stack';
import { cdkOutStaleness } from '../../infra/lib/synth-inputs';

/**
 * The committed dist/ and the cdk.out/ of this run's synth have no finding the allowlist does not explain,
 * and the allowlist has no entry that explains nothing. A missing or stale cdk.out/ fails, never skips.
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

test('cdk.out/ is this working tree\'s synth, and each committed stack template was scanned by checkov and cfn-lint', () => {
  expect(cdkOutStaleness(ROOT)).toBeUndefined();
  const expected = loadEnvironments().map((e) => `cdk.out/${stackName(e)}.template.json`);
  expect(templates).toEqual(expect.arrayContaining(expected));
  for (const t of templates) {
    expect({ t, checkovPassed: report.rows.find((r) => r.tool === 'checkov' && r.target === t)?.passed }).toEqual({ t, checkovPassed: expect.any(Number) });
    expect(report.rows.find((r) => r.tool === 'checkov' && r.target === t)!.passed).toBeGreaterThan(0);
    expect(report.rows.some((r) => r.tool === 'cfn-lint' && r.target === t)).toBe(true);
  }
});
