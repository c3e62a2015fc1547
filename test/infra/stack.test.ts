import { Match } from 'aws-cdk-lib/assertions';
import { PORTS, SECRET_KEYS, SERVICE_ACCOUNTS, discoveryTags, karpenterNodeRoleName, loadEnvironments, secretsManagerNames, codeCommitRepoName } from '../../manifests-src/config';
import { logGroupNames } from '../../infra/lib/observability';
import { ALB_SERVICE_ACCOUNT } from '../../infra/lib/alb-controller';
import { KARPENTER_SERVICE_ACCOUNT } from '../../infra/lib/karpenter-addon';
import { committedSynth, type CommittedSynth } from './committed-synth';
import { resourcesOf } from './synth-once';
import { INTERFACE_ENDPOINT_COUNT, KMS_KEYS } from '../../infra/cost/estimate';
import { NAT_INSTANCE_DISK_GIB } from '../../infra/lib/vpc';

const envs = loadEnvironments();
let s: CommittedSynth;
beforeAll(() => {
  s = committedSynth();
});

const GRAVITON = /^[a-z]+\d+g[a-z]*\./;

describe.each(envs.map((e) => [e.name, e] as const))('stack %s', (name, env) => {
  const t = () => s.templates[name];

  test('VPC spans the configured zones with public and private subnets, NAT and endpoints per config', () => {
    const subnets = resourcesOf(t(), 'AWS::EC2::Subnet');
    const azs = new Set(subnets.map(([, p]) => JSON.stringify(p.AvailabilityZone)));
    expect(azs.size).toBe(env.cluster.availabilityZones);
    expect(subnets).toHaveLength(env.cluster.availabilityZones * 2);
    const nats = env.infra.vpc.natGateways ?? env.cluster.availabilityZones;
    const instance = env.infra.vpc.natProvider === 'instance';
    t().resourceCountIs('AWS::EC2::NatGateway', instance ? 0 : nats);
    const natInstances = resourcesOf(t(), 'AWS::EC2::Instance');
    expect(natInstances).toHaveLength(instance ? nats : 0);
    for (const [, p] of natInstances) {
      expect(p).toMatchObject({ InstanceType: env.infra.vpc.natInstanceType, SourceDestCheck: false });
      expect(p.BlockDeviceMappings).toEqual([{ DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeType: 'gp3', VolumeSize: NAT_INSTANCE_DISK_GIB } }]);
    }
    const endpoints = resourcesOf(t(), 'AWS::EC2::VPCEndpoint').map(([, p]) => JSON.stringify(p.ServiceName));
    expect(endpoints.some((e) => e.includes('s3'))).toBe(true);
    const wanted = ['ecr.api', 'ecr.dkr', 'sts', 'secretsmanager', 'logs'];
    for (const svc of wanted) expect(endpoints.some((e) => e.includes(svc))).toBe(env.infra.vpc.interfaceEndpoints);
    expect(endpoints).toHaveLength(1 + (env.infra.vpc.interfaceEndpoints ? INTERFACE_ENDPOINT_COUNT : 0));
  });

  test('cost profile: Aurora reader, promotion tier, Serverless v2 range and auto-pause follow infra.database', () => {
    const db = env.infra.database;
    const instances = resourcesOf(t(), 'AWS::RDS::DBInstance').map(([, p]) => p);
    expect(instances).toHaveLength(1 + db.readers);
    expect(instances.map((p) => p.PromotionTier).sort()).toEqual([0, ...(db.readers ? [db.readerScalesWithWriter ? 1 : 2] : [])]);
    const [[, cluster]] = resourcesOf(t(), 'AWS::RDS::DBCluster');
    if (db.instanceClass === 'serverless') {
      expect(cluster.ServerlessV2ScalingConfiguration).toEqual({ MinCapacity: db.minCapacityAcu, MaxCapacity: db.maxCapacityAcu, ...(db.autoPauseMinutes ? { SecondsUntilAutoPause: db.autoPauseMinutes * 60 } : {}) });
    }
  });

  test('cost profile: system nodes, Karpenter replicas, KMS keys and EFS follow the config the estimator prices', () => {
    const [[, ng]] = resourcesOf(t(), 'AWS::EKS::Nodegroup');
    expect(ng).toMatchObject({ InstanceTypes: [env.infra.eks.systemNodeInstanceType], ScalingConfig: expect.objectContaining({ DesiredSize: env.infra.eks.systemNodeCount }) });
    // The disk comes with the launch template (a node group with one may not set DiskSize), encrypted.
    const lt = t().toJSON().Resources[ng.LaunchTemplate.Id.Ref].Properties.LaunchTemplateData;
    expect(lt.BlockDeviceMappings).toEqual([{ DeviceName: '/dev/xvda', Ebs: { VolumeSize: env.infra.eks.systemNodeDiskGib, VolumeType: 'gp3', Encrypted: true } }]);
    const karpenter = resourcesOf(t(), 'Custom::AWSCDK-EKS-HelmChart').find(([, p]) => p.Chart === 'karpenter')![1];
    // Values is an Fn::Join (it embeds the queue name); the replicas field is literal text inside it.
    expect(JSON.stringify(karpenter.Values)).toContain(`\\"replicas\\":${env.infra.eks.karpenterReplicas},`);
    t().resourceCountIs('AWS::KMS::Key', KMS_KEYS);
    t().resourceCountIs('AWS::EFS::FileSystem', env.infra.sharedFileSystem ? 1 : 0);
  });

  test('Aurora: writer and reader (if any) in different zones, encrypted, private, TLS, PITR, deletion protection from config', () => {
    const instances = resourcesOf(t(), 'AWS::RDS::DBInstance');
    const [a, b] = instances.map(([, p]) => p.AvailabilityZone);
    expect(a).toBeDefined();
    if (instances.length > 1) expect(a).not.toEqual(b);
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

  test('broker: Multi-AZ with failover when it has a replica, encrypted at rest and in transit, AUTH token by reference, Graviton', () => {
    const [[, rg]] = resourcesOf(t(), 'AWS::ElastiCache::ReplicationGroup');
    const multiAz = env.infra.cache.replicas >= 1;
    expect(rg).toMatchObject({ MultiAZEnabled: multiAz, AutomaticFailoverEnabled: multiAz, AtRestEncryptionEnabled: true, TransitEncryptionEnabled: true, Port: PORTS.redis, Engine: env.infra.cache.engine, CacheNodeType: env.infra.cache.nodeType });
    expect(rg.ReplicasPerNodeGroup).toBe(env.infra.cache.replicas);
    expect(rg.CacheNodeType).toMatch(/^cache\.[a-z]+\d+g/);
    expect(JSON.stringify(rg.AuthToken)).toContain('resolve:secretsmanager');
  });

  test('EKS: version from config, node group on Graviton/arm64, managed add-ons', () => {
    t().hasResourceProperties('AWS::EKS::Cluster', { Version: env.cluster.kubernetesVersion });
    const [[, ng]] = resourcesOf(t(), 'AWS::EKS::Nodegroup');
    expect(ng.AmiType).toMatch(/ARM_64/);
    for (const type of ng.InstanceTypes) expect(type).toMatch(GRAVITON);
    const addons = resourcesOf(t(), 'AWS::EKS::Addon').map(([, p]) => p.AddonName);
    const optional = [...(env.infra.eks.containerInsights ? ['amazon-cloudwatch-observability'] : []), ...(env.infra.sharedFileSystem ? ['aws-efs-csi-driver'] : [])];
    expect(addons.sort()).toEqual([...optional, 'coredns', 'eks-pod-identity-agent', 'kube-proxy', 'vpc-cni'].sort());
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
    // The master rotates alone (hosted single-user rotation); Airflow's login and the JWT signing keys with the stack's own functions.
    const rotations = resourcesOf(t(), 'AWS::SecretsManager::RotationSchedule').map(([, p]) => p);
    expect(rotations.filter((p) => p.HostedRotationLambda).map((p) => p.HostedRotationLambda.RotationType)).toEqual(['PostgreSQLSingleUser']);
    const own = rotations.filter((p) => p.RotationLambdaARN);
    const secretOf = (name: string) => resourcesOf(t(), 'AWS::SecretsManager::Secret').find(([, p]) => p.Name === name)!;
    const loginSecret = secretOf(n.airflowDb);
    const jwtSecret = secretOf(n.jwtSigning);
    expect(own.map((p) => p.SecretId.Ref).sort()).toEqual([loginSecret[0], jwtSecret[0]].sort());
    // The JWT keys are written by the first rotation, run when the schedule is created; the login exists already.
    const schedule = (secret: string) => own.find((p) => p.SecretId.Ref === secret)!;
    expect(schedule(jwtSecret[0]).RotateImmediatelyOnUpdate).toBe(true);
    const fnId = schedule(loginSecret[0]).RotationLambdaARN['Fn::GetAtt'][0] as string;
    const fn = t().toJSON().Resources[fnId];
    // In the VPC, with the security group Aurora admits; Secrets Manager may invoke it.
    const groups = fn.Properties.VpcConfig.SecurityGroupIds.map((g: any) => g['Fn::GetAtt'][0]);
    const ingress = resourcesOf(t(), 'AWS::EC2::SecurityGroupIngress').map(([, p]) => p);
    expect(ingress.some((p) => p.FromPort === PORTS.postgres && groups.includes(p.SourceSecurityGroupId?.['Fn::GetAtt']?.[0]) && /^MetadataDbSecurityGroup/.test(p.GroupId['Fn::GetAtt'][0]))).toBe(true);
    expect(resourcesOf(t(), 'AWS::Lambda::Permission').some(([, p]) => p.Principal === 'secretsmanager.amazonaws.com' && p.FunctionName['Fn::GetAtt'][0] === fnId)).toBe(true);
    // Both functions reach Secrets Manager from their subnets: a Secrets Manager interface endpoint, or a default route out (NAT).
    const subnets = own.flatMap((p) => t().toJSON().Resources[p.RotationLambdaARN['Fn::GetAtt'][0]].Properties.VpcConfig.SubnetIds.map((x: any) => x.Ref as string));
    const tableOf = (subnet: string) => resourcesOf(t(), 'AWS::EC2::SubnetRouteTableAssociation').find(([, p]) => p.SubnetId.Ref === subnet)![1].RouteTableId.Ref;
    const routesOut = (table: string) => resourcesOf(t(), 'AWS::EC2::Route').some(([, p]) => p.RouteTableId.Ref === table && p.DestinationCidrBlock === '0.0.0.0/0' && (p.NatGatewayId || p.InstanceId));
    const smEndpoint = resourcesOf(t(), 'AWS::EC2::VPCEndpoint').some(([, p]) => JSON.stringify(p.ServiceName).includes('secretsmanager'));
    for (const subnet of subnets) expect(smEndpoint || routesOut(tableOf(subnet))).toBe(true);
    // It reads the master (masterarn) and rewrites only the login secret's versions.
    const policy = resourcesOf(t(), 'AWS::IAM::Policy').find(([, p]) => p.Roles.some((r: any) => r.Ref === fn.Properties.Role['Fn::GetAtt'][0]))![1];
    const on = (ref: string) => policy.PolicyDocument.Statement.filter((st: any) => st.Resource?.Ref === ref).flatMap((st: any) => [st.Action].flat());
    expect(on(loginSecret[0]).sort()).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage']);
    const master = rotations.find((p) => p.HostedRotationLambda)!.SecretId.Ref as string;
    expect(on(master).sort()).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
  });

  test('log groups keep logs for logging.retentionDays', () => {
    const groups = Object.values(logGroupNames(env));
    const found = resourcesOf(t(), 'AWS::Logs::LogGroup').filter(([, p]) => groups.includes(p.LogGroupName));
    expect(found).toHaveLength(groups.length);
    for (const [, p] of found) expect(p.RetentionInDays).toBe(env.logging.retentionDays);
    expect(resourcesOf(t(), 'AWS::CloudWatch::Alarm').length).toBeGreaterThanOrEqual(6);
    t().resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    t().hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
  });

  test('EFS encrypted when configured; no ECR repository in the environment stack (the registries stack has them); CodeCommit repo named by the contract', () => {
    for (const [, p] of resourcesOf(t(), 'AWS::EFS::FileSystem')) expect(p.Encrypted).toBe(true);
    t().resourceCountIs('AWS::ECR::Repository', 0);
    if (env.infra.createCodeCommitRepo && !env.dags.repoUrl) t().hasResourceProperties('AWS::CodeCommit::Repository', { RepositoryName: codeCommitRepoName(env) });
  });

  test('Argo CD root Application follows gitops.repoUrl / targetRevision at argocd/<env>', () => {
    const manifests = JSON.stringify(t().findResources('Custom::AWSCDK-EKS-KubernetesResource'));
    expect(manifests).toContain(env.gitops.repoUrl);
    expect(manifests).toContain(`argocd/${env.name}`);
    expect(manifests).toContain(`\\"targetRevision\\":\\"${env.gitops.targetRevision}\\"`);
    const charts = resourcesOf(t(), 'Custom::AWSCDK-EKS-HelmChart').map(([, p]) => p.Chart);
    expect(charts.sort()).toEqual(['argo-cd', 'aws-load-balancer-controller', 'external-secrets', 'karpenter', 'karpenter-crd', 'keda', 'reloader']);
  });
});

test('prod keeps HA (reader, broker replica, NAT per zone, two system nodes); dev is the cheap profile', () => {
  const prod = s.templates.prod;
  expect(resourcesOf(prod, 'AWS::RDS::DBInstance')).toHaveLength(2);
  expect(resourcesOf(prod, 'AWS::ElastiCache::ReplicationGroup')[0][1].MultiAZEnabled).toBe(true);
  prod.resourceCountIs('AWS::EC2::NatGateway', 2);
  const dev = s.templates.dev;
  expect(resourcesOf(dev, 'AWS::RDS::DBInstance')).toHaveLength(1);
  expect(resourcesOf(dev, 'AWS::RDS::DBCluster')[0][1].ServerlessV2ScalingConfiguration).toMatchObject({ MinCapacity: 0 });
  dev.resourceCountIs('AWS::EC2::NatGateway', 0);
});

test('prod keeps deletion protection and retains the database; dev, with protection off, leaves a final snapshot', () => {
  const policy = (name: string) => Object.values(s.templates[name].findResources('AWS::RDS::DBCluster'))[0] as { DeletionPolicy?: string; Properties: { DeletionProtection?: boolean } };
  expect(envs.find((e) => e.name === 'prod')!.infra.database.deletionProtection).toBe(true);
  expect(policy('prod')).toMatchObject({ DeletionPolicy: 'RetainExceptOnCreate', Properties: { DeletionProtection: true } });
  expect(envs.find((e) => e.name === 'dev')!.infra.database.deletionProtection).toBe(false);
  expect(policy('dev')).toMatchObject({ DeletionPolicy: 'Snapshot', Properties: { DeletionProtection: false } });
});

test('cdk-nag: the one pass inside synth left zero open findings and no unused acknowledgement', () => {
  expect(s.nag.open).toEqual([]);
  expect(s.nag.unused).toEqual([]);
  expect(Object.keys(s.nag.acknowledged)).toEqual(expect.arrayContaining(envs.map((e) => `airflow-eks-${e.name}`)));
});
