import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadEnvironments } from '../manifests-src/config';
import { pgbouncerBinary, pgbouncerRoot } from './pgbouncer-root';

/** Where the runner finds its programs; checked before anything starts, so a missing one is a clear message. */

export const PROJECT_ROOT = path.resolve(__dirname, '..');
export const VENV_BIN = path.join(PROJECT_ROOT, '.venv', 'airflow', 'bin');
export const TOOLS_BIN = path.join(PROJECT_ROOT, '.venv', 'local-tools', 'bin');
export const PG_BIN = '/usr/lib/postgresql/15/bin';

const AIRFLOW_VENV = 'the Airflow venv from requirements/airflow.lock';

const REQUIRED = [
  [path.join(PG_BIN, 'postgres'), 'Debian package postgresql'],
  ['/usr/bin/redis-server', 'Debian package redis-server'],
  [path.join(VENV_BIN, 'airflow'), AIRFLOW_VENV],
  [path.join(TOOLS_BIN, 'moto_server'), 'the local-tools venv from requirements/local-tools.lock'],
] as const;

/** What is missing; `servers` checks only the managed-service stand-ins (the cluster runs Airflow in pods). */
export function missingDependencies(which: 'all' | 'servers' = 'all'): string[] {
  const pgbouncer = [...new Set(loadEnvironments().map((e) => pgbouncerBinary(pgbouncerRoot(e))))].map((p) => [p, 'the pinned PgBouncer (images.pgbouncer) root'] as const);
  const needed = [...(which === 'all' ? REQUIRED : REQUIRED.filter(([, what]) => what !== AIRFLOW_VENV)), ...pgbouncer];
  return needed.filter(([p]) => !fs.existsSync(p)).map(([p, what]) => `${p} (${what})`);
}

export function assertDependencies(which: 'all' | 'servers'): void {
  const missing = missingDependencies(which);
  if (missing.length) throw new Error(`missing dependencies:\n  ${missing.join('\n  ')}\nrun: bash local/install.sh`);
}
