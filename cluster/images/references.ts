/**
 * The container image references a synthesized environment uses, read from its committed YAML
 * (dist/<env>/**), never from a copy: whatever dist/ says is what the cluster must have.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers']);

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return yamlFiles(path);
      return /\.ya?ml$/.test(name) ? [path] : [];
    });
}

function collect(node: unknown, into: Set<string>): void {
  if (Array.isArray(node)) {
    node.forEach((n) => collect(n, into));
    return;
  }
  if (!node || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node)) {
    if (CONTAINER_LISTS.has(key) && Array.isArray(value)) {
      for (const c of value) if (c && typeof c.image === 'string') into.add(c.image);
    }
    collect(value, into);
  }
}

/**
 * containerd's name for a reference (what `ctr images ls` shows and kubelet looks up):
 * `apache/airflow:x` -> `docker.io/apache/airflow:x`, `busybox:1` -> `docker.io/library/busybox:1`.
 */
export function normalizeReference(ref: string): string {
  const first = ref.split('/')[0];
  const hasRegistry = ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasRegistry) return ref;
  return ref.includes('/') ? `docker.io/${ref}` : `docker.io/library/${ref}`;
}

/** Every object of every YAML file under `envDir` (e.g. dist/dev), files in name order. */
export function distObjects(envDir: string): unknown[] {
  return yamlFiles(envDir).flatMap((file) =>
    parseAllDocuments(readFileSync(file, 'utf8')).map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${file}: not valid YAML: ${doc.errors[0].message}`);
      return doc.toJS() as unknown;
    }),
  );
}

/** `app.kubernetes.io/name` of each pod template of the given workload kinds under `envDir`, in file order. */
export function distWorkloadNames(envDir: string, kinds: readonly string[]): string[] {
  type Workload = { kind?: string; spec?: { template?: { metadata?: { labels?: Record<string, string> } } } } | null;
  return (distObjects(envDir) as Workload[])
    .filter((o) => kinds.includes(o?.kind ?? ''))
    .map((o) => o!.spec?.template?.metadata?.labels?.['app.kubernetes.io/name'])
    .filter((n): n is string => !!n);
}

/** Every image used by a container of any object under `envDir` (e.g. dist/dev), normalized, sorted. */
export function distImageReferences(envDir: string): string[] {
  const refs = new Set<string>();
  for (const o of distObjects(envDir)) collect(o, refs);
  return [...refs].map(normalizeReference).sort();
}

/** Images of the DaemonSets under `envDir`: what every node runs, the system node included. */
export function distDaemonSetImageReferences(envDir: string): string[] {
  const refs = new Set<string>();
  for (const o of distObjects(envDir)) if ((o as { kind?: string } | null)?.kind === 'DaemonSet') collect(o, refs);
  return [...refs].map(normalizeReference).sort();
}
