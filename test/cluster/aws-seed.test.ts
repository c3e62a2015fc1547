/**
 * The local cluster's Secrets Manager holds what the dev stack would create (read from cdk.out/) plus what the
 * preflight asks the user for, and nothing else: checked against the AWS API emulator the cluster uses.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { DB_MASTER_USER, loadEnvironments, secretsManagerNames } from '../../manifests-src/config';
import { bundledFunctionFile, createdSecrets, functionCode, readTemplate, rotationFunctions, type CfnTemplate, type FunctionCode } from '../../infra/assembly/cdk-out';
import { stackName } from '../../infra/lib/airflow-eks-stack';
import { operatorSecrets } from '../../infra/deploy/operator-secrets';
import { awsJson, seedSecrets } from '../../local/aws-seed';
import { invokeRotationStep, ROTATION_STEPS, type RotationTarget } from '../../local/secret-rotation';
import type { LocalSecrets } from '../../local/settings';
import { TOOLS_BIN } from '../../local/prerequisites';
import { committedSynth } from '../infra/committed-synth';

const ROOT = path.resolve(__dirname, '..', '..');
const env = loadEnvironments().find((e) => e.name === 'dev')!;
const at = { host: '127.0.0.1', postgresPort: 5432, redisPort: 6379, dbname: 'airflow' };
const local: LocalSecrets = {
  masterUser: DB_MASTER_USER,
  masterPassword: 'm4ster',
  dbUser: 'airflow',
  dbPassword: 'db9pass',
  clientPassword: 'client9',
  redisAuthToken: 'redis9token',
  fernetKey: 'fernet9',
  apiSecretKey: 'api9',
  jwtSigning: {},
  adminPassword: 'admin9',
  gitUsername: 'git',
  gitPassword: 'git9',
} as LocalSecrets;
const users = Object.fromEntries(operatorSecrets(env).map((o) => [o.name, Object.fromEntries(o.keys.map((k) => [k, `${k}-value`]))]));

let moto: ChildProcess;
let endpoint: string;
let template: CfnTemplate;
let code: FunctionCode;

beforeAll(async () => {
  committedSynth(); // cdk.out/ must be this working tree's synth
  template = readTemplate(path.join(ROOT, 'cdk.out'), stackName(env));
  code = functionCode(path.join(ROOT, 'cdk.out'), stackName(env), template);
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  moto = spawn(path.join(TOOLS_BIN, 'moto_server'), ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ok = await fetch(`${endpoint}/moto-api/`).then(() => true, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error('the AWS API emulator did not start');
    await new Promise((r) => setTimeout(r, 200));
  }
}, 60_000);
afterAll(() => moto?.kill());

/** Logical id of the function that rotates the JWT signing keys secret. */
function jwtRotationFunction(): string {
  const secret = Object.entries(template.Resources).find(([, r]) => r.Type === 'AWS::SecretsManager::Secret' && r.Properties?.Name === secretsManagerNames(env).jwtSigning)![0];
  return rotationFunctions(template).find((r) => r.secret === secret)!.fn;
}

async function stored(): Promise<Record<string, Record<string, string>>> {
  const list = await awsJson(endpoint, env.aws.region, 'secretsmanager', 'secretsmanager.ListSecrets', {});
  const out: Record<string, Record<string, string>> = {};
  for (const s of list.json.SecretList as Array<{ Name: string }>) {
    // As External Secrets reads it (the emulator's unstaged read returns the first version, not AWSCURRENT).
    const v = await awsJson(endpoint, env.aws.region, 'secretsmanager', 'secretsmanager.GetSecretValue', { SecretId: s.Name, VersionStage: 'AWSCURRENT' });
    out[s.Name] = JSON.parse(String(v.json.SecretString));
  }
  return out;
}

