import * as fs from 'node:fs';
import * as os from 'node:os';
import { tokenOf, type CfnTemplate } from '../../infra/assembly/cdk-out';
import { allocatable } from '../../infra/capacity/node-capacity';
import { systemNodeSetup } from '../../infra/capacity/system-pods';
import { SYSTEM_NODE_LABELS } from '../../infra/lib/cluster';

/**
 * The local node that plays the stack's managed system node group takes one such node's limits, read from the
 * synthesized template (instance type, AMI, kubelet max pods, prefix delegation): its kubelet offers the pods
 * exactly the slots, CPU and memory an EKS node of that type offers, so controllers that do not fit there stay
 * Pending here too.
 */

/** Memory the local kubelets keep back for hard eviction (kubelet.ts's evictionHard, in MiB). */
export const EVICTION_HARD_MEMORY_MIB = 200;

export interface SystemNode {
  readonly instanceType: string;
  /** What a node of the group offers pods (EKS AMI formulas, infra/capacity/node-capacity.ts). */
  readonly allocatable: { readonly cpuMilli: number; readonly memoryMiB: number; readonly pods: number };
  /** kubernetes.io/arch of the group's AMI. */
  readonly arch: 'arm64' | 'amd64';
  readonly labels: Record<string, string>;
}

/** The system node group of an environment's stack template. */
export function systemNodeOf(template: CfnTemplate): SystemNode {
  const group = Object.values(template.Resources).find((r) => r.Type === 'AWS::EKS::Nodegroup');
  const type = group?.Properties?.InstanceTypes?.[0] as string | undefined;
  if (!group || !type) throw new Error('the stack template has no EKS node group with an instance type: cannot size the local system node');
  const setup = systemNodeSetup(template);
  const ami = String(group.Properties?.AmiType ?? '');
  const labels = group.Properties?.Labels as Record<string, string> | undefined;
  for (const [k, v] of Object.entries(SYSTEM_NODE_LABELS)) {
    if (labels?.[k] !== v || tokenOf(labels?.[k])) throw new Error(`the stack's system node group does not carry ${k}=${v}, which the add-on charts select`);
  }
  return {
    instanceType: type,
    allocatable: allocatable(type, setup.kubeletMaxPods, setup.prefixDelegation),
    arch: /ARM_64/.test(ami) ? 'arm64' : 'amd64',
    labels: { ...labels },
  };
}

/** What this machine gives a kubelet before reservations: its CPUs and MemTotal (what cAdvisor reports). */
export function machineCapacity(): { cpuMilli: number; memoryMiB: number } {
  const kib = Number(/^MemTotal:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'))?.[1]);
  return { cpuMilli: os.cpus().length * 1000, memoryMiB: Math.floor(kib / 1024) };
}

export interface KubeletLimits {
  readonly maxPods: number;
  /** kube-reserved, so that capacity less it and the eviction threshold is the target's allocatable. */
  readonly kubeReserved: { readonly cpuMilli: number; readonly memoryMiB: number };
  /** Where the machine is smaller than the target: the kubelet can offer no more than the machine has. */
  readonly shortfall: string[];
}

export function kubeletLimits(node: SystemNode, machine = machineCapacity()): KubeletLimits {
  const a = node.allocatable;
  const shortfall: string[] = [];
  if (machine.cpuMilli < a.cpuMilli) shortfall.push(`CPU: this machine has ${machine.cpuMilli}m, a ${node.instanceType} offers ${a.cpuMilli}m`);
  if (machine.memoryMiB - EVICTION_HARD_MEMORY_MIB < a.memoryMiB) shortfall.push(`memory: this machine has ${machine.memoryMiB} MiB, a ${node.instanceType} offers ${a.memoryMiB} MiB`);
  return {
    maxPods: a.pods,
    kubeReserved: { cpuMilli: Math.max(0, machine.cpuMilli - a.cpuMilli), memoryMiB: Math.max(0, machine.memoryMiB - EVICTION_HARD_MEMORY_MIB - a.memoryMiB) },
    shortfall,
  };
}
