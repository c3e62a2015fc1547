/**
 * `npm run synth:infra`: one CloudFormation template per configured environment into cdk.out/, offline and
 * without credentials (in-process synth; AZs come from cdk.context.json). Prints time and cdk-nag counts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../../manifests-src/config';
import { buildApp } from '../lib/app';
import { ruleOf, unacknowledgedFindings } from '../lib/nag-report';
import { infraEnvironmentsFromArgs } from '../lib/validate-infra';

function main(): number {
  const started = process.hrtime.bigint();
  const envs = infraEnvironmentsFromArgs();
  const outdir = path.resolve('cdk.out');
  fs.rmSync(path.join(outdir, 'validation-report.json'), { force: true });
  const { app, stacks, registries } = buildApp(envs, { outdir });
  let failed = false;
  try {
    app.synth();
  } catch (e) {
    if (!/Validation failed/.test(String((e as Error).message))) throw e;
    failed = true;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;

  for (const s of [...registries, ...stacks]) {
    const file = path.join(outdir, s.templateFile);
    const resources = fs.existsSync(file) ? Object.keys(JSON.parse(fs.readFileSync(file, 'utf8')).Resources ?? {}).length : 0;
    console.log(`${s.stackName.padEnd(24)} ${s.region.padEnd(15)} ${String(resources).padStart(4)} resources  cdk.out/${s.templateFile}`);
  }
  const left = unacknowledgedFindings(outdir).filter((f) => f.severity === 'error');
  const byRule: Record<string, { acknowledged: number; open: number }> = {};
  for (const s of stacks) for (const [rule, n] of Object.entries(s.acknowledgedFindings)) (byRule[rule] ??= { acknowledged: 0, open: 0 }).acknowledged += n;
  for (const f of left) (byRule[ruleOf(f.rule)] ??= { acknowledged: 0, open: 0 }).open += 1;
  const acknowledged = Object.values(byRule).reduce((n, r) => n + r.acknowledged, 0);
  console.log(`cdk-nag AwsSolutions: ${acknowledged + left.length} findings, ${acknowledged} acknowledged (reasons in infra/lib/nag-suppressions.ts), ${left.length} open errors`);
  for (const [rule, r] of Object.entries(byRule).sort()) console.log(`  ${rule.padEnd(20)} ${String(r.acknowledged).padStart(4)} acknowledged ${String(r.open).padStart(4)} open`);
  for (const f of left) console.error(`  OPEN ${f.rule} at ${f.path}`);
  console.log(`synthesized ${registries.length + stacks.length} stack(s) in ${seconds.toFixed(1)} s`);
  return failed || left.length > 0 ? 1 : 0;
}

try {
  process.exitCode = main();
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(e.message);
    console.error('Nothing was synthesized.');
    process.exit(2);
  }
  throw e;
}
