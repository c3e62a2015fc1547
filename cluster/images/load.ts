/**
 * Imports the images dist/<env> uses (plus the sandbox image) into a containerd, namespace k8s.io,
 * under the exact references dist/ names, building any that are not cached yet; then checks that
 * each reference exists. The sandbox image is imported only when containerd has none under its name. An image already there from the same build (label airflow-eks.image-key)
 * is not imported again.
 *   tsx cluster/images/load.ts --socket /path/containerd.sock [--env dev] [--sandbox-image REF]
 *                              [--snapshotter overlayfs]
 */
import { spawnSync } from 'node:child_process';
import { SNAPSHOTTER } from '../node/layout';
import { archivePath, buildRecipe, REPO_ROOT } from './build';
import { planImages, type Unavailable } from './catalog';

const KEY_LABEL = 'airflow-eks.image-key';

export interface LoadOptions {
  /** Environment folder under dist/ (default dev). */
  env?: string;
  /** The sandbox image containerd's config names (default catalog.DEFAULT_SANDBOX_IMAGE). */
  sandboxImage?: string;
  /** Snapshotter to unpack into: the one the CRI plugin uses. @default SNAPSHOTTER */
  snapshotter?: string;
  /** Load only these references (default: all of dist/<env> and the sandbox image). */
  only?: string[];
  log?: (line: string) => void;
}

export interface LoadResult {
  loaded: Array<{ ref: string; seconds: number; imported: boolean }>;
  /** References of dist/<env> that cannot be built on this machine, each with the reason. */
  unavailable: Unavailable[];
}

function ctr(socket: string, args: string[]): string {
  const r = spawnSync('ctr', ['-n', 'k8s.io', '-a', socket, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`ctr not found (${r.error.message}): run cluster/images/install-tools.sh`);
  if (r.status !== 0) throw new Error(`ctr -a ${socket} ${args.join(' ')} failed: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

/** The value of our key label on an image, or undefined when the image is absent. */
function importedKey(socket: string, ref: string): string | undefined | null {
  const line = ctr(socket, ['images', 'ls', `name==${ref}`]).split('\n').slice(1).find((l) => l.startsWith(`${ref} `));
  if (!line) return undefined;
  return line.match(new RegExp(`${KEY_LABEL.replace(/\./g, '\\.')}=([0-9a-f]+)`))?.[1] ?? null;
}

export function loadImages(socket: string, options: LoadOptions = {}): LoadResult {
  const log = options.log ?? console.log;
  const plan = planImages(REPO_ROOT, options.env ?? 'dev', options.sandboxImage);
  const wanted = options.only ?? [...plan.provides.keys()];
  const loaded: LoadResult['loaded'] = [];
  for (const ref of wanted) {
    const made = plan.provides.get(ref);
    if (!made) {
      if (plan.unavailable.some((u) => u.ref === ref)) continue;
      throw new Error(`${ref} is not an image of dist/${options.env ?? 'dev'} nor the sandbox image`);
    }
    const started = Date.now();
    // A sandbox image the cluster imported itself (its own pause build) is left as it is.
    const current = importedKey(socket, ref);
    if (ref === plan.sandboxImage && current !== undefined && current !== made.recipe.key) {
      loaded.push({ ref, seconds: 0, imported: false });
      log(`    present  ${ref} (the cluster's own sandbox image)`);
      continue;
    }
    buildRecipe(made.recipe, log);
    const fresh = current !== made.recipe.key;
    if (fresh) {
      ctr(socket, ['images', 'import', '--snapshotter', options.snapshotter ?? SNAPSHOTTER, archivePath(made.output)]);
      ctr(socket, ['images', 'label', ref, `${KEY_LABEL}=${made.recipe.key}`]);
    }
    if (importedKey(socket, ref) !== made.recipe.key) {
      throw new Error(`${ref} is not in containerd (${socket}) after importing ${archivePath(made.output)}`);
    }
    const seconds = (Date.now() - started) / 1000;
    loaded.push({ ref, seconds, imported: fresh });
    log(`    ${fresh ? 'imported' : 'present '} ${ref} (${seconds.toFixed(1)} s)`);
  }
  const unavailable = options.only ? plan.unavailable.filter((u) => wanted.includes(u.ref)) : plan.unavailable;
  for (const u of unavailable) log(`    NOT LOADED ${u.ref}: ${u.reason}`);
  return { loaded, unavailable };
}

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const socket = flag(argv, '--socket');
  if (!socket) {
    console.error('usage: tsx cluster/images/load.ts --socket <containerd.sock> [--env dev] [--sandbox-image REF] [--snapshotter overlayfs]');
    process.exitCode = 2;
  } else {
    try {
      loadImages(socket, { env: flag(argv, '--env'), sandboxImage: flag(argv, '--sandbox-image'), snapshotter: flag(argv, '--snapshotter') });
    } catch (e) {
      console.error((e as Error).message);
      process.exitCode = 1;
    }
  }
}
