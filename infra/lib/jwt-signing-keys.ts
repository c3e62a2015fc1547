import * as path from 'node:path';
import { AssetHashType, Duration, RemovalPolicy, SecretValue, Stack } from 'aws-cdk-lib';
import { bundleWithDriver } from './airflow-db-login';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { secretsManagerNames, type EnvironmentConfig } from '../../manifests-src/config';
import { KEEP_DATA } from './retention';

export interface JwtSigningKeysProps {
  readonly env: EnvironmentConfig;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly encryptionKey: kms.IKey;
}

/** Folder of the rotation function (bundled at synth; the AWS SDK is the runtime's). */
export const JWT_SIGNING_KEYS_CODE = path.join(__dirname, 'functions', 'jwt-signing-keys');

/** Days between rotations of the JWT signing key. */
export const JWT_ROTATION_DAYS = 30;

/**
 * Airflow's JWT signing keys (`jwtSigning` of the contract): Ed25519 keys made and rotated by our rotation function,
 * which keeps the previous and the next key trusted beside the current one, so a rotation never makes the api-server
 * refuse a running task's heartbeat (a shared HS512 secret did: 403, and the task was killed). Secrets Manager runs the
 * first rotation when the schedule is created, which writes the first keys; the secret starts as an empty object.
 */
export class JwtSigningKeys extends Construct {
  readonly secret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: JwtSigningKeysProps) {
    super(scope, id);
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      secretName: secretsManagerNames(props.env).jwtSigning,
      description: "Airflow's JWT signing keys (previous, current, next); made and rotated by its rotation function",
      encryptionKey: props.encryptionKey,
      removalPolicy: KEEP_DATA,
      // Not a secret: an empty JSON object, replaced by the first rotation before anything reads it.
      secretStringValue: SecretValue.unsafePlainText('{}'),
    });
    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', { vpc: props.vpc, description: 'JWT signing key rotation (Secrets Manager endpoint only)' });
    const fn = new lambda.Function(this, 'Rotation', {
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      // Bundled like the other functions so it shares their helpers (secret-fields' JSON reader).
      code: lambda.Code.fromAsset(JWT_SIGNING_KEYS_CODE, { assetHashType: AssetHashType.OUTPUT, bundling: bundleWithDriver(JWT_SIGNING_KEYS_CODE) }),
      timeout: Duration.minutes(1),
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [securityGroup],
      description: "Rotates Airflow's JWT signing keys (Secrets Manager rotation steps)",
      logGroup: new logs.LogGroup(this, 'RotationLogs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY }),
    });
    this.secret.addRotationSchedule('Schedule', { rotationLambda: fn, automaticallyAfter: Duration.days(JWT_ROTATION_DAYS), rotateImmediatelyOnUpdate: true });
    // aws-secretsmanager lets the service principal invoke the function from any account: only this one may.
    for (const p of fn.node.children.filter((c): c is lambda.CfnPermission => c instanceof lambda.CfnPermission)) p.sourceAccount = Stack.of(this).account;
  }
}
