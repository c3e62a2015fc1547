import { loadEnvironments } from '../../manifests-src/config';
import { mirrorPlan } from '../../infra/deploy/mirror-plan';
import { helmReleases } from '../../infra/rehearsal/releases';
import { committedSynth, type CommittedSynth } from './committed-synth';

type Resources = Record<string, { Type: string; DependsOn?: string[]; Properties?: Record<string, unknown> }>;

const envs = loadEnvironments();
let s: CommittedSynth;
beforeAll(() => {
  s = committedSynth();
});

/** Logical ids `id` waits for, directly or through what it waits for. */
function waitsFor(resources: Resources, id: string, seen = new Set<string>()): Set<string> {
  for (const d of resources[id].DependsOn ?? []) if (!seen.has(d)) waitsFor(resources, d, seen.add(d));
  return seen;
}

test('Karpenter CRDs are a release of their own (karpenter-crd, same repository and version), installed before the controller, which skips its crds/', () => {
  for (const env of envs) {
    const template = s.templates[env.name].toJSON() as { Resources: Resources };
    const releases = helmReleases(template as Parameters<typeof helmReleases>[0]);
    const controller = releases.find((r) => r.chart === 'karpenter')!;
    const crds = releases.find((r) => r.chart === 'karpenter-crd');
    expect({ env: env.name, crds: crds && { repository: crds.repository, version: crds.version, namespace: crds.namespace } }).toEqual({
      env: env.name,
      crds: { repository: controller.repository.replace(/\/karpenter$/, '/karpenter-crd'), version: controller.version, namespace: controller.namespace },
    });
    expect({ env: env.name, skipCrds: template.Resources[controller.logicalId].Properties!.SkipCrds }).toEqual({ env: env.name, skipCrds: true });
    expect({ env: env.name, crdsFirst: waitsFor(template.Resources, controller.logicalId).has(crds!.logicalId) }).toEqual({ env: env.name, crdsFirst: true });
    // Only the CRD release carries CRDs: every other release keeps its own (none of them is split).
    for (const r of releases.filter((x) => x.chart !== 'karpenter')) expect({ chart: r.chart, skipCrds: template.Resources[r.logicalId].Properties!.SkipCrds }).toEqual({ chart: r.chart, skipCrds: undefined });
  }
});

test('every chart a stack installs is in its mirror plan at the same version (what the mirror step copies and the preflight checks)', () => {
  for (const env of envs) {
    const planned = mirrorPlan(env).charts.map((c) => `${c.chart} ${c.version}`);
    const installed = helmReleases(s.templates[env.name].toJSON() as Parameters<typeof helmReleases>[0]).map((r) => `${r.chart} ${r.version}`);
    expect({ env: env.name, missing: installed.filter((c) => !planned.includes(c)) }).toEqual({ env: env.name, missing: [] });
    if (env.images.mirrorRegistry) for (const r of helmReleases(s.templates[env.name].toJSON() as Parameters<typeof helmReleases>[0])) expect(r.repository).toBe(`oci://${env.images.mirrorRegistry}/charts/${r.chart}`);
  }
});
