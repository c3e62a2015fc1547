import { createTwoFilesPatch } from 'diff';
import { keyOf, type TreeObject } from './object-tree';

export type ChangeKind = 'added' | 'changed' | 'removed';

export interface ObjectChange {
  readonly kind: ChangeKind;
  readonly env: string;
  readonly app: string;
  readonly id: string;
  /** Unified diff of the object's YAML (old -> new). */
  readonly patch: string;
}

export interface PreviewResult {
  readonly changes: ObjectChange[];
  readonly counts: Record<ChangeKind, number>;
}

/** Object-level differences between two sets of objects, sorted by environment, Application and object. */
export function diffObjects(before: ReadonlyMap<string, TreeObject>, after: ReadonlyMap<string, TreeObject>, context = 3): PreviewResult {
  const changes: ObjectChange[] = [];
  const keys = new Set([...before.keys(), ...after.keys()]);
  for (const key of keys) {
    const a = before.get(key);
    const b = after.get(key);
    if (a && b && a.yaml === b.yaml) continue;
    const o = (b ?? a)!;
    const kind: ChangeKind = !a ? 'added' : !b ? 'removed' : 'changed';
    const label = `${o.env}/${o.app}/${o.id}`;
    const patch = createTwoFilesPatch(`a/${label}`, `b/${label}`, a?.yaml ?? '', b?.yaml ?? '', undefined, undefined, { context });
    changes.push({ kind, env: o.env, app: o.app, id: o.id, patch: patch.replace(/^=+\n/, '') });
  }
  changes.sort((x, y) => (keyOf(x) < keyOf(y) ? -1 : keyOf(x) > keyOf(y) ? 1 : 0)); // code-point order, stable across locales
  const counts = { added: 0, changed: 0, removed: 0 };
  for (const c of changes) counts[c.kind]++;
  return { changes, counts };
}

const MARK: Record<ChangeKind, string> = { added: '+', changed: '~', removed: '-' };

export const summaryLine = (r: PreviewResult) => `${r.counts.added} added, ${r.counts.changed} changed, ${r.counts.removed} removed objects`;

export interface FormatOptions {
  /** Print the unified diff under each changed object. Default true. */
  readonly patches?: boolean;
}

/** Human-readable preview: environment, then Application, then one line (and diff) per object, then the summary. */
export function formatPreview(r: PreviewResult, opts: FormatOptions = {}): string {
  const lines: string[] = [];
  let env: string | undefined;
  let app: string | undefined;
  for (const c of r.changes) {
    if (c.env !== env) {
      lines.push(`\nEnvironment ${c.env}`);
      env = c.env;
      app = undefined;
    }
    if (c.app !== app) {
      lines.push(`  Application ${c.app}`);
      app = c.app;
    }
    lines.push(`    ${MARK[c.kind]} ${c.id} (${c.kind})`);
    if (opts.patches ?? true) {
      const body = c.patch.split('\n').slice(2).filter((l) => l.length > 0 && !l.startsWith('\\'));
      lines.push(...body.map((l) => `        ${l}`));
    }
  }
  if (r.changes.length === 0) lines.push('No differences.');
  lines.push(summaryLine(r));
  return lines.join('\n');
}
