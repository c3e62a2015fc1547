/**
 * Does what runs on a node fit it? Pod slots (the VPC CNI gives each pod an address of the node's ENIs) and
 * allocatable CPU and memory (what the EKS AL2023 bootstrap leaves after its reservations), for the system node
 * group and for the smallest instance each Karpenter NodePool may launch. The figures per type are EC2's published
 * limits; the formulas are those of the EKS AMI (max pods without prefix delegation, kube-reserved).
 */

/** EC2 limits of the Graviton types the config may name: vCPUs, memory, network interfaces, IPv4 addresses per interface. */
export const INSTANCE_SPECS: Readonly<Record<string, { readonly vcpu: number; readonly memoryMiB: number; readonly enis: number; readonly ipv4PerEni: number }>> = {
  't4g.medium': { vcpu: 2, memoryMiB: 4096, enis: 3, ipv4PerEni: 6 },
  't4g.large': { vcpu: 2, memoryMiB: 8192, enis: 3, ipv4PerEni: 12 },
  't4g.xlarge': { vcpu: 4, memoryMiB: 16384, enis: 4, ipv4PerEni: 15 },
  't4g.2xlarge': { vcpu: 8, memoryMiB: 32768, enis: 4, ipv4PerEni: 15 },
  'm6g.large': { vcpu: 2, memoryMiB: 8192, enis: 3, ipv4PerEni: 10 },
  'm6g.xlarge': { vcpu: 4, memoryMiB: 16384, enis: 4, ipv4PerEni: 15 },
  'm7g.medium': { vcpu: 1, memoryMiB: 4096, enis: 2, ipv4PerEni: 4 },
  'm7g.large': { vcpu: 2, memoryMiB: 8192, enis: 3, ipv4PerEni: 10 },
  'm7g.xlarge': { vcpu: 4, memoryMiB: 16384, enis: 4, ipv4PerEni: 15 },
  'm7g.2xlarge': { vcpu: 8, memoryMiB: 32768, enis: 4, ipv4PerEni: 15 },
  'c6g.large': { vcpu: 2, memoryMiB: 4096, enis: 3, ipv4PerEni: 10 },
  'c6g.xlarge': { vcpu: 4, memoryMiB: 8192, enis: 4, ipv4PerEni: 15 },
  'c7g.medium': { vcpu: 1, memoryMiB: 2048, enis: 2, ipv4PerEni: 4 },
  'c7g.large': { vcpu: 2, memoryMiB: 4096, enis: 3, ipv4PerEni: 10 },
  'c7g.xlarge': { vcpu: 4, memoryMiB: 8192, enis: 4, ipv4PerEni: 15 },
  'c7g.2xlarge': { vcpu: 8, memoryMiB: 16384, enis: 4, ipv4PerEni: 15 },
  'r7g.large': { vcpu: 2, memoryMiB: 16384, enis: 3, ipv4PerEni: 10 },
  'r7g.xlarge': { vcpu: 4, memoryMiB: 32768, enis: 4, ipv4PerEni: 15 },
};

/** Sizes in the order EC2 names them, smallest first (for "the smallest type a NodePool may launch"). */
export const SIZE_ORDER = ['nano', 'micro', 'small', 'medium', 'large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', '24xlarge', 'metal'] as const;

export function instanceSpec(type: string) {
  const spec = INSTANCE_SPECS[type];
  if (!spec) throw new Error(`instance type ${type}: its ENI and address limits are not in infra/capacity/node-capacity.ts (INSTANCE_SPECS); add them from the EC2 documentation`);
  return spec;
}

/**
 * Pods the VPC CNI can give addresses to on a node: one secondary address per pod, ENIs x (addresses - 1) + 2; with
 * prefix delegation a /28 (16 addresses) per slot, capped at what the EKS AMI recommends (110 below 30 vCPUs, else 250).
 */
export function maxPods(type: string, prefixDelegation = false): number {
  const s = instanceSpec(type);
  if (!prefixDelegation) return s.enis * (s.ipv4PerEni - 1) + 2;
  return Math.min(s.enis * (s.ipv4PerEni - 1) * 16 + 2, s.vcpu < 30 ? 110 : 250);
}

