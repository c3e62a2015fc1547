import { SECRET_KEYS, secretsManagerNames, type EnvironmentConfig } from '../manifests-src/config';
import * as path from 'node:path';
import { bundledFunctionFile, createdSecrets, functionCode, logGroups, resolveValue, rotationFunctions, type CfnTemplate } from '../infra/assembly/cdk-out';
import { stackName } from '../infra/lib/airflow-eks-stack';
import { PROJECT_ROOT } from './prerequisites';
import { rotateSecret, type RotationTarget } from './secret-rotation';
import type { LocalSecrets } from './settings';

/**
 * Puts into the AWS API emulator what the CDK stack puts into AWS, read from its synthesized template, and what the
 * deploy preflight makes the user create.
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

async function putSecret(endpoint: string, region: string, name: string, value: Record<string, string>): Promise<string> {
  const SecretString = JSON.stringify(value);
  const created = await awsJson(endpoint, region, 'secretsmanager', 'secretsmanager.CreateSecret', { Name: name, SecretString });
  if (created.status === 200) return String(created.json.ARN);
  const put = await awsJson(endpoint, region, 'secretsmanager', 'secretsmanager.PutSecretValue', { SecretId: name, SecretString });
  if (put.status !== 200) throw new Error(`Secrets Manager emulator refused ${name}: HTTP ${put.status} ${JSON.stringify(put.json)}`);
  return String(put.json.ARN);
}

/** The named log groups the stack creates (its AWS::Logs::LogGroup resources), with their retention; returns their names. */
export async function seedLogGroups(template: CfnTemplate, endpoint: string, region: string): Promise<string[]> {
  const names: string[] = [];
  for (const [name, id] of logGroups(template)) {
    const created = await awsJson(endpoint, region, 'logs', 'Logs_20140328.CreateLogGroup', { logGroupName: name });
    if (created.status !== 200 && !String(created.json.__type ?? '').includes('ResourceAlreadyExists')) {
      throw new Error(`CloudWatch Logs emulator refused log group ${name}: HTTP ${created.status} ${JSON.stringify(created.json)}`);
    }
    const days = template.Resources[id].Properties?.RetentionInDays;
    if (typeof days === 'number') await awsJson(endpoint, region, 'logs', 'Logs_20140328.PutRetentionPolicy', { logGroupName: name, retentionInDays: days });
    names.push(name);
  }
  return names;
}

export interface ServiceAddresses {
  readonly host: string;
  readonly postgresPort: number;
  readonly redisPort: number;
  readonly dbname: string;
}

/**
 * The values the local servers were started with, standing in for what AWS generates: a key the template generates
 * (GenerateSecretString, or the SecretFields handler's `Generate`) takes its value from here, by secret and key.
 */
function generatedValues(env: EnvironmentConfig, s: LocalSecrets): Record<string, Record<string, string>> {
  const names = secretsManagerNames(env);
  const k = SECRET_KEYS;
  return {
    [names.metadataDb]: { [k.metadataDb.password]: s.masterPassword },
    [names.airflowDb]: { [k.airflowDb.password]: s.dbPassword, [k.airflowDb.clientPassword]: s.clientPassword },
    [names.broker]: { [k.broker.authToken]: s.redisAuthToken },
    [names.airflow]: { [k.airflow.fernetKey]: s.fernetKey, [k.airflow.apiSecretKey]: s.apiSecretKey, [k.airflow.adminPassword]: s.adminPassword },
  };
}

/**
 * What a deployed stack has put into Secrets Manager, computed from its template (`createdSecrets`): every secret it
 * creates with exactly the keys it will hold — constants and tokens of the generated template, the generated key,
 * the RDS attachment's keys, the SecretFields handler's endpoint and generated keys — with the local servers'
 * addresses for the endpoints, then the first rotation of the stack's own rotation functions that rotate on creation.
 * Then the secrets the deploy preflight makes the user create. Nothing else.
 * Throws when the template and the local servers disagree (a login name, a key nothing here can fill).
 */
