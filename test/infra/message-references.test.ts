/**
 * Messages of the deploy tooling and the config validation tell users what to run: every `npm run X` they name must
 * be a package.json script and every repository path (docker/..., infra/..., scripts/...) must exist. Source text is
 * scanned whole (strings and comments), so a message built from pieces is covered as long as the command or path is
 * written out.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import pkg from '../../package.json';

const ROOT = path.resolve(__dirname, '..', '..');
const SCANNED = ['infra', 'manifests-src/config'];
/** Folders created at run time: a path under them cannot be checked against the tree. */
const RUNTIME_DIRS = new Set(['cdk.out', 'test-artifacts', '.state', '.cache', '.venv', 'node_modules']);
const TOP_LEVEL = new Set(fs.readdirSync(ROOT));

function sources(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? sources(`${dir}/${d.name}`) : /\.(ts|js|sh)$/.test(d.name) ? [`${dir}/${d.name}`] : []));
}

/** `npm run` script names and repository paths a text names (paths with placeholders such as `<env>` or `${x}` skipped). */
function namedReferences(text: string): { scripts: string[]; paths: string[] } {
  const scripts = [...text.matchAll(/npm run (?:-s )?([\w-]+(?::[\w-]+)*)/g)].map((m) => m[1]);
  const paths: string[] = [];
  for (const token of text.split(/[\s`'"]+/)) {
    const t = token.replace(/^[([]+|[)\],:;.]+$/g, '').replace(/^\.\//, '');
    if (!t.includes('/') || /[<>*${}=?\\]|:\/\//.test(t)) continue;
    const first = t.split('/')[0];
    if (TOP_LEVEL.has(first) && !RUNTIME_DIRS.has(first)) paths.push(t);
  }
  return { scripts, paths };
}

test('the scan finds what a message names, and would have caught the commands that never existed', () => {
  const refs = namedReferences("fix: 'run the mirror step (npm run deploy does it; or npm run mirror -- <env>)'; message: 'run docker/mirror-images.sh', see `infra/lib/charts.ts`. dist/<env>/ and ${root}/x are placeholders; npm run cost: bad");
  expect(refs).toEqual({ scripts: ['deploy', 'mirror', 'cost'], paths: ['docker/mirror-images.sh', 'infra/lib/charts.ts'] });
});

test.each(SCANNED)('every npm command and repository path named under %s/ exists', (dir) => {
  const missing: string[] = [];
  let named = 0;
  for (const file of sources(dir)) {
    const { scripts, paths } = namedReferences(fs.readFileSync(path.join(ROOT, file), 'utf8'));
    named += scripts.length + paths.length;
    for (const s of scripts) if (!(s in pkg.scripts)) missing.push(`${file}: npm run ${s} is not a package.json script`);
    for (const p of paths) if (!fs.existsSync(path.join(ROOT, p))) missing.push(`${file}: ${p} does not exist`);
  }
  expect(missing).toEqual([]);
  expect(named).toBeGreaterThan(5); // the scan saw the commands and paths the messages name
});
