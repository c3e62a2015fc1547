import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

/** Every file under `dir` (relative path -> text); the drift check reads trees the same way. */
export { readTree as readTreeFromDisk } from '../../manifests-src/validate/drift';

/**
 * Every file under `dir` as committed at git `ref` (relative path -> text), read with one
 * `git ls-tree` and one `git cat-file --batch`. Throws when the ref does not exist.
 */
export function readTreeAtRef(ref: string, dir: string, cwd = process.cwd()): Map<string, string> {
  const git = (args: string[], input?: string) =>
    execFileSync('git', args, { cwd, input, maxBuffer: 256 * 1024 * 1024, stdio: ['pipe', 'pipe', 'pipe'] });
  try {
    git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  } catch {
    throw new Error(`unknown git revision "${ref}"`);
  }
  const listing = git(['ls-tree', '-r', '-z', ref, '--', `${dir}/`]).toString('utf8');
  const entries = listing
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const [meta, file] = line.split('\t');
      return { sha: meta.split(' ')[2], type: meta.split(' ')[1], file };
    })
    .filter((e) => e.type === 'blob');
  const out = new Map<string, string>();
  if (entries.length === 0) return out;
  const batch = git(['cat-file', '--batch'], entries.map((e) => e.sha).join('\n') + '\n');
  let at = 0;
  for (const e of entries) {
    const headerEnd = batch.indexOf(0x0a, at);
    const size = Number(batch.subarray(at, headerEnd).toString('utf8').split(' ')[2]);
    out.set(path.posix.relative(dir, e.file), batch.subarray(headerEnd + 1, headerEnd + 1 + size).toString('utf8'));
    at = headerEnd + 1 + size + 1;
  }
  return out;
}
