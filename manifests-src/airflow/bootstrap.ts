import type { EnvironmentConfig } from '../config';
import { airflowCommands } from './airflow-settings';

/** Env var the bootstrap script reads the first admin's password from (a secretKeyRef in pods). */
export const ADMIN_PASSWORD_ENV = 'AIRFLOW_ADMIN_PASSWORD';

/**
 * What runs before every Airflow rollout (the Argo CD PreSync Job, and the local runner's first step):
 * migrate the schema, make sure the admin exists with the password from Secrets Manager, set pools.
 * Idempotent: it runs on every sync.
 */
export function bootstrapScript(env: Pick<EnvironmentConfig, 'airflow' | 'workers'>): string {
  const user = env.airflow.adminUsername;
  const pools: [string, number, string][] = [
    ['default_pool', env.airflow.defaultPoolSlots, 'Default pool'],
    ...Object.entries(env.airflow.pools).map(([name, slots]): [string, number, string] => [name, slots, `${name} (from config)`]),
  ];
  return [
    'set -eu',
    airflowCommands(env).migrate.join(' '),
    `if airflow users list -o plain | awk '{print $2}' | grep -qx '${user}'; then`,
    `  airflow users reset-password --username '${user}' --password "$${ADMIN_PASSWORD_ENV}"`,
    'else',
    `  airflow users create --username '${user}' --firstname Airflow --lastname Admin --role Admin --email '${user}@localhost' --password "$${ADMIN_PASSWORD_ENV}"`,
    'fi',
    ...pools.map(([name, slots, desc]) => `airflow pools set '${name}' ${slots} '${desc}'`),
  ].join('\n');
}
