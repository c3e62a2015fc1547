import { CfnResource, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { isFirstCreate } from './first-create';
import { KEEP_DATA } from './retention';
import { DATABASES, DB_MASTER_USER, PORTS, secretsManagerNames, type EnvironmentConfig } from '../../manifests-src/config';

export interface MetadataDbProps {
  readonly env: EnvironmentConfig;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly encryptionKey: kms.IKey;
  /** Security groups allowed in on PORTS.postgres (the cluster's node security group). */
  readonly clientSecurityGroups: ec2.ISecurityGroup[];
}

/** The Aurora PostgreSQL engine at the configured major.minor (`infra.database.engineVersion`). */
export function postgresEngine(version: string): rds.IClusterEngine {
  return rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.of(version, version.split('.')[0]) });
}
/** PgBouncer's userlist and SQLAlchemy URLs carry the password: keep it URL- and ini-safe. */
export const EXCLUDED_PASSWORD_CHARACTERS = ' %+~`#$&*()|[]{}:;<>?!\'/@"\\=,^';

/**
 * Aurora PostgreSQL for the Airflow metadata database: a writer and a reader in two zones, KMS-encrypted,
 * private, TLS-only, with the master secret (name and keys from the contract) rotated by Secrets Manager.
 */
export class MetadataDb extends Construct {
  readonly cluster: rds.DatabaseCluster;
  readonly secret: rds.DatabaseSecret;

  constructor(scope: Construct, id: string, props: MetadataDbProps) {
    super(scope, id);
    const { env, vpc } = props;
    const db = env.infra.database;
    this.secret = new rds.DatabaseSecret(this, 'Secret', {
      username: DB_MASTER_USER,
      dbname: DATABASES.metadata,
      secretName: secretsManagerNames(env).metadataDb,
      encryptionKey: props.encryptionKey,
      excludeCharacters: EXCLUDED_PASSWORD_CHARACTERS,
    });
    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', { vpc, description: 'Aurora: PostgreSQL from the EKS nodes only', allowAllOutbound: false });
    for (const sg of props.clientSecurityGroups) securityGroup.addIngressRule(sg, ec2.Port.tcp(PORTS.postgres), 'PostgreSQL from EKS nodes (PgBouncer)');

    const serverless = db.instanceClass === 'serverless';
    const [azWriter, azReader] = vpc.availabilityZones;
    // A Serverless v2 reader at tier 2 (readerScalesWithWriter false) sizes itself on its own, read-free load.
    const instance = (name: string, availabilityZone: string | undefined, promotionTier: number, scaleWithWriter: boolean): rds.IClusterInstance => {
      const common = { availabilityZone, enablePerformanceInsights: true, publiclyAccessible: false, autoMinorVersionUpgrade: true, promotionTier };
      return serverless
        ? rds.ClusterInstance.serverlessV2(name, { ...common, scaleWithWriter })
        : rds.ClusterInstance.provisioned(name, { ...common, instanceType: new ec2.InstanceType(db.instanceClass.replace(/^db\./, '')) });
    };

    const removalPolicy = db.deletionProtection ? KEEP_DATA : RemovalPolicy.SNAPSHOT;
    this.cluster = new rds.DatabaseCluster(this, 'Cluster', {
      engine: postgresEngine(db.engineVersion),
      credentials: rds.Credentials.fromSecret(this.secret),
      defaultDatabaseName: DATABASES.metadata,
      port: PORTS.postgres,
      vpc,
      vpcSubnets: props.subnets,
      securityGroups: [securityGroup],
      writer: instance('writer', azWriter, 0, true),
      readers: db.readers > 0 ? [instance('reader', azReader, db.readerScalesWithWriter ? 1 : 2, db.readerScalesWithWriter)] : [],
      ...(serverless ? { serverlessV2MinCapacity: db.minCapacityAcu, serverlessV2MaxCapacity: db.maxCapacityAcu } : {}),
      ...(db.autoPauseMinutes !== undefined ? { serverlessV2AutoPauseDuration: Duration.minutes(db.autoPauseMinutes) } : {}),
      storageEncrypted: true,
      storageEncryptionKey: props.encryptionKey,
      backup: { retention: Duration.days(db.backupRetentionDays), preferredWindow: '03:00-04:00' },
      preferredMaintenanceWindow: 'Sun:04:30-Sun:05:30',
      // Protection comes on with the second pass of a first deploy (see first-create.ts): a rollback of the first
      // create must be able to delete the cluster it made, or the retry finds it in the way.
      deletionProtection: db.deletionProtection && !isFirstCreate(this),
      removalPolicy,
      copyTagsToSnapshot: true,
      enablePerformanceInsights: true,
      performanceInsightEncryptionKey: props.encryptionKey,
      cloudwatchLogsExports: ['postgresql'],
      cloudwatchLogsRetention: env.logging.retentionDays as logs.RetentionDays,
      iamAuthentication: false,
      parameters: { 'rds.force_ssl': '1', log_min_duration_statement: '1000' },
    });
    if (removalPolicy === KEEP_DATA) this.keepWhatTheClusterUses();
    // Hosted rotation (a CloudFormation transform), not the Serverless Application Repository app: the SAR
    // mapping would put partition-specific ARNs in the template. Same 30-day single-user rotation.
    const rotation = new ec2.SecurityGroup(this, 'RotationSecurityGroup', { vpc, description: 'Secrets Manager rotation of the Aurora password' });
    securityGroup.addIngressRule(rotation, ec2.Port.tcp(PORTS.postgres), 'Password rotation');
    this.cluster.secret!.addRotationSchedule('Rotation', {
      automaticallyAfter: Duration.days(30),
      hostedRotation: secretsmanager.HostedRotation.postgreSqlSingleUser({ vpc, vpcSubnets: props.subnets, securityGroups: [rotation], excludeCharacters: EXCLUDED_PASSWORD_CHARACTERS }),
    });
  }

  /**
   * A kept cluster keeps what it still points at. aws-rds gives its subnet group and parameter group RETAIN only for
   * a plain `RemovalPolicy.RETAIN` (`helperRemovalPolicy`) and leaves the secret to its own default (destroy), so
   * with KEEP_DATA CloudFormation would try to delete a subnet group and a parameter group that the live cluster
   * still uses (`InvalidDBSubnetGroupStateFault`, `InvalidDBParameterGroupState`: the stack ends DELETE_FAILED) and
   * force-delete the only copy of the master password. They get the cluster's own policy instead, so they are
   * also removed when the first create rolls back.
   *
   * What may go: the instances (aws-rds deletes them, which Aurora allows under deletion protection), so no ENI of
   * the cluster is left in the VPC and its security group, subnets and VPC can be deleted; keeping the security
   * group would keep the whole VPC. The rotation schedule and the resource policy that denies deleting the secret go
   * too: rotation needs the VPC, and the kept secret must stay deletable with the command `npm run destroy` prints.
   * The kept cluster is its storage only (no instance): take a snapshot of it and restore that.
   */
  private keepWhatTheClusterUses(): void {
    const helpers = ['Subnets', 'ParameterGroup'].flatMap((id) => this.cluster.node.tryFindChild(id)?.node.findAll() ?? []);
    for (const c of [...helpers, this.secret.node.defaultChild, this.cluster.secret!.node.defaultChild]) {
      if (c instanceof CfnResource) c.applyRemovalPolicy(KEEP_DATA);
    }
  }
}
