import { loadEnvironments, type EnvironmentInput } from '../../manifests-src/config';
import { environments as committed } from '../../manifests-src/config/environments';
import { CHARTS } from '../../infra/lib/charts';
import { synthOnce, type Synthesized } from './synth-once';

const prod = committed.find((e) => e.name === 'prod')!;
const cn = committed.find((e) => e.name === 'prod-cn')!;
const at = (base: EnvironmentInput, name: string, region: string, extra: Partial<EnvironmentInput> = {}): EnvironmentInput => ({
  ...base,
  ...extra,
  name,
  aws: { ...base.aws, region },
  cluster: { ...base.cluster, name: `airflow-${name}` },
});
const envs = loadEnvironments([
  at(prod, 'use1', 'us-east-1'),
  at(prod, 'euw1', 'eu-west-1'),
  at(cn, 'cnn1', 'cn-north-1'),
  at(cn, 'cnnw1', 'cn-northwest-1', { images: { mirrorRegistry: '123456789012.dkr.ecr.cn-northwest-1.amazonaws.com.cn' } }),
]);

/** Hosts not reachable (or not reliably reachable) from the China regions. */
const UNREACHABLE_FROM_CHINA = ['docker.io', 'ghcr.io', 'quay.io', 'registry.k8s.io', 'gcr.io', 'public.ecr.aws', 'ecr-public.aws.com', 'github.io', 'githubusercontent.com', 'charts.external-secrets.io', '602401143452.dkr.ecr.us-west-2'];

let s: Synthesized;
beforeAll(() => {
  s = synthOnce(envs);
});

test.each(['use1', 'euw1', 'cnn1', 'cnnw1'])('%s synthesizes with cdk-nag clean and no hard-coded aws partition ARN', (name) => {
  expect(s.raw[name]).not.toContain('arn:aws:');
  expect(s.raw[name]).not.toContain('arn:aws-cn:');
});

test.each(['cnn1', 'cnnw1'])('%s pulls every chart and image from the ECR mirror', (name) => {
  for (const host of UNREACHABLE_FROM_CHINA) expect({ host, found: s.raw[name].includes(host) }).toEqual({ host, found: false });
  const mirror = envs.find((e) => e.name === name)!.images.mirrorRegistry!;
  expect(s.raw[name]).toContain(`oci://${mirror}/charts`);
});

test('outside China the charts come from their upstream repositories', () => {
  for (const chart of Object.values(CHARTS)) expect(s.raw.use1).toContain(chart.repository);
});
