import type { EnvironmentConfig } from '../config';
import { AIRFLOW_DB_ROLE, DATABASES, PGBOUNCER_STATS_USER } from '../config';

/**
 * PgBouncer's configuration, written once and used twice: in the PgBouncer pods (the non-secret ini in a
 * ConfigMap, the upstream address and users in a Secret rendered by External Secrets) and by the local
 * runner (same text, loopback addresses).
 */

export interface PgBouncerIniOptions {
  /** Where PgBouncer listens. */
  readonly listenAddr: string;
  /** userlist.txt path. */
  readonly authFile: string;
  /** Path of the HBA file (pgbouncerHba()): who may log in to which database from where, and how. */
  readonly authHbaFile: string;
  /** File with `stats_users` and the `[databases]` section (it holds the upstream host, so it is secret). */
  readonly databasesFile: string;
  /** TLS mode towards the server; `verify-full` in the cluster and locally. */
  readonly serverTlsSslmode?: string;
  /** CA bundle the server certificate must chain to (the RDS bundle in the cluster, the local CA locally). */
  readonly serverTlsCaFile?: string;
  /** Unix socket dir ('' disables it). */
  readonly unixSocketDir?: string;
  readonly pidFile?: string;
  readonly logFile?: string;
}

export function pgbouncerIni(env: Pick<EnvironmentConfig, 'pgbouncer'>, o: PgBouncerIniOptions): string {
  const p = env.pgbouncer;
  const lines = [
    '[pgbouncer]',
    `listen_addr = ${o.listenAddr}`,
    `listen_port = ${p.port}`,
    `unix_socket_dir = ${o.unixSocketDir ?? ''}`,
    // Per-login rules (pgbouncerHba): SCRAM for Airflow and KEDA, a password-less loopback login for the exporter.
    'auth_type = hba',
    `auth_hba_file = ${o.authHbaFile}`,
    `auth_file = ${o.authFile}`,
    // Transaction pooling: Airflow's short transactions share few server connections.
    'pool_mode = transaction',
    // The API server's async engine (asyncpg) prepares named statements; in transaction pooling each
    // transaction may get another server connection, so PgBouncer must track and re-prepare them (>= 1.21).
    `max_prepared_statements = ${p.maxPreparedStatements}`,
    `max_client_conn = ${p.maxClientConn}`,
    `default_pool_size = ${p.metadataPoolSize}`,
    'min_pool_size = 0',
    'reserve_pool_size = 0',
    `max_db_connections = ${p.metadataPoolSize}`,
    'server_idle_timeout = 60',
    'server_lifetime = 3600',
    'server_connect_timeout = 10',
    `query_wait_timeout = ${p.queryWaitTimeoutSeconds}`,
    // Airflow 3 sessions can sit idle in a transaction while the same process waits for a second
    // connection; with every server connection pinned that way the pool deadlocks. Cut them loose.
    `idle_transaction_timeout = ${p.idleTransactionTimeoutSeconds}`,
    'ignore_startup_parameters = extra_float_digits',
    `server_tls_sslmode = ${o.serverTlsSslmode ?? p.serverTlsSslmode}`,
    ...(o.serverTlsCaFile ? [`server_tls_ca_file = ${o.serverTlsCaFile}`] : []),
    'log_connections = 0',
    'log_disconnections = 0',
    'stats_period = 60',
    ...(o.pidFile ? [`pidfile = ${o.pidFile}`] : []),
    ...(o.logFile ? [`logfile = ${o.logFile}`] : []),
    `%include ${o.databasesFile}`,
    '',
  ];
  return lines.join('\n');
}

/**
 * PgBouncer's HBA file (first matching line wins; no match = refused). Airflow and KEDA log in with the client
 * password (SCRAM) to the metadata database only. The metrics exporter logs in without a password, which
 * PgBouncer accepts only from 127.0.0.1 (the pod's own network namespace: PgBouncer and its exporter) and only
 * to the read-only `pgbouncer` console (it is in stats_users, not admin_users), so its connection URL is no
 * secret. PgBouncer 1.18 skips a line it cannot parse with only a warning (e.g. the address `all`): keep the
 * explicit CIDRs.
 */
export function pgbouncerHba(): string {
  return [
    `host pgbouncer ${PGBOUNCER_STATS_USER} 127.0.0.1/32 trust`,
    `host ${DATABASES.metadata} ${AIRFLOW_DB_ROLE} 0.0.0.0/0 scram-sha-256`,
    `host ${DATABASES.metadata} ${AIRFLOW_DB_ROLE} ::/0 scram-sha-256`,
    '',
  ].join('\n');
}

/** The exporter's connection URL: the stats login on the pod's loopback (no password, see pgbouncerHba). */
export function pgbouncerStatsUrl(env: Pick<EnvironmentConfig, 'pgbouncer'>): string {
  return `postgresql://${PGBOUNCER_STATS_USER}@127.0.0.1:${env.pgbouncer.port}/pgbouncer?sslmode=disable`;
}

export interface UpstreamDatabase {
  readonly host: string;
  readonly port: string;
  readonly dbname: string;
  /** The login PgBouncer uses towards the database (the current rotation login), and its password. */
  readonly user: string;
  readonly password: string;
}

/**
 * `stats_users` and `[databases]`: the metadata database. Every server connection logs in with the rotated
 * login given here, whatever client asked, and takes the owner role: clients never hold the rotated password,
 * so a rotation never leaves them disagreeing with PgBouncer.
 */
export function pgbouncerDatabasesIni(env: Pick<EnvironmentConfig, 'pgbouncer'>, up: UpstreamDatabase): string {
  const p = env.pgbouncer;
  const target = `host=${up.host} port=${up.port} dbname=${up.dbname} user=${up.user} password='${up.password}' connect_query='SET ROLE ${AIRFLOW_DB_ROLE}'`;
  return [
    `stats_users = ${PGBOUNCER_STATS_USER}`,
    '[databases]',
    `${DATABASES.metadata} = ${target} pool_size=${p.metadataPoolSize}`,
    '',
  ].join('\n');
}

/** One userlist.txt line (PgBouncer hashes plain passwords for SCRAM itself). */
export function pgbouncerUserlistLine(user: string, password: string): string {
  return `"${user}" "${password}"\n`;
}

/**
 * userlist.txt: the client login, and the stats login with an empty password. PgBouncer's `trust` HBA method
 * still requires the user to be listed (measured on 1.18: "trust" authentication failed otherwise). The HBA file
 * gives this user no password method, and PgBouncer also refuses an empty stored password, so the entry is
 * usable only through the loopback trust line.
 */
export function pgbouncerUserlist(clientPassword: string): string {
  return pgbouncerUserlistLine(AIRFLOW_DB_ROLE, clientPassword) + pgbouncerUserlistLine(PGBOUNCER_STATS_USER, '');
}

/** The RDS CA bundle of the environment's region, from the RDS trust store of its partition (public, no credentials). */
export function rdsCaBundleUrl(env: Pick<EnvironmentConfig, 'pgbouncer' | 'aws'>): string {
  if (env.pgbouncer.rdsCaBundleUrl) return env.pgbouncer.rdsCaBundleUrl;
  const r = env.aws.region;
  return env.aws.partition === 'aws-cn'
    ? `https://rds-truststore.s3.cn-north-1.amazonaws.com.cn/${r}/${r}-bundle.pem`
    : `https://truststore.pki.rds.amazonaws.com/${r}/${r}-bundle.pem`;
}
