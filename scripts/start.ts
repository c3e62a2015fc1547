import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, environmentsFromArgs } from '../manifests-src/config';
import { renderDist } from '../manifests-src/synth';
import { replaceDirAtomically } from '../manifests-src/write-atomic';
import { componentSummary } from './summary';

/**
 * `npm start`: synthesize dist/ from the committed config, show what it deploys and how it differs
 * from the committed dist/, then write it.
 */
function section(title: string): void {
  console.log(`\n== ${title} ${'='.repeat(Math.max(0, 70 - title.length))}`);
}

function readDir(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!fs.existsSync(dir)) return out;
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), fs.readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

async function main(): Promise<number> {
  const envs = environmentsFromArgs();
  section('Configuration');
  console.log(componentSummary(envs));

  const files = renderDist(envs);
  section('Preview against the committed dist/');
  const committed = readDir('dist');
  const added = [...files.keys()].filter((f) => !committed.has(f));
  const removed = [...committed.keys()].filter((f) => !files.has(f));
  const changed = [...files.keys()].filter((f) => committed.has(f) && committed.get(f) !== files.get(f));
  for (const f of added) console.log(`  + ${f}`);
  for (const f of changed) console.log(`  ~ ${f}`);
  for (const f of removed) console.log(`  - ${f}`);
  console.log(`  ${added.length} added, ${changed.length} changed, ${removed.length} removed files`);

  replaceDirAtomically('dist', files);
  section('Synth');
  console.log(`  wrote ${files.size} files to dist/`);
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (e) => {
    console.error(e instanceof ConfigError ? `${e.message}\nNothing was written: dist/ is unchanged.` : e);
    process.exitCode = 1;
  },
);
