import { loadEnvironments, type EnvironmentInput } from '../../manifests-src/config';
import { environments as committed } from '../../manifests-src/config/environments';
import { CHARTS } from '../../infra/lib/charts';
import { committedSynth } from './committed-synth';
import { synthOnce } from './synth-once';

const prod = committed.find((e) => e.name === 'prod')!;
const cn = committed.find((e) => e.name === 'prod-cn')!;
const at = (base: EnvironmentInput, name: string, region: string, extra: Partial<EnvironmentInput> = {}): EnvironmentInput => ({
  ...base,
  ...extra,
  name,
  aws: { ...base.aws, region },
  cluster: { ...base.cluster, name: `airflow-${name}` },
});
// us-east-1 and cn-north-1 are the committed prod and prod-cn, read from this run's cdk.out/; only the two
// regions no committed environment uses are synthesized here.
// euw1 keeps the schema default of interface endpoints on (the committed environments turn them off), so the
// acknowledgement only that config needs is exercised too.
const extra = loadEnvironments([
  at(prod, 'euw1', 'eu-west-1', { infra: { ...prod.infra, vpc: { ...prod.infra?.vpc, interfaceEndpoints: true } } }),
  at(cn, 'cnnw1', 'cn-northwest-1', { images: { mirrorRegistry: '123456789012.dkr.ecr.cn-northwest-1.amazonaws.com.cn' } }),
]);
const committedEnvs = loadEnvironments();
const alias: Record<string, string> = { use1: 'prod', cnn1: 'prod-cn' };
const envs = [...extra, ...committedEnvs.filter((e) => Object.values(alias).includes(e.name))];

/** Hosts not reachable (or not reliably reachable) from the China regions. */
const UNREACHABLE_FROM_CHINA = ['docker.io', 'ghcr.io', 'quay.io', 'registry.k8s.io', 'gcr.io', 'public.ecr.aws', 'ecr-public.aws.com', 'github.io', 'githubusercontent.com', 'charts.external-secrets.io', '602401143452.dkr.ecr.us-west-2'];

let raw: Record<string, string>;
beforeAll(() => {
  const shipped = committedSynth().raw;
  raw = { ...synthOnce(extra).raw, ...Object.fromEntries(Object.entries(alias).map(([k, name]) => [k, shipped[name]])) };
  expect(committedEnvs.find((e) => e.name === 'prod')!.aws.region).toBe('us-east-1');
  expect(committedEnvs.find((e) => e.name === 'prod-cn')!.aws.region).toBe('cn-north-1');
});
const envOf = (name: string) => envs.find((e) => e.name === (alias[name] ?? name))!;

test.each(['use1', 'euw1', 'cnn1', 'cnnw1'])('%s synthesizes with cdk-nag clean and no hard-coded aws partition ARN', (name) => {
  expect(raw[name]).not.toContain('arn:aws:');
  expect(raw[name]).not.toContain('arn:aws-cn:');
});

test.each(['cnn1', 'cnnw1'])('%s pulls every chart and image from the ECR mirror', (name) => {
  for (const host of UNREACHABLE_FROM_CHINA) expect({ host, found: raw[name].includes(host) }).toEqual({ host, found: false });
  const mirror = envOf(name).images.mirrorRegistry!;
  expect(raw[name]).toContain(`oci://${mirror}/charts`);
});

test('outside China the charts come from their upstream repositories', () => {
  for (const chart of Object.values(CHARTS)) expect(raw.use1).toContain(chart.repository);
});
