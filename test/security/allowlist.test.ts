import { applyAllowlist, parseAllowlist, type AllowlistEntry } from '../../security/allowlist';
import type { Finding } from '../../security/finding';

const REASON = 'Accepted for the test because nothing here is deployed anywhere.';

function finding(overrides: Partial<Finding> = {}): Finding {
  return {
    tool: 'checkov',
    file: 'dist/prod/airflow/worker.yaml',
    resource: 'Deployment.airflow.airflow-worker',
    checkId: 'CKV_K8S_43',
    checkName: 'Image should use digest',
    ...overrides,
  };
}

const entry: AllowlistEntry = {
  tool: 'checkov',
  check: 'CKV_K8S_43',
  files: ['dist/*/airflow/*.yaml'],
  resources: ['Deployment.airflow.airflow-worker', 'Deployment.airflow.airflow-scheduler'],
  reason: REASON,
};
const DIST = [{ tool: 'checkov' as const, root: 'dist' }];

describe('parseAllowlist', () => {
  test('accepts a well-formed entry', () => {
    const text = `entries:\n  - tool: checkov\n    check: CKV_K8S_43\n    files: [dist/*/airflow/*.yaml]\n    resources: [Deployment.airflow.airflow-worker]\n    reason: ${REASON}\n`;
    expect(parseAllowlist(text)).toEqual([{ ...entry, resources: ['Deployment.airflow.airflow-worker'] }]);
  });

  test.each([
    ['an empty reason', { reason: '' }],
    ['a blank reason', { reason: '                                        ' }],
    ['an unknown tool', { tool: 'trivy' }],
    ['a resource pattern of only wildcards', { resources: ['*'] }],
    ['a file pattern of only wildcards', { files: ['**/*'] }],
    ['no resources', { resources: [] }],
    ['an unknown field', { severity: 'low' }],
  ])('rejects %s', (_what, change) => {
    const text = JSON.stringify({ entries: [{ ...entry, ...change }] });
    expect(() => parseAllowlist(text)).toThrow(/invalid security allowlist/);
  });
});

describe('applyAllowlist', () => {
  test('a finding matching tool, check, file and resource is allowlisted', () => {
    const result = applyAllowlist([finding(), finding({ resource: 'Deployment.airflow.airflow-scheduler', file: 'dist/dev/airflow/scheduler.yaml' })], [entry], DIST);
    expect(result.allowlisted).toHaveLength(2);
    expect(result.unexpected).toEqual([]);
    expect(result.stale).toEqual([]);
  });

  test.each([
    ['another check', { checkId: 'CKV_K8S_16' }],
    ['another tool', { tool: 'cfn-lint' as const }],
    ['another resource', { resource: 'Deployment.airflow.airflow-api-server' }],
    ['a resource in another namespace', { resource: 'Deployment.other.airflow-worker' }],
    ['a file outside the glob', { file: 'test/security/fixtures/k8s/worker.yaml' }],
  ])('a finding with %s is unexpected', (_what, change) => {
    const f = finding(change);
    const result = applyAllowlist([finding(), finding({ resource: 'Deployment.airflow.airflow-scheduler' }), f], [entry], DIST);
    expect(result.unexpected).toEqual([f]);
  });

  test('an entry that accepts nothing is stale', () => {
    const result = applyAllowlist([finding({ checkId: 'CKV_K8S_16' })], [entry], DIST);
    expect(result.stale).toEqual([{ index: 0, entry, unusedPatterns: [...entry.files, ...entry.resources] }]);
  });

  test('a pattern inside an entry that accepts nothing is reported on its own', () => {
    const result = applyAllowlist([finding()], [entry], DIST);
    expect(result.stale).toEqual([{ index: 0, entry, unusedPatterns: ['Deployment.airflow.airflow-scheduler'] }]);
  });

  test('entries about files no scan covered are not judged stale', () => {
    const cfn: AllowlistEntry = { tool: 'cfn-lint', check: 'W3005', files: ['cdk.out/*.template.json'], resources: ['AWS::Lambda::Function.Handler*'], reason: REASON };
    expect(applyAllowlist([], [cfn], DIST).stale).toEqual([]);
    expect(applyAllowlist([], [cfn], [...DIST, { tool: 'cfn-lint', root: 'cdk.out' }]).stale).toHaveLength(1);
    expect(applyAllowlist([], [cfn], [{ tool: 'checkov', root: 'cdk.out' }]).stale).toEqual([]);
  });
});
