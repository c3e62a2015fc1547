import { randomUUID } from 'node:crypto';
import * as sdk from '@aws-sdk/client-secrets-manager';

/** The four steps Secrets Manager invokes a rotation function with, in order. */
export const ROTATION_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;

/** A rotation function's testable core: the steps against a Secrets Manager client (see functions/jwt-signing-keys). */
export interface RotationCode {
  rotate(client: { send: (command: unknown) => Promise<any> }, api: typeof sdk, event: { SecretId: string; ClientRequestToken: string; Step: string }): Promise<void>;
}

export function secretsManagerClient(endpoint: string, region: string): sdk.SecretsManagerClient {
  return new sdk.SecretsManagerClient({ endpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}

/**
 * Secrets Manager's half of one rotation, which the emulator cannot do (it would run the function in a container):
 * a new version id, listed as AWSPENDING from the start as AWS lists it, then the function's own code for each step.
 * Returns the new version id.
 */
export async function rotateWith(code: RotationCode, client: sdk.SecretsManagerClient, secretId: string): Promise<string> {
  if (typeof code.rotate !== 'function') throw new Error(`the rotation function of ${secretId} exports no rotate(client, sdk, event)`);
  const token = randomUUID();
  const view = duringRotation(client, token);
  for (const Step of ROTATION_STEPS) await code.rotate(view, sdk, { SecretId: secretId, ClientRequestToken: token, Step });
  return token;
}

/** The client as a rotation function sees it while version `token` is being made: AWS lists it as AWSPENDING from the start. */
export function duringRotation(client: sdk.SecretsManagerClient, token: string): { send: (command: unknown) => Promise<any> } {
  return {
    send: async (command: unknown) => {
      const out = await client.send(command as sdk.DescribeSecretCommand);
      if (!(command instanceof sdk.DescribeSecretCommand)) return out;
      const stages = { ...(out.VersionIdsToStages ?? {}) };
      stages[token] ??= ['AWSPENDING'];
      return { ...out, VersionIdsToStages: stages };
    },
  };
}
