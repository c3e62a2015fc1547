import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Replaces `targetDir` with exactly `files` (relative path -> text) or leaves it untouched:
 * everything is written into a sibling temp dir first, then swapped in with renames.
 */
export function replaceDirAtomically(targetDir: string, files: ReadonlyMap<string, string>): void {
  const parent = path.dirname(path.resolve(targetDir));
  const base = path.basename(targetDir);
  const staging = fs.mkdtempSync(path.join(parent, `.${base}.new-`));
  try {
    for (const rel of [...files.keys()].sort()) {
      if (path.isAbsolute(rel) || rel.split(/[\\/]/).includes('..')) throw new Error(`refusing to write outside ${base}/: ${rel}`);
      const dest = path.join(staging, rel);
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.writeFileSync(dest, files.get(rel)!);
    }
  } catch (e) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw e;
  }
  const old = `${staging.replace(`.${base}.new-`, `.${base}.old-`)}`;
  const hadTarget = fs.existsSync(targetDir);
  if (hadTarget) fs.renameSync(targetDir, old);
  try {
    fs.renameSync(staging, targetDir);
  } catch (e) {
    if (hadTarget) fs.renameSync(old, targetDir);
    fs.rmSync(staging, { recursive: true, force: true });
    throw e;
  }
  if (hadTarget) fs.rmSync(old, { recursive: true, force: true });
}

/** Writes `file` through a temp file and a rename: a reader sees the old text or the new, never half. */
export function writeFileAtomic(file: string, text: string): void {
  fs.writeFileSync(`${file}.tmp`, text);
  fs.renameSync(`${file}.tmp`, file);
}
