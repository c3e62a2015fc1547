import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadEnvironments } from '../../manifests-src/config';
import { environments as committed } from '../../manifests-src/config/environments';
import { AwsCli } from '../../infra/deploy/aws-cli';
import { mirrorPlan } from '../../infra/deploy/mirror-plan';
import { placeholderProblems } from '../../infra/deploy/placeholders';
import { accountChecks, chartChecks, mirrorChecks } from '../../infra/deploy/preflight';

const ROOT = path.resolve(__dirname, '..', '..');
const FIXTURES = path.join(__dirname, 'fixtures', 'aws');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-preflight-'));
const bin = path.join(work, 'bin');
fs.mkdirSync(bin);
fs.writeFileSync(path.join(bin, 'aws'), `#!/bin/sh\nexec node ${JSON.stringify(path.join(FIXTURES, 'fake-aws.js'))} "$@"\n`, { mode: 0o755 });
const log = path.join(work, 'aws-calls.log');
/** A fake `helm` that knows the chart versions in FAKE_HELM_PUBLISHED ("<upstream> <chart> <version>" lines). */
fs.writeFileSync(
  path.join(bin, 'helm'),
  `#!/usr/bin/env node
const a = process.argv.slice(2);
const v = a[a.indexOf('--version') + 1];
const ref = a.includes('--repo') ? a[a.indexOf('--repo') + 1] + ' ' + a[2] : a[2] + ' ' + a[2].split('/').pop();
const known = require('fs').readFileSync(process.env.FAKE_HELM_PUBLISHED, 'utf8').split('\\n');
if (a[0] === 'show' && a[1] === 'chart' && known.includes(ref + ' ' + v)) { console.log('name: ok'); process.exit(0); }
console.error('Error: chart not found: ' + ref + ' ' + v); process.exit(1);
`,
  { mode: 0o755 },
);
const published = path.join(work, 'published-charts.txt');
const publish = (charts: { upstream: string; chart: string; version: string }[]) => fs.writeFileSync(published, charts.map((c) => `${c.upstream} ${c.chart} ${c.version}`).join('\n'));
const fakeEnv = { PATH: `${bin}:${process.env.PATH}`, FAKE_AWS_RESPONSES: path.join(FIXTURES, 'responses.json'), FAKE_AWS_LOG: log, FAKE_HELM_PUBLISHED: published };

