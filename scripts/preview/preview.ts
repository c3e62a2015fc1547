import * as path from 'node:path';
import type { EnvironmentConfig } from '../../manifests-src/config';
import { ARGOCD_DIR, DIST_DIR, renderArgoCd } from '../../manifests-src/gitops';
import { renderDist } from '../../manifests-src/synth';
import { diffObjects, type PreviewResult } from './object-diff';
import { objectsOfTree, type TreeObject } from './object-tree';
import { readTreeAtRef, readTreeFromDisk } from './sources';

/** The trees synth writes, in the order the preview lists them. */
const TREES = [DIST_DIR, ARGOCD_DIR] as const;

export interface PreviewOptions {
  /** Compare with this git revision (`git show <ref>:dist/...`) instead of the files on disk. */
  readonly ref?: string;
  /** Repository root. Default: the current directory. */
  readonly root?: string;
  /** Trees already rendered with `renderTrees(envs)`, to render only once. */
  readonly rendered?: ReturnType<typeof renderTrees>;
}

/** What `npm run synth` would write for `envs`: dist/ and argocd/, in memory. */
export function renderTrees(envs: readonly EnvironmentConfig[]): Record<(typeof TREES)[number], Map<string, string>> {
  const dist = renderDist(envs);
  return { dist, argocd: renderArgoCd(envs, dist) };
}

function objectsOf(read: (tree: string) => ReadonlyMap<string, string>): Map<string, TreeObject> {
  return new Map(TREES.flatMap((tree) => [...objectsOfTree(tree, read(tree))]));
}

/**
 * Object-level difference between what the config renders and the committed trees (on disk, or at a git
 * ref): nothing is written.
 */
export function previewChanges(envs: readonly EnvironmentConfig[], opts: PreviewOptions = {}): PreviewResult {
  const root = opts.root ?? process.cwd();
  const rendered = opts.rendered ?? renderTrees(envs);
  const before = objectsOf((tree) => (opts.ref ? readTreeAtRef(opts.ref, tree, root) : readTreeFromDisk(path.join(root, tree))));
  const after = objectsOf((tree) => rendered[tree as (typeof TREES)[number]]);
  return diffObjects(before, after);
}

/** What to do when the committed trees do not match the sources: CI prints this and fails. */
export const STALE_MESSAGE =
  'dist/ or argocd/ is out of date with manifests-src/ and the config: run `npm run synth` and commit dist/ and argocd/.';
