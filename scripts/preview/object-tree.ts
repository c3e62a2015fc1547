import { parseAllDocuments, stringify } from 'yaml';

/** One Kubernetes object of the GitOps tree, identified the way Argo CD identifies it. */
export interface TreeObject {
  /** `dist` or `argocd`: the committed tree the object lives in. */
  readonly tree: string;
  /** Environment (first folder). */
  readonly env: string;
  /** Argo CD Application the object belongs to: the group folder in dist/, `argocd` for the Argo CD objects. */
  readonly app: string;
  /** `Kind/namespace/name` (`Kind/name` when cluster-scoped). */
  readonly id: string;
  /** Canonical YAML of the object alone, for diffing. */
  readonly yaml: string;
}

/** Key unique across trees: environment, Application, object. */
export const keyOf = (o: Pick<TreeObject, 'env' | 'app' | 'id'>) => `${o.env}\u0000${o.app}\u0000${o.id}`;

/**
 * Splits a tree (relative path -> YAML text) into objects. A file that is not valid YAML is kept as one
 * pseudo-object named after the file, so a hand-edited, broken file still shows up as a difference.
 */
export function objectsOfTree(tree: string, files: ReadonlyMap<string, string>): Map<string, TreeObject> {
  const out = new Map<string, TreeObject>();
  for (const [file, text] of files) {
    const parts = file.split('/');
    const env = parts[0];
    const app = tree === 'dist' ? (parts[1] ?? '') : tree;
    const docs = parseAllDocuments(text);
    const bad = docs.find((d) => d.errors.length > 0);
    if (bad) {
      const o = { tree, env, app, id: `unparsable file ${file}`, yaml: text };
      out.set(keyOf(o), o);
      continue;
    }
    for (const doc of docs) {
      const obj = doc.toJS() as { kind?: string; metadata?: { name?: string; namespace?: string } } | null;
      if (!obj || typeof obj !== 'object') continue;
      const ns = obj.metadata?.namespace;
      const id = `${obj.kind ?? '?'}/${ns ? `${ns}/` : ''}${obj.metadata?.name ?? '?'}`;
      const o = { tree, env, app, id, yaml: stringify(obj, { lineWidth: 0, aliasDuplicateObjects: false }) };
      out.set(keyOf(o), o);
    }
  }
  return out;
}
