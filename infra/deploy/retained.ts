/**
 * `npm run destroy -- <env>` prints this before asking: every resource of the environment stack that outlives the
 * delete (DeletionPolicy Retain / RetainExceptOnCreate / Snapshot), why, and the command that removes it. Read from
 * the synthesized template, so the list is what CloudFormation will actually keep.
 */
import { ConfigError, environmentsFromArgs, type EnvironmentConfig } from '../../manifests-src/config';
import { stackName } from '../lib/airflow-eks-stack';
import { buildApp } from '../lib/build-app';
import { LEAVES_SOMETHING, RETAINED_TYPES } from '../lib/retention';
import { registriesStackName } from '../lib/registries';

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

function main(argv: string[]): number {
  const name = argv.find((a, i) => !a.startsWith('--') && argv[i - 1] !== '--config');
  const env = environmentsFromArgs(argv).find((e) => e.name === name);
  if (!env) {
    console.error('usage: npm run destroy -- <environment> [--config FILE]');
    return 2;
  }
  const kept = keptResources(env);
  console.log(`Deleting ${stackName(env)} keeps ${kept.length} resources (they keep costing money until removed; find their physical ids with`);
  console.log(`  aws cloudformation list-stack-resources --stack-name ${stackName(env)} --region ${env.aws.region}  before deleting):`);
  for (const k of kept) console.log(`  - ${k.type} ${k.logicalId} [${k.policy}]: ${k.why}\n      remove: ${k.remove}`);
  console.log(`Not touched: ${registriesStackName(env)} (ECR repositories shared by the environments of ${env.aws.region}; delete it last with npx cdk destroy).`);
  console.log('Deleted: the EKS cluster and everything Argo CD deployed into it, the cache, the VPC, roles and queues.');
  return 0;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    console.error(e.message);
    process.exitCode = 2;
  }
}
