import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, environmentsFromArgs } from '../manifests-src/config';
import { formatProblem, formatSummary, validateDirs } from '../manifests-src/validate/validate-dirs';
import { ARGOCD_DIR, DIST_DIR } from '../manifests-src/gitops';
import { replaceDirAtomically } from '../manifests-src/write-atomic';
import { formatPreview } from './preview/object-diff';
import { previewChanges, renderTrees } from './preview/preview';
import { componentSummary } from './summary';

/**
 * `npm start`: synthesize dist/ and argocd/ from the committed config, validate every object offline,
 * show what it deploys and how it differs from the committed files, write them (only when valid), then
 * synthesize the CDK stacks and print the cost estimate.
 */
function section(title: string): void {
  console.log(`\n== ${title} ${'='.repeat(Math.max(0, 70 - title.length))}`);
}

async function main(): Promise<number> {
  const envs = environmentsFromArgs();
  section('Configuration');
  console.log(componentSummary(envs));

  const trees = renderTrees(envs);
  section('Preview against the committed dist/ and argocd/ (objects)');
  console.log(formatPreview(previewChanges(envs, { rendered: trees })));

  // Validate the new files before they replace anything: invalid output never reaches dist/.
  section('Validation (Kubernetes 1.36 OpenAPI + KEDA, Karpenter, External Secrets, Argo CD CRDs; unknown fields)');
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'airflow-eks-start-'));
  try {
    replaceDirAtomically(path.join(staging, DIST_DIR), trees.dist);
    replaceDirAtomically(path.join(staging, ARGOCD_DIR), trees.argocd);
    const report = await validateDirs([path.join(staging, DIST_DIR), path.join(staging, ARGOCD_DIR)]);
    for (const p of report.problems) console.log(`  ${formatProblem({ ...p, file: path.relative(staging, p.file) })}`);
    console.log(`  ${formatSummary(report)}`);
    if (report.problems.length > 0) {
      console.error(`Validation failed: ${DIST_DIR}/ and ${ARGOCD_DIR}/ are unchanged.`);
      return 1;
    }
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }

  replaceDirAtomically(DIST_DIR, trees.dist);
  replaceDirAtomically(ARGOCD_DIR, trees.argocd);
  section('Synth');
  console.log(`  wrote ${trees.dist.size} files to ${DIST_DIR}/ and ${trees.argocd.size} to ${ARGOCD_DIR}/`);

  section('AWS stacks (CDK synth into cdk.out/, offline)');
  execFileSync('npx', ['tsx', 'infra/bin/synth.ts', ...process.argv.slice(2)], { stdio: 'inherit' });
  section('Estimated monthly cost');
  execFileSync('npx', ['tsx', 'infra/cost/cli.ts', ...process.argv.slice(2)], { stdio: 'inherit' });
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (e) => {
    console.error(e instanceof ConfigError ? `${e.message}\nNothing was written: dist/ is unchanged.` : e);
    process.exitCode = 1;
  },
);
