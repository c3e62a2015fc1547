import * as fs from 'node:fs';
import { sh, startDaemon } from './daemon';
import { CONTAINERD_SOCKET, KUBECONFIG, kubeBin, NET, NODE_NAME, NODE_PORTS, statePath, type VpcAddresses } from './layout';
import { CA_CERT, type ClusterCredentials } from './pki';

/** The kubelet and kube-proxy (iptables mode) of the one node. */

const KUBELET_DIR = statePath('kubelet');

function kubeletConfig(vpc: VpcAddresses): string {
  return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: ${vpc.node}
port: ${NODE_PORTS.kubelet}
healthzBindAddress: 127.0.0.1
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://${CONTAINERD_SOCKET}
clusterDomain: ${NET.clusterDomain}
clusterDNS: [${NET.dnsServiceIp}]
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: ${CA_CERT}}
authorization:
  mode: Webhook
podCIDR: ${NET.podCidr}
podLogsDir: ${statePath('pod-logs')}
resolvConf: ""
serializeImagePulls: false
maxPods: 60
# Absolute disk thresholds: the node shares a developer's disk, where 5 % of a large volume can be gigabytes
# the cluster never needed (eviction of every pod followed).
evictionHard: {memory.available: "200Mi", nodefs.available: "2Gi", imagefs.available: "2Gi"}
`;
}

export function startKubelet(vpc: VpcAddresses, creds: ClusterCredentials): void {
  fs.mkdirSync(KUBELET_DIR, { recursive: true });
  const config = statePath('kubelet-config.yaml');
  fs.writeFileSync(config, kubeletConfig(vpc));
  startDaemon({
    name: 'kubelet',
    command: kubeBin('kubelet'),
    args: [`--config=${config}`, `--kubeconfig=${creds.nodeKubeconfig}`, `--root-dir=${KUBELET_DIR}`, `--hostname-override=${NODE_NAME}`, `--node-ip=${vpc.node}`, `--cert-dir=${statePath('kubelet-pki')}`, '--v=1'],
  });
}

export function startKubeProxy(vpc: VpcAddresses): void {
  startDaemon({
    name: 'kube-proxy',
    command: kubeBin('kube-proxy'),
    args: [`--kubeconfig=${KUBECONFIG}`, '--proxy-mode=iptables', `--cluster-cidr=${NET.podCidr}`, `--hostname-override=${NODE_NAME}`, `--bind-address=${vpc.node}`, '--metrics-bind-address=127.0.0.1:10249', '--healthz-bind-address=127.0.0.1:10256'],
  });
}

export function kubeProxyCleanup(): void {
  if (!fs.existsSync(kubeBin('kube-proxy'))) return;
  // Exits non-zero when there was nothing left to clean.
  sh(kubeBin('kube-proxy'), ['--cleanup'], { allowFail: true });
}
