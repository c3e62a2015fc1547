import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubeBin } from '../../cluster/node/layout';

/**
 * A kubelet-less control plane (Debian etcd + kube-apiserver from the cluster build) on ports of its own: enough to
 * check that CRDs install and objects are accepted before (or without) the shared cluster.
 */
export interface ControlPlane {
  readonly kubeconfig: string;
  readonly dir: string;
  stop(): void;
}

/** Paths the control plane needs; each missing one is named with how to get it. */
export function controlPlaneBinaries(): { apiserver: string; etcd: string; missing: string[] } {
  const apiserver = kubeBin('kube-apiserver');
  const etcd = spawnSync('sh', ['-c', 'command -v etcd'], { encoding: 'utf8' }).stdout.trim() || '/usr/bin/etcd';
  const missing: string[] = [];
  if (!existsSync(apiserver)) missing.push(`${apiserver} (built by the cluster's Kubernetes build: bash cluster/install.sh)`);
  if (!existsSync(etcd)) missing.push('etcd (Debian package etcd-server)');
  if (spawnSync('sh', ['-c', 'command -v openssl']).status !== 0) missing.push('openssl');
  return { apiserver, etcd, missing };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function until(what: string, deadlineMs: number, check: () => boolean, procs: ChildProcess[], logs: string[]): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (check()) return;
    const dead = procs.find((p) => p.exitCode !== null);
    if (dead) throw new Error(`${what}: a process exited (${dead.exitCode}); logs in ${logs.join(', ')}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what} not within ${deadlineMs / 1000} s; logs in ${logs.join(', ')}`);
}

/** Starts etcd and kube-apiserver on free loopback ports; `stop()` kills both and removes their folder. */
export async function startControlPlane(kubectl: string): Promise<ControlPlane> {
  const bins = controlPlaneBinaries();
  if (bins.missing.length) throw new Error(`control plane prerequisites missing: ${bins.missing.join('; ')}`);
  const dir = mkdtempSync(join(tmpdir(), 'airflow-eks-operators-cp-'));
  const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
  const procs: ChildProcess[] = [];
  const logs = [join(dir, 'etcd.log'), join(dir, 'apiserver.log')];
  const stop = () => {
    for (const p of procs.reverse()) if (p.exitCode === null) p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    procs.push(
      spawn(bins.etcd, [
        '--name', 'default', '--data-dir', join(dir, 'etcd'),
        '--listen-client-urls', `http://127.0.0.1:${etcdClient}`, '--advertise-client-urls', `http://127.0.0.1:${etcdClient}`,
        '--listen-peer-urls', `http://127.0.0.1:${etcdPeer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${etcdPeer}`,
        '--initial-cluster', `default=http://127.0.0.1:${etcdPeer}`,
      ], { stdio: ['ignore', openSync(logs[0], 'a'), openSync(logs[0], 'a')] }),
    );
    spawnSync('openssl', ['genrsa', '-out', join(dir, 'sa.key'), '2048'], { stdio: 'ignore' });
    spawnSync('openssl', ['rsa', '-in', join(dir, 'sa.key'), '-pubout', '-out', join(dir, 'sa.pub')], { stdio: 'ignore' });
    const token = randomBytes(16).toString('hex');
    writeFileSync(join(dir, 'tokens.csv'), `${token},admin,admin,system:masters\n`);
    procs.push(
      spawn(bins.apiserver, [
        `--etcd-servers=http://127.0.0.1:${etcdClient}`, '--bind-address=127.0.0.1', `--secure-port=${apiPort}`,
        `--cert-dir=${join(dir, 'certs')}`, `--service-account-key-file=${join(dir, 'sa.pub')}`,
        `--service-account-signing-key-file=${join(dir, 'sa.key')}`, '--service-account-issuer=https://kubernetes.default.svc',
        `--token-auth-file=${join(dir, 'tokens.csv')}`, '--authorization-mode=RBAC', '--service-cluster-ip-range=10.231.0.0/16',
      ], { stdio: ['ignore', openSync(logs[1], 'a'), openSync(logs[1], 'a')] }),
    );
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, JSON.stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'cp',
      clusters: [{ name: 'cp', cluster: { server: `https://127.0.0.1:${apiPort}`, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'admin', user: { token } }],
      contexts: [{ name: 'cp', context: { cluster: 'cp', user: 'admin' } }],
    }));
    const ready = () => spawnSync(kubectl, ['--kubeconfig', kubeconfig, 'get', '--raw', '/readyz'], { encoding: 'utf8' }).stdout.trim() === 'ok';
    await until('kube-apiserver /readyz', 180_000, ready, procs, logs);
    return { kubeconfig, dir, stop };
  } catch (err) {
    stop();
    throw err;
  }
}