/** The committed environments with real-looking values in place of every example (what a user's config holds). */
function realConfig(extra: (envs: any[]) => void = () => {}): string {
  const text = JSON.stringify(committed).replaceAll('123456789012', '210987654321').replaceAll('example.com', 'acme-data.io').replaceAll('example.cn', 'acme-data.cn');
  const envs = JSON.parse(text) as any[];
  for (const e of envs) e.ingress.certificateArn = `arn:${e.aws.partition}:acm:${e.aws.region}:210987654321:certificate/0f1e2d3c-aaaa-bbbb-cccc-123456789abc`;
  extra(envs);
  const file = path.join(work, `config-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(file, JSON.stringify({ environments: envs }));
  return file;
}

function deploy(...args: string[]) {
  fs.rmSync(log, { force: true });
  if (!fs.existsSync(published)) publish(mirrorPlan(loadEnvironments()[0]).charts);
  const r = spawnSync('npx', ['--no-install', 'tsx', 'infra/deploy/cli.ts', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...fakeEnv }, timeout: 240_000 });
  const calls = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : [];
  return { status: r.status, out: r.stdout, err: r.stderr, calls };
}

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

test('the committed example config is refused, naming each field, before any AWS call', () => {
  const r = deploy('prod', '--dry-run');
  expect(r.status).toBe(2);
  for (const field of ['aws.account', 'ingress.host', 'ingress.certificateArn', 'gitops.repoUrl', 'dags.repoUrl']) expect(r.err).toContain(`environments(prod).${field}`);
  expect(r.err).toContain('Nothing was created');
  expect(r.calls).toEqual([]);
});

test('placeholders: example account anywhere (mirror registry, admin ARNs), example hosts, missing certificate', () => {
  const [, , cn] = loadEnvironments();
  const problems = placeholderProblems(cn);
  expect(problems.some((p) => p.startsWith('environments(prod-cn).images.mirrorRegistry: contains the example account 123456789012'))).toBe(true);
  expect(problems.some((p) => p.startsWith('environments(prod-cn).ingress.host: is an example host name'))).toBe(true);
  expect(problems.some((p) => p.startsWith('environments(prod-cn).ingress.certificateArn: missing'))).toBe(true);
  const [real] = loadEnvironments([JSON.parse(fs.readFileSync(realConfig(), 'utf8')).environments[1]]);
  expect(placeholderProblems(real)).toEqual([]);
});

test('prod dry run: prints per stack what it would create and every check, calls only read-only AWS APIs', () => {
  const r = deploy('prod', '--dry-run', '--config', realConfig());
  expect(r.err).toBe('');
  expect(r.status).toBe(0);
  expect(r.out).toMatch(/1\. stack airflow-eks-registries-us-east-1: \d+ resources/);
  expect(r.out).toMatch(/\d+ AWS::ECR::Repository/);
  expect(r.out).toMatch(/2\. stack airflow-eks-prod: \d+ resources/);
  expect(r.out).toMatch(/1 AWS::RDS::DBCluster/);
  expect(r.out).toContain('first create, then a second pass turning Aurora deletion protection on');
  expect(r.out).toMatch(/ok +chart karpenter 1\.15\.1: oci:\/\/public\.ecr\.aws\/karpenter\/karpenter has karpenter/);
  for (const check of ['credentials', 'CDK bootstrap', 'system node type', 'Karpenter family m7g', 'Aurora engine and class', 'cache engine', 'cache node type', 'secret airflow-eks/prod/gitops']) expect(r.out).toMatch(new RegExp(`ok +${check}`));
  const apis = r.calls.filter((c) => c !== '--version').map((c) => c.split(' ').slice(0, 2).join(' '));
  // A first create also looks up what a destroy may have kept under the stack's fixed names (kept-names.ts).
  const readOnly = ['sts get-caller-identity', 'cloudformation describe-stacks', 'ec2 describe-instance-type-offerings', 'rds describe-orderable-db-instance-options', 'elasticache describe-cache-engine-versions', 'elasticache describe-reserved-cache-nodes-offerings', 'secretsmanager describe-secret'];
  const keptLookups = ['cloudformation list-stack-resources', 'logs describe-log-groups', 'ecr describe-repositories'];
  expect(new Set(apis)).toEqual(new Set([...readOnly, ...keptLookups]));
  expect(r.out).toMatch(/ok +kept names of airflow-eks-prod: 7 fixed name\(s\): 0 belong to the stack, 7 free \(airflow-eks\/prod\/metadata-db, airflow-eks\/prod\/airflow-db, airflow-eks\/prod\/airflow, airflow-eks\/prod\/jwt-signing, \/airflow-eks\/prod\/containers, \/airflow-eks\/prod\/tasks, \/airflow-eks\/prod\/metrics\)/);
  expect(r.out).toContain('Nothing was created');
});

test('prod-cn: China defaults pass; a Graviton3 type the region lacks is refused naming the field; mirror gaps are listed', () => {
  const ok = deploy('prod-cn', '--dry-run', '--config', realConfig());
  expect(ok.status).toBe(0);
  expect(ok.out).toMatch(/ok +system node type: t4g\.medium is offered in cn-north-1/);
  expect(ok.out).toMatch(/ok +Aurora engine and class: aurora-postgresql 16\.8 on db\.serverless: orderable in cn-north-1/);
  expect(ok.out).toMatch(/ok +Karpenter family m6g/);
  expect(ok.out).toMatch(/ok +cache engine: redis 7\.1: offered/);
  expect(ok.out).toMatch(/ok +mirror chart karpenter 1\.15\.1/);
  expect(ok.out).toMatch(/to copy: charts\/keda:2\.21\.0/);
  expect(ok.out).toMatch(/to copy: kedacore\/keda:2\.21\.0/);

  const bad = deploy('prod-cn', '--dry-run', '--config', realConfig((envs) => {
    envs[2].infra.eks = { systemNodeInstanceType: 'm7g.large' };
    envs[2].infra.cache = { ...envs[2].infra.cache, engine: 'valkey' };
  }));
  expect(bad.status).toBe(1);
  expect(bad.out).toMatch(/FAIL system node type: m7g\.large is not offered in cn-north-1 +\[environments\(prod-cn\)\.infra\.eks\.systemNodeInstanceType\]/);
  expect(bad.out).toMatch(/FAIL cache engine: valkey 8\.0: not offered in cn-north-1 +\[environments\(prod-cn\)\.infra\.cache\.engine\]/);
  expect(bad.err).toMatch(/Cannot deploy prod-cn: 2 check\(s\) failed\. Nothing was created\./);
  expect(bad.calls.some((c) => c.startsWith('cloudformation create') || c.startsWith('cloudformation deploy'))).toBe(false);
});

describe('preflight pieces against the fake CLI', () => {
  const cli = (region: string) => new AwsCli(region, { ...process.env, ...fakeEnv });

  test('a stack left in ROLLBACK_COMPLETE by a failed first create is a retry, not a refusal', () => {
    const env = JSON.parse(fs.readFileSync(realConfig(), 'utf8')).environments[0];
    const [dev] = loadEnvironments([env]);
    const { checks, state } = accountChecks(dev, cli(dev.aws.region));
    expect(state).toBe('rollback-complete');
    expect(checks.find((c) => c.name === 'stack state')).toMatchObject({ ok: true, detail: expect.stringContaining('deletes it and creates it again') });
  });

  test('every pinned chart version must exist upstream: an unpublished pin fails naming the chart; aws-cn relies on the mirror check', () => {
    const [dev, , cn] = loadEnvironments();
    const charts = mirrorPlan(dev).charts;
    publish(charts);
    const env = { ...process.env, ...fakeEnv };
    expect(chartChecks(dev, 'helm', env).filter((c) => !c.ok)).toEqual([]);
    publish(charts.filter((c) => c.chart !== 'argo-cd'));
    const failed = chartChecks(dev, 'helm', env).filter((c) => !c.ok);
    expect(failed.map((c) => c.name)).toEqual([`chart argo-cd ${charts.find((c) => c.chart === 'argo-cd')!.version}`]);
    expect(failed[0].detail).toContain('not found at https://argoproj.github.io/argo-helm');
    expect(chartChecks(dev, path.join(work, 'no-such-helm'), env)[0]).toMatchObject({ ok: false, fix: expect.stringContaining('install Helm 3') });
    expect(chartChecks(cn, 'helm', env)).toEqual([]);
    publish(charts);
  });

  test('in aws-cn every chart and image of the mirror plan is looked up in ECR; a missing one fails', () => {
    const [cn] = loadEnvironments([JSON.parse(fs.readFileSync(realConfig(), 'utf8')).environments[2]]);
    const checks = mirrorChecks(cn, cli(cn.aws.region));
    const plan = mirrorPlan(cn);
    expect(checks).toHaveLength(plan.charts.length + plan.images.length);
    expect(checks.filter((c) => c.ok).map((c) => c.detail)).toEqual(['charts/karpenter:1.15.1 present']);
    expect(plan.charts.map((c) => c.repository)).toEqual(['charts/karpenter', 'charts/karpenter-crd', 'charts/keda', 'charts/aws-load-balancer-controller', 'charts/external-secrets', 'charts/reloader', 'charts/argo-cd']);
    expect(plan.images.map((i) => i.source)).toContain('quay.io/argoproj/argocd:v3.6.1');
  });
});
