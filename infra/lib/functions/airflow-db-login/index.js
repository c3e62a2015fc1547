'use strict';
/**
 * CloudFormation custom resource: makes the login in the `airflow-db` secret real in Aurora, with the master
 * credentials (which the cluster never gets).
 *   MasterSecretId  the Aurora master secret (username, password, host, port, dbname)
 *   LoginSecretId   Airflow's own login (username, password, host, port, dbname; rotated by ../airflow-db-rotation)
 *   Role            the role that owns the schema (contract AIRFLOW_DB_ROLE)
 * Idempotent, and safe after rotations: the secret's current login (the role itself or its `_clone`) is the truth;
 * it is created or given the secret's password, the role owns the database, the clone is a member of the role.
 * Delete keeps everything (the data outlives the stack). Bundled with its PostgreSQL driver at synth.
 */
// Bundled in at synth (esbuild follows the relative require): one implementation of the response protocol.
const { respond } = require('../secret-fields/index.js');

/** A PostgreSQL identifier, double-quoted. */
function ident(name) {
  return `"${String(name).replace(/"/g, '""')}"`;
}

/** A PostgreSQL string literal (DDL such as ALTER ROLE ... PASSWORD takes no bind parameters). */
function literal(value) {
  return `'${String(value).replace(/'/g, "''")}'`;
}

/** The statements that make `login` (the role or its clone) log in with `password` and own `dbname` through `role`. */
function loginStatements({ role, login, password, dbname, loginExists, roleExists, serverVersionNum }) {
  const out = [];
  if (login !== role && !roleExists) out.push(`CREATE ROLE ${ident(role)} NOLOGIN`);
  out.push(loginExists ? `ALTER ROLE ${ident(login)} WITH LOGIN PASSWORD ${literal(password)}` : `CREATE ROLE ${ident(login)} WITH LOGIN PASSWORD ${literal(password)}`);
  if (login !== role) out.push(`GRANT ${ident(role)} TO ${ident(login)}`);
  // The master must be able to SET ROLE to the new owner (PostgreSQL 16 gives a role's creator ADMIN only).
  out.push(`GRANT ${ident(role)} TO CURRENT_USER`);
  out.push(`ALTER DATABASE ${ident(dbname)} OWNER TO ${ident(role)}`);
  // PostgreSQL 15+: `public` belongs to pg_database_owner, which is now the role; older engines need the grant.
  if (serverVersionNum < 150000) out.push(`GRANT ALL ON SCHEMA public TO ${ident(role)}`);
  return out;
}

/** Connects with `creds` over TLS (`tls`: the driver's TLS options; default: verified against the system's CAs). */
async function withClient(pg, creds, database, tls, fn) {
  const client = new pg.Client({
    host: creds.host,
    port: Number(creds.port),
    user: creds.username,
    password: creds.password,
    database,
    ssl: { rejectUnauthorized: true, ...(tls || {}) },
    connectionTimeoutMillis: 10_000,
  });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * The whole job, given the two secrets' values: used by the Lambda and, unchanged, by the local cluster's bootstrap.
 * Returns the statements it ran with the password masked (for the log).
 */
async function ensureLogin({ pg, master, login, role, tls }) {
  const dbname = login.dbname;
  return withClient(pg || require('pg'), master, dbname, tls, async (c) => {
    const exists = async (name) => (await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name])).rowCount > 0;
    const serverVersionNum = Number((await c.query('SHOW server_version_num')).rows[0].server_version_num);
    const statements = loginStatements({ role, login: login.username, password: login.password, dbname, loginExists: await exists(login.username), roleExists: await exists(role), serverVersionNum });
    for (const s of statements) await c.query(s);
    return statements.map((s) => s.replace(/PASSWORD '(?:[^']|'')*'/, "PASSWORD '***'"));
  });
}

const physicalId = (event) => `${event.ResourceProperties.LoginSecretId}#${event.ResourceProperties.Role}`;

exports.handler = async (event) => {
  try {
    if (event.RequestType !== 'Delete') {
      const sm = require('@aws-sdk/client-secrets-manager');
      const client = new sm.SecretsManagerClient({});
      const read = async (SecretId) => JSON.parse((await client.send(new sm.GetSecretValueCommand({ SecretId }))).SecretString);
      const { MasterSecretId, LoginSecretId, Role } = event.ResourceProperties;
      const ran = await ensureLogin({ master: await read(MasterSecretId), login: await read(LoginSecretId), role: Role });
      console.log(JSON.stringify({ ran }));
    }
    await respond(event, 'SUCCESS', 'ok', physicalId(event));
  } catch (e) {
    console.error(e);
    await respond(event, 'FAILED', String(e && e.message ? e.message : e).slice(0, 500), physicalId(event));
  }
};

exports.ensureLogin = ensureLogin;
exports.withClient = withClient;
exports.loginStatements = loginStatements;
