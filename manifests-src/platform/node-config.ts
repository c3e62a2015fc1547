import { stringify } from 'yaml';

/**
 * Kubelet settings every node the stack creates gets (Karpenter's EC2NodeClass and the system node group).
 * - singleProcessOOMKill: on cgroup v2 (AL2023) the kubelet otherwise sets `memory.oom.group`, so one task
 *   past the worker's memory limit makes the kernel kill every process of the container: the Celery worker
 *   and all its running tasks. With it, the kernel kills the one process it picks (the greedy task); the
 *   supervisor marks that task failed and the others run on. cgroup v1 always behaves that way.
 */
export const KUBELET_CONFIG = { singleProcessOOMKill: true } as const;

/**
 * AL2023 user data: a MIME part with nodeadm's NodeConfig. EKS (managed node groups) and Karpenter merge it with
 * their own NodeConfig (cluster endpoint, CA, the settings they own such as Karpenter's kubelet fields).
 */
export function nodeConfigUserData(kubelet: Readonly<Record<string, unknown>> = {}): string {
  const nodeConfig = {
    apiVersion: 'node.eks.aws/v1alpha1',
    kind: 'NodeConfig',
    spec: { kubelet: { config: { ...KUBELET_CONFIG, ...kubelet } } },
  };
  return ['MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="//"', '', '--//', 'Content-Type: application/node.eks.aws', '', '---', stringify(nodeConfig).trimEnd(), '', '--//--', ''].join('\n');
}
