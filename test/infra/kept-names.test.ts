import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadEnvironments, secretsManagerNames } from '../../manifests-src/config';
import { environments as committed } from '../../manifests-src/config/environments';
import { AwsCli } from '../../infra/deploy/aws-cli';
import { keptNameChecks, keptNames, keptNamesOf, NAMED_KEPT_TYPES, NAMELESS_KEPT_TYPES, type KeptName } from '../../infra/deploy/kept-names';
import { stackName } from '../../infra/lib/airflow-eks-stack';
import { buildApp } from '../../infra/lib/build-app';
import { logGroupNames } from '../../infra/lib/observability';
import { registriesStackName, repositoryNames } from '../../infra/lib/registries';
import { committedSynth, type CommittedSynth } from './committed-synth';

/**
 * A redeploy after `npm run destroy`: the names the delete kept are looked up with the AWS CLI (a fake `aws` on PATH
 * answering recorded JSON, as in deploy-preflight.test.ts) before anything is created.
 */
const FAKE_AWS = path.join(__dirname, 'fixtures', 'aws', 'fake-aws.js');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kept-names-'));
const bin = path.join(work, 'bin');
fs.mkdirSync(bin);
fs.writeFileSync(path.join(bin, 'aws'), `#!/bin/sh\nexec node ${JSON.stringify(FAKE_AWS)} "$@"\n`, { mode: 0o755 });
const log = path.join(work, 'aws-calls.log');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const envs = loadEnvironments();
const prod = envs.find((e) => e.name === 'prod')!;
let s: CommittedSynth;
let prodNames: KeptName[];
beforeAll(() => {
  s = committedSynth();
  prodNames = [
    ...keptNamesOf(registriesStackName(prod), s.registries[registriesStackName(prod)].toJSON(), prod),
    ...keptNamesOf(stackName(prod), s.templates.prod.toJSON(), prod),
  ];
});

