/**
 * Capacity of the nodes, offline: the system node group carries every add-on and chart the stack installs (with the
 * values it passes) and dist/'s node-wide DaemonSets, with room for one rolling-update surge; each dist/ pod fits
 * the smallest instance its Karpenter NodePool may launch, beside the DaemonSets that land on every node.
 */
import * as path from 'node:path';
import { loadEnvironments, type EnvironmentConfig } from '../../manifests-src/config';
import { parseManifestFiles, type ManifestObject } from '../../manifests-src/gitops/manifest-objects';
import { readTree } from '../../manifests-src/validate/drift';
import { readTemplate } from '../../infra/assembly/cdk-out';
import { stackName } from '../../infra/lib/airflow-eks-stack';
import { CHARTS } from '../../infra/lib/charts';
import { INSTANCE_SPECS, SIZE_ORDER, allocatable, fit, maxPods } from '../../infra/capacity/node-capacity';
import { CHART_DEFAULTS_READ_AT, mebi, milli, systemNodeDemand, systemNodeSetup } from '../../infra/capacity/system-pods';
import { committedSynth } from './committed-synth';

const ROOT = path.resolve(__dirname, '..', '..');
const envs = loadEnvironments();
committedSynth();
const dist = (env: EnvironmentConfig): ManifestObject[] => parseManifestFiles(new Map([...readTree(path.join(ROOT, 'dist', env.name))].map(([f, t]) => [`${env.name}/${f}`, t]))).map((p) => p.obj);

test('EC2 limits give the documented max pods (eni-max-pods) and the EKS kube-reserved allocatable', () => {
  expect(maxPods('t4g.medium')).toBe(17);
  expect(maxPods('t4g.large')).toBe(35);
  expect(maxPods('m7g.large')).toBe(29);
  expect(maxPods('m7g.xlarge')).toBe(58);
  // 2 vCPU: 60m + 10m reserved; memory: 255 + 11 x 35 + 100 (eviction) MiB.
  expect(allocatable('t4g.large')).toEqual({ cpuMilli: 1930, memoryMiB: 8192 - 740, pods: 35 });
  // Prefix delegation: 3 x 5 x 16 + 2 = 242 addresses, capped at 110 below 30 vCPUs; a kubelet left at 17 stays at 17.
  expect(maxPods('t4g.medium', true)).toBe(110);
  expect(allocatable('t4g.medium', 110, true)).toEqual({ cpuMilli: 1930, memoryMiB: 4096 - (255 + 1210 + 100), pods: 110 });
  expect(allocatable('t4g.medium', 17, true).pods).toBe(17);
  expect(allocatable('t4g.medium', 110, false).pods).toBe(17);
});

test('a pod count above the slots fails, naming the numbers', () => {
  const r = fit('t4g.medium', 1, [{ what: 'x', replicas: 17, cpuMilli: 0, memoryMiB: 0 }]);
  expect(r.problems).toEqual(['17 pods + 1 surge > 17 pod slots (1 x t4g.medium, 17 each)']);
});

test('every chart the stack pins has its pod defaults read at that version', () => {
  for (const c of Object.values(CHARTS)) expect({ chart: c.chart, readAt: CHART_DEFAULTS_READ_AT[c.chart] }).toEqual({ chart: c.chart, readAt: c.version });
});

describe.each(envs.map((e) => [e.name, e] as const))('%s', (_n, env) => {
  const objects = dist(env);
  const template = readTemplate(path.join(ROOT, 'cdk.out'), stackName(env));

  test('the system node group carries its pods with room for a rolling-update surge', () => {
    const { systemNodeInstanceType: type, systemNodeCount: nodes } = env.infra.eks;
    const setup = systemNodeSetup(template);
    const r = fit(type, nodes, systemNodeDemand(template, objects), setup);
    expect(r.problems).toEqual([]);
    // Without prefix delegation and the kubelet setting it would not fit (what the first deploy hit).
    expect(fit(type, nodes, systemNodeDemand(template, objects)).problems).not.toEqual([]);
  });

  test('each dist/ pod fits the smallest instance its NodePool may launch, beside the node-wide DaemonSets', () => {
    const pools = objects.filter((o) => o.kind === 'NodePool');
    const daemons = systemNodeDemand({ Resources: {} }, objects);
    const problems: string[] = [];
    for (const pool of pools) {
      const req = (key: string) => pool.spec.template.spec.requirements.find((r: any) => r.key === key);
      const families: string[] = req('karpenter.k8s.aws/instance-family')?.values ?? [];
      const excluded: string[] = req('karpenter.k8s.aws/instance-size')?.operator === 'NotIn' ? req('karpenter.k8s.aws/instance-size').values : [];
      const types = Object.keys(INSTANCE_SPECS).filter((t) => families.includes(t.split('.')[0]) && !excluded.includes(t.split('.')[1]));
      expect({ pool: pool.metadata.name, types: types.length > 0 }).toEqual({ pool: pool.metadata.name, types: true });
      const smallest = types.sort((a, b) => SIZE_ORDER.indexOf(a.split('.')[1] as never) - SIZE_ORDER.indexOf(b.split('.')[1] as never) || INSTANCE_SPECS[a].memoryMiB - INSTANCE_SPECS[b].memoryMiB)[0];
      const labels = pool.spec.template.metadata?.labels ?? {};
      const workloads = objects.filter((o) => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind) && Object.entries(o.spec.template.spec.nodeSelector ?? {}).every(([k, v]) => labels[k] === v) && Object.keys(o.spec.template.spec.nodeSelector ?? {}).length > 0);
      for (const w of workloads) {
        const containers = w.spec.template.spec.containers ?? [];
        const cpu = containers.reduce((n: number, c: any) => n + milli(c.resources?.requests?.cpu), 0);
        const mem = containers.reduce((n: number, c: any) => n + mebi(c.resources?.requests?.memory), 0);
        const r = fit(smallest, 1, [...daemons.map((d) => ({ ...d })), { what: w.metadata.name, replicas: 1, cpuMilli: cpu, memoryMiB: mem }]);
        // One node of the smallest type: no surge room needed here (Karpenter adds a node for the surge pod).
        const onlySurge = r.pods < r.podSlots && r.cpuMilli <= r.cpuAllocatable && r.memoryMiB <= r.memoryAllocatable;
        if (!onlySurge) problems.push(`${w.metadata.name} on ${pool.metadata.name}'s smallest type ${smallest}: ${r.problems.join('; ')}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
