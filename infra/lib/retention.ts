import { RemovalPolicy } from 'aws-cdk-lib';

/**
 * What happens to a stateful resource when its stack is deleted or a first deploy rolls back. One policy for all of
 * them: kept on delete and on replacement, but removed when the deploy that created it rolls back
 * (CloudFormation `RetainExceptOnCreate`). So a failed first deploy leaves nothing behind (no fixed name that
 * blocks the retry with "already exists", no Aurora/EFS/KMS billed), and a deleted environment keeps its data.
 */
export const KEEP_DATA = RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;

/** CloudFormation DeletionPolicy values that leave something behind after `npm run destroy`. */
export const LEAVES_SOMETHING = ['Retain', 'RetainExceptOnCreate', 'Snapshot'] as const;

/** Per resource type: why it is kept, and the command that removes what is left (`<id>` = physical id). */
export const RETAINED_TYPES: Record<string, { readonly why: string; readonly remove: string }> = {
  'AWS::RDS::DBCluster': {
    why: 'the metadata database (DAG runs, task history, connections)',
    remove: 'aws rds modify-db-cluster --db-cluster-identifier <id> --no-deletion-protection && aws rds delete-db-cluster --db-cluster-identifier <id> --skip-final-snapshot (instances first: aws rds delete-db-instance)',
  },
  'AWS::RDS::DBInstance': { why: 'instances of the kept Aurora cluster', remove: 'aws rds delete-db-instance --db-instance-identifier <id>' },
  'AWS::RDS::DBSubnetGroup': { why: 'used by the kept Aurora cluster: RDS refuses to delete it while the cluster exists', remove: 'aws rds delete-db-subnet-group --db-subnet-group-name <id> (after the cluster)' },
  'AWS::RDS::DBClusterParameterGroup': { why: 'used by the kept Aurora cluster: RDS refuses to delete it while the cluster exists', remove: 'aws rds delete-db-cluster-parameter-group --db-cluster-parameter-group-name <id> (after the cluster)' },
  'AWS::SecretsManager::SecretTargetAttachment': { why: "the kept Aurora cluster's host and port inside its master secret (deleting the attachment would strip them)", remove: 'aws secretsmanager delete-secret --secret-id <id> --force-delete-without-recovery (it is the master secret itself)' },
  'AWS::EFS::FileSystem': { why: 'shared files of the environment', remove: 'aws efs delete-mount-target (each) && aws efs delete-file-system --file-system-id <id>' },
  'AWS::KMS::Key': { why: 'encrypts the kept data, snapshots and backups: without it they cannot be read', remove: 'aws kms schedule-key-deletion --key-id <id> --pending-window-in-days 7 (only after everything it encrypts is gone)' },
  'AWS::SecretsManager::Secret': { why: 'generated keys (Fernet key, JWT secret) and the master password of the kept Aurora cluster', remove: 'aws secretsmanager delete-secret --secret-id <id> --force-delete-without-recovery' },
  'AWS::Logs::LogGroup': { why: 'task and container logs', remove: 'aws logs delete-log-group --log-group-name <id>' },
  'AWS::CodeCommit::Repository': { why: 'the DAG repository', remove: 'aws codecommit delete-repository --repository-name <id>' },
  'AWS::ECR::Repository': { why: 'our images and the mirrored charts and images (shared by the environments of the account/region)', remove: 'aws ecr delete-repository --repository-name <id> --force' },
};
