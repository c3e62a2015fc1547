import * as fs from 'node:fs';
import { sh, startDaemon } from './daemon';
import { KUBECONFIG, kubeBin, NET, NODE_NAME, statePath, type NodeSpec, type VpcAddresses } from './layout';
import type { NodeRegistration } from './node-pools';
import { CA_CERT, type ClusterCredentials } from './pki';
import { EVICTION_HARD_MEMORY_MIB, type KubeletLimits } from './system-node';
import { podLogsDir } from './node-disks';

/** The kubelets (one per node) and the one kube-proxy (iptables mode) of the machine. */

function kubeletConfig(vpc: VpcAddresses, node: NodeSpec, limits?: KubeletLimits): string {
  return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: ${vpc.node}
port: ${node.kubeletPort}
healthzBindAddress: 127.0.0.1
healthzPort: ${node.healthzPort}
cgroupDriver: cgroupfs
cgroupRoot: ${node.cgroupRoot}
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://${node.containerdSocket}
clusterDomain: ${NET.clusterDomain}
clusterDNS: [${NET.dnsServiceIp}]
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: ${CA_CERT}}
authorization:
  mode: Webhook
podLogsDir: ${podLogsDir(node)}
resolvConf: ""
serializeImagePulls: false
maxPods: ${limits?.maxPods ?? 60}
${limits ? `kubeReserved: {cpu: "${limits.kubeReserved.cpuMilli}m", memory: "${limits.kubeReserved.memoryMiB}Mi"}\n` : ''}# Absolute disk thresholds: the node shares a developer's disk, where 5 % of a large volume can be gigabytes
# the cluster never needed (eviction of every pod followed).
evictionHard: {memory.available: "${EVICTION_HARD_MEMORY_MIB}Mi", nodefs.available: "2Gi", imagefs.available: "2Gi"}
# No image garbage collection: nothing can be pulled here, so an image removed is an image lost (the GC
# counts a shared disk's usage and removed the sandbox image of a node).
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
`;
}

/** `limits`: the system node's, so it offers what a node of the stack's system node group offers (system-node.ts). */
export function startKubelet(vpc: VpcAddresses, creds: ClusterCredentials, node: NodeSpec, registration: NodeRegistration, limits?: KubeletLimits): void {
  fs.mkdirSync(node.kubeletDir, { recursive: true });
  const config = statePath(`kubelet${node.suffix}-config.yaml`);
  fs.writeFileSync(config, kubeletConfig(vpc, node, limits));
  const labels = Object.entries(registration.labels).map(([k, v]) => `${k}=${v}`).join(',');
  startDaemon({
    name: `kubelet${node.suffix}`,
    command: kubeBin('kubelet'),
    args: [
      `--config=${config}`,
      `--kubeconfig=${creds.nodeKubeconfigs[node.name]}`,
      `--root-dir=${node.kubeletDir}`,
      `--hostname-override=${node.name}`,
      `--node-ip=${vpc.node}`,
      `--cert-dir=${statePath(`kubelet${node.suffix}-pki`)}`,
      ...(labels ? [`--node-labels=${labels}`] : []),
      ...(registration.taints.length ? [`--register-with-taints=${registration.taints.join(',')}`] : []),
      '--v=1',
    ],
  });
}

export function startKubeProxy(vpc: VpcAddresses): void {
  startDaemon({
    name: 'kube-proxy',
    command: kubeBin('kube-proxy'),
    args: [`--kubeconfig=${KUBECONFIG}`, '--proxy-mode=iptables', `--cluster-cidr=${NET.clusterCidr}`, `--hostname-override=${NODE_NAME}`, `--bind-address=${vpc.node}`, '--metrics-bind-address=127.0.0.1:10249', '--healthz-bind-address=127.0.0.1:10256'],
  });
}

export function kubeProxyCleanup(): void {
  if (!fs.existsSync(kubeBin('kube-proxy'))) return;
  // Exits non-zero when there was nothing left to clean.
  sh(kubeBin('kube-proxy'), ['--cleanup'], { allowFail: true });
}
