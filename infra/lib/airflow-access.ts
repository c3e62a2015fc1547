import { Arn, ArnFormat, Stack } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { SERVICE_ACCOUNTS, secretsManagerNames, type EnvironmentConfig } from '../../manifests-src/config';
import { partitionServiceNames } from './partition-services';
import { PodIdentityRole } from './pod-identity';

export type ServiceAccountKey = keyof typeof SERVICE_ACCOUNTS;

export interface AirflowAccessProps {
  readonly env: EnvironmentConfig;
  readonly cluster: eks.ICluster;
  /** Secrets External Secrets reads (the git secret is created by the operator, so it is granted by name). */
  readonly secrets: secretsmanager.ISecret[];
  readonly logGroups: Record<'containers' | 'tasks' | 'metrics', logs.ILogGroup>;
}

/** The contract's service accounts that call AWS (aws: true). */
export function awsServiceAccounts(): Array<[ServiceAccountKey, (typeof SERVICE_ACCOUNTS)[ServiceAccountKey]]> {
  return (Object.entries(SERVICE_ACCOUNTS) as Array<[ServiceAccountKey, (typeof SERVICE_ACCOUNTS)[ServiceAccountKey]]>).filter(([, sa]) => sa.aws);
}

/**
 * One Pod Identity role per contract service account with `aws: true`, each with only what it uses:
 * Airflow components write remote task logs; FluentBit writes container logs and Airflow's metrics; External Secrets reads the
 * environment's secrets.
 */
export class AirflowAccess extends Construct {
  readonly roles: Partial<Record<ServiceAccountKey, PodIdentityRole>> = {};

  constructor(scope: Construct, id: string, props: AirflowAccessProps) {
    super(scope, id);
    const { env, cluster } = props;
    for (const [key, sa] of awsServiceAccounts()) {
      const namespace = 'namespace' in sa ? sa.namespace : env.namespace;
      const identity = new PodIdentityRole(this, key, { cluster, namespace, serviceAccount: sa.name, statements: this.statementsFor(key, props) });
      this.roles[key] = identity;
    }
  }

  private statementsFor(key: ServiceAccountKey, props: AirflowAccessProps): iam.PolicyStatement[] {
    const { env } = props;
    const stack = Stack.of(this);
    const writeLogs = (group: logs.ILogGroup, read: boolean) =>
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams', ...(read ? ['logs:GetLogEvents', 'logs:FilterLogEvents'] : [])],
        resources: [group.logGroupArn, `${group.logGroupArn}:log-stream:*`],
      });
    switch (key) {
      case 'externalSecrets': {
        // Created by the operator before the deploy (the preflight checks), so granted by name; `-??????` is the suffix Secrets Manager adds.
        const byName = (name: string) => Arn.format({ service: 'secretsmanager', resource: 'secret', resourceName: `${name}-??????`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }, stack);
        const operatorSecrets = [byName(secretsManagerNames(env).git), ...(env.gitops.auth === 'none' ? [] : [byName(secretsManagerNames(env).gitops)])];
        const keyArns = props.secrets.flatMap((s) => (s.encryptionKey ? [s.encryptionKey.keyArn] : []));
        return [
          new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], resources: [...props.secrets.map((s) => s.secretArn), ...operatorSecrets] }),
          ...(keyArns.length ? [new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [...new Set(keyArns)], conditions: { StringEquals: { 'kms:ViaService': partitionServiceNames(env.aws.partition, env.aws.region).secretsManagerViaService } } })] : []),
        ];
      }
      case 'fluentBit':
        // The DaemonSet ships container logs; the metrics agent (same service account) Airflow's metrics as EMF.
        return [writeLogs(props.logGroups.containers, false), writeLogs(props.logGroups.metrics, false)];
      default:
        // Airflow components: remote task logs (written by workers/triggerer, read back by the api-server).
        if (env.logging.remoteTaskLogs === 's3') {
          const bucket = Arn.format({ service: 's3', region: '', account: '', resource: env.logging.s3Bucket! }, stack);
          return [
            new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket], conditions: { StringLike: { 's3:prefix': ['task-logs/*'] } } }),
            new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:PutObject'], resources: [`${bucket}/task-logs/*`] }),
          ];
        }
        return [writeLogs(props.logGroups.tasks, true)];
    }
  }
}