/**
 * What the kubelet offers pods: capacity less kube-reserved (EKS AMI formula, which grows with the kubelet's max
 * pods) and the hard eviction threshold. `kubeletMaxPods`: the kubelet's setting (default: the CNI's count without
 * prefixes, what the AMI sets); the pods that fit are the lower of it and what the CNI can address.
 */
export function allocatable(type: string, kubeletMaxPods = maxPods(type), prefixDelegation = false): { cpuMilli: number; memoryMiB: number; pods: number } {
  const s = instanceSpec(type);
  const pods = Math.min(kubeletMaxPods, maxPods(type, prefixDelegation));
  const cores = [60, 10, 5, 5]; // milli-cores reserved for the 1st, 2nd, 3rd and 4th core; 2.5 for each further one
  let reservedCpu = 0;
  for (let c = 0; c < s.vcpu; c++) reservedCpu += cores[c] ?? 2.5;
  const reservedMemory = 255 + 11 * kubeletMaxPods + 100;
  return { cpuMilli: s.vcpu * 1000 - Math.ceil(reservedCpu), memoryMiB: s.memoryMiB - reservedMemory, pods };
}

/** Pods of one kind that land on a node group: `perNode` for a DaemonSet, else a total spread over the group. */
export interface PodDemand {
  readonly what: string;
  readonly replicas: number;
  readonly perNode?: boolean;
  readonly cpuMilli: number;
  readonly memoryMiB: number;
}

export interface FitReport {
  readonly nodes: number;
  readonly type: string;
  readonly pods: number;
  readonly podSlots: number;
  readonly cpuMilli: number;
  readonly cpuAllocatable: number;
  readonly memoryMiB: number;
  readonly memoryAllocatable: number;
  /** Why it does not fit, with one rolling-update surge pod (the largest) on top; empty when it fits. */
  readonly problems: string[];
}

/** How a node's kubelet and CNI are set up (default: the EKS AMI without prefix delegation). */
export interface NodeSetup {
  readonly kubeletMaxPods?: number;
  readonly prefixDelegation?: boolean;
}

/** Whether `demand` fits `nodes` nodes of `type` with room for one surge pod of the largest Deployment. */
export function fit(type: string, nodes: number, demand: readonly PodDemand[], setup: NodeSetup = {}): FitReport {
  const a = allocatable(type, setup.kubeletMaxPods ?? maxPods(type), setup.prefixDelegation ?? false);
  const count = (d: PodDemand) => (d.perNode ? d.replicas * nodes : d.replicas);
  const pods = demand.reduce((n, d) => n + count(d), 0);
  const cpu = demand.reduce((n, d) => n + count(d) * d.cpuMilli, 0);
  const memory = demand.reduce((n, d) => n + count(d) * d.memoryMiB, 0);
  const surge = demand.filter((d) => !d.perNode).reduce((m, d) => (d.cpuMilli + d.memoryMiB > m.cpuMilli + m.memoryMiB ? d : m), { what: 'none', replicas: 0, cpuMilli: 0, memoryMiB: 0 } as PodDemand);
  const problems: string[] = [];
  if (pods + 1 > a.pods * nodes) problems.push(`${pods} pods + 1 surge > ${a.pods * nodes} pod slots (${nodes} x ${type}, ${a.pods} each)`);
  if (cpu + surge.cpuMilli > a.cpuMilli * nodes) problems.push(`${cpu}m CPU requested + ${surge.cpuMilli}m surge > ${a.cpuMilli * nodes}m allocatable`);
  if (memory + surge.memoryMiB > a.memoryMiB * nodes) problems.push(`${memory} MiB requested + ${surge.memoryMiB} MiB surge > ${a.memoryMiB * nodes} MiB allocatable`);
  return { nodes, type, pods, podSlots: a.pods * nodes, cpuMilli: cpu, cpuAllocatable: a.cpuMilli * nodes, memoryMiB: memory, memoryAllocatable: a.memoryMiB * nodes, problems };
}
