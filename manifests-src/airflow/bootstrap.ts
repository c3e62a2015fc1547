import type { EnvironmentConfig } from '../config';
import { airflowCommands } from './airflow-settings';

/**
 * What runs before every Airflow rollout (the Argo CD PreSync Job, and the local runner's first step):
 * migrate the schema, create the first admin and the configured pools. It runs on every sync, so it only
 * ever CREATES what is missing: an admin whose password was changed in the UI keeps it, and pool slots
 * edited in the UI or API are kept (config values apply when a pool is created; `default_pool` gets
 * `airflow.defaultPoolSlots` through `[core] default_pool_task_slot_count` when the schema is created).
 */
export function bootstrapScript(env: Pick<EnvironmentConfig, 'airflow' | 'workers'>, adminPasswordFile: string): string {
  const user = env.airflow.adminUsername;
  const pools = Object.entries(env.airflow.pools);
  return [
    'set -eu',
    airflowCommands(env).migrate.join(' '),
    // `users create` leaves an existing user as it is ("already exists", exit 0): one Airflow start, not two.
    `airflow users create --username '${user}' --firstname Airflow --lastname Admin --role Admin --email '${user}@localhost' --password "$(cat '${adminPasswordFile}')"`,
    ...(pools.length
      ? [
          "pools=$(airflow pools list -o plain | awk '{print $1}')",
          ...pools.map(
            ([name, slots]) =>
              `if printf '%s\\n' "$pools" | grep -qx '${name}'; then echo 'pool ${name} exists: slots left as they are'; else airflow pools set '${name}' ${slots} '${name} (from config)'; fi`,
          ),
        ]
      : []),
  ].join('\n');
}
