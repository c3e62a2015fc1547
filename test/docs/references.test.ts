import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { anchorOf, brokenReferences } from '../../scripts/doc-references';
import pkg from '../../package.json';

const ROOT = path.resolve(__dirname, '../..');
const ctx = { root: ROOT, npmScripts: Object.keys(pkg.scripts) };
const DOCS = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

describe('README and docs refer only to things that exist', () => {
  test.each(DOCS)('%s: every link, repository path and `npm run` command resolves', (file) => {
    expect(brokenReferences(file, ctx)).toEqual([]);
  });

  test('a broken link, anchor, path or npm command is reported', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'doc-refs-'));
    fs.mkdirSync(path.join(dir, 'scripts'));
    fs.writeFileSync(path.join(dir, 'scripts', 'real.sh'), '');
    fs.writeFileSync(path.join(dir, 'other.md'), '# Real heading\n');
    fs.writeFileSync(path.join(dir, 'doc.md'), [
      '# Doc', 'See [gone](gone.md), [ok](other.md#real-heading), [bad anchor](other.md#nope) and [self](#doc).',
      'Run `bash scripts/real.sh`, `bash scripts/missing.sh`, `npm run build` and `npm run docs`.',
      '```', 'npx tsx scripts/nope.ts   # dist/<env> placeholders are not checked', '```',
    ].join('\n'));
    expect(brokenReferences('doc.md', { root: dir, npmScripts: ['docs'] }).sort()).toEqual([
      'doc.md: link to missing gone.md',
      'doc.md: link to missing heading other.md#nope',
      'doc.md: path scripts/missing.sh does not exist',
      'doc.md: path scripts/nope.ts does not exist',
      'doc.md: `npm run build` is not a package.json script',
    ].sort());
  });

  test('anchors follow GitHub: `AWS infrastructure (`infra/`)` -> aws-infrastructure-infra', () => {
    expect(anchorOf('AWS infrastructure (`infra/`)')).toBe('aws-infrastructure-infra');
  });
});
