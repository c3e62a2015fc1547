import type { CfnTemplate } from '../../infra/assembly/cdk-out';
import { kubeletLimits, systemNodeOf } from '../../cluster/node/system-node';
import { allocatable } from '../../infra/capacity/node-capacity';
import { SYSTEM_NODE_LABELS, SYSTEM_NODE_MAX_PODS } from '../../infra/lib/cluster';
import { loadEnvironments } from '../../manifests-src/config';
import { committedSynth } from './committed-synth';

const s = committedSynth();

test.each(loadEnvironments().map((e) => [e.name, e] as const))('the local system node of %s is sized from its stack template: type, max pods, prefix delegation, labels', (name, env) => {
  const node = systemNodeOf(s.templates[name].toJSON() as CfnTemplate);
  expect(node.instanceType).toBe(env.infra.eks.systemNodeInstanceType);
  expect(node.allocatable).toEqual(allocatable(env.infra.eks.systemNodeInstanceType, SYSTEM_NODE_MAX_PODS, true));
  expect(node.labels).toMatchObject(SYSTEM_NODE_LABELS);
  expect(node.arch).toBe('arm64');
});

test('the kubelet reserves what the machine has beyond the node type, and says when the machine is smaller', () => {
  const node = { instanceType: 't4g.medium', allocatable: { cpuMilli: 1930, memoryMiB: 2531, pods: 110 }, arch: 'arm64' as const, labels: {} };
  expect(kubeletLimits(node, { cpuMilli: 2000, memoryMiB: 24000 })).toEqual({ maxPods: 110, kubeReserved: { cpuMilli: 70, memoryMiB: 24000 - 200 - 2531 }, shortfall: [] });
  const small = kubeletLimits(node, { cpuMilli: 1000, memoryMiB: 2048 });
  expect(small.kubeReserved).toEqual({ cpuMilli: 0, memoryMiB: 0 });
  expect(small.shortfall).toEqual(['CPU: this machine has 1000m, a t4g.medium offers 1930m', 'memory: this machine has 2048 MiB, a t4g.medium offers 2531 MiB']);
});
