import { loadEnvironments } from '../config';
import { renderDist } from '../synth';
import { compareTrees, describeDrift, hasDrift, readTree } from './drift';

/** CI gate: `tsx manifests-src/validate/drift-cli.ts [dist]` exits 1 when the committed dist/ is not what synth renders. */
function main(dir: string): number {
  const started = process.hrtime.bigint();
  const rendered = renderDist(loadEnvironments());
  const committed = readTree(dir);
  const drift = compareTrees(rendered, committed);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  console.log(`${describeDrift(drift, rendered, committed, dir)} (${rendered.size} files compared in ${ms.toFixed(0)} ms)`);
  return hasDrift(drift) ? 1 : 0;
}

process.exitCode = main(process.argv[2] ?? 'dist');
