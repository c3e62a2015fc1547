import { globMatch, globToRegExp } from '../../security/glob';

describe('globMatch', () => {
  test.each([
    ['dist/*/airflow/*.yaml', 'dist/prod/airflow/worker.yaml', true],
    ['dist/*/airflow/*.yaml', 'dist/prod/airflow/sub/worker.yaml', false],
    ['dist/**/worker.yaml', 'dist/prod/airflow/worker.yaml', true],
    ['dist/*/logging/fluent-bit.yaml', 'dist/prod/logging/fluent-bit.yaml.bak', false],
    ['Deployment.airflow.airflow-worker', 'Deployment.airflow.airflow-worker', true],
    ['Deployment.airflow.airflow-worker', 'DeploymentXairflowXairflow-worker', false],
    ['AWS::Lambda::Function.SecretFieldsHandler*', 'AWS::Lambda::Function.SecretFieldsHandler6A694F15', true],
    ['AWS::Lambda::Function.SecretFieldsHandler*', 'AWS::Lambda::Function.OtherHandler6A694F15', false],
    ['cdk.out/airflow-eks-?ev.template.json', 'cdk.out/airflow-eks-dev.template.json', true],
  ])('%s ~ %s is %s', (pattern, value, expected) => {
    expect(globMatch(pattern, value)).toBe(expected);
  });

  test('regular-expression characters in a pattern are literal', () => {
    expect(globToRegExp('a+b(c)[d]$').test('a+b(c)[d]$')).toBe(true);
    expect(globToRegExp('a.b').test('aXb')).toBe(false);
  });
});
