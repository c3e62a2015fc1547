import * as fs from 'node:fs';
import * as path from 'node:path';

/** How the committed tree differs from a fresh render, by `dist/`-relative path (sorted). */
export interface Drift {
  /** Rendered but not committed: synth would add them. */
  readonly added: readonly string[];
  /** Committed but no longer rendered: stale files synth would delete. */
  readonly removed: readonly string[];
  /** In both, with different text. */
  readonly changed: readonly string[];
}

/** Every file under `dir` as relative path (always `/`-separated) -> text; empty when `dir` is missing. */
export function readTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!fs.existsSync(dir)) return out;
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p).split(path.sep).join('/'), fs.readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

/** Compares a fresh render (`expected`) with what is committed (`actual`), file by file. */
export function compareTrees(expected: ReadonlyMap<string, string>, actual: ReadonlyMap<string, string>): Drift {
  const added = [...expected.keys()].filter((f) => !actual.has(f)).sort();
  const removed = [...actual.keys()].filter((f) => !expected.has(f)).sort();
  const changed = [...expected.keys()].filter((f) => actual.has(f) && actual.get(f) !== expected.get(f)).sort();
  return { added, removed, changed };
}

export function hasDrift(d: Drift): boolean {
  return d.added.length + d.removed.length + d.changed.length > 0;
}

/** A message for the person whose build failed: what differs, where, and the fix. */
export function describeDrift(d: Drift, expected: ReadonlyMap<string, string>, actual: ReadonlyMap<string, string>, dir = 'dist'): string {
  if (!hasDrift(d)) return `${dir}/ matches the sources`;
  const lines = [`${dir}/ is out of date with manifests-src/ and the config: run \`npm run synth\` and commit ${dir}/.`];
  for (const f of d.added) lines.push(`  added (missing from ${dir}/): ${dir}/${f}`);
  for (const f of d.removed) lines.push(`  removed (stale in ${dir}/): ${dir}/${f}`);
  for (const f of d.changed) lines.push(`  changed: ${dir}/${f}${firstDifference(expected.get(f)!, actual.get(f)!)}`);
  return lines.join('\n');
}

/** ` line N: committed "…" / rendered "…"` for the first differing line. */
function firstDifference(rendered: string, committed: string): string {
  const a = rendered.split('\n');
  const b = committed.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return ` (line ${i + 1}: committed ${JSON.stringify(b[i] ?? '<end>')}, rendered ${JSON.stringify(a[i] ?? '<end>')})`;
  }
  return '';
}
