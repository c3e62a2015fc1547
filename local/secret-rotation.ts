import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { awsJson } from './aws-seed';

/**
 * Secrets Manager's side of a rotation, which the emulator cannot do (it would run the function in a container): the
 * stack's own rotation functions, as cdk.out/ publishes them, invoked step by step in a Node.js process of their own.
 */

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
  readonly caCert?: string;
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
        ...(target.caCert ? { NODE_EXTRA_CA_CERTS: target.caCert } : {}),
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
