import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllowlist } from '../../security/allowlist';
import { allowlistPath } from '../../security/security-scan';

const entries = parseAllowlist(readFileSync(allowlistPath(join(__dirname, '..', '..')), 'utf8'));

describe('security/allowlist.yaml', () => {
  test('parses and is not empty', () => {
    expect(entries.length).toBeGreaterThan(0);
  });

  test('every entry gives a written reason', () => {
    for (const e of entries) expect(e.reason.trim().split(/\s+/).length).toBeGreaterThanOrEqual(8);
  });

  test('each tool and check appears in one entry only, so its reason is in one place', () => {
    const keys = entries.map((e) => `${e.tool} ${e.check}`);
    expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
  });

  test('entries are scoped to shipped artifacts (dist/ or cdk.out/), never to test fixtures', () => {
    for (const e of entries) for (const f of e.files) expect(f).toMatch(/^(dist|cdk\.out)\//);
  });
});
