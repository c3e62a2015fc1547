import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadEnvironments } from '../../manifests-src/config';
import { configProblems } from '../support/config-problems';
import { environments as committed } from '../../manifests-src/config/environments';

const prod = committed.find((e) => e.name === 'prod')!;
const cn = committed.find((e) => e.name === 'prod-cn')!;

const problems = (input: unknown): string => configProblems([input]).join('\n');

test('the committed environments pass the infra checks', () => {
  expect(loadEnvironments().map((e) => e.name)).toEqual(['dev', 'prod', 'prod-cn']);
});

test.each([
  ['unknown region', { aws: { ...prod.aws, region: 'mars-north-1' } }, /aws\.region: unknown region; use one of/],
  ['one AZ in prod', { cluster: { ...prod.cluster, availabilityZones: 1 } }, /\(prod\)\.cluster\.availabilityZones: .*>=2/],
  ['malformed VPC id', { infra: { vpc: { existingVpcId: 'vpc-12' } } }, /infra\.vpc\.existingVpcId: a VPC id such as/],
  ['more NAT gateways than zones', { infra: { vpc: { natGateways: 3 } } }, /infra\.vpc\.natGateways: must be <= cluster\.availabilityZones \(2\).*\(got 3\)/],
  ['a 0-ACU database that never pauses', { infra: { database: { instanceClass: 'serverless', minCapacityAcu: 0 } } }, /infra\.database\.autoPauseMinutes: required when minCapacityAcu is 0/],
  ['auto-pause above 0 ACU', { infra: { database: { instanceClass: 'serverless', minCapacityAcu: 1, autoPauseMinutes: 10 } } }, /infra\.database\.minCapacityAcu: must be 0 when autoPauseMinutes is set/],
  ['0 ACU on a provisioned class', { infra: { database: { minCapacityAcu: 0, autoPauseMinutes: 10 } } }, /infra\.database\.minCapacityAcu: below 0\.5 only with instanceClass "serverless"/],
  ['a NAT instance that is not t4g', { infra: { vpc: { natProvider: 'instance', natInstanceType: 'm7g.large' } } }, /infra\.vpc\.natInstanceType: a t4g size/],
  ['office hours ending on other days', { officeHours: { enabled: true, start: '0 8 * * 1-5', end: '0 19 * * 1-4' } }, /officeHours\.end: must use the same days as officeHours\.start/],
  ['office hours not a weekly cron', { officeHours: { enabled: true, start: '0 8 1 * *' } }, /officeHours\.start: a cron "minute hour \* \* days"/],
  ['ACU range upside down', { infra: { database: { instanceClass: 'serverless', minCapacityAcu: 16, maxCapacityAcu: 4 } } }, /infra\.database\.minCapacityAcu: must be <= infra\.database\.maxCapacityAcu \(4\)/],
  ['admin ARN of another partition', { infra: { eks: { adminPrincipalArns: ['arn:aws-cn:iam::123456789012:role/admin'] } } }, /infra\.eks\.adminPrincipalArns\.0: must be an ARN of partition "aws"/],
  ['admin ARN of another account', { infra: { eks: { adminPrincipalArns: ['arn:aws:iam::210987654321:role/admin'] } } }, /adminPrincipalArns\.0: must belong to account 123456789012/],
])('%s is refused before synth, naming the field', (_label, override, message) => {
  expect(problems({ ...prod, ...override })).toMatch(message);
});

test('a China environment without the ECR mirror is refused', () => {
  const { images: _i, ...noMirror } = cn;
  expect(problems(noMirror)).toMatch(/images\.mirrorRegistry: required in aws-cn/);
});

test('npm run synth:infra with a bad --config exits 2 and writes no template', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'infra-bad-'));
  const file = path.join(dir, 'bad.json');
  fs.writeFileSync(file, JSON.stringify({ environments: [{ ...prod, infra: { vpc: { natGateways: 3 } } }] }));
  let status = 0;
  let stderr = '';
  try {
    execFileSync(process.execPath, [require.resolve('tsx/cli'), path.resolve('infra/bin/synth.ts'), '--config', file], { cwd: dir, stdio: 'pipe' });
  } catch (e) {
    status = (e as { status: number }).status;
    stderr = String((e as { stderr: Buffer }).stderr);
  }
  expect(status).toBe(2);
  expect(stderr).toMatch(/infra\.vpc\.natGateways: must be <=/);
  expect(fs.existsSync(path.join(dir, 'cdk.out'))).toBe(false);
});
