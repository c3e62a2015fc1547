import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { RemovalPolicy } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { PORTS, SECRET_KEYS, secretsManagerNames, type EnvironmentConfig } from '../../manifests-src/config';
import { SecretFields } from './secret-fields';

export interface BrokerProps {
  readonly env: EnvironmentConfig;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly encryptionKey: kms.IKey;
  /** Security groups allowed in on PORTS.redis. */
  readonly clientSecurityGroups: ec2.ISecurityGroup[];
}

/** Engine versions per engine (Valkey is the Redis-compatible fork ElastiCache prices lower). */
export const CACHE_ENGINE_VERSIONS = { valkey: '8.0', redis: '7.1' } as const;

/**
 * The Celery broker: an ElastiCache replication group with a replica in another zone and automatic failover,
 * encrypted at rest (KMS) and in transit (TLS, AUTH token). The AUTH token is generated into the broker secret
 * (contract keys host, port, authToken); host and port are written into it once the group exists.
 */
export class Broker extends Construct {
  readonly replicationGroup: elasticache.CfnReplicationGroup;
  readonly secret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: BrokerProps) {
    super(scope, id);
    const { env, vpc } = props;
    const cache = env.infra.cache;
    const keys = SECRET_KEYS.broker;
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      secretName: secretsManagerNames(env).broker,
      description: 'Celery broker (ElastiCache) endpoint and AUTH token',
      encryptionKey: props.encryptionKey,
      // AUTH tokens allow printable characters except @ " /; alphanumerics avoid URL quoting entirely.
      generateSecretString: { secretStringTemplate: '{}', generateStringKey: keys.authToken, excludePunctuation: true, passwordLength: 64 },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', { vpc, description: 'ElastiCache: Redis protocol from the EKS nodes only', allowAllOutbound: false });
    for (const sg of props.clientSecurityGroups) securityGroup.addIngressRule(sg, ec2.Port.tcp(PORTS.redis), 'Celery broker from EKS nodes');
    const subnetGroup = new elasticache.CfnSubnetGroup(this, 'Subnets', {
      description: `${env.cluster.name} broker`,
      subnetIds: vpc.selectSubnets(props.subnets).subnetIds,
    });
    const multiAz = cache.replicas >= 1;
    this.replicationGroup = new elasticache.CfnReplicationGroup(this, 'ReplicationGroup', {
      replicationGroupDescription: `${env.cluster.name} Celery broker`,
      engine: cache.engine,
      engineVersion: CACHE_ENGINE_VERSIONS[cache.engine],
      cacheNodeType: cache.nodeType,
      numNodeGroups: 1,
      replicasPerNodeGroup: cache.replicas,
      automaticFailoverEnabled: multiAz,
      multiAzEnabled: multiAz,
      port: PORTS.redis,
      cacheSubnetGroupName: subnetGroup.ref,
      securityGroupIds: [securityGroup.securityGroupId],
      atRestEncryptionEnabled: true,
      kmsKeyId: props.encryptionKey.keyId,
      transitEncryptionEnabled: true,
      authToken: this.secret.secretValueFromJson(keys.authToken).unsafeUnwrap(),
      snapshotRetentionLimit: 1,
      autoMinorVersionUpgrade: true,
    });
    new SecretFields(this, 'Endpoint', {
      secret: this.secret,
      set: { [keys.host]: this.replicationGroup.attrPrimaryEndPointAddress, [keys.port]: this.replicationGroup.attrPrimaryEndPointPort },
    });
  }
}
