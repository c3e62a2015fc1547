import { airflowEnvironment, kubernetesEndpoints } from '../../manifests-src/airflow/airflow-settings';
import { SECRET_SETTINGS } from '../../manifests-src/config';
import { environment, find, podSpecOf, render } from '../support/render';

describe('shared Airflow configuration', () => {
  const prod = environment('prod');
  const objs = render([prod]);
  const config = find(objs, 'ConfigMap', 'airflow-config');

  test('the ConfigMap holds no secret setting, neither as a value nor as a command that reads one', () => {
    const keys = Object.keys(config.data!);
    for (const { option } of Object.values(SECRET_SETTINGS)) {
      if (option) expect(keys.filter((k) => k === option || k === `${option}_CMD` || k === `${option}_SECRET`)).toEqual([]);
    }
  });

  test('the ConfigMap is derived from the config: changing one field moves exactly its setting', () => {
    const parallelism = prod.airflow.parallelism + 7;
    const changed = find(render([environment('prod', { airflow: { parallelism } })]), 'ConfigMap', 'airflow-config').data!;
    const moved = [...new Set([...Object.keys(config.data!), ...Object.keys(changed)])].filter((k) => config.data![k] !== changed[k]);
    expect(moved).toEqual(['AIRFLOW__CORE__PARALLELISM']);
    expect(changed.AIRFLOW__CORE__PARALLELISM).toBe(String(parallelism));
  });

  test('CeleryExecutor, FAB auth, Task Execution API on the api-server Service, StatsD on', () => {
    expect(config.data).toMatchObject({
      AIRFLOW__CORE__EXECUTOR: 'CeleryExecutor',
      AIRFLOW__CORE__AUTH_MANAGER: expect.stringContaining('FabAuthManager'),
      AIRFLOW__CORE__EXECUTION_API_SERVER_URL: 'http://airflow-api-server.airflow.svc.cluster.local:8080/execution/',
      AIRFLOW__METRICS__STATSD_ON: 'True',
      AIRFLOW__CORE__PARALLELISM: String(prod.airflow.parallelism),
    });
  });

  test('remote task logs go to CloudWatch in the environment partition', () => {
    expect(config.data!.AIRFLOW__LOGGING__REMOTE_LOGGING).toBe('True');
    expect(config.data!.AIRFLOW__LOGGING__REMOTE_BASE_LOG_FOLDER).toBe('cloudwatch://arn:aws:logs:us-east-1:123456789012:log-group:/airflow-eks/prod/tasks');
    const cn = environment('prod-cn');
    expect(airflowEnvironment(cn, kubernetesEndpoints(cn)).plain.AIRFLOW__LOGGING__REMOTE_BASE_LOG_FOLDER).toMatch(/^cloudwatch:\/\/arn:aws-cn:logs:cn-north-1:/);
    const s3 = environment('prod', { logging: { remoteTaskLogs: 's3', s3Bucket: 'my-logs' } });
    expect(airflowEnvironment(s3, kubernetesEndpoints(s3)).plain.AIRFLOW__LOGGING__REMOTE_BASE_LOG_FOLDER).toBe('s3://my-logs/task-logs');
  });

  test('no Airflow container gets a secret through an environment variable', () => {
    for (const name of ['airflow-api-server', 'airflow-scheduler', 'airflow-dag-processor', 'airflow-triggerer', 'airflow-worker']) {
      const c = podSpecOf(find(objs, 'Deployment', name))!.containers[0];
      expect([name, c.env.filter((e: any) => e.valueFrom).map((e: any) => e.name)]).toEqual([name, []]);
      expect(c.envFrom).toEqual([{ configMapRef: { name: 'airflow-config' } }]);
    }
  });

  test('pods roll when settings change (checksum) and when a referenced Secret changes (Reloader)', () => {
    const sched = find(objs, 'Deployment', 'airflow-scheduler');
    const before = sched.spec.template.metadata.annotations['airflow-eks/config-checksum'];
    const changed = find(render([environment('prod', { airflow: { parallelism: 99 } })]), 'Deployment', 'airflow-scheduler');
    expect(changed.spec.template.metadata.annotations['airflow-eks/config-checksum']).not.toBe(before);
    expect(sched.metadata.annotations?.['secret.reloader.stakater.com/reload']).toBe('airflow-broker,airflow-fernet-key,airflow-jwt-signing-key,airflow-metadata');
    // Workers mount no database secret, Fernet key, JWT secret or admin password: changing those does not roll them.
    expect(find(objs, 'Deployment', 'airflow-worker').metadata.annotations?.['secret.reloader.stakater.com/reload']).toBe('airflow-api-secret-key,airflow-broker,airflow-git');
  });

  test('the Fernet key, API secret key and admin password come from one fixed Secrets Manager secret, one Secret each', () => {
    const secrets = objs.map((o) => o.obj).filter((o) => o.kind === 'ExternalSecret' && o.spec.data?.some((d: any) => d.remoteRef.key === 'airflow-eks/prod/airflow'));
    expect(secrets.map((es) => [es.spec.target.name, es.spec.data.map((d: any) => [d.secretKey, d.remoteRef.key, d.remoteRef.property])])).toEqual([
      ['airflow-fernet-key', [['fernet-key', 'airflow-eks/prod/airflow', 'fernetKey']]],
      ['airflow-api-secret-key', [['api-secret-key', 'airflow-eks/prod/airflow', 'apiSecretKey']]],
      ['airflow-admin-password', [['admin-password', 'airflow-eks/prod/airflow', 'adminPassword']]],
    ]);
    for (const es of secrets) expect(es.spec.target).toMatchObject({ creationPolicy: 'Owner', deletionPolicy: 'Retain' });
  });
});
