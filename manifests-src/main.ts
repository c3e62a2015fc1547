import * as path from 'node:path';
import { ConfigError, environmentsFromArgs } from './config';
import { ARGOCD_DIR, renderArgoCd } from './gitops';
import { renderDist } from './synth';
import { replaceDirAtomically } from './write-atomic';

/**
 * `npm run synth:manifests [-- --config FILE] [--out DIR]`: validate the config, render dist/ and the
 * Argo CD Applications (argocd/, next to dist/) in memory, then swap both in atomically. On any error
 * the previous dist/ and argocd/ are left exactly as they were.
 */
function main(argv: string[]): number {
  const outIdx = argv.indexOf('--out');
  const outDir = path.resolve(outIdx >= 0 ? argv[outIdx + 1] : 'dist');
  const argocdDir = path.join(path.dirname(outDir), ARGOCD_DIR);
  try {
    const started = process.hrtime.bigint();
    const envs = environmentsFromArgs(argv);
    const files = renderDist(envs);
    const argocd = renderArgoCd(envs, files);
    replaceDirAtomically(outDir, files);
    replaceDirAtomically(argocdDir, argocd);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    console.log(`synth: ${files.size} files for ${envs.map((e) => e.name).join(', ')} -> ${path.relative(process.cwd(), outDir) || '.'}/ in ${ms.toFixed(0)} ms`);
    console.log(`synth: ${argocd.size} Argo CD files -> ${path.relative(process.cwd(), argocdDir)}/`);
    return 0;
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`${e.message}\nNothing was written: ${path.relative(process.cwd(), outDir)}/ is unchanged.`);
      return 1;
    }
    console.error(`synth failed: ${(e as Error).stack ?? e}\nNothing was written.`);
    return 2;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
