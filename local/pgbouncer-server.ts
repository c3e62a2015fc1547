import * as fs from 'node:fs';
import * as path from 'node:path';
import { K8S_SECRETS } from '../manifests-src/config';
import { pgbouncerHba, pgbouncerIni } from '../manifests-src/platform/pgbouncer-config';
import { pgbouncerCommand, pgbouncerRoot } from './pgbouncer-root';
import { chownToServerUser, SERVER_USER } from './postgres-server';
import { LOOPBACK, portInUse } from './ports';
import { localSecretValues, withLocalPorts } from './settings';
import type { StackContext } from './stack-options';

/**
 * PgBouncer at the version dist/ ships (local/pgbouncer-root.ts) with the ini and HBA rules dist/ ships, TLS mode
 * included (verify-full): the local CA stands in for the RDS CA bundle.
 */

const dirOf = (ctx: StackContext) => path.join(ctx.paths.state, 'pgbouncer');

/** Every Secret dist/ references, rendered from the stack's current values with the same templates. */
export function renderedSecrets(ctx: StackContext): Record<string, Record<string, string>> {
  return localSecretValues(withLocalPorts(ctx.env, ctx.ports), ctx.ports, ctx.paths, ctx.secrets);
}

export async function startPgBouncer(ctx: StackContext): Promise<void> {
  const dir = dirOf(ctx);
  fs.mkdirSync(dir, { recursive: true });
  const { auth, dbs } = writePgBouncerSecretFiles(ctx);
  const hba = path.join(dir, 'pgbouncer_hba.conf');
  fs.writeFileSync(hba, pgbouncerHba());
  const ini = pgbouncerIni(withLocalPorts(ctx.env, ctx.ports), { listenAddr: LOOPBACK, authFile: auth, authHbaFile: hba, databasesFile: dbs, serverTlsCaFile: ctx.paths.caCert, unixSocketDir: '' });
  fs.writeFileSync(path.join(dir, 'pgbouncer.ini'), ini);
  chownToServerUser(dir);
  // The version images.pgbouncer pins (the image dist/ ships), not the host's Debian package.
  const { command, args } = pgbouncerCommand(pgbouncerRoot(ctx.env), path.join(dir, 'pgbouncer.ini'));
  ctx.supervisor.spawn('pgbouncer', { command, args, env: process.env, runAsUser: SERVER_USER });
  await ctx.supervisor.waitFor('pgbouncer', () => portInUse(ctx.ports.pgbouncer), 30_000);
}

/** PgBouncer's files of the `airflow-metadata` Secret, as the pod mounts them (rendered from the current values). */
export function writePgBouncerSecretFiles(ctx: StackContext): { auth: string; dbs: string } {
  const dir = dirOf(ctx);
  const values = renderedSecrets(ctx)[K8S_SECRETS.metadata.name];
  const keys = K8S_SECRETS.metadata.keys;
  const auth = path.join(dir, keys.pgbouncerUserlist);
  const dbs = path.join(dir, keys.pgbouncerDatabases);
  fs.writeFileSync(auth, values[keys.pgbouncerUserlist], { mode: 0o600 });
  fs.writeFileSync(dbs, values[keys.pgbouncerDatabases], { mode: 0o600 });
  chownToServerUser(dir);
  return { auth, dbs };
}