type Response = { match: string[]; stdout?: unknown; stderr?: string; exit?: number };
/** A fake CLI answering `responses` (first match wins); every call is logged. */
function fakeCli(responses: Response[]): { aws: AwsCli; calls: () => string[] } {
  const file = path.join(work, `responses-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(file, JSON.stringify(responses));
  fs.rmSync(log, { force: true });
  const aws = new AwsCli(prod.aws.region, { ...process.env, PATH: `${bin}:${process.env.PATH}`, FAKE_AWS_RESPONSES: file, FAKE_AWS_LOG: log });
  return { aws, calls: () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : []) };
}
const notFound = (match: string[], error: string): Response => ({ match, exit: 254, stderr: `\nAn error occurred (${error}) when calling the operation: not found\n` });
const stackGone = (stack: string): Response => notFound(['cloudformation', 'list-stack-resources', stack], `ValidationError) ... Stack with id ${stack} does not exist (ValidationError`);
const ownsAll = (stack: string, names: KeptName[]): Response => ({
  match: ['cloudformation', 'list-stack-resources', stack],
  stdout: { StackResourceSummaries: names.filter((n) => n.stack === stack).map((n) => ({ LogicalResourceId: n.logicalId, PhysicalResourceId: n.name, ResourceStatus: 'CREATE_COMPLETE' })) },
});

test('the fixed names come from the template: kept secrets, log groups and repositories, not what is deleted', () => {
  const names = prodNames.filter((n) => n.stack === stackName(prod)).map((n) => n.name).sort();
  const secrets = secretsManagerNames(prod);
  const logs = logGroupNames(prod);
  expect(names).toEqual(expect.arrayContaining([secrets.airflow, secrets.metadataDb, logs.containers, logs.tasks]));
  // The broker secret is deleted with the stack: nothing of it can be in the way.
  expect(names).not.toContain(secrets.broker);
  expect(prodNames.filter((n) => n.stack === registriesStackName(prod)).map((n) => n.name).sort()).toEqual(repositoryNames([prod]));
  // dev's Aurora leaves a snapshot, not its secret.
  const dev = envs.find((e) => e.name === 'dev')!;
  expect(keptNamesOf(stackName(dev), s.templates.dev.toJSON(), dev).map((n) => n.name)).not.toContain(secretsManagerNames(dev).metadataDb);
});

test('the in-process synth the deploy uses gives the same names as the committed templates (registries of the whole group)', () => {
  const fromSynth = keptNames(prod, envs);
  const group = envs.filter((e) => e.aws.region === prod.aws.region);
  const expected = [...keptNamesOf(registriesStackName(prod), s.registries[registriesStackName(prod)].toJSON(), prod), ...keptNamesOf(stackName(prod), s.templates.prod.toJSON(), prod)];
  expect(fromSynth.map((n) => `${n.stack} ${n.logicalId} ${n.name}`).sort()).toEqual(expected.map((n) => `${n.stack} ${n.logicalId} ${n.name}`).sort());
  expect(fromSynth.filter((n) => n.type === 'AWS::ECR::Repository').map((n) => n.name).sort()).toEqual(repositoryNames(group));
});

test('every type a delete keeps, with every optional resource on, is either looked up by name or has no name', () => {
  const input = structuredClone(committed.find((e) => e.name === 'prod')!) as any;
  input.infra = { ...input.infra, sharedFileSystem: true, createCodeCommitRepo: true };
  delete input.dags.repoUrl;
  const [all] = loadEnvironments([input]);
  const { app } = buildApp([all], { outdir: fs.mkdtempSync(path.join(work, 'synth-')), stageAssets: false, nag: false });
  const assembly = app.synth();
  const kept = new Set<string>();
  for (const stack of [stackName(all), registriesStackName(all)]) {
    for (const r of Object.values((assembly.getStackByName(stack).template as { Resources: Record<string, { Type: string; DeletionPolicy?: string }> }).Resources)) {
      if (['Retain', 'RetainExceptOnCreate'].includes(r.DeletionPolicy ?? '')) kept.add(r.Type);
    }
  }
  for (const type of kept) expect({ type, known: type in NAMED_KEPT_TYPES || (NAMELESS_KEPT_TYPES as readonly string[]).includes(type) }).toEqual({ type, known: true });
  expect([...kept]).toEqual(expect.arrayContaining(['AWS::CodeCommit::Repository', 'AWS::EFS::FileSystem']));
});

test('after a destroy: each kept name in the way is refused with what it is and both ways out; the rest is free', () => {
  const secret = secretsManagerNames(prod).airflow;
  const tasks = logGroupNames(prod).tasks;
  const { aws, calls } = fakeCli([
    stackGone(stackName(prod)),
    ownsAll(registriesStackName(prod), prodNames),
    { match: ['secretsmanager', 'describe-secret', secret], stdout: { ARN: `arn:aws:secretsmanager:us-east-1:210987654321:secret:${secret}-AbCdEf`, Name: secret } },
    notFound(['secretsmanager', 'describe-secret'], 'ResourceNotFoundException'),
    { match: ['logs', 'describe-log-groups', tasks], stdout: { logGroups: [{ logGroupName: tasks }, { logGroupName: `${tasks}-old` }] } },
    { match: ['logs', 'describe-log-groups'], stdout: { logGroups: [] } },
  ]);
  const checks = keptNameChecks(prod, aws, envs, prodNames);
  const failed = checks.filter((c) => !c.ok);
  expect(failed.map((c) => c.name).sort()).toEqual([`kept Logs LogGroup ${tasks}`, `kept SecretsManager Secret ${secret}`]);
  const secretCheck = failed.find((c) => c.name.endsWith(secret))!;
  expect(secretCheck.detail).toMatch(/exists outside airflow-eks-prod, left by an earlier delete \(generated keys.*\): creating AirflowSecrets\w+ would fail with AlreadyExists/);
  expect(secretCheck.fix).toContain(`npx cdk import airflow-eks-prod (give ${secret} for AirflowSecrets`);
  expect(secretCheck.fix).toContain(`aws secretsmanager delete-secret --secret-id ${secret} --force-delete-without-recovery --region us-east-1`);
  expect(failed.find((c) => c.name.endsWith(tasks))!.fix).toContain(`aws logs delete-log-group --log-group-name ${tasks} --region us-east-1`);
  expect(checks.find((c) => c.name === `kept names of ${stackName(prod)}`)!.detail).toContain(secretsManagerNames(prod).metadataDb);
  // The registries stack owns its repositories: none is looked up.
  expect(calls().filter((c) => c.startsWith('ecr '))).toEqual([]);
  expect(checks.find((c) => c.name === `kept names of ${registriesStackName(prod)}`)).toMatchObject({ ok: true, detail: expect.stringMatching(/^\d+ fixed name\(s\): (\d+) belong to the stack, 0 free$/) });
});

test('an update of a stack that owns its names looks nothing up; a lookup that is refused fails rather than guessing', () => {
  const owned = fakeCli([ownsAll(stackName(prod), prodNames), ownsAll(registriesStackName(prod), prodNames)]);
  expect(keptNameChecks(prod, owned.aws, envs, prodNames).every((c) => c.ok)).toBe(true);
  expect(owned.calls().every((c) => c.startsWith('cloudformation list-stack-resources'))).toBe(true);

  const denied = fakeCli([stackGone(stackName(prod)), ownsAll(registriesStackName(prod), prodNames), notFound(['secretsmanager', 'describe-secret'], 'AccessDeniedException'), { match: ['logs', 'describe-log-groups'], stdout: { logGroups: [] } }]);
  const failed = keptNameChecks(prod, denied.aws, envs, prodNames).filter((c) => !c.ok);
  expect(failed.length).toBeGreaterThanOrEqual(2);
  for (const c of failed) expect(c).toMatchObject({ detail: expect.stringContaining('could not tell whether it exists: An error occurred (AccessDeniedException)'), fix: expect.stringContaining('read access') });
});
