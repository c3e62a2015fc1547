import { KEEP_DATA } from './retention';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../manifests-src/config';

export interface SharedStorageProps {
  readonly env: EnvironmentConfig;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly encryptionKey: kms.IKey;
  /** Security groups allowed to mount (NFS). */
  readonly clientSecurityGroups: ec2.ISecurityGroup[];
}

/** Encrypted EFS for ReadWriteMany volumes (through the EFS CSI add-on); retained on stack deletion. */
export class SharedStorage extends Construct {
  readonly fileSystem: efs.FileSystem;

  constructor(scope: Construct, id: string, props: SharedStorageProps) {
    super(scope, id);
    this.fileSystem = new efs.FileSystem(this, 'FileSystem', {
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      encrypted: true,
      kmsKey: props.encryptionKey,
      performanceMode: efs.PerformanceMode.GENERAL_PURPOSE,
      throughputMode: efs.ThroughputMode.ELASTIC,
      lifecyclePolicy: efs.LifecyclePolicy.AFTER_30_DAYS,
      enableAutomaticBackups: true,
      removalPolicy: KEEP_DATA,
      fileSystemName: `${props.env.cluster.name}-shared`,
    });
    for (const sg of props.clientSecurityGroups) this.fileSystem.connections.allowDefaultPortFrom(sg, 'NFS from EKS nodes');
  }
}
