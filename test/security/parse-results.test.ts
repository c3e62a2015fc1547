import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCfnLintJson, parseCheckovJson, repoPath } from '../../security/scanners';
import { groupOf } from '../../security/security-scan';

const ROOT = join(tmpdir(), 'repo');

describe('repoPath', () => {
  test('checkov prints paths relative to its working directory with a leading slash', () => {
    expect(repoPath(ROOT, '/dist/prod/airflow/worker.yaml')).toBe('dist/prod/airflow/worker.yaml');
  });
  test('absolute paths under the root become relative', () => {
    expect(repoPath(ROOT, join(ROOT, 'cdk.out', 'a.template.json'))).toBe('cdk.out/a.template.json');
  });
});

describe('parseCheckovJson', () => {
  const check = (id: string, file: string, resource = 'Deployment.airflow.airflow-worker') => ({ check_id: id, check_name: `name of ${id}`, file_path: file, resource });

  test('counts passes per file and turns failures into findings', () => {
    const report = {
      check_type: 'kubernetes',
      results: {
        passed_checks: [check('CKV_K8S_1', '/dist/dev/a.yaml'), check('CKV_K8S_2', '/dist/dev/a.yaml'), check('CKV_K8S_1', '/dist/prod/a.yaml')],
        failed_checks: [check('CKV_K8S_43', '/dist/dev/a.yaml'), check('CKV_K8S_43', '/dist/prod/b.yaml')],
        parsing_errors: [],
      },
      summary: { parsing_errors: 0 },
    };
    const { passedByFile, findings } = parseCheckovJson(ROOT, report);
    expect(Object.fromEntries(passedByFile)).toEqual({ 'dist/dev/a.yaml': 2, 'dist/prod/a.yaml': 1, 'dist/prod/b.yaml': 0 });
    expect(findings).toEqual([
      { tool: 'checkov', file: 'dist/dev/a.yaml', resource: 'Deployment.airflow.airflow-worker', checkId: 'CKV_K8S_43', checkName: 'name of CKV_K8S_43' },
      { tool: 'checkov', file: 'dist/prod/b.yaml', resource: 'Deployment.airflow.airflow-worker', checkId: 'CKV_K8S_43', checkName: 'name of CKV_K8S_43' },
    ]);
  });

  test('reads an array of reports (several frameworks) and a bare summary (nothing scanned)', () => {
    const one = { check_type: 'kubernetes', results: { failed_checks: [check('CKV_K8S_16', '/x.yaml')] }, summary: { parsing_errors: 0 } };
    expect(parseCheckovJson(ROOT, [one, one]).findings).toHaveLength(2);
    expect(parseCheckovJson(ROOT, { passed: 0, failed: 0, resource_count: 0 }).findings).toEqual([]);
  });

  test('a file checkov could not parse is an error, not a silent pass', () => {
    const report = { check_type: 'kubernetes', results: { parsing_errors: [join(ROOT, 'dist/dev/broken.yaml')] }, summary: { parsing_errors: 1 } };
    expect(() => parseCheckovJson(ROOT, report)).toThrow(/dist\/dev\/broken.yaml/);
  });
});

describe('parseCfnLintJson', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'cfn-parse-'));
    mkdirSync(join(root, 'cdk.out'));
    const template = { Parameters: { P: { Type: 'String' } }, Resources: { Fn1234ABCD: { Type: 'AWS::Lambda::Function' } } };
    writeFileSync(join(root, 'cdk.out', 'a.template.json'), JSON.stringify(template));
    writeFileSync(join(root, 'cdk.out', 'b.template.json'), JSON.stringify(template));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const match = (level: string, id: string, path: (string | number)[]) => ({
    Filename: 'cdk.out/a.template.json',
    Level: level,
    Location: { Path: path },
    Message: `message ${id}`,
    Rule: { Id: id, ShortDescription: id },
  });

  test('names resources by type and logical id, sections by section and key; skips informational hints', () => {
    const json = [
      match('Warning', 'W3005', ['Resources', 'Fn1234ABCD', 'DependsOn', 0]),
      match('Warning', 'W2001', ['Parameters', 'P']),
      match('Informational', 'I3042', ['Resources', 'Fn1234ABCD']),
    ];
    const { findings, passedByFile } = parseCfnLintJson(root, json, ['cdk.out/a.template.json', 'cdk.out/b.template.json']);
    expect(findings.map((f) => [f.checkId, f.file, f.resource])).toEqual([
      ['W3005', 'cdk.out/a.template.json', 'AWS::Lambda::Function.Fn1234ABCD'],
      ['W2001', 'cdk.out/a.template.json', 'Parameters.P'],
    ]);
    expect(Object.fromEntries(passedByFile)).toEqual({ 'cdk.out/a.template.json': 0, 'cdk.out/b.template.json': 1 });
  });
});

describe('groupOf', () => {
  test('groups manifests by environment folder and templates by file', () => {
    expect(groupOf('dist/prod-cn/airflow/worker.yaml', ['dist'])).toBe('dist/prod-cn');
    expect(groupOf('cdk.out/airflow-eks-prod.template.json', ['dist'])).toBe('cdk.out/airflow-eks-prod.template.json');
  });
});
