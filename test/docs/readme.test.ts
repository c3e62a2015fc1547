import * as fs from 'node:fs';
import * as path from 'node:path';
import { configReference, renderReadmeSection } from '../../scripts/config-reference';
import pkg from '../../package.json';

const README = fs.readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');

describe('README stays true', () => {
  test('the configuration reference matches the schema (run `npm run docs` to refresh)', () => {
    expect(renderReadmeSection(README)).toBe(README);
    expect(configReference()).toContain('`workers.concurrency` | `16`');
  });

  test('every `npm run X` the README mentions exists in package.json', () => {
    const mentioned = [...README.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]);
    expect(mentioned.length).toBeGreaterThan(5);
    expect(mentioned.filter((s) => !(s in pkg.scripts))).toEqual([]);
  });
});
