import * as fs from 'node:fs';
import * as path from 'node:path';
import { daemonPid, sh, startDaemon, stopDaemon, waitFor } from './daemon';
import { CNI_BIN_DIR } from './network';
import { CACHE_DIR, CORE_NODE, NODES, SANDBOX_IMAGE, SNAPSHOTTER, statePath, type NodeSpec } from './layout';

/**
 * containerd (Debian) with runc, one per node, each with its own state and socket under the state folder and
 * its own image store (root) in the cache.
 * Settings that this machine needs: restrict_oom_score_adj (root lacks CAP_SYS_RESOURCE: without it every
 * sandbox fails with "can't get final child's PID from pipe"), cgroupfs (no systemd).
 */

const daemonName = (node: NodeSpec) => `containerd${node.suffix}`;

function config(node: NodeSpec): string {
  // The image store lives in the cache, not the clone: a fresh clone (CI) reuses the imported images instead of
  // unpacking ~5 GB per node again beside the previous clone's copy.
  const root = path.join(CACHE_DIR, 'containerd', node.name);
  const state = statePath(`containerd${node.suffix}`, 'state');
  const set = (toml: string, key: string, value: string) => {
    const re = new RegExp(`^(\\s*${key} = ).*$`, 'm');
    if (!re.test(toml)) throw new Error(`containerd default config has no "${key}" to set`);
    return toml.replace(re, `$1${value}`);
  };
  let t = sh('containerd', ['config', 'default']);
  t = set(t, 'root', JSON.stringify(root));
  t = set(t, 'state', JSON.stringify(state));
  // The first `address = ""` is [grpc]'s; then [ttrpc], [debug], [metrics] keep theirs.
  t = t.replace(/(\[grpc\][^[]*?address = )"[^"]*"/, `$1${JSON.stringify(node.containerdSocket)}`);
  t = set(t, 'restrict_oom_score_adj', 'true');
  t = set(t, 'sandbox_image', JSON.stringify(SANDBOX_IMAGE));
  t = set(t, 'bin_dir', JSON.stringify(CNI_BIN_DIR));
  t = set(t, 'conf_dir', JSON.stringify(node.cniConfDir));
  t = set(t, 'snapshotter', JSON.stringify(SNAPSHOTTER));
  t = t.replace(/SystemdCgroup = true/g, 'SystemdCgroup = false');
  return t;
}

export async function startContainerd(node: NodeSpec = CORE_NODE): Promise<void> {
  const file = statePath(`containerd${node.suffix}`, 'config.toml');
  if (!daemonPid(daemonName(node))) {
    fs.mkdirSync(path.dirname(node.containerdSocket), { recursive: true });
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, config(node));
  }
  startDaemon({ name: daemonName(node), command: 'containerd', args: ['--config', file] });
  await waitFor(`containerd of ${node.name}`, () => ctr('version', true, node) !== '', 60_000, daemonName(node));
}

export function ctr(args: string, allowFail = false, node: NodeSpec = CORE_NODE): string {
  return sh('ctr', ['-a', node.containerdSocket, '-n', 'k8s.io', ...args.split(' ')], { allowFail });
}

/** Imports an image archive (docker or OCI) into the CRI's namespace of every node. */
export function importImage(tar: string): void {
  for (const n of NODES) sh('ctr', ['-a', n.containerdSocket, '-n', 'k8s.io', 'images', 'import', '--snapshotter', SNAPSHOTTER, tar]);
}

/** Containers that still have a task, after the kubelet is gone: killed and removed so no shim survives. */
function removeAllContainers(node: NodeSpec): void {
  if (!daemonPid(daemonName(node))) return;
  for (const line of ctr('tasks ls -q', true, node).split('\n').filter(Boolean)) {
    ctr(`tasks kill -s SIGKILL ${line}`, true, node);
  }
  for (const line of ctr('tasks ls -q', true, node).split('\n').filter(Boolean)) ctr(`tasks delete -f ${line}`, true, node);
  for (const id of ctr('containers ls -q', true, node).split('\n').filter(Boolean)) ctr(`containers delete ${id}`, true, node);
}

/** containerd-shim processes serving one of our sockets (they outlive containerd if tasks were not removed). */
export function ourShims(): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (cmd.startsWith('/usr/bin/containerd-shim') && NODES.some((n) => cmd.includes(n.containerdSocket))) out.push(Number(d));
    } catch {
      /* exited */
    }
  }
  return out;
}

async function stopContainerd(node: NodeSpec): Promise<void> {
  removeAllContainers(node);
  await stopDaemon(daemonName(node));
}

/** Stops every node's containerd, then any shim left. */
export async function stopAllContainerd(): Promise<void> {
  for (const n of NODES) await stopContainerd(n);
  for (const pid of ourShims()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}
