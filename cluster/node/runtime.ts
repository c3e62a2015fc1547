import * as fs from 'node:fs';
import * as path from 'node:path';
import { daemonPid, sh, startDaemon, stopDaemon, waitFor } from './daemon';
import { CNI_BIN_DIR, CNI_CONF_DIR } from './network';
import { CONTAINERD_SOCKET, SANDBOX_IMAGE, SNAPSHOTTER, statePath } from './layout';

/**
 * containerd (Debian) with runc, its own root/state/socket under the state folder. Settings that this
 * machine needs: restrict_oom_score_adj (root lacks CAP_SYS_RESOURCE: without it every sandbox fails with
 * "can't get final child's PID from pipe"), cgroupfs (no systemd).
 */

const CONFIG = statePath('containerd', 'config.toml');

function config(): string {
  const root = statePath('containerd', 'root');
  const state = statePath('containerd', 'state');
  const set = (toml: string, key: string, value: string) => {
    const re = new RegExp(`^(\\s*${key} = ).*$`, 'm');
    if (!re.test(toml)) throw new Error(`containerd default config has no "${key}" to set`);
    return toml.replace(re, `$1${value}`);
  };
  let t = sh('containerd', ['config', 'default']);
  t = set(t, 'root', JSON.stringify(root));
  t = set(t, 'state', JSON.stringify(state));
  // The first `address = ""` is [grpc]'s; then [ttrpc], [debug], [metrics] keep theirs.
  t = t.replace(/(\[grpc\][^[]*?address = )"[^"]*"/, `$1${JSON.stringify(CONTAINERD_SOCKET)}`);
  t = set(t, 'restrict_oom_score_adj', 'true');
  t = set(t, 'sandbox_image', JSON.stringify(SANDBOX_IMAGE));
  t = set(t, 'bin_dir', JSON.stringify(CNI_BIN_DIR));
  t = set(t, 'conf_dir', JSON.stringify(CNI_CONF_DIR));
  t = set(t, 'snapshotter', JSON.stringify(SNAPSHOTTER));
  t = t.replace(/SystemdCgroup = true/g, 'SystemdCgroup = false');
  return t;
}

export async function startContainerd(): Promise<void> {
  if (!daemonPid('containerd')) {
    fs.mkdirSync(path.dirname(CONTAINERD_SOCKET), { recursive: true });
    fs.mkdirSync(path.dirname(CONFIG), { recursive: true });
    fs.writeFileSync(CONFIG, config());
  }
  startDaemon({ name: 'containerd', command: 'containerd', args: ['--config', CONFIG] });
  await waitFor('containerd socket', () => ctr('version', true) !== '', 60_000, 'containerd');
}

export function ctr(args: string, allowFail = false): string {
  return sh('ctr', ['-a', CONTAINERD_SOCKET, '-n', 'k8s.io', ...args.split(' ')], { allowFail });
}

export function imageRefs(): string[] {
  return ctr('images ls -q', true).split('\n').filter(Boolean);
}

/** Imports an image archive (docker or OCI) into the CRI's namespace. */
export function importImage(tar: string): void {
  sh('ctr', ['-a', CONTAINERD_SOCKET, '-n', 'k8s.io', 'images', 'import', '--snapshotter', SNAPSHOTTER, tar]);
}

/** Containers that still have a task, after the kubelet is gone: killed and removed so no shim survives. */
export function removeAllContainers(): void {
  if (!daemonPid('containerd')) return;
  for (const line of ctr('tasks ls -q', true).split('\n').filter(Boolean)) {
    ctr(`tasks kill -s SIGKILL ${line}`, true);
  }
  for (const line of ctr('tasks ls -q', true).split('\n').filter(Boolean)) ctr(`tasks delete -f ${line}`, true);
  for (const id of ctr('containers ls -q', true).split('\n').filter(Boolean)) ctr(`containers delete ${id}`, true);
}

/** containerd-shim processes serving our socket (they outlive containerd if tasks were not removed). */
export function ourShims(): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (cmd.startsWith('/usr/bin/containerd-shim') && cmd.includes(CONTAINERD_SOCKET)) out.push(Number(d));
    } catch {
      /* exited */
    }
  }
  return out;
}

export async function stopContainerd(): Promise<void> {
  removeAllContainers();
  await stopDaemon('containerd');
  for (const pid of ourShims()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}
