/**
 * `npm run synth:infra`: one CloudFormation template per configured environment into cdk.out/, offline and
 * without credentials (in-process synth; AZs come from cdk.context.json). cdk-nag runs once, inside this synth.
 * Prints time and cdk-nag counts and writes them to cdk.out/nag-summary.json; for the committed environments it
 * also records the digest of its inputs (cdk.out/inputs.sha256), so tests and `npm test` reuse this synth.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, environmentsFromArgs } from '../../manifests-src/config';
import { buildApp } from '../lib/build-app';
import { ruleOf, unacknowledgedFindings, type NagSummary } from '../lib/nag-report';
import { unusedAcceptedFindings } from '../lib/nag-suppressions';
import { INPUTS_DIGEST_FILE, synthInputsDigest } from '../lib/synth-inputs';

function main(): number {
  const started = process.hrtime.bigint();
  const root = path.resolve(__dirname, '..', '..');
  const committed = !process.argv.includes('--config') && !process.env.AIRFLOW_EKS_CONFIG;
  const digest = synthInputsDigest(root);
  const envs = environmentsFromArgs();
  const outdir = path.resolve('cdk.out');
  for (const f of ['validation-report.json', 'nag-summary.json', path.basename(INPUTS_DIGEST_FILE)]) fs.rmSync(path.join(outdir, f), { force: true });
  const { app, stacks, registries, nag } = buildApp(envs, { outdir });
  let failed = false;
  try {
    app.synth();
  } catch (e) {
    if (!/Validation failed|validation-report\.json/.test(String((e as Error).message))) throw e;
    failed = true;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;

  for (const s of [...registries, ...stacks]) {
    const file = path.join(outdir, s.templateFile);
    const resources = fs.existsSync(file) ? Object.keys(JSON.parse(fs.readFileSync(file, 'utf8')).Resources ?? {}).length : 0;
    console.log(`${s.stackName.padEnd(24)} ${s.region.padEnd(15)} ${String(resources).padStart(4)} resources  cdk.out/${s.templateFile}`);
  }
  const outcome = nag!.outcome;
  const summary: NagSummary = {
    acknowledged: outcome.acknowledged,
    open: unacknowledgedFindings(outdir).filter((f) => f.severity === 'error'),
    // An entry may serve one environment only, so staleness is judged on the committed set alone.
    unused: committed ? unusedAcceptedFindings(outcome, envs) : [],
  };
  const byRule: Record<string, { acknowledged: number; open: number }> = {};
  for (const counts of Object.values(summary.acknowledged)) for (const [rule, n] of Object.entries(counts)) (byRule[rule] ??= { acknowledged: 0, open: 0 }).acknowledged += n;
  for (const f of summary.open) (byRule[ruleOf(f.rule)] ??= { acknowledged: 0, open: 0 }).open += 1;
  const acknowledged = Object.values(byRule).reduce((n, r) => n + r.acknowledged, 0);
  console.log(`cdk-nag AwsSolutions: ${acknowledged + summary.open.length} findings, ${acknowledged} acknowledged (reasons in infra/lib/nag-suppressions.ts), ${summary.open.length} open errors`);
  for (const [rule, r] of Object.entries(byRule).sort()) console.log(`  ${rule.padEnd(20)} ${String(r.acknowledged).padStart(4)} acknowledged ${String(r.open).padStart(4)} open`);
  for (const f of summary.open) console.error(`  OPEN ${f.rule} at ${f.path}`);
  for (const u of summary.unused) console.error(`  UNUSED ${u}`);
  fs.writeFileSync(path.join(outdir, 'nag-summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  const ok = !failed && summary.open.length === 0 && summary.unused.length === 0;
  if (ok && committed) fs.writeFileSync(path.join(outdir, path.basename(INPUTS_DIGEST_FILE)), `${digest}\n`);
  console.log(`synthesized ${registries.length + stacks.length} stack(s) in ${seconds.toFixed(1)} s`);
  return ok ? 0 : 1;
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
