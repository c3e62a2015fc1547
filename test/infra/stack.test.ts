import { Match } from 'aws-cdk-lib/assertions';
import { PORTS, SECRET_KEYS, SERVICE_ACCOUNTS, discoveryTags, karpenterNodeRoleName, loadEnvironments, secretsManagerNames, codeCommitRepoName } from '../../manifests-src/config';
import { logGroupNames } from '../../infra/lib/observability';
import { ALB_SERVICE_ACCOUNT } from '../../infra/lib/alb-controller';
import { KARPENTER_SERVICE_ACCOUNT } from '../../infra/lib/karpenter';
import { committedSynth, type CommittedSynth } from './cdk-out';
import { resourcesOf } from './synth-once';

const envs = loadEnvironments();
let s: CommittedSynth;
beforeAll(() => {
  s = committedSynth();
});

const GRAVITON = /^[a-z]+\d+g[a-z]*\./;

describe.each(envs.map((e) => [e.name, e] as const))('stack %s', (name, env) => {
  const t = () => s.templates[name];

  test('VPC spans the configured zones with public and private subnets, NAT per config', () => {
    const subnets = resourcesOf(t(), 'AWS::EC2::Subnet');
    const azs = new Set(subnets.map(([, p]) => JSON.stringify(p.AvailabilityZone)));
    expect(azs.size).toBe(env.cluster.availabilityZones);
    expect(subnets).toHaveLength(env.cluster.availabilityZones * 2);
    t().resourceCountIs('AWS::EC2::NatGateway', env.infra.vpc.natGateways ?? env.cluster.availabilityZones);
    const endpoints = resourcesOf(t(), 'AWS::EC2::VPCEndpoint').map(([, p]) => JSON.stringify(p.ServiceName));
    for (const svc of ['ecr.api', 'ecr.dkr', 'sts', 'secretsmanager', 'logs', 's3']) expect(endpoints.some((e) => e.includes(svc))).toBe(true);
  });

  test('Aurora: writer and reader in different zones, encrypted, private, TLS, PITR, deletion protection from config', () => {
    const instances = resourcesOf(t(), 'AWS::RDS::DBInstance');
    expect(instances).toHaveLength(2);
    const [a, b] = instances.map(([, p]) => p.AvailabilityZone);
    expect(a).toBeDefined();
    expect(a).not.toEqual(b);
    for (const [, p] of instances) {
      expect(p.PubliclyAccessible).toBe(false);
      expect(p.EnablePerformanceInsights).toBe(true);
      if (env.infra.database.instanceClass === 'serverless') expect(p.DBInstanceClass).toBe('db.serverless');
      else expect(p.DBInstanceClass).toMatch(/^db\.[a-z]+\d+g[a-z]*\./);
    }
    const [[, cluster]] = resourcesOf(t(), 'AWS::RDS::DBCluster');
    expect(cluster.StorageEncrypted).toBe(true);
    expect(cluster.KmsKeyId).toBeDefined();
    expect(cluster.Port).toBe(PORTS.postgres);
    expect(cluster.BackupRetentionPeriod).toBe(env.infra.database.backupRetentionDays);
    expect(cluster.DeletionProtection).toBe(env.infra.database.deletionProtection);
    t().hasResourceProperties('AWS::RDS::DBClusterParameterGroup', { Parameters: Match.objectLike({ 'rds.force_ssl': '1' }) });
  });

  test('the database and the cache admit only security groups, only on their port', () => {
    const ingress = resourcesOf(t(), 'AWS::EC2::SecurityGroupIngress').filter(([, p]) => p.FromPort === PORTS.postgres || p.FromPort === PORTS.redis);
    expect(ingress.length).toBeGreaterThanOrEqual(2);
    for (const [, p] of ingress) {
      expect(p.CidrIp).toBeUndefined();
      expect(p.SourceSecurityGroupId).toBeDefined();
      expect(p.ToPort).toBe(p.FromPort);
    }
    for (const [, p] of resourcesOf(t(), 'AWS::EC2::SecurityGroup')) {
      for (const rule of p.SecurityGroupIngress ?? []) expect(rule.CidrIp).not.toBe('0.0.0.0/0');
    }
  });

  test('broker: Multi-AZ with automatic failover, encrypted at rest and in transit, AUTH token by reference, Graviton', () => {
    const [[, rg]] = resourcesOf(t(), 'AWS::ElastiCache::ReplicationGroup');
    expect(rg).toMatchObject({ MultiAZEnabled: true, AutomaticFailoverEnabled: true, AtRestEncryptionEnabled: true, TransitEncryptionEnabled: true, Port: PORTS.redis, Engine: env.infra.cache.engine });
    expect(rg.ReplicasPerNodeGroup).toBeGreaterThanOrEqual(1);
    expect(rg.CacheNodeType).toMatch(/^cache\.[a-z]+\d+g/);
    expect(JSON.stringify(rg.AuthToken)).toContain('resolve:secretsmanager');
  });

  test('EKS: version from config, node group on Graviton/arm64, managed add-ons', () => {
    t().hasResourceProperties('AWS::EKS::Cluster', { Version: env.cluster.kubernetesVersion });
    const [[, ng]] = resourcesOf(t(), 'AWS::EKS::Nodegroup');
    expect(ng.AmiType).toMatch(/ARM_64/);
    for (const type of ng.InstanceTypes) expect(type).toMatch(GRAVITON);
    const addons = resourcesOf(t(), 'AWS::EKS::Addon').map(([, p]) => p.AddonName);
    expect(addons.sort()).toEqual(['amazon-cloudwatch-observability', 'aws-efs-csi-driver', 'coredns', 'eks-pod-identity-agent', 'kube-proxy', 'vpc-cni']);
  });

  test('a Pod Identity association for every contract service account with aws: true (and the controllers)', () => {
    const assoc = resourcesOf(t(), 'AWS::EKS::PodIdentityAssociation').map(([, p]) => `${p.Namespace}/${p.ServiceAccount}`);
    const expected = Object.values(SERVICE_ACCOUNTS).filter((sa) => sa.aws).map((sa) => `${'namespace' in sa ? sa.namespace : env.namespace}/${sa.name}`);
    for (const e of expected) expect(assoc).toContain(e);
    expect(assoc).toContain(`kube-system/${KARPENTER_SERVICE_ACCOUNT}`);
    expect(assoc).toContain(`kube-system/${ALB_SERVICE_ACCOUNT}`);
    for (const sa of Object.values(SERVICE_ACCOUNTS).filter((x) => !x.aws)) expect(assoc.some((a) => a.endsWith(`/${sa.name}`))).toBe(false);
  });

  test('Karpenter discovery: private subnets tagged, cluster security group tagged, node role named by the contract', () => {
    const [[key, value]] = Object.entries(discoveryTags(env));
    const tagged = resourcesOf(t(), 'AWS::EC2::Subnet').filter(([, p]) => (p.Tags ?? []).some((tag: any) => tag.Key === key && tag.Value === value));
    expect(tagged).toHaveLength(env.cluster.availabilityZones);
    for (const [, p] of tagged) expect(p.MapPublicIpOnLaunch).not.toBe(true);
    expect(JSON.stringify(t().findResources('Custom::AWS'))).toContain(`\\"Key\\":\\"${key}\\",\\"Value\\":\\"${value}\\"`);
    t().hasResourceProperties('AWS::IAM::Role', { RoleName: karpenterNodeRoleName(env) });
    t().hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    expect(resourcesOf(t(), 'AWS::Events::Rule').length).toBe(4);
  });

  test('secrets carry the contract names; generated values are never in the template', () => {
    const names = resourcesOf(t(), 'AWS::SecretsManager::Secret').map(([, p]) => p.Name);
    const n = secretsManagerNames(env);
    expect(names).toEqual(expect.arrayContaining([n.metadataDb, n.broker, n.airflow]));
    const db = resourcesOf(t(), 'AWS::SecretsManager::Secret').find(([, p]) => p.Name === n.metadataDb)![1];
    expect(JSON.parse(db.GenerateSecretString.SecretStringTemplate)).toMatchObject({ [SECRET_KEYS.metadataDb.username]: expect.any(String), [SECRET_KEYS.metadataDb.dbname]: 'airflow' });
    const fields = resourcesOf(t(), 'Custom::SecretFields').map(([, p]) => p);
    expect(fields.some((p) => Object.keys(p.Generate).sort().join() === Object.values(SECRET_KEYS.airflow).sort().join())).toBe(true);
    expect(fields.some((p) => Object.keys(p.Set).sort().join() === [SECRET_KEYS.broker.host, SECRET_KEYS.broker.port].sort().join())).toBe(true);
    t().resourceCountIs('AWS::SecretsManager::RotationSchedule', 1);
  });

  test('log groups keep logs for logging.retentionDays', () => {
    const groups = Object.values(logGroupNames(env));
    const found = resourcesOf(t(), 'AWS::Logs::LogGroup').filter(([, p]) => groups.includes(p.LogGroupName));
    expect(found).toHaveLength(2);
    for (const [, p] of found) expect(p.RetentionInDays).toBe(env.logging.retentionDays);
    expect(resourcesOf(t(), 'AWS::CloudWatch::Alarm').length).toBeGreaterThanOrEqual(6);
    t().resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    t().hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
  });

  test('EFS and ECR: encrypted file system, immutable scanned repositories; CodeCommit repo named by the contract', () => {
    t().hasResourceProperties('AWS::EFS::FileSystem', { Encrypted: true });
    for (const [, p] of resourcesOf(t(), 'AWS::ECR::Repository')) {
      expect(p.ImageTagMutability).toBe('IMMUTABLE');
      expect(p.ImageScanningConfiguration).toEqual({ ScanOnPush: true });
      expect(p.LifecyclePolicy).toBeDefined();
    }
    if (env.infra.createCodeCommitRepo && !env.dags.repoUrl) t().hasResourceProperties('AWS::CodeCommit::Repository', { RepositoryName: codeCommitRepoName(env) });
  });

  test('Argo CD root Application follows gitops.repoUrl / targetRevision at argocd/<env>', () => {
    const manifests = JSON.stringify(t().findResources('Custom::AWSCDK-EKS-KubernetesResource'));
    expect(manifests).toContain(env.gitops.repoUrl);
    expect(manifests).toContain(`argocd/${env.name}`);
    expect(manifests).toContain(`\\"targetRevision\\":\\"${env.gitops.targetRevision}\\"`);
    const charts = resourcesOf(t(), 'Custom::AWSCDK-EKS-HelmChart').map(([, p]) => p.Chart);
    expect(charts.sort()).toEqual(['argo-cd', 'aws-load-balancer-controller', 'external-secrets', 'karpenter', 'keda', 'reloader']);
  });
});

test('prod keeps deletion protection and retains the database; dev, with protection off, leaves a final snapshot', () => {
  const policy = (name: string) => Object.values(s.templates[name].findResources('AWS::RDS::DBCluster'))[0] as { DeletionPolicy?: string; Properties: { DeletionProtection?: boolean } };
  expect(envs.find((e) => e.name === 'prod')!.infra.database.deletionProtection).toBe(true);
  expect(policy('prod')).toMatchObject({ DeletionPolicy: 'Retain', Properties: { DeletionProtection: true } });
  expect(envs.find((e) => e.name === 'dev')!.infra.database.deletionProtection).toBe(false);
  expect(policy('dev')).toMatchObject({ DeletionPolicy: 'Snapshot', Properties: { DeletionProtection: false } });
});

test('cdk-nag: the one pass inside synth left zero open findings and no unused acknowledgement', () => {
  expect(s.nag.open).toEqual([]);
  expect(s.nag.unused).toEqual([]);
  expect(Object.keys(s.nag.acknowledged).sort()).toEqual(envs.map((e) => `airflow-eks-${e.name}`).sort());
});
