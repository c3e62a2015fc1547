import * as fs from 'node:fs';
import * as https from 'node:https';
import { startDaemon, waitFor } from './daemon';
import { KUBECONFIG, kubeBin, NET, NODE_PORTS, statePath, type VpcAddresses } from './layout';
import { CA_CERT, FRONT_PROXY_CLIENT, type ClusterCredentials } from './pki';

/** etcd (Debian) and the control plane built from k8s.io/kubernetes, as host processes (a kubeadm node runs them as static pods). */

export async function startEtcd(): Promise<void> {
  const data = statePath('etcd');
  fs.mkdirSync(data, { recursive: true, mode: 0o700 });
  const client = `http://127.0.0.1:${NODE_PORTS.etcdClient}`;
  startDaemon({
    name: 'etcd',
    command: 'etcd',
    args: ['--name', 'local', '--data-dir', data, '--listen-client-urls', client, '--advertise-client-urls', client, '--listen-peer-urls', `http://127.0.0.1:${NODE_PORTS.etcdPeer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${NODE_PORTS.etcdPeer}`, '--initial-cluster', `local=http://127.0.0.1:${NODE_PORTS.etcdPeer}`],
    env: { ...process.env, ETCD_UNSUPPORTED_ARCH: '' },
  });
  await waitFor('etcd health', async () => (await fetch(`${client}/health`)).ok, 60_000, 'etcd');
}

/** GET on the API server with the admin token; resolves with the HTTP status. */
export function apiStatus(vpc: VpcAddresses, path: string, token: string): Promise<number> {
  return new Promise((resolve) => {
    const req = https.get({ host: vpc.node, port: NODE_PORTS.apiServer, path, ca: fs.readFileSync(CA_CERT), headers: { authorization: `Bearer ${token}` }, timeout: 5000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
  });
}

export async function startApiServer(vpc: VpcAddresses, creds: ClusterCredentials): Promise<void> {
  startDaemon({
    name: 'kube-apiserver',
    command: kubeBin('kube-apiserver'),
    args: [
      `--etcd-servers=http://127.0.0.1:${NODE_PORTS.etcdClient}`,
      `--bind-address=${vpc.node}`,
      `--advertise-address=${vpc.node}`,
      `--secure-port=${NODE_PORTS.apiServer}`,
      `--tls-cert-file=${creds.apiServerCert.cert}`,
      `--tls-private-key-file=${creds.apiServerCert.key}`,
      `--client-ca-file=${CA_CERT}`,
      `--kubelet-client-certificate=${creds.kubeletClientCert.cert}`,
      `--kubelet-client-key=${creds.kubeletClientCert.key}`,
      // The node name resolves nowhere (no DNS outside the cluster): reach the kubelet by its address.
      '--kubelet-preferred-address-types=InternalIP',
      // Aggregation layer: aggregated API servers (KEDA's external metrics) trust requests proxied with this
      // client certificate and read the caller from these headers (extension-apiserver-authentication).
      `--proxy-client-cert-file=${creds.frontProxyClientCert.cert}`,
      `--proxy-client-key-file=${creds.frontProxyClientCert.key}`,
      `--requestheader-client-ca-file=${CA_CERT}`,
      `--requestheader-allowed-names=${FRONT_PROXY_CLIENT}`,
      '--requestheader-username-headers=X-Remote-User',
      '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      `--token-auth-file=${creds.tokenFile}`,
      '--authorization-mode=Node,RBAC',
      `--service-cluster-ip-range=${NET.serviceCidr}`,
      `--service-account-key-file=${creds.serviceAccountPub}`,
      `--service-account-signing-key-file=${creds.serviceAccountKey}`,
      '--service-account-issuer=https://kubernetes.default.svc',
      '--allow-privileged=true',
      '--enable-admission-plugins=NodeRestriction',
      '--profiling=false',
    ],
  });
  await waitFor('kube-apiserver /readyz', async () => (await apiStatus(vpc, '/readyz', creds.adminToken)) === 200, 120_000, 'kube-apiserver');
}

export function startControllerManager(creds: ClusterCredentials): void {
  startDaemon({
    name: 'kube-controller-manager',
    command: kubeBin('kube-controller-manager'),
    args: [
      `--kubeconfig=${KUBECONFIG}`,
      `--authentication-kubeconfig=${KUBECONFIG}`,
      `--authorization-kubeconfig=${KUBECONFIG}`,
      '--bind-address=127.0.0.1',
      `--service-account-private-key-file=${creds.serviceAccountKey}`,
      `--root-ca-file=${CA_CERT}`,
      // Pod CIDRs are assigned by the cluster itself (each node's bridge is made for one): the range allocator
      // can hand out two to a node whose add and update events race, and its order is not ours.
      '--allocate-node-cidrs=false',
      `--service-cluster-ip-range=${NET.serviceCidr}`,
      '--use-service-account-credentials=true',
      '--leader-elect=false',
      '--profiling=false',
    ],
  });
}

export function startScheduler(): void {
  startDaemon({
    name: 'kube-scheduler',
    command: kubeBin('kube-scheduler'),
    args: [`--kubeconfig=${KUBECONFIG}`, `--authentication-kubeconfig=${KUBECONFIG}`, `--authorization-kubeconfig=${KUBECONFIG}`, '--bind-address=127.0.0.1', '--leader-elect=false', '--profiling=false'],
  });
}
