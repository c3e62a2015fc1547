import { environment, find, render } from '../support/render';

describe('PgBouncer', () => {
  const env = environment('prod', { pgbouncer: { metadataPoolSize: 17, maxClientConn: 777, serverTlsSslmode: 'verify-full', replicas: 3 } });
  const objs = render([env]);
  const ini: string = find(objs, 'ConfigMap', 'pgbouncer').data!['pgbouncer.ini'];
  const secret = find(objs, 'ExternalSecret', 'airflow-metadata');

  test('transaction pooling with the configured limits and TLS to Aurora', () => {
    expect(ini).toMatch(/^pool_mode = transaction$/m);
    expect(ini).toMatch(/^max_client_conn = 777$/m);
    expect(ini).toMatch(/^default_pool_size = 17$/m);
    expect(ini).toMatch(/^max_db_connections = 17$/m);
    expect(ini).toMatch(/^server_tls_sslmode = verify-full$/m);
    expect(ini).toMatch(/^server_tls_ca_file = \/etc\/pgbouncer-ca\/rds-ca\.pem$/m);
    expect(ini).toMatch(/^auth_type = hba$/m);
    expect(ini).toMatch(/^auth_hba_file = \/etc\/pgbouncer\/pgbouncer_hba\.conf$/m);
    expect(ini).toMatch(/^listen_port = 6432$/m);
  });

  test('upstream address and login come from Airflow\'s own database secret through the one ExternalSecret', () => {
    expect(ini).toMatch(/^%include \/etc\/pgbouncer-secret\/databases\.ini$/m);
    const t = secret.spec.target.template.data;
    const upstream = "host={{ .host }} port={{ .port }} dbname={{ .dbname }} user={{ .username }} password='{{ .password }}' connect_query='SET ROLE airflow'";
    expect(t['databases.ini']).toBe(`stats_users = pgbouncer_exporter\n[databases]\nairflow = ${upstream} pool_size=17\n`);
    // Clients present the fixed client password; the rotated one is only PgBouncer's (and the migration's).
    expect(t['userlist.txt']).toBe('"airflow" "{{ .clientPassword }}"\n"pgbouncer_exporter" ""\n');
    expect(secret.spec.dataFrom).toEqual([{ extract: { key: 'airflow-eks/prod/airflow-db' } }]);
    // One ExternalSecret renders every value derived from the database secret.
    const readers = objs.filter((o) => o.env === 'prod' && o.obj.kind === 'ExternalSecret' && JSON.stringify(o.obj.spec).includes('airflow-db'));
    expect(readers.map((o) => o.obj.metadata.name)).toEqual(['airflow-metadata']);
  });

  test('a rotation changes nothing a client holds: client URLs carry only the client password', () => {
    const t = secret.spec.target.template.data;
    for (const k of ['sql-alchemy-conn', 'keda-connection', 'userlist.txt']) {
      expect(t[k]).not.toMatch(/\.password|\.username/);
      expect(t[k]).toContain('.clientPassword');
    }
  });

  test('the migration reaches the database directly as the owner role, with the TLS mode and CA bundle PgBouncer uses', () => {
    const t = secret.spec.target.template.data;
    expect(t['migrate-sql-alchemy-conn']).toBe(
      'postgresql+psycopg2://{{ .username | urlquery }}:{{ .password | urlquery }}@{{ .host }}:{{ .port }}/{{ .dbname }}?sslmode=verify-full&sslrootcert=%2Fetc%2Fpgbouncer-ca%2Frds-ca.pem&options=-c%20role%3Dairflow',
    );
    const spec = find(objs, 'Job', 'airflow-migrate').spec.template.spec;
    const [migrate] = spec.containers;
    // Its only database URL is the direct one, read from its secret file.
    expect(migrate.env.filter((e: any) => e.name.startsWith('AIRFLOW__DATABASE__SQL_ALCHEMY_CONN'))).toEqual([
      { name: 'AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD', value: 'cat /opt/airflow/secrets/airflow/migrate-sql-alchemy-conn' },
    ]);
    const files = spec.volumes.find((v: any) => v.name === 'airflow-secrets').projected.sources.flatMap((s: any) => s.secret.items.map((i: any) => `${s.secret.name}/${i.key}`));
    expect(files).toContain('airflow-metadata/migrate-sql-alchemy-conn');
    expect(files).not.toContain('airflow-metadata/sql-alchemy-conn');
    // The CA bundle the URL names is fetched before the migration starts, as for PgBouncer.
    expect(spec.initContainers.map((c: any) => c.name)).toEqual(['fetch-rds-ca']);
    expect(migrate.volumeMounts).toContainEqual({ name: 'server-ca', mountPath: '/etc/pgbouncer-ca', readOnly: true });
  });

  test('PgBouncer mounts only its two files of the shared Secret', () => {
    const d = find(objs, 'Deployment', 'pgbouncer');
    const vol = d.spec.template.spec.volumes.find((v: any) => v.name === 'secret');
    expect(vol.secret.secretName).toBe('airflow-metadata');
    expect(vol.secret.items.map((i: any) => i.key)).toEqual(['userlist.txt', 'databases.ini']);
  });

  test('HBA rules: Airflow and KEDA by SCRAM to the metadata database; the exporter without a password, from loopback, to the console only', () => {
    const hba: string = find(objs, 'ConfigMap', 'pgbouncer').data!['pgbouncer_hba.conf'];
    expect(hba.trim().split('\n')).toEqual([
      'host pgbouncer pgbouncer_exporter 127.0.0.1/32 trust',
      'host airflow airflow 0.0.0.0/0 scram-sha-256',
      'host airflow airflow ::/0 scram-sha-256',
    ]);
    // The exporter gets no secret and no environment: its args carry the password-less loopback URL.
    const exporter = find(objs, 'Deployment', 'pgbouncer').spec.template.spec.containers.find((c: any) => c.name === 'metrics-exporter');
    expect(exporter.env).toBeUndefined();
    expect(exporter.args).toEqual(['--web.listen-address=:9127', '--web.telemetry-path=/metrics', '--database-url=postgresql://pgbouncer_exporter@127.0.0.1:6432/pgbouncer?sslmode=disable', 'server']);
    expect(secret.spec.target.template.data['exporter-url']).toBeUndefined();
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
    // Only PgBouncer's upstream file and the migration's direct URL name the database host.
    for (const [k, v] of Object.entries(t as Record<string, string>)) if (!['databases.ini', 'migrate-sql-alchemy-conn'].includes(k)) expect(v).not.toContain('{{ .host }}');
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
