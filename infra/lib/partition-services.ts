import { Stack, type IAspect } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { IConstruct } from 'constructs';
import type { EnvironmentConfig } from '../../manifests-src/config';

type Partition = EnvironmentConfig['aws']['partition'];

/**
 * Service names IAM conditions compare against, per partition. In aws-cn a service can appear under the China
 * domain (`.amazonaws.com.cn`) or the global one, depending on the API that makes the call, so conditions there
 * list both; in aws only the global name exists. Literal values (not `AWS::URLSuffix`): the config names the partition.
 */
export interface PartitionServiceNames {
  /** `iam:PassedToService` for passing the Karpenter node role: `RunInstances` says `ec2.amazonaws.com.cn`, instance-profile calls `ec2.amazonaws.com`. */
  readonly ec2PassedToService: string[];
  /** `kms:ViaService` for Secrets Manager decrypting with a customer key, in the reader's role and in the key policy. */
  readonly secretsManagerViaService: string[];
}

export function partitionServiceNames(partition: Partition, region: string): PartitionServiceNames {
  if (partition === 'aws-cn') {
    return {
      ec2PassedToService: ['ec2.amazonaws.com.cn', 'ec2.amazonaws.com'],
      secretsManagerViaService: [`secretsmanager.${region}.amazonaws.com.cn`, `secretsmanager.${region}.amazonaws.com`],
    };
  }
  return { ec2PassedToService: ['ec2.amazonaws.com'], secretsManagerViaService: [`secretsmanager.${region}.amazonaws.com`] };
}

/**
 * CDK writes key-policy grants for Secrets Manager readers with the single global name
 * (`secretsmanager.<region>.amazonaws.com`); in aws-cn this rewrites those conditions to the partition's list, so
 * the key policy and the roles name the same services.
 */
export class SecretsManagerViaServiceNames implements IAspect {
  constructor(private readonly names: PartitionServiceNames) {}

  visit(node: IConstruct): void {
    if (!(node instanceof kms.CfnKey)) return;
    const doc = Stack.of(node).resolve(node.keyPolicy) as { Statement?: Array<{ Condition?: Record<string, Record<string, unknown>> }> };
    let changed = false;
    for (const st of doc.Statement ?? []) {
      for (const op of Object.values(st.Condition ?? {})) {
        const v = op['kms:ViaService'];
        if (typeof v === 'string' && v.startsWith('secretsmanager.')) {
          op['kms:ViaService'] = this.names.secretsManagerViaService;
          changed = true;
        }
      }
    }
    if (changed) node.keyPolicy = doc;
  }
}
