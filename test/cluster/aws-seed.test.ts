/**
 * The local cluster's Secrets Manager holds what the dev stack would create (read from cdk.out/) plus what the
 * preflight asks the user for, and nothing else: checked against the AWS API emulator the cluster uses.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { DB_MASTER_USER, loadEnvironments, secretsManagerNames } from '../../manifests-src/config';
import { createdSecrets, readTemplate, type CfnTemplate } from '../../infra/assembly/cdk-out';
import { stackName } from '../../infra/lib/airflow-eks-stack';
import { operatorSecrets } from '../../infra/deploy/operator-secrets';
import { awsJson, seedSecrets } from '../../local/aws-seed';
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
  jwtSecret: 'jwt9',
  adminPassword: 'admin9',
  gitUsername: 'git',
  gitPassword: 'git9',
} as LocalSecrets;
const users = Object.fromEntries(operatorSecrets(env).map((o) => [o.name, Object.fromEntries(o.keys.map((k) => [k, `${k}-value`]))]));

let moto: ChildProcess;
let endpoint: string;
let template: CfnTemplate;

beforeAll(async () => {
  committedSynth(); // cdk.out/ must be this working tree's synth
  template = readTemplate(path.join(ROOT, 'cdk.out'), stackName(env));
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

async function stored(): Promise<Record<string, Record<string, string>>> {
  const list = await awsJson(endpoint, env.aws.region, 'secretsmanager', 'secretsmanager.ListSecrets', {});
  const out: Record<string, Record<string, string>> = {};
  for (const s of list.json.SecretList as Array<{ Name: string }>) {
    const v = await awsJson(endpoint, env.aws.region, 'secretsmanager', 'secretsmanager.GetSecretValue', { SecretId: s.Name });
    out[s.Name] = JSON.parse(String(v.json.SecretString));
  }
  return out;
}

test('exactly the secrets of the template and the preflight, each with exactly the keys the stack gives it', async () => {
  const seeded = await seedSecrets(env, template, endpoint, at, local, users);
  const fromTemplate = createdSecrets(template).filter((s) => s.name);
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
});

test('a key the stack generates that no local server was started with stops the seed, naming it', async () => {
  const broken = JSON.parse(JSON.stringify(template)) as CfnTemplate;
  const fields = Object.values(broken.Resources).find((r) => r.Type === 'Custom::SecretFields' && r.Properties?.Generate?.fernetKey)!;
  fields.Properties!.Generate.newKey = 'token';
  await expect(seedSecrets(env, broken, endpoint, at, local, users)).rejects.toThrow(/airflow-eks\/dev\/airflow: the stack generates key "newKey"/);
});

test('a login name the stack creates that the local database does not have stops the seed', async () => {
  await expect(seedSecrets(env, template, endpoint, at, { ...local, dbUser: 'someone_else' }, users)).rejects.toThrow(/creates the login "airflow", the local database "someone_else"/);
});
