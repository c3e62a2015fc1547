import * as path from 'node:path';
import { SECRET_KEYS, secretsManagerNames, type EnvironmentConfig } from '../manifests-src/config';
import { bundledFunctionFile } from '../infra/assembly/cdk-out';
import { stackName } from '../infra/lib/airflow-eks-stack';
import { awsJson, seedSecrets, type ServiceAddresses } from './aws-seed';
import { currentValue, rotateSecret, type RotationTarget } from './secret-rotation';
import { PROJECT_ROOT } from './prerequisites';
import type { LocalSecrets } from './settings';
import { stackTemplate } from './stack-template';

/** The rotation function of the environment's stack, as cdk.out/ publishes it (bundled with its PostgreSQL driver). */
export function rotationFunctionFile(env: Pick<EnvironmentConfig, 'name'>): string {
  return bundledFunctionFile(path.join(PROJECT_ROOT, 'cdk.out'), stackName(env), stackTemplate(env), /^AirflowDbLoginRotationHandler[0-9A-F]{8}$/);
}

/**
 * Rotates Airflow's database login in the emulator with the stack's own rotation function. The first call puts the
 * secrets the stack's template creates into the emulator (seeded from the local servers' values, as the cluster does).
 * Returns the login that is current afterwards.
 */
export async function rotateAirflowLogin(env: EnvironmentConfig, target: RotationTarget, at: ServiceAddresses, secrets: LocalSecrets): Promise<{ username: string; password: string }> {
  const id = secretsManagerNames(env).airflowDb;
  const known = await awsJson(target.endpoint, target.region, 'secretsmanager', 'secretsmanager.DescribeSecret', { SecretId: id });
  if (known.status !== 200) await seedSecrets(env, stackTemplate(env), target, at, secrets, {});
  await rotateSecret(rotationFunctionFile(env), target, id);
  const value = await currentValue(target, id);
  const k = SECRET_KEYS.airflowDb;
  return { username: value[k.username], password: value[k.password] };
}
