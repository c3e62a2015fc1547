import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STALE_ARCHIVE_MS, useArchive } from '../../cluster/images/archive-cache';

describe('image archive cache', () => {
  let dir: string;
  const now = new Date('2026-11-26T06:00:00Z');
  const file = (name: string, ageMs: number) => {
    const p = join(dir, name);
    writeFileSync(p, 'x');
    const t = new Date(now.getTime() - ageMs);
    utimesSync(p, t, t);
    return p;
  };
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'archives-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('deletes only stale archives of the same image, and marks the used one fresh', () => {
    const used = file('argocd-0123456789abcdef.tar', 10 * STALE_ARCHIVE_MS);
    const stale = file('argocd-fedcba9876543210.tar', STALE_ARCHIVE_MS + 1000);
    const recent = file('argocd-aaaaaaaaaaaaaaaa.tar', STALE_ARCHIVE_MS - 1000);
    const otherImage = file('argocd-redis-bbbbbbbbbbbbbbbb.tar', 10 * STALE_ARCHIVE_MS);
    const lock = file('argocd.lock', 10 * STALE_ARCHIVE_MS);

    expect(useArchive(used, now)).toEqual([stale]);
    expect([used, recent, otherImage, lock].every(existsSync)).toBe(true);
    expect(existsSync(stale)).toBe(false);
    // Used now: another image's build a moment later does not count it as stale.
    expect(useArchive(otherImage, new Date(now.getTime() + 1000))).toEqual([]);
    expect(existsSync(used)).toBe(true);
  });

  test('refuses a file that is not a keyed archive', () => {
    expect(() => useArchive(file('airflow.tar', 0), now)).toThrow(/not named <image>-<key>\.tar/);
  });
});
