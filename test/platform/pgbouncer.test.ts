import { environment, find, render } from '../support/render';

describe('PgBouncer', () => {
  const env = environment('prod', { pgbouncer: { metadataPoolSize: 17, resultBackendPoolSize: 3, maxClientConn: 777, serverTlsSslmode: 'verify-full', replicas: 3 } });
  const objs = render([env]);
  const ini: string = find(objs, 'ConfigMap', 'pgbouncer').data!['pgbouncer.ini'];
  const secret = find(objs, 'ExternalSecret', 'pgbouncer-config');

  test('transaction pooling with the configured limits and TLS to Aurora', () => {
    expect(ini).toMatch(/^pool_mode = transaction$/m);
    expect(ini).toMatch(/^max_client_conn = 777$/m);
    expect(ini).toMatch(/^default_pool_size = 17$/m);
    expect(ini).toMatch(/^max_db_connections = 20$/m);
    expect(ini).toMatch(/^server_tls_sslmode = verify-full$/m);
    expect(ini).toMatch(/^server_tls_ca_file = \/etc\/pgbouncer-ca\/rds-ca\.pem$/m);
    expect(ini).toMatch(/^auth_type = scram-sha-256$/m);
    expect(ini).toMatch(/^listen_port = 6432$/m);
  });

  test('upstream address and users come from Secrets Manager through the ExternalSecret, with separate pools per alias', () => {
    expect(ini).toMatch(/^%include \/etc\/pgbouncer-secret\/databases\.ini$/m);
    const t = secret.spec.target.template.data;
    expect(t['databases.ini']).toContain('airflow = host={{ .host }} port={{ .port }} dbname={{ .dbname }} pool_size=17');
    expect(t['databases.ini']).toContain('airflow_result = host={{ .host }} port={{ .port }} dbname={{ .dbname }} pool_size=3');
    expect(t['userlist.txt']).toBe('"{{ .username }}" "{{ .password }}"\n');
    expect(secret.spec.dataFrom).toEqual([{ extract: { key: 'airflow-eks/prod/metadata-db' } }]);
  });

  test('HA: replicas from config, zone spread, PDB, exporter sidecar', () => {
    const d = find(objs, 'Deployment', 'pgbouncer');
    expect(d.spec.replicas).toBe(3);
    expect(d.spec.template.spec.containers.map((c: any) => c.name)).toEqual(['pgbouncer', 'metrics-exporter']);
    expect(find(objs, 'PodDisruptionBudget', 'pgbouncer').spec.maxUnavailable).toBe(1);
  });

  test('Airflow reaches the database through PgBouncer aliases, never the upstream host', () => {
    const t = find(objs, 'ExternalSecret', 'airflow-metadata').spec.target.template.data;
    expect(t['sql-alchemy-conn']).toMatch(/^postgresql\+psycopg2:\/\/.*@pgbouncer\.airflow\.svc\.cluster\.local:6432\/airflow$/);
    // The Celery result backend is Redis (airflow-broker): workers hold no database URL.
    expect(t['result-backend']).toBeUndefined();
    expect(find(objs, 'ExternalSecret', 'airflow-broker').spec.target.template.data['result-backend']).toMatch(/^rediss:\/\/:.*\/1\?ssl_cert_reqs=required$/);
    expect(JSON.stringify(t)).not.toContain('{{ .host }}');
  });

  test('verify-full by default, against the RDS CA bundle of the partition fetched before PgBouncer starts', () => {
    for (const [name, url] of [
      ['prod', 'https://truststore.pki.rds.amazonaws.com/us-east-1/us-east-1-bundle.pem'],
      ['prod-cn', 'https://rds-truststore.s3.cn-north-1.amazonaws.com.cn/cn-north-1/cn-north-1-bundle.pem'],
    ]) {
      const o = render([environment(name)]);
      expect(find(o, 'ConfigMap', 'pgbouncer', name).data!['pgbouncer.ini']).toMatch(/^server_tls_sslmode = verify-full$/m);
      const spec = find(o, 'Deployment', 'pgbouncer', name).spec.template.spec;
      const [init] = spec.initContainers;
      expect(init.command[2]).toContain(`'${url}' -o /etc/pgbouncer-ca/rds-ca.pem.tmp`);
      expect(init.volumeMounts).toEqual([{ name: 'server-ca', mountPath: '/etc/pgbouncer-ca' }]);
      expect(spec.containers[0].volumeMounts).toContainEqual({ name: 'server-ca', mountPath: '/etc/pgbouncer-ca', readOnly: true });
    }
    expect(() => environment('prod', { pgbouncer: { serverTlsSslmode: 'disable' as never } })).toThrow(/pgbouncer\.serverTlsSslmode/);
  });
});
