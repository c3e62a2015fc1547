import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import type { EnvironmentConfig } from '../manifests-src/config';
import { readTemplate, type CfnTemplate } from '../infra/assembly/cdk-out';
import { stackName } from '../infra/lib/airflow-eks-stack';
import { cdkOutStaleness } from '../infra/lib/synth-inputs';
import { PROJECT_ROOT } from './prerequisites';

/**
 * The environment's CDK stack as synthesized in cdk.out/: the local cluster is bootstrapped from it the way AWS is
 * (its secrets, Pod Identity associations and the Kubernetes objects its kubectl handler applies), so a gap between
 * the stack and dist/ shows here. A cdk.out/ that is not the synth of this working tree is synthesized first.
 */
export function stackTemplate(env: Pick<EnvironmentConfig, 'name'>): CfnTemplate {
  if (cdkOutStaleness(PROJECT_ROOT)) execFileSync(process.execPath, [path.join(PROJECT_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(PROJECT_ROOT, 'infra', 'bin', 'synth.ts')], { cwd: PROJECT_ROOT, stdio: 'inherit' });
  const stale = cdkOutStaleness(PROJECT_ROOT);
  if (stale) throw new Error(`the local cluster is bootstrapped from the synthesized stack, and ${stale}`);
  return readTemplate(path.join(PROJECT_ROOT, 'cdk.out'), stackName(env));
}
