import { loadEnvironments } from '../../manifests-src/config';
import { committedSynth, type CommittedSynth } from './committed-synth';
import { resourcesOf } from './synth-once';

const envs = loadEnvironments();
let s: CommittedSynth;
beforeAll(() => {
  s = committedSynth();
});

test('every committed environment: the API endpoint admits exactly the configured CIDRs, never 0.0.0.0/0', () => {
  for (const env of envs) {
    const [[, cluster]] = resourcesOf(s.templates[env.name], 'AWS::EKS::Cluster');
    const vpc = cluster.ResourcesVpcConfig as { EndpointPublicAccess: boolean; EndpointPrivateAccess: boolean; PublicAccessCidrs?: string[] };
    const cidrs = env.infra.eks.publicAccessCidrs;
    // EKS opens a public endpoint without PublicAccessCidrs to 0.0.0.0/0.
    const effective = vpc.EndpointPublicAccess ? (vpc.PublicAccessCidrs ?? ['0.0.0.0/0']) : [];
    expect({ env: env.name, private: vpc.EndpointPrivateAccess, publicFrom: effective }).toEqual({ env: env.name, private: true, publicFrom: cidrs });
    expect({ env: env.name, anywhere: effective.some((c) => c.endsWith('/0')) }).toEqual({ env: env.name, anywhere: false });
  }
  // Both shapes are committed: prod private only, dev public from its listed range.
  expect(envs.find((e) => e.name === 'prod')!.infra.eks.publicAccessCidrs).toEqual([]);
  expect(envs.find((e) => e.name === 'dev')!.infra.eks.publicAccessCidrs.length).toBeGreaterThan(0);
});

test('the kubectl handler that installs the charts runs in the VPC, so it reaches a private or restricted endpoint', () => {
  for (const env of envs) {
    const handlers = resourcesOf(s.templates[env.name], 'AWS::Lambda::Function').filter(([id]) => id.startsWith('EksClusterKubectlProviderHandler'));
    expect(handlers).toHaveLength(1);
    expect({ env: env.name, subnets: (handlers[0][1].VpcConfig?.SubnetIds ?? []).length }).toEqual({ env: env.name, subnets: env.cluster.availabilityZones });
  }
});
