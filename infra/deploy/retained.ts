/**
 * `npm run destroy -- <env>` (infra/deploy/destroy.ts) prints this before asking: every resource of the environment
 * stack that outlives the delete (DeletionPolicy Retain / RetainExceptOnCreate / Snapshot), why, and the command that
 * removes it. Read from the synthesized template, so the list is what CloudFormation will actually keep.
 */
import * as path from 'node:path';
import type { EnvironmentConfig } from '../../manifests-src/config';
import { stackName } from '../lib/airflow-eks-stack';
import { buildApp } from '../lib/build-app';
import { LEAVES_SOMETHING, RETAINED_TYPES } from '../lib/retention';
import { registriesStackName } from '../lib/registries';
import { DEPLOY_ENVIRONMENT_CONTEXT } from './placeholders';

export interface KeptResource {
  readonly logicalId: string;
  readonly type: string;
  readonly policy: string;
  readonly why: string;
  readonly remove: string;
}

/** Resources of the environment's stack that a delete leaves behind. */
export function keptResources(env: EnvironmentConfig): KeptResource[] {
  const { app } = buildApp([env], { stageAssets: false, nag: false });
  const template = app.synth().getStackByName(stackName(env)).template as { Resources: Record<string, { Type: string; DeletionPolicy?: string }> };
  return Object.entries(template.Resources)
    .filter(([, r]) => (LEAVES_SOMETHING as readonly string[]).includes(r.DeletionPolicy ?? ''))
    .map(([logicalId, r]) => ({ logicalId, type: r.Type, policy: r.DeletionPolicy!, why: RETAINED_TYPES[r.Type]?.why ?? 'kept', remove: RETAINED_TYPES[r.Type]?.remove ?? 'see the CloudFormation console' }));
}

/** What `npm run destroy` prints before asking: what the delete keeps and how to remove it, what it leaves alone. */
export function keptReport(env: EnvironmentConfig, configFile?: string): string[] {
  const kept = keptResources(env);
  const config = configFile ? `AIRFLOW_EKS_CONFIG=${path.resolve(configFile)} ` : '';
  return [
    `Deleting ${stackName(env)} keeps ${kept.length} resources (they keep costing money until removed; find their physical ids with`,
    `  aws cloudformation list-stack-resources --stack-name ${stackName(env)} --region ${env.aws.region}  before deleting):`,
    ...kept.map((k) => `  - ${k.type} ${k.logicalId} [${k.policy}]: ${k.why}\n      remove: ${k.remove}`),
    `Not touched: ${registriesStackName(env)} (ECR repositories shared by the environments of ${env.aws.region}; delete it last:`,
    `  ${config}npx cdk destroy ${registriesStackName(env)} -c ${DEPLOY_ENVIRONMENT_CONTEXT}=${env.name}).`,
    'Deleted: the EKS cluster and everything Argo CD deployed into it, the cache, the VPC, roles and queues.',
  ];
}
