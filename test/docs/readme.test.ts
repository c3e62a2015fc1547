import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONFIG_DOC, configReference, renderSection } from '../../scripts/config-reference';

const ROOT = path.resolve(__dirname, '../..');
const read = (f: string) => fs.readFileSync(path.join(ROOT, f), 'utf8');

describe('README and docs stay true', () => {
  test('the configuration reference in docs/configuration.md matches the schema (run `npm run docs` to refresh)', () => {
    const doc = read(CONFIG_DOC);
    expect(renderSection(doc, configReference())).toBe(doc);
    expect(configReference()).toContain('`workers.concurrency` | `16`');
  });

  test('README.md stays a front page: at most 200 lines, the two commands, and a link to every doc', () => {
    const readme = read('README.md');
    expect(readme.split('\n').length).toBeLessThanOrEqual(200);
    expect(readme).toMatch(/^npm start\b/m);
    expect(readme).toMatch(/^npm test\b/m);
    const docs = fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md'));
    expect(docs.filter((f) => !readme.includes(`](docs/${f})`))).toEqual([]);
  });
});
