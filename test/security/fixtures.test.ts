import { join } from 'node:path';
import { allowlistPath, runSecurityScan, type ScanReport } from '../../security/security-scan';
import { loadAllowlist } from '../../security/allowlist';
import { ensureScanners } from '../../security/scanners';

/**
 * Deliberately insecure fixtures must come out as unexpected findings, even with the real allowlist applied:
 * proof that the scan can fail and that the allowlist does not reach beyond dist/ and cdk.out/.
 */
jest.setTimeout(300_000);

const ROOT = join(__dirname, '..', '..');
const FIXTURES = 'test/security/fixtures';
let report: ScanReport;

beforeAll(() => {
  ensureScanners(ROOT);
  report = runSecurityScan({
    root: ROOT,
    manifestDirs: [`${FIXTURES}/k8s`],
    templates: [`${FIXTURES}/cfn/open-bucket.template.json`],
    allowlist: loadAllowlist(allowlistPath(ROOT)),
  });
}, 300_000);

const idsFor = (tool: string, resource: string) =>
  new Set(report.unexpected.filter((f) => f.tool === tool && f.resource === resource).map((f) => f.checkId));

test('the privileged, root, host-network Deployment fails the matching checkov checks', () => {
  const ids = idsFor('checkov', 'Deployment.fixture.insecure-example');
  for (const id of ['CKV_K8S_16' /* privileged */, 'CKV_K8S_19' /* hostNetwork */, 'CKV_K8S_20' /* escalation */, 'CKV_K8S_23' /* root */, 'CKV_K8S_40' /* low uid */]) {
    expect([...ids]).toContain(id);
  }
});

test('checks the real allowlist accepts in dist/ are still unexpected in the fixture', () => {
  expect([...idsFor('checkov', 'Deployment.fixture.insecure-example')]).toEqual(expect.arrayContaining(['CKV_K8S_43', 'CKV_K8S_15']));
  expect(report.allowlisted).toEqual([]);
});

test('the CloudFormation fixture is flagged by checkov and cfn-lint', () => {
  expect([...idsFor('checkov', 'AWS::S3::Bucket.OpenBucket')]).toEqual(expect.arrayContaining(['CKV_AWS_18', 'CKV_AWS_20']));
  expect([...idsFor('cfn-lint', 'AWS::S3::Bucket.OpenBucket')]).toContain('E3045');
  expect([...idsFor('cfn-lint', 'Parameters.Unused')]).toEqual(['W2001']);
});

test('the report fails and its table counts every finding as unexpected', () => {
  expect(report.ok).toBe(false);
  const total = report.rows.reduce((n, r) => n + r.unexpected, 0);
  expect(total).toBe(report.unexpected.length);
  expect(report.rows.every((r) => r.failed === r.unexpected)).toBe(true);
  expect(report.rows.map((r) => `${r.tool} ${r.target}`)).toEqual([
    `cfn-lint ${FIXTURES}/cfn/open-bucket.template.json`,
    `checkov ${FIXTURES}/cfn/open-bucket.template.json`,
    `checkov ${FIXTURES}/k8s/privileged-deployment.yaml`,
  ]);
});
