import { loadEnvironments } from '../../manifests-src/config';
import { APPLICATION_HEALTH_KEY, argoCdValues } from '../../infra/lib/argocd';
import { albControllerValues } from '../../infra/lib/alb-controller';
import { VPC_CNI_CONFIGURATION } from '../../infra/lib/cluster';
import { GITOPS_REPOSITORY_SECRET, gitOpsCredentialManifests } from '../../infra/lib/gitops-credentials';
import { partitionServiceNames } from '../../infra/lib/partition-services';
import { committedSynth, type CommittedSynth } from './committed-synth';

const envs = loadEnvironments();
let s: CommittedSynth;
beforeAll(() => {
  s = committedSynth();
});

type Resource = { Type: string; Properties?: Record<string, any>; DependsOn?: string[] };
const resources = (name: string) => s.templates[name].toJSON().Resources as Record<string, Resource>;
const idsOf = (name: string, type: string, match: (r: Resource) => boolean = () => true) => Object.entries(resources(name)).filter(([, r]) => r.Type === type && match(r)).map(([id]) => id);
/** A release's Values as text (a string, or an Fn::Join when it holds tokens such as the VPC id). */
const values = (r: Resource): string => (typeof r.Properties?.Values === 'string' ? r.Properties.Values : JSON.stringify(r.Properties?.Values));

/** Every value of an IAM condition key anywhere in a template (a single value normalised to a list). */
function conditionValues(node: unknown, key: string, out: string[][] = []): string[][] {
  if (Array.isArray(node)) for (const n of node) conditionValues(n, key, out);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === key && (typeof v === 'string' || Array.isArray(v))) out.push(typeof v === 'string' ? [v] : (v as string[]));
      else conditionValues(v, key, out);
    }
  }
  return out;
}

describe.each(envs.map((e) => [e.name, e] as const))('%s', (name, env) => {
  test('every Helm release that runs pods waits for the Pod Identity agent; External Secrets also for its own association', () => {
    const [agent] = idsOf(name, 'AWS::EKS::Addon', (r) => r.Properties?.AddonName === 'eks-pod-identity-agent');
    // karpenter-crd installs CRDs only: no pod of it calls AWS.
    const releases = Object.entries(resources(name)).filter(([, r]) => r.Type === 'Custom::AWSCDK-EKS-HelmChart' && r.Properties?.Chart !== 'argo-cd' && r.Properties?.Chart !== 'karpenter-crd');
    expect(releases).toHaveLength(5);
    for (const [, r] of releases) expect({ chart: r.Properties?.Chart, agent: r.DependsOn?.includes(agent) }).toEqual({ chart: r.Properties?.Chart, agent: true });
    const eso = releases.find(([, r]) => r.Properties?.Chart === 'external-secrets')![1];
    const association = idsOf(name, 'AWS::EKS::PodIdentityAssociation', (r) => r.Properties?.ServiceAccount === 'external-secrets');
    expect(association).toHaveLength(1);
    expect(eso.DependsOn).toContain(association[0]);
  });

  test('the ALB controller installs without its Service mutating webhook (no race with parallel releases)', () => {
    const alb = Object.values(resources(name)).find((r) => r.Properties?.Chart === 'aws-load-balancer-controller')!;
    expect(values(alb)).toMatch(/enableServiceMutatorWebhook\\?":false/);
    const china = env.aws.partition === 'aws-cn';
    expect(albControllerValues(env, env.aws.region, 'vpc-1')).toMatchObject(china ? { enableShield: false, enableWaf: false, enableWafv2: false } : {});
    if (!china) expect(albControllerValues(env, env.aws.region, 'vpc-1')).not.toHaveProperty('enableShield');
  });

  test('vpc-cni enforces NetworkPolicies', () => {
    const cni = Object.values(resources(name)).find((r) => r.Type === 'AWS::EKS::Addon' && r.Properties?.AddonName === 'vpc-cni')!;
    expect(JSON.parse(cni.Properties!.ConfigurationValues)).toEqual(VPC_CNI_CONFIGURATION);
    expect(VPC_CNI_CONFIGURATION.enableNetworkPolicy).toBe('true');
  });

  test('Argo CD assesses Application health, so sync waves between Applications gate', () => {
    const argo = Object.values(resources(name)).find((r) => r.Properties?.Chart === 'argo-cd')!;
    const cm = (JSON.parse(values(argo)) as { configs: { cm: Record<string, string> } }).configs.cm;
    expect(cm[APPLICATION_HEALTH_KEY]).toMatch(/hs\.status = obj\.status\.health\.status/);
    expect(argoCdValues(env)).toMatchObject({ configs: { cm: { 'resource.customizations.health.argoproj.io_Application': expect.any(String) } } });
  });

  test('Karpenter may pass its node role to EC2 under every name the partition uses; Secrets Manager decrypts name the same services in role and key policy', () => {
    const names = partitionServiceNames(env.aws.partition, env.aws.region);
    const passed = conditionValues(s.templates[name].toJSON(), 'iam:PassedToService');
    expect(passed).toEqual([names.ec2PassedToService]);
    const via = conditionValues(s.templates[name].toJSON(), 'kms:ViaService');
    expect(via.length).toBeGreaterThanOrEqual(2);
    for (const v of via) expect(v).toEqual(names.secretsManagerViaService);
  });
});

test('per partition: aws-cn lists the China and the global service names, aws only the global one', () => {
  expect(partitionServiceNames('aws-cn', 'cn-north-1')).toEqual({
    ec2PassedToService: ['ec2.amazonaws.com.cn', 'ec2.amazonaws.com'],
    secretsManagerViaService: ['secretsmanager.cn-north-1.amazonaws.com.cn', 'secretsmanager.cn-north-1.amazonaws.com'],
  });
  expect(partitionServiceNames('aws', 'eu-west-1')).toEqual({ ec2PassedToService: ['ec2.amazonaws.com'], secretsManagerViaService: ['secretsmanager.eu-west-1.amazonaws.com'] });
});

test('Argo CD reads the GitOps repository with credentials from Secrets Manager, before the root Application syncs', () => {
  for (const env of envs) {
    const manifests = Object.entries(resources(env.name)).filter(([, r]) => r.Type === 'Custom::AWSCDK-EKS-KubernetesResource');
    const creds = manifests.find(([, r]) => JSON.stringify(r.Properties?.Manifest).includes('argocd.argoproj.io/secret-type'));
    const root = manifests.find(([, r]) => JSON.stringify(r.Properties?.Manifest).includes('"kind\\":\\"Application\\"'));
    expect(creds).toBeDefined();
    expect(root![1].DependsOn).toContain(creds![0]);
    const [store, external] = gitOpsCredentialManifests(env) as any[];
    expect(store.spec.provider.aws).toEqual({ service: 'SecretsManager', region: env.aws.region });
    expect(external.spec.target).toMatchObject({ name: GITOPS_REPOSITORY_SECRET, template: { metadata: { labels: { 'argocd.argoproj.io/secret-type': 'repository' } }, data: { type: 'git', url: env.gitops.repoUrl } } });
    expect(external.spec.dataFrom).toEqual([{ extract: { key: `airflow-eks/${env.name}/gitops` } }]);
  }
  const ssh = gitOpsCredentialManifests({ ...envs[1], gitops: { ...envs[1].gitops, auth: 'ssh' } }) as any[];
  expect(Object.keys(ssh[1].spec.target.template.data).sort()).toEqual(['sshPrivateKey', 'type', 'url']);
  expect(gitOpsCredentialManifests({ ...envs[1], gitops: { ...envs[1].gitops, auth: 'none' } })).toEqual([]);
});
