import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { loadEnvironments } from '../../manifests-src/config';
import { ACCEPTED_FINDINGS, AcceptedFindingsChecks, unusedAcceptedFindings, type AcceptedFinding } from '../../infra/lib/nag-suppressions';

/** A one-queue app: the queue has no dead-letter queue (SQS3) and does not enforce TLS (SQS4). */
function synthQueue(accepted: readonly AcceptedFinding[]): { nag: AcceptedFindingsChecks; error?: string } {
  const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'nag-')) });
  new sqs.Queue(new Stack(app, 'Probe'), 'Queue');
  const nag = new AcceptedFindingsChecks(accepted);
  Validations.of(app).addPlugins(nag);
  try {
    app.synth();
    return { nag };
  } catch (e) {
    return { nag, error: (e as Error).message };
  }
}

const envs = loadEnvironments();
const dlq: AcceptedFinding = { rule: 'AwsSolutions-SQS3', path: /^Queue\//, reason: 'test' };
const tls: AcceptedFinding = { rule: 'AwsSolutions-SQS4', path: /^Queue\//, reason: 'test' };
const nothing: AcceptedFinding = { rule: 'AwsSolutions-RDS6', path: /^MetadataDb\//, reason: 'test' };

test('a finding the table does not accept fails synth; accepted ones are counted per stack', () => {
  const { nag, error } = synthQueue([dlq]);
  expect(error).toMatch(/does not require requests to use SSL[\s\S]*Probe\/Queue\/Resource/);
  expect(nag.outcome.acknowledged).toEqual({ Probe: { 'AwsSolutions-SQS3': 1 } });
});

test('when the table accepts every finding, synth passes', () => {
  const { nag, error } = synthQueue([dlq, tls]);
  expect(error).toBeUndefined();
  expect(nag.outcome.uses).toEqual([1, 1]);
});

test('an acknowledgement that accepts no finding is reported as unused, naming the entry and the file', () => {
  const { nag, error } = synthQueue([dlq, tls, nothing]);
  expect(error).toBeUndefined();
  expect(unusedAcceptedFindings(nag.outcome, envs, [dlq, tls, nothing])).toEqual([
    'AwsSolutions-RDS6 on /^MetadataDb\\//: accepts no finding any more; remove it from infra/lib/nag-suppressions.ts',
  ]);
  // Unless it serves a config none of the synthesized environments has.
  const onlyWithEndpoints = { ...nothing, when: (e: { infra: { vpc: { interfaceEndpoints: boolean } } }) => e.infra.vpc.interfaceEndpoints };
  expect(envs.some((e) => e.infra.vpc.interfaceEndpoints)).toBe(false);
  expect(unusedAcceptedFindings(nag.outcome, envs, [dlq, tls, onlyWithEndpoints])).toEqual([]);
});

test('every entry of the real table carries a reason', () => {
  for (const a of ACCEPTED_FINDINGS) expect({ rule: a.rule, reason: a.reason.length > 20 }).toEqual({ rule: a.rule, reason: true });
});
