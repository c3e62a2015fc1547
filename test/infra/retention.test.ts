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

test('environments of one region in two accounts get a registries stack each: same stack name, distinct construct ids', () => {
  const prod = envs.find((e) => e.name === 'prod')!;
  const other = { ...structuredClone(prod), name: 'prod2', aws: { ...prod.aws, account: '210987654321' } } as typeof prod;
  const { app, registries } = buildApp([prod, other], { stageAssets: false, nag: false });
  expect(registries.map((r) => [r.node.id, r.stackName, r.account])).toEqual([
    [`${registriesStackName(prod)}-${prod.aws.account}`, registriesStackName(prod), prod.aws.account],
    [`${registriesStackName(prod)}-210987654321`, registriesStackName(prod), '210987654321'],
  ]);
  expect(app.synth().stacks.filter((a) => a.stackName === registriesStackName(prod))).toHaveLength(2);
  // What the deploy synthesizes (one account/region) keeps the id the stack name, so `cdk deploy <stack name>` selects it.
  expect(buildApp([other], { stageAssets: false, nag: false }).registries.map((r) => r.node.id)).toEqual([registriesStackName(other)]);
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

type CfnResources = Record<string, { Type: string; DeletionPolicy?: string; UpdateReplacePolicy?: string; Properties?: Record<string, unknown> }>;

/** Logical ids a template value refers to: Ref, Fn::GetAtt and ${Id} / ${Id.Attr} inside Fn::Sub. */
function referencedIds(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => referencedIds(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'Ref' && typeof v === 'string') out.add(v);
      else if (k === 'Fn::GetAtt') out.add(Array.isArray(v) ? String(v[0]) : String(v).split('.')[0]);
      else if (k === 'Fn::Sub') for (const m of JSON.stringify(v).matchAll(/\$\{([A-Za-z0-9]+)[.}]/g)) out.add(m[1]);
      else referencedIds(v, out);
    }
  }
  return out;
}

/**
 * What a kept Aurora cluster may point at and still let the stack delete complete, and why. Anything else it refers
 * to (through its properties, and through those of whatever it refers to) must be kept with it.
 */
const MAY_GO_WITH_KEPT_CLUSTER: Record<string, string> = {
  'AWS::EC2::VPC': 'no ENI of the cluster is left once its instances are deleted; keeping it would keep every subnet and route with it',
  'AWS::EC2::Subnet': 'idem: EC2 deletes a subnet no ENI uses, whatever RDS subnet group lists it',
  'AWS::EC2::SecurityGroup': 'idem: a security group no ENI uses is deleted; kept, it would hold the VPC',
  'AWS::IAM::Role': 'named in a kept key policy; a policy may name a deleted principal',
};

test('a kept Aurora cluster keeps everything it still uses, so the delete of its stack completes', () => {
  let checked = 0;
  for (const [env, t] of Object.entries(s.templates)) {
    const resources = t.toJSON().Resources as CfnResources;
    for (const [clusterId, cluster] of Object.entries(resources).filter(([, r]) => r.Type === 'AWS::RDS::DBCluster')) {
      if (!['Retain', 'RetainExceptOnCreate'].includes(cluster.DeletionPolicy ?? '')) continue;
      checked += 1;
      // Network may go only because no instance (and so no ENI) of the cluster outlives the stack.
      const instances = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::RDS::DBInstance' && referencedIds(r.Properties).has(clusterId));
      for (const [id, r] of instances) expect({ env, id, policy: r.DeletionPolicy }).toEqual({ env, id, policy: 'Delete' });
      const seen = new Set<string>();
      const queue = [...referencedIds(cluster.Properties)];
      while (queue.length) {
        const id = queue.shift()!;
        const r = resources[id];
        if (!r || seen.has(id)) continue;
        seen.add(id);
        if (r.Type in MAY_GO_WITH_KEPT_CLUSTER) continue;
        expect({ env, id, type: r.Type, deletion: r.DeletionPolicy, replace: r.UpdateReplacePolicy }).toEqual({ env, id, type: r.Type, deletion: cluster.DeletionPolicy, replace: cluster.UpdateReplacePolicy });
        queue.push(...referencedIds(r.Properties));
      }
      const kept = [...seen].map((id) => resources[id].Type).filter((type) => !(type in MAY_GO_WITH_KEPT_CLUSTER));
      expect({ env, kept: [...new Set(kept)].sort() }).toEqual({ env, kept: expect.arrayContaining(['AWS::RDS::DBClusterParameterGroup', 'AWS::RDS::DBSubnetGroup', 'AWS::SecretsManager::Secret']) });
    }
  }
  expect(checked).toBeGreaterThanOrEqual(2);
});

test('the master secret of a kept cluster keeps its connection fields: the attachment is kept with it', () => {
  for (const t of [s.templates.prod, s.templates['prod-cn']]) {
    const resources = t.toJSON().Resources as CfnResources;
    const [clusterId] = Object.entries(resources).find(([, r]) => r.Type === 'AWS::RDS::DBCluster')!;
    const attachments = Object.values(resources).filter((r) => r.Type === 'AWS::SecretsManager::SecretTargetAttachment' && referencedIds(r.Properties).has(clusterId));
    expect(attachments.map((a) => a.DeletionPolicy)).toEqual(['RetainExceptOnCreate']);
  }
});
