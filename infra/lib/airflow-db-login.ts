import * as path from 'node:path';
import { AssetHashType, CustomResource, DockerImage, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { AIRFLOW_DB_ROLE, DATABASES, PORTS, SECRET_KEYS, secretsManagerNames, type EnvironmentConfig } from '../../manifests-src/config';
import { KEEP_DATA } from './retention';
import { SecretFields } from './secret-fields';

export interface AirflowDbLoginProps {
  readonly env: EnvironmentConfig;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly encryptionKey: kms.IKey;
  /** The Aurora cluster (the login handler and the rotation function connect to it). */
  readonly cluster: rds.DatabaseCluster;
  /** The master secret: read by the function and by the rotation, never by the cluster. */
  readonly masterSecret: secretsmanager.ISecret;
  /** Characters left out of generated passwords (they end up in URLs and PgBouncer's userlist). */
  readonly excludeCharacters: string;
}

/** Folder of the custom resource's code (bundled with its PostgreSQL driver at synth). */
export const AIRFLOW_DB_LOGIN_CODE = path.join(__dirname, 'functions', 'airflow-db-login');

/** Folder of the rotation function's code (alternating users; bundled the same way, sharing the login's helpers). */
export const AIRFLOW_DB_ROTATION_CODE = path.join(__dirname, 'functions', 'airflow-db-rotation');

/** Days between rotations of Airflow's login (the master rotates on its own 30-day schedule). */
export const LOGIN_ROTATION_DAYS = 30;

/**
 * Airflow's own database login, the secret `airflowDb` of the contract: created here, filled with the endpoint and
 * the PgBouncer client password, made real in Aurora by a custom resource that runs with the master credentials
 * (role `AIRFLOW_DB_ROLE`, owner of the database), then rotated by Secrets Manager with the product's own rotation
 * function (functions/airflow-db-rotation), which alternates the login between the role and its `_clone`. External Secrets reads this secret, never the master.
 */
export class AirflowDbLogin extends Construct {
  readonly secret: secretsmanager.Secret;
  readonly login: CustomResource;

  constructor(scope: Construct, id: string, props: AirflowDbLoginProps) {
    super(scope, id);
    const { env, cluster } = props;
    const keys = SECRET_KEYS.airflowDb;
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      secretName: secretsManagerNames(env).airflowDb,
      description: "Airflow's database login (not the master); rotated with alternating users",
      encryptionKey: props.encryptionKey,
      removalPolicy: KEEP_DATA,
      generateSecretString: {
        // `masterarn` is what the rotation function reads to find the credentials that may change the login.
        secretStringTemplate: Stack.of(this).toJsonString({ [keys.username]: AIRFLOW_DB_ROLE, [keys.dbname]: DATABASES.metadata, engine: 'postgres', masterarn: props.masterSecret.secretArn }),
        generateStringKey: keys.password,
        excludeCharacters: props.excludeCharacters,
        passwordLength: 32,
      },
    });
    const fields = new SecretFields(this, 'Fields', {
      secret: this.secret,
      // The cluster's own endpoint attributes (as the master secret's attachment has them), not the configured port.
      set: { [keys.host]: cluster.clusterEndpoint.hostname, [keys.port]: Token.asString(cluster.clusterEndpoint.port) },
      generate: { [keys.clientPassword]: 'password' },
    });

    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', { vpc: props.vpc, description: 'Creates the Airflow database login with the master credentials' });
    cluster.connections.allowFrom(securityGroup, ec2.Port.tcp(PORTS.postgres), 'Airflow login bootstrap');
    const fn = new lambda.Function(this, 'Handler', {
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(AIRFLOW_DB_LOGIN_CODE, { assetHashType: AssetHashType.OUTPUT, bundling: bundleWithDriver(AIRFLOW_DB_LOGIN_CODE) }),
      timeout: Duration.minutes(2),
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [securityGroup],
      // Lambda's Node.js 20+ runtimes trust the RDS CAs only from this bundle (TLS to Aurora is verified).
      environment: { NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem' },
      description: 'Creates the Airflow database role and login from the airflow-db secret (master credentials)',
      logGroup: new logs.LogGroup(this, 'HandlerLogs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY }),
    });
    props.masterSecret.grantRead(fn);
    this.secret.grantRead(fn);
    this.login = new CustomResource(this, 'Login', {
      serviceToken: fn.functionArn,
      resourceType: 'Custom::AirflowDbLogin',
      // The secret's version changes with every rotation; the resource reads the current value itself.
      properties: { MasterSecretId: props.masterSecret.secretArn, LoginSecretId: this.secret.secretArn, Role: AIRFLOW_DB_ROLE },
    });
    this.login.node.addDependency(fields, cluster);

    // The product's own rotation function (alternating users), in the VPC beside the login handler: it reaches
    // Aurora through its security group and Secrets Manager through the VPC's endpoint (or the NAT).
    const rotationGroup = new ec2.SecurityGroup(this, 'RotationSecurityGroup', { vpc: props.vpc, description: 'Rotation of the Airflow database login (alternating users)' });
    cluster.connections.allowFrom(rotationGroup, ec2.Port.tcp(PORTS.postgres), 'Airflow login rotation');
    const rotationFn = new lambda.Function(this, 'RotationHandler', {
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(AIRFLOW_DB_ROTATION_CODE, { assetHashType: AssetHashType.OUTPUT, bundling: bundleWithDriver(AIRFLOW_DB_ROTATION_CODE) }),
      timeout: Duration.minutes(2),
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [rotationGroup],
      environment: { NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem' },
      description: 'Rotates the Airflow database login with alternating users (master credentials from masterarn)',
      logGroup: new logs.LogGroup(this, 'RotationHandlerLogs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY }),
    });
    // setSecret reads the master's current value; the schedule grants the rest (versions of this secret, its key).
    props.masterSecret.grantRead(rotationFn);
    // Rotation checks the current login before it makes the next one, so it starts once the login exists.
    const schedule = new secretsmanager.RotationSchedule(this, 'Rotation', {
      secret: this.secret,
      rotationLambda: rotationFn,
      automaticallyAfter: Duration.days(LOGIN_ROTATION_DAYS),
      // The login was just made with a generated password; a rotation at creation would only add a deploy step that
      // needs Aurora reachable from the function. The first rotation comes on schedule (or `rotate-secret`).
      rotateImmediatelyOnUpdate: false,
    });
    schedule.node.addDependency(this.login);
    // Secrets Manager of this account only may invoke it (the schedule's grant names no source).
    for (const c of rotationFn.node.findAll()) if (c instanceof lambda.CfnPermission && c.principal === 'secretsmanager.amazonaws.com') c.sourceAccount = Stack.of(this).account;
  }
}

/** esbuild (a pinned dev dependency) bundles a handler, the helpers it requires and the `pg` driver into one file; the AWS SDK is the runtime's. */
export function bundleWithDriver(codeDir: string) {
  return {
    image: DockerImage.fromRegistry('scratch'),
    local: {
      tryBundle(outputDir: string): boolean {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const esbuild = require('esbuild') as typeof import('esbuild');
        esbuild.buildSync({
          entryPoints: [path.join(codeDir, 'index.js')],
          bundle: true,
          platform: 'node',
          target: 'node24',
          format: 'cjs',
          external: ['@aws-sdk/*', 'pg-native'],
          outfile: path.join(outputDir, 'index.js'),
          logLevel: 'error',
        });
        return true;
      },
    },
  };
}
