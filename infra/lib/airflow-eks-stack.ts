import { Aspects, CfnOutput, Stack, Tags, Validations, type StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { dagRepoUrl, secretsManagerNames, type EnvironmentConfig } from '../../manifests-src/config';
import { AirflowAccess } from './airflow-access';
import { AirflowDbLogin } from './airflow-db-login';
import { AirflowSecrets } from './airflow-secrets';
import { JwtSigningKeys } from './jwt-signing-keys';
import { AlbController } from './alb-controller';
import { ArgoCd } from './argocd';
import { Broker } from './broker';
import { AirflowCluster } from './cluster';
import { DagRepo, wantsDagRepo } from './codecommit-dag-repo';
import { ExternalSecrets } from './external-secrets';
import { Karpenter } from './karpenter-addon';
import { Keda } from './keda-addon';
import { EXCLUDED_PASSWORD_CHARACTERS, MetadataDb } from './metadata-db';
import { ACCEPTED_TEMPLATE_WARNINGS } from './nag-suppressions';
import { Network } from './vpc';
import { Observability } from './observability';
import { partitionServiceNames, SecretsManagerViaServiceNames } from './partition-services';
import { Reloader } from './reloader';
import { KEEP_DATA } from './retention';
import { SharedStorage } from './shared-storage';

export interface AirflowEksStackProps extends Omit<StackProps, 'env'> {
  /** The environment, as loaded and checked by `loadEnvironments` (the schema holds every cross-field rule). */
  readonly config: EnvironmentConfig;
}

/** Stack name of an environment (what `cdk deploy` and deploy.sh take). */
export function stackName(env: Pick<EnvironmentConfig, 'name'>): string {
  return `airflow-eks-${env.name}`;
}

/**
 * Everything AWS-side one environment needs before Argo CD can sync dist/<env>/: network, EKS and its
 * add-ons, the metadata DB, the broker, secrets, storage, registries, the DAG repository and monitoring.
 */
export class AirflowEksStack extends Stack {
  constructor(scope: Construct, id: string, props: AirflowEksStackProps) {
    const { config: env, ...rest } = props;
    super(scope, id, { ...rest, env: { account: env.aws.account, region: env.aws.region }, description: `Airflow on EKS: ${env.name}` });
    Tags.of(this).add('airflow-eks/environment', env.name);

    const dataKey = new kms.Key(this, 'DataKey', { enableKeyRotation: true, description: `${env.cluster.name} data at rest (Aurora, cache, EFS, secrets)`, removalPolicy: KEEP_DATA });
    const network = new Network(this, 'Network', { env });
    const { vpc, privateSubnets } = network;
    const eks = new AirflowCluster(this, 'Eks', { env, vpc, privateSubnets });
    const cluster = eks.cluster;
    const nodeGroups = [cluster.clusterSecurityGroup];

    const db = new MetadataDb(this, 'MetadataDb', { env, vpc, subnets: privateSubnets, encryptionKey: dataKey, clientSecurityGroups: nodeGroups });
    const dbLogin = new AirflowDbLogin(this, 'AirflowDbLogin', { env, vpc, subnets: privateSubnets, encryptionKey: dataKey, cluster: db.cluster, masterSecret: db.cluster.secret!, excludeCharacters: EXCLUDED_PASSWORD_CHARACTERS });
    const broker = new Broker(this, 'Broker', { env, vpc, subnets: privateSubnets, encryptionKey: dataKey, clientSecurityGroups: nodeGroups });
    const airflowSecrets = new AirflowSecrets(this, 'AirflowSecrets', { env, encryptionKey: dataKey });
    const jwtKeys = new JwtSigningKeys(this, 'JwtSigningKeys', { env, vpc, subnets: privateSubnets, encryptionKey: dataKey });
    if (env.infra.sharedFileSystem) new SharedStorage(this, 'SharedStorage', { env, vpc, subnets: privateSubnets, encryptionKey: dataKey, clientSecurityGroups: nodeGroups });
    if (wantsDagRepo(env)) new DagRepo(this, 'DagRepo', { env });
    const observability = new Observability(this, 'Observability', { env, database: db.cluster, broker: broker.replicationGroup });
    const access = new AirflowAccess(this, 'Access', { env, cluster, secrets: [dbLogin.secret, broker.secret, airflowSecrets.secret, jwtKeys.secret], logGroups: observability.logGroups });

    // Controllers first (Karpenter, ALB, External Secrets, KEDA, Reloader), then Argo CD which syncs the rest.
    const externalSecrets = new ExternalSecrets(this, 'ExternalSecrets', { env, cluster }).release;
    externalSecrets.node.addDependency(access.roles.externalSecrets!);
    const addOns = [
      new Karpenter(this, 'Karpenter', { env, cluster }).release,
      new AlbController(this, 'AlbController', { env, cluster, vpc }).release,
      externalSecrets,
      new Keda(this, 'Keda', { env, cluster }).release,
      new Reloader(this, 'Reloader', { env, cluster }).release,
    ];
    // Pods that call AWS get credentials only once the Pod Identity agent runs (their associations are theirs).
    for (const a of addOns) a.node.addDependency(eks.nodegroup, eks.podIdentityAgent);
    const argocd = new ArgoCd(this, 'ArgoCd', { env, cluster, externalSecrets });
    argocd.release.node.addDependency(...addOns);

    new CfnOutput(this, 'ClusterName', { value: cluster.clusterName });
    new CfnOutput(this, 'DagRepositoryUrl', { value: dagRepoUrl(env) });
    new CfnOutput(this, 'GitSecretName', { value: secretsManagerNames(env).git, description: 'DAG repository credentials (checked by the deploy preflight)' });
    if (env.gitops.auth !== 'none') new CfnOutput(this, 'GitOpsSecretName', { value: secretsManagerNames(env).gitops, description: 'Argo CD repository credentials (checked by the deploy preflight)' });
    new CfnOutput(this, 'AlarmTopicArn', { value: observability.topic.topicArn });

    Aspects.of(this).add(new SecretsManagerViaServiceNames(partitionServiceNames(env.aws.partition, env.aws.region)));
    for (const w of ACCEPTED_TEMPLATE_WARNINGS) Validations.of(this).acknowledge(w);
  }
}
