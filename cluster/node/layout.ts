import * as os from 'node:os';
import * as path from 'node:path';
import { subnetCidrs, type EnvironmentConfig } from '../../manifests-src/config';

/**
 * Where everything of the local cluster lives: folders, addresses, ports, interface names. Defined once;
 * the node, the managed services, the tests and the docs read it from here.
 */

export const KUBERNETES_VERSION = 'v1.36.3';
export const COREDNS_VERSION = 'v1.15.0';
export const KUBE_ROUTER_VERSION = 'v2.1.0';

/** Cache outside the clone, shared by every clone on this machine (CI's fresh clone reuses it). */
export const CACHE_DIR = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'airflow-eks');
export const binDir = (component: string, version: string) => path.join(CACHE_DIR, 'bin', `${component}-${version}`);
export const KUBE_BIN = binDir('kubernetes', KUBERNETES_VERSION);
export const kubeBin = (name: 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kubelet' | 'kube-proxy' | 'kubectl') => path.join(KUBE_BIN, name);

/**
 * State of the running cluster (certificates, etcd data, containerd state, logs; image stores are in the cache), in the clone beside the
 * local runner's (.state/ is ignored by git): PostgreSQL runs as its own user, which cannot enter $HOME.
 */
export const STATE_DIR = path.join(path.resolve(__dirname, '..', '..'), '.state', 'cluster');
export const statePath = (...p: string[]) => path.join(STATE_DIR, ...p);
export const RUN_DIR = statePath('run');
export const LOG_DIR = statePath('logs');
export const KUBECONFIG = statePath('admin.kubeconfig');

export const NODE_NAME = 'airflow-eks-local'; // the core node (NODES[0])

/**
 * containerd's snapshotter, for the CRI and for every image import. overlayfs: a container's root costs only
 * what it writes (native copies the whole image per container: ~1 GB per Airflow pod, and the kubelet's
 * disk-pressure eviction followed).
 */
export const SNAPSHOTTER = 'overlayfs';

/** Interface and namespace names: short (15-char limit), one prefix so teardown can find every one. */
export const NET = {
  prefix: 'aek',
  /** Host side of the link to the "VPC" namespace where the managed services run. */
  vpcLink: 'aek-vpc0',
  vpcPeer: 'aek-vpc1',
  vpcNetns: 'aek-vpc',
  /** Pod addresses of the cluster (controller-manager --cluster-cidr); each node gets a /24 of it (NodeSpec.podCidr). */
  clusterCidr: '10.244.0.0/16',
  serviceCidr: '10.96.0.0/16',
  kubernetesServiceIp: '10.96.0.1',
  dnsServiceIp: '10.96.0.10',
  clusterDomain: 'cluster.local',
} as const;

/**
 * The node and the managed services sit inside the environment's VPC CIDR, as an EKS node and Aurora /
 * ElastiCache do, so dist/'s NetworkPolicies (egress to the VPC CIDR on the Redis and PostgreSQL ports)
 * apply unchanged. The services run in a network namespace of their own: pod traffic to them is routed
 * (not local delivery), so the NetworkPolicy enforcer sees it.
 */
export interface VpcAddresses {
  /** The node's own address (kubelet, API server): the host end of the VPC link. */
  readonly node: string;
  /** Address of the managed services (PostgreSQL, Redis, the AWS API emulator, the git server). */
  readonly services: string;
  /** Prefix length of the link between them. */
  readonly linkPrefix: number;
}

/** In the first private subnet of the VPC the CDK stack creates: where EKS nodes, Aurora and ElastiCache live. */
export function vpcAddresses(env: Pick<EnvironmentConfig, 'infra' | 'cluster'>): VpcAddresses {
  const [a, b, c] = subnetCidrs(env, 'private')[0].split('/')[0].split('.');
  return { node: `${a}.${b}.${c}.1`, services: `${a}.${b}.${c}.10`, linkPrefix: 24 };
}

/** Ports on the node address. */
export const NODE_PORTS = {
  etcdClient: 23790,
  etcdPeer: 23800,
  apiServer: 6443,
  kubelet: 10250,
} as const;

/** Ports of the managed services (PostgreSQL and Redis are dist/'s own, fixed by its NetworkPolicies). */
export const SERVICE_PORTS = {
  awsApi: 4566,
  gitHttps: 443,
} as const;

/**
 * The nodes: dist/ places Airflow's control components and its Celery workers on two Karpenter NodePools
 * (`airflow-eks/pool` core and workers, the workers' tainted), so one node cannot run it unchanged. Karpenter
 * would launch as many nodes as the requests need; here a fixed set stands in: two core nodes (dev's core pods
 * request more CPU than one 2-vCPU node has) and one worker node, plus one node playing the stack's managed
 * system node group, where the operators run, with the limits of that group's instance type (system-node.ts).
 * Each kubelet has its own containerd, pod bridge and cgroup root; they share the machine's address (so one
 * kube-proxy and one NetworkPolicy enforcer serve all) on different kubelet ports.
 */
export interface NodeSpec {
  readonly name: string;
  /** The dist/ NodePool whose nodes this one stands in for, or the stack's system node group. */
  readonly pool: 'core' | 'workers' | 'system';
  /** Appended to the daemon names (kubelet, containerd) and state folders of this node. */
  readonly suffix: string;
  readonly bridge: string;
  readonly podCidr: string;
  readonly podGateway: string;
  readonly kubeletPort: number;
  readonly healthzPort: number;
  /** cgroup parent of the node's pods: two kubelets must not share /kubepods. */
  readonly cgroupRoot: string;
  readonly containerdSocket: string;
  readonly kubeletDir: string;
  readonly cniConfDir: string;
}

function nodeSpec(name: string, pool: NodeSpec['pool'], index: number): NodeSpec {
  const suffix = index === 0 ? '' : `-${name.replace(/^airflow-eks-/, '')}`;
  return {
    name,
    pool,
    suffix,
    bridge: `aek-br${index}`,
    podCidr: `10.244.${index}.0/24`,
    podGateway: `10.244.${index}.1`,
    kubeletPort: 10250 + index * 10,
    healthzPort: 10248 + index * 10,
    cgroupRoot: index === 0 ? '/' : `/airflow-eks${suffix}`,
    containerdSocket: path.join(RUN_DIR, `containerd${suffix}`, 'containerd.sock'),
    kubeletDir: statePath(`kubelet${suffix}`),
    cniConfDir: statePath('cni', `net.d${suffix}`),
  };
}

export const NODES: readonly NodeSpec[] = [
  nodeSpec(NODE_NAME, 'core', 0),
  nodeSpec('airflow-eks-core-2', 'core', 1),
  nodeSpec('airflow-eks-workers', 'workers', 2),
  nodeSpec('airflow-eks-system', 'system', 3),
];
export const CORE_NODE = NODES[0];
export const SYSTEM_NODE = NODES[3];
export const nodeNamed = (name: string): NodeSpec => {
  const n = NODES.find((x) => x.name === name);
  if (!n) throw new Error(`no local node named ${name}`);
  return n;
};
export const SANDBOX_IMAGE = 'registry.k8s.io/pause:3.10';
