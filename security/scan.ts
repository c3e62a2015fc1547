/**
 * Security scan of everything we ship: checkov over dist/ (Kubernetes) and over cdk.out/ templates
 * (CloudFormation), cfn-lint over the same templates, minus security/allowlist.yaml.
 * Exit 1 on any unexpected finding or stale allowlist entry.
 *
 *   npx tsx security/scan.ts
 */
import { resolve } from 'node:path';
import { loadAllowlist } from './allowlist';
import { cdkTemplates, CDK_OUT } from './cdk-out';
import { formatReport } from './print-report';
import { ensureScanners } from './scanners';
import { allowlistPath, runSecurityScan } from './security-scan';

function main(): number {
  const root = resolve(__dirname, '..');
  const started = Date.now();
  ensureScanners(root);
  const installed = Date.now();
  const templates = cdkTemplates(root);
  if (templates.length === 0) console.log(`${CDK_OUT}/ has no templates: CloudFormation scans skipped (run npm run synth:infra first)\n`);
  const report = runSecurityScan({ root, templates, allowlist: loadAllowlist(allowlistPath(root)) });
  console.log(formatReport(report));
  console.log(`\nscanner install check: ${((installed - started) / 1000).toFixed(1)} s, total: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(report.ok ? 'security scan: OK' : 'security scan: FAILED');
  return report.ok ? 0 : 1;
}

process.exitCode = main();
