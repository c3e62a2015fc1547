import { SECRET_KEYS, secretsManagerNames, type EnvironmentConfig } from '../../manifests-src/config';
import type { LocalSecrets } from '../../local/settings';

/**
 * Puts into the AWS API emulator what the CDK stack puts into AWS: the Secrets Manager secrets
 * External Secrets reads, with the addresses of the local managed services.
 */

/** One AWS JSON-protocol call; the emulator routes on the credential scope and does not check signatures. */
export async function awsJson(endpoint: string, region: string, service: string, target: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': target,
      authorization: `AWS4-HMAC-SHA256 Credential=local/20260101/${region}/${service}/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function putSecret(endpoint: string, region: string, name: string, value: Record<string, string>): Promise<void> {
  const SecretString = JSON.stringify(value);
  const created = await awsJson(endpoint, region, 'secretsmanager', 'secretsmanager.CreateSecret', { Name: name, SecretString });
  if (created.status === 200) return;
  const put = await awsJson(endpoint, region, 'secretsmanager', 'secretsmanager.PutSecretValue', { SecretId: name, SecretString });
  if (put.status !== 200) throw new Error(`Secrets Manager emulator refused ${name}: HTTP ${put.status} ${JSON.stringify(put.json)}`);
}

export interface ServiceAddresses {
  readonly host: string;
  readonly postgresPort: number;
  readonly redisPort: number;
  readonly dbname: string;
}

export async function seedSecrets(env: EnvironmentConfig, endpoint: string, at: ServiceAddresses, s: LocalSecrets, git: { username: string; password: string }): Promise<void> {
  const names = secretsManagerNames(env);
  const k = SECRET_KEYS;
  const region = env.aws.region;
  await putSecret(endpoint, region, names.metadataDb, { [k.metadataDb.username]: s.masterUser, [k.metadataDb.password]: s.masterPassword, [k.metadataDb.host]: at.host, [k.metadataDb.port]: String(at.postgresPort), [k.metadataDb.dbname]: at.dbname });
  const db = k.airflowDb;
  await putSecret(endpoint, region, names.airflowDb, { [db.username]: s.dbUser, [db.password]: s.dbPassword, [db.host]: at.host, [db.port]: String(at.postgresPort), [db.dbname]: at.dbname, [db.clientPassword]: s.clientPassword });
  await putSecret(endpoint, region, names.broker, { [k.broker.host]: at.host, [k.broker.port]: String(at.redisPort), [k.broker.authToken]: s.redisAuthToken });
  await putSecret(endpoint, region, names.airflow, { [k.airflow.fernetKey]: s.fernetKey, [k.airflow.apiSecretKey]: s.apiSecretKey, [k.airflow.jwtSecret]: s.jwtSecret, [k.airflow.adminPassword]: s.adminPassword });
  await putSecret(endpoint, region, names.git, { [k.git.username]: git.username, [k.git.password]: git.password });
}
