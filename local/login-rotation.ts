import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { SECRET_KEYS, secretsManagerNames, type EnvironmentConfig } from '../manifests-src/config';
import { bundledFunctionFile } from '../infra/assembly/cdk-out';
import { stackName } from '../infra/lib/airflow-eks-stack';
import { awsJson, seedSecrets, type ServiceAddresses } from './aws-seed';
import { PROJECT_ROOT } from './prerequisites';
import type { LocalSecrets } from './settings';
import { stackTemplate } from './stack-template';

const run = promisify(execFile);

/** Secrets Manager's rotation steps, in the order it calls them. */
export const ROTATION_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

/** Where the stack's rotation function runs locally: the emulator's Secrets Manager and the CA the database's certificate is from. */
export interface RotationTarget {
  /** Secrets Manager endpoint (the AWS emulator). */
  readonly endpoint: string;
  readonly region: string;
  /** CA bundle the function trusts for TLS to the database (in Lambda: the runtime's RDS bundle, NODE_EXTRA_CA_CERTS). */
  readonly caCert: string;
}

/** The rotation function of the environment's stack, as cdk.out/ publishes it (bundled with its PostgreSQL driver). */
export function rotationFunctionFile(env: Pick<EnvironmentConfig, 'name'>): string {
  return bundledFunctionFile(path.join(PROJECT_ROOT, 'cdk.out'), stackName(env), stackTemplate(env), /^AirflowDbLoginRotationHandler[0-9A-F]{8}$/);
}

/**
 * Invokes the bundled handler once, in its own Node.js process with only what Lambda gives it: the event, a region,
 * credentials, the CA bundle; the Secrets Manager endpoint is the emulator's. Rejects with the function's error.
 */
export async function invokeRotationStep(file: string, target: RotationTarget, event: { SecretId: string; ClientRequestToken: string; Step: RotationStep }): Promise<string> {
  const script = `require(${JSON.stringify(file)}).handler(JSON.parse(process.argv[1])).catch((e) => { console.error(e && e.stack || e); process.exit(1); })`;
  try {
    const { stdout } = await run(process.execPath, ['-e', script, JSON.stringify(event)], {
      cwd: path.dirname(file),
      timeout: 120_000,
      env: {
        PATH: process.env.PATH,
        AWS_REGION: target.region,
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_ENDPOINT_URL_SECRETS_MANAGER: target.endpoint,
        NODE_EXTRA_CA_CERTS: target.caCert,
        // Lambda's Node.js is newer than this machine's: the SDK's warning about old Node.js versions is noise here.
        NODE_NO_WARNINGS: '1',
      },
    });
    return stdout.trim();
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`rotation step ${event.Step} of ${event.SecretId} failed: ${err.stderr?.trim() || err.message}`);
  }
}

/** One whole rotation as Secrets Manager drives it: one new version token, the four steps in order. Returns the token. */
export async function rotateSecret(file: string, target: RotationTarget, secretId: string): Promise<string> {
  const token = randomUUID();
  for (const Step of ROTATION_STEPS) await invokeRotationStep(file, target, { SecretId: secretId, ClientRequestToken: token, Step });
  return token;
}

/**
 * The secret's AWSCURRENT value in the emulator. Asked for by stage: the emulator (moto 5.1) answers a request without
 * one from the version the secret was last written with, not the one finishSecret made current (AWS answers AWSCURRENT).
 */
export async function currentValue(target: RotationTarget, secretId: string): Promise<Record<string, string>> {
  const r = await awsJson(target.endpoint, target.region, 'secretsmanager', 'secretsmanager.GetSecretValue', { SecretId: secretId, VersionStage: 'AWSCURRENT' });
  if (r.status !== 200) throw new Error(`Secrets Manager emulator: ${secretId}: HTTP ${r.status} ${JSON.stringify(r.json)}`);
  return JSON.parse(String(r.json.SecretString)) as Record<string, string>;
}

/**
 * Rotates Airflow's database login in the emulator with the stack's own rotation function. The first call puts the
 * secrets the stack's template creates into the emulator (seeded from the local servers' values, as the cluster does).
 * Returns the login that is current afterwards.
 */
export async function rotateAirflowLogin(env: EnvironmentConfig, target: RotationTarget, at: ServiceAddresses, secrets: LocalSecrets): Promise<{ username: string; password: string }> {
  const id = secretsManagerNames(env).airflowDb;
  const known = await awsJson(target.endpoint, target.region, 'secretsmanager', 'secretsmanager.DescribeSecret', { SecretId: id });
  if (known.status !== 200) await seedSecrets(env, stackTemplate(env), target.endpoint, at, secrets, {});
  await rotateSecret(rotationFunctionFile(env), target, id);
  const value = await currentValue(target, id);
  const k = SECRET_KEYS.airflowDb;
  return { username: value[k.username], password: value[k.password] };
}