test('exactly the secrets of the template and the preflight, each with exactly the keys the stack gives it', async () => {
  const seeded = await seedSecrets(env, template, { endpoint, region: env.aws.region }, at, local, users);
  const fromTemplate = createdSecrets(template, code).filter((s) => s.name);
  const all = await stored();
  expect(Object.keys(all).sort()).toEqual([...fromTemplate.map((s) => s.name!), ...Object.keys(users)].sort());
  expect([...seeded].sort()).toEqual(Object.keys(all).sort());
  for (const s of fromTemplate) expect({ name: s.name, keys: Object.keys(all[s.name!]).sort() }).toEqual({ name: s.name, keys: [...s.keys].sort() });
  const names = secretsManagerNames(env);
  // The login secret names its master by ARN (what the multi-user rotation reads), the emulator's ARN here.
  const masterArn = (await awsJson(endpoint, env.aws.region, 'secretsmanager', 'secretsmanager.DescribeSecret', { SecretId: names.metadataDb })).json.ARN;
  expect(all[names.airflowDb].masterarn).toBe(masterArn);
  expect(all[names.airflowDb]).toMatchObject({ username: local.dbUser, password: local.dbPassword, host: at.host, port: '5432', clientPassword: local.clientPassword });
  expect(all[names.broker]).toEqual({ host: at.host, port: String(at.redisPort), authToken: local.redisAuthToken });
  // The JWT keys were written by the first rotation, run by the function's code in cdk.out/, and pass its own test step.
  const jwtFn = jwtRotationFunction();
  const jwt = all[names.jwtSigning];
  expect(Object.keys(jwt).sort()).toEqual(['keySet', 'nextPrivateKey', 'privateKey']);
  expect(code(jwtFn).problems(jwt)).toEqual([]);
  const stages = (await awsJson(endpoint, env.aws.region, 'secretsmanager', 'secretsmanager.DescribeSecret', { SecretId: names.jwtSigning })).json.VersionIdsToStages as Record<string, string[]>;
  expect(Object.values(stages).filter((x) => x.includes('AWSCURRENT'))).toHaveLength(1);
  expect(Object.values(stages).some((x) => x.includes('AWSPENDING') && !x.includes('AWSCURRENT'))).toBe(false);
});

test('a later rotation by the function keeps the signing key trusted as previous, and a step that runs twice changes nothing', async () => {
  const names = secretsManagerNames(env);
  const jwtFn = jwtRotationFunction();
  const fn = code(jwtFn);
  const target: RotationTarget = { endpoint, region: env.aws.region };
  const file = bundledFunctionFile(path.join(ROOT, 'cdk.out'), stackName(env), template, new RegExp(`^${jwtFn}$`));
  const value = async (stage = 'AWSCURRENT') => JSON.parse(String((await awsJson(endpoint, env.aws.region, 'secretsmanager', 'secretsmanager.GetSecretValue', { SecretId: names.jwtSigning, VersionStage: stage })).json.SecretString));
  const before = await value();
  const token = 'second-rotation-of-the-jwt-signing-keys-0001';
  let pending: string | undefined;
  for (const Step of ROTATION_STEPS) {
    // Secrets Manager retries a step that timed out: the second run must find the first one's work and keep it.
    for (let i = 0; i < 2; i++) await invokeRotationStep(file, target, { SecretId: names.jwtSigning, ClientRequestToken: token, Step });
    if (Step === 'createSecret') pending = JSON.stringify(await value('AWSPENDING'));
  }
  const after = await value();
  expect(JSON.stringify(after)).toBe(pending);
  expect(after.privateKey).toBe(before.nextPrivateKey);
  expect(fn.problems(after, before)).toEqual([]);
  const kids = JSON.parse(after.keySet).keys.map((k: { kid: string }) => k.kid);
  expect(kids).toEqual([fn.publicJwk(before.privateKey).kid, fn.publicJwk(before.nextPrivateKey).kid, fn.publicJwk(after.nextPrivateKey).kid]);
});

test('a key the stack generates that no local server was started with stops the seed, naming it', async () => {
  const broken = JSON.parse(JSON.stringify(template)) as CfnTemplate;
  const fields = Object.values(broken.Resources).find((r) => r.Type === 'Custom::SecretFields' && r.Properties?.Generate?.fernetKey)!;
  fields.Properties!.Generate.newKey = 'token';
  await expect(seedSecrets(env, broken, { endpoint, region: env.aws.region }, at, local, users)).rejects.toThrow(/airflow-eks\/dev\/airflow: the stack generates key "newKey"/);
});

test('a login name the stack creates that the local database does not have stops the seed', async () => {
  await expect(seedSecrets(env, template, { endpoint, region: env.aws.region }, at, { ...local, dbUser: 'someone_else' }, users)).rejects.toThrow(/creates the login "airflow", the local database "someone_else"/);
});
