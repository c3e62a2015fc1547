import { readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Image archives are cached as `<name>-<16-hex key>.tar`; each change to an image's inputs adds one (an Airflow
 * image is ~850 MB). Archives of another key unused this long are deleted: long enough for a CI run right after
 * a commit to find its build, short enough that a day of edits does not fill the disk the kubelets need.
 */
export const STALE_ARCHIVE_MS = 2 * 3600_000;

const ARCHIVE = /^(.*)-[0-9a-f]{16}\.tar$/;

/** Marks `archive` as used now and deletes the same image's archives of other keys unused for STALE_ARCHIVE_MS. */
export function useArchive(archive: string, now: Date = new Date()): string[] {
  const name = ARCHIVE.exec(basename(archive))?.[1];
  if (!name) throw new Error(`${archive} is not named <image>-<key>.tar`);
  utimesSync(archive, now, now);
  const removed: string[] = [];
  for (const file of readdirSync(dirname(archive))) {
    if (file === basename(archive) || ARCHIVE.exec(file)?.[1] !== name) continue;
    const path = join(dirname(archive), file);
    if (now.getTime() - statSync(path).mtimeMs > STALE_ARCHIVE_MS) {
      rmSync(path, { force: true });
      removed.push(path);
    }
  }
  return removed;
}
