import { ConfigError, environmentsFromArgs } from '../manifests-src/config';
import { ARGOCD_DIR, DIST_DIR } from '../manifests-src/gitops';
import { replaceDirAtomically } from '../manifests-src/write-atomic';
import { formatPreview } from './preview/object-diff';
import { previewChanges, renderTrees } from './preview/preview';
import { componentSummary } from './summary';

/**
 * `npm start`: synthesize dist/ from the committed config, show what it deploys and how it differs
 * from the committed dist/, then write it.
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

  replaceDirAtomically(DIST_DIR, trees.dist);
  replaceDirAtomically(ARGOCD_DIR, trees.argocd);
  section('Synth');
  console.log(`  wrote ${trees.dist.size} files to ${DIST_DIR}/ and ${trees.argocd.size} to ${ARGOCD_DIR}/`);
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (e) => {
    console.error(e instanceof ConfigError ? `${e.message}\nNothing was written: dist/ is unchanged.` : e);
    process.exitCode = 1;
  },
);
