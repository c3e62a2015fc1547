import { loadEnvironments } from '../../manifests-src/config';
import { keptResources } from '../../infra/deploy/retained';
import { buildApp } from '../../infra/lib/build-app';
import { FIRST_CREATE_CONTEXT } from '../../infra/lib/first-create';
import { LEAVES_SOMETHING, RETAINED_TYPES } from '../../infra/lib/retention';
import { registriesStackName, repositoryNames } from '../../infra/lib/registries';
import { committedSynth, type CommittedSynth } from './committed-synth';
import { resourcesOf } from './synth-once';

const envs = loadEnvironments();
let s: CommittedSynth;
beforeAll(() => {
  s = committedSynth();
});

/** Properties that give a resource a fixed name: a retained one would make the next create fail with "already exists". */
const NAME_PROPERTIES = ['LogGroupName', 'RepositoryName', 'Name', 'RoleName', 'FileSystemName', 'TopicName', 'QueueName', 'DashboardName', 'ClusterName'];

const allTemplates = () => ({ ...s.templates, ...s.registries });

test('nothing is kept when the deploy that created it rolls back: no plain Retain anywhere', () => {
  for (const [stack, t] of Object.entries(allTemplates())) {
    const resources = t.toJSON().Resources as Record<string, { Type: string; DeletionPolicy?: string }>;
    const plainRetain = Object.entries(resources).filter(([, r]) => r.DeletionPolicy === 'Retain').map(([id, r]) => `${stack}/${id} (${r.Type})`);
    expect(plainRetain).toEqual([]);
  }
});

test('fixed-name resources are either deleted or RetainExceptOnCreate, so a failed first deploy is retryable', () => {
  for (const [stack, t] of Object.entries(allTemplates())) {
    const resources = t.toJSON().Resources as Record<string, { Type: string; DeletionPolicy?: string; Properties?: Record<string, unknown> }>;
    for (const [id, r] of Object.entries(resources)) {
      const named = NAME_PROPERTIES.some((p) => typeof r.Properties?.[p] === 'string');
      if (named && r.DeletionPolicy) expect({ at: `${stack}/${id}`, policy: r.DeletionPolicy }).toEqual({ at: `${stack}/${id}`, policy: expect.stringMatching(/^(RetainExceptOnCreate|Delete|Snapshot)$/) });
    }
  }
});

test('every kept resource type has a reason and a removal command (what `npm run destroy` prints)', () => {
  const kept = new Set<string>();
  for (const t of Object.values(allTemplates())) {
    for (const r of Object.values(t.toJSON().Resources as Record<string, { Type: string; DeletionPolicy?: string }>)) {
      if ((LEAVES_SOMETHING as readonly string[]).includes(r.DeletionPolicy ?? '')) kept.add(r.Type);
    }
  }
  expect(kept.size).toBeGreaterThan(3);
  for (const type of kept) expect({ type, documented: type in RETAINED_TYPES }).toEqual({ type, documented: true });
});

test('a failed first deploy of prod can be rolled back: Aurora deletion protection is off in the first-create pass only', () => {
  const prod = envs.find((e) => e.name === 'prod')!;
  const first = buildApp([prod], { stageAssets: false, nag: false, context: { [FIRST_CREATE_CONTEXT]: 'true' } });
  const template = first.app.synth().getStackByName('airflow-eks-prod').template as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
  const cluster = Object.values(template.Resources).find((r) => r.Type === 'AWS::RDS::DBCluster')!;
  expect(cluster.Properties.DeletionProtection).toBe(false);
  expect(resourcesOf(s.templates.prod, 'AWS::RDS::DBCluster')[0][1].DeletionProtection).toBe(true);
});

test('dev and prod (one account and region) share one registries stack; prod-cn has its own; names never collide', () => {
  const [dev, prod, cn] = envs;
  expect(registriesStackName(dev)).toBe(registriesStackName(prod));
  expect(Object.keys(s.registries).sort()).toEqual([registriesStackName(dev), registriesStackName(cn)].sort());
  const shared = resourcesOf(s.registries[registriesStackName(dev)], 'AWS::ECR::Repository').map(([, p]) => p.RepositoryName as string);
  expect(shared.sort()).toEqual(repositoryNames([dev, prod]));
  expect(new Set(shared).size).toBe(shared.length);
  for (const [, p] of resourcesOf(s.registries[registriesStackName(cn)], 'AWS::ECR::Repository')) {
    expect(p.ImageTagMutability).toBe('IMMUTABLE');
    expect(p.ImageScanningConfiguration).toEqual({ ScanOnPush: true });
    expect(p.LifecyclePolicy).toBeDefined();
  }
});

test('npm run destroy lists every kept resource of the stack with its removal command', () => {
  const prod = envs.find((e) => e.name === 'prod')!;
  const kept = keptResources(prod);
  const types = new Set(kept.map((k) => k.type));
  for (const t of ['AWS::RDS::DBCluster', 'AWS::KMS::Key', 'AWS::SecretsManager::Secret', 'AWS::Logs::LogGroup']) expect(types).toContain(t);
  for (const k of kept) expect(k.remove).toMatch(/^aws /);
  const resources = s.templates.prod.toJSON().Resources as Record<string, { DeletionPolicy?: string }>;
  const expected = Object.entries(resources).filter(([, r]) => (LEAVES_SOMETHING as readonly string[]).includes(r.DeletionPolicy ?? '')).map(([id]) => id);
  expect(kept.map((k) => k.logicalId).sort()).toEqual(expected.sort());
});
