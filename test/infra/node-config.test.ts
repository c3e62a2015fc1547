/**
 * Kubelet settings on every node the stack creates, read from what ships: the EC2NodeClass in the committed dist/
 * (Karpenter's nodes) and the system node group's launch template in cdk.out/. Only rendered configuration can be
 * checked here: this machine runs cgroup v1, where the kernel always kills the one process; the group kill that
 * singleProcessOOMKill turns off exists on cgroup v2 (AL2023) only, so its effect shows on EKS alone.
 */
import * as path from 'node:path';
import { parse } from 'yaml';
import { loadEnvironments, type EnvironmentConfig } from '../../manifests-src/config';
import { parseManifestFiles } from '../../manifests-src/gitops/manifest-objects';
import { readTree } from '../../manifests-src/validate/drift';
import { SYSTEM_NODE_MAX_PODS } from '../../infra/lib/cluster';
import { committedSynth } from './committed-synth';
import { resourcesOf } from './synth-once';

const ROOT = path.resolve(__dirname, '..', '..');
const envs = loadEnvironments();
const synth = committedSynth();
const dist = (env: EnvironmentConfig) => parseManifestFiles(new Map([...readTree(path.join(ROOT, 'dist', env.name))].map(([f, t]) => [`${env.name}/${f}`, t]))).map((p) => p.obj as any);

/** The nodeadm NodeConfig documents of a MIME multipart user data (the parts nodeadm reads). */
function nodeConfigs(userData: string): any[] {
  const boundary = /boundary="([^"]+)"/.exec(userData)?.[1];
  if (!boundary) throw new Error(`user data is not MIME multipart: ${userData.slice(0, 80)}`);
  return userData
    .split(`--${boundary}`)
    .map((part) => part.split(/\r?\n\r?\n/))
    .filter(([headers]) => /Content-Type: application\/node\.eks\.aws/i.test(headers))
    .map(([, ...body]) => parse(body.join('\n\n')))
    .filter((doc) => doc?.kind === 'NodeConfig' && doc?.apiVersion === 'node.eks.aws/v1alpha1');
}

describe.each(envs.map((e) => [e.name, e] as const))('%s', (name, env) => {
  test('every EC2NodeClass in dist/ gives its nodes singleProcessOOMKill through a nodeadm NodeConfig (AL2023)', () => {
    const classes = dist(env).filter((o) => o.kind === 'EC2NodeClass');
    expect(classes.length).toBeGreaterThan(0);
    for (const nc of classes) {
      expect(nc.spec.amiSelectorTerms.map((t: any) => t.alias.split('@')[0])).toEqual(['al2023']);
      expect(nodeConfigs(nc.spec.userData).map((c) => c.spec.kubelet.config.singleProcessOOMKill)).toEqual([true]);
    }
  });

  test('every managed node group in cdk.out/ has a launch template whose NodeConfig sets singleProcessOOMKill and the max pods', () => {
    const t = synth.templates[name].toJSON();
    const groups = resourcesOf(synth.templates[name], 'AWS::EKS::Nodegroup');
    expect(groups.length).toBeGreaterThan(0);
    for (const [, ng] of groups) {
      expect(ng.AmiType).toMatch(/^AL2023_/);
      const userData = t.Resources[ng.LaunchTemplate.Id.Ref].Properties.LaunchTemplateData.UserData['Fn::Base64'];
      expect(typeof userData).toBe('string');
      expect(nodeConfigs(userData).map((c) => c.spec.kubelet.config)).toEqual([{ singleProcessOOMKill: true, maxPods: SYSTEM_NODE_MAX_PODS }]);
    }
  });
});

