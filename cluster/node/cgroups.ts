import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NodeSpec } from './layout';

/**
 * The cgroup parent of a second node's pods: the kubelet refuses a cgroupRoot that does not exist, and two
 * kubelets must not share /kubepods. cgroup v1 (this machine) has one hierarchy per controller; v2 has one.
 */

const CGROUP_FS = '/sys/fs/cgroup';

function hierarchies(): string[] {
  if (fs.existsSync(path.join(CGROUP_FS, 'cgroup.controllers'))) return [CGROUP_FS];
  return fs
    .readdirSync(CGROUP_FS, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.isSymbolicLink())
    .map((d) => path.join(CGROUP_FS, d.name));
}

const dirsOf = (node: NodeSpec) => (node.cgroupRoot === '/' ? [] : hierarchies().map((h) => path.join(h, node.cgroupRoot)));

export function ensureCgroupRoot(node: NodeSpec): void {
  for (const d of dirsOf(node)) fs.mkdirSync(d, { recursive: true });
}

/** Removes the node's cgroup parent, deepest first (rmdir: a cgroup with processes stays and is reported). */
export function removeCgroupRoot(node: NodeSpec): void {
  for (const d of dirsOf(node)) {
    if (!fs.existsSync(d)) continue;
    const all: string[] = [];
    const walk = (p: string) => {
      all.push(p);
      for (const e of fs.readdirSync(p, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(p, e.name));
    };
    walk(d);
    for (const p of all.reverse()) {
      try {
        fs.rmdirSync(p);
      } catch {
        /* busy: reported by cgroupRootsLeft */
      }
    }
  }
}

export function cgroupRootsLeft(nodes: readonly NodeSpec[] = []): string[] {
  return nodes.flatMap(dirsOf).filter((d) => fs.existsSync(d));
}