export async function seedSecrets(env: EnvironmentConfig, template: CfnTemplate, target: RotationTarget, at: ServiceAddresses, s: LocalSecrets, userSecrets: Record<string, Record<string, string>>): Promise<string[]> {
  const { endpoint, region } = target;
  const cdkOut = path.join(PROJECT_ROOT, 'cdk.out');
  const secrets = createdSecrets(template, functionCode(cdkOut, stackName(env), template)).filter((x) => x.name);
  const generated = generatedValues(env, s);
  const names = secretsManagerNames(env);
  /** Emulator ARN of each secret seeded so far, by logical id. */
  const arns = new Map<string, string>();
  const resources = template.Resources;
  // What a token in a secret resolves to once deployed: the local servers stand in for Aurora and ElastiCache.
  const resolve = (token: string): string => {
    const dot = token.indexOf('.');
    const [id, attr] = dot < 0 ? [token, undefined] : [token.slice(0, dot), token.slice(dot + 1)];
    const type = resources[id]?.Type;
    if (type === 'AWS::RDS::DBCluster' && attr === 'Endpoint.Address') return at.host;
    if (type === 'AWS::RDS::DBCluster' && attr === 'Endpoint.Port') return String(at.postgresPort);
    if (type === 'AWS::ElastiCache::ReplicationGroup' && attr === 'PrimaryEndPoint.Address') return at.host;
    if (type === 'AWS::ElastiCache::ReplicationGroup' && attr === 'PrimaryEndPoint.Port') return String(at.redisPort);
    // A secret's ARN (Ref of the secret or of its attachment): the emulator's, of a secret seeded before.
    const secretId = type === 'AWS::SecretsManager::SecretTargetAttachment' ? (resources[id].Properties?.SecretId as { Ref: string }).Ref : id;
    const arn = arns.get(secretId);
    if (arn && !attr) return arn;
    throw new Error(`the local cluster cannot stand in for ${token} (${type ?? 'unknown resource'}), used by a secret of ${stackName(env)}`);
  };
  // Secrets whose template holds a token (another secret's ARN) go after those that hold none.
  const hasToken = (x: (typeof secrets)[number]) => Object.values(x.template).some((v) => typeof v === 'object');
  const order = [...secrets.filter((x) => !hasToken(x)), ...secrets.filter(hasToken)];
  const seeded: string[] = [];
  for (const secret of order) {
    const name = secret.name!;
    const value: Record<string, string> = {};
    for (const [key, v] of Object.entries(secret.template)) value[key] = v && typeof v === 'object' ? resolve((v as { token: string }).token) : String(v);
    for (const [key, v] of Object.entries(secret.set)) value[key] = String(resolveValue(v, resolve));
    if (secret.attached.length) Object.assign(value, { host: at.host, port: String(at.postgresPort), engine: 'postgres', dbClusterIdentifier: `${env.cluster.name}-local` });
    for (const key of [...(secret.generated ? [secret.generated.key] : []), ...Object.keys(secret.generate)]) {
      const v = generated[name]?.[key];
      if (v === undefined) throw new Error(`${name}: the stack generates key "${key}", which no local server was started with`);
      if (secret.generated?.key === key && [...secret.generated.excludeCharacters].some((c) => v.includes(c))) throw new Error(`${name}.${key}: the local value holds a character the stack excludes`);
      value[key] = v;
    }
    // The logins the local database was initialised with must be the ones the stack names.
    const localLogin = name === names.metadataDb ? s.masterUser : name === names.airflowDb ? s.dbUser : undefined;
    const key = SECRET_KEYS.metadataDb.username;
    if (localLogin !== undefined && value[key] !== localLogin) throw new Error(`${name}: the stack creates the login "${value[key]}", the local database "${localLogin}"`);
    arns.set(secret.logicalId, await putSecret(endpoint, region, name, value));
    seeded.push(name);
  }
  // A schedule of the stack's own rotation function that rotates when CloudFormation creates it: that first rotation
  // writes what the secret holds (the JWT signing keys), by the function's code as cdk.out/ publishes it.
  for (const r of rotationFunctions(template).filter((x) => x.immediately)) {
    const secret = secrets.find((x) => x.logicalId === r.secret);
    if (!secret) throw new Error(`${r.fn} rotates ${r.secret}, which is not a named secret of ${stackName(env)}`);
    await rotateSecret(bundledFunctionFile(cdkOut, stackName(env), template, new RegExp(`^${r.fn}$`)), target, secret.name!);
  }
  for (const [name, value] of Object.entries(userSecrets)) {
    await putSecret(endpoint, region, name, value);
    seeded.push(name);
  }
  return seeded;
}
