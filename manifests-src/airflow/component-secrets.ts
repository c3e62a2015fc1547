import { k8s } from 'cdk8s-plus-33';
import { COMPONENTS, SECRET_SETTINGS, type ComponentName, type ComponentSpec, type SecretSettingName } from '../config';

/**
 * Which secret each Airflow process receives (the `airflow.secrets` of the component registry in contract.ts), and how: as read-only FILES (a projected Secret volume
 * holding only that process's keys), read by Airflow through its `_CMD` options, never as environment
 * variables (those are inherited by every task process and readable in /proc).
 *
 * Verified against Airflow 3.3's source:
 * - api-server: the database, the Fernet key (connections and variables it serves), `[api] secret_key`
 *   (sessions, and the tokens it signs to fetch live logs from log servers), the JWT signing key and the
 *   trusted key set (it issues and validates tokens).
 * - scheduler: the database, the Celery broker and result backend, the Fernet key (trigger kwargs it
 *   encrypts for start-from-trigger tasks), the JWT signing key (the executor signs each task's token).
 * - dag-processor: the database and the Fernet key (variables/connections read while parsing, through
 *   its in-process Execution API, which needs no JWT).
 * - triggerer: the database, the Fernet key (trigger kwargs), `[api] secret_key` (its log server
 *   validates the api-server's log-fetch tokens); its Execution API is in-process too.
 * - worker (runs user code): only the broker, the result backend (Redis, not the database) and
 *   `[api] secret_key` for its log server. Tasks reach Airflow through the Task Execution API with the
 *   token each task carries: no database URL, no Fernet key, no JWT signing secret.
 * - migrate: the database, directly rather than through PgBouncer (migrateConn), and the Fernet key
 *   (migrations re-encrypt), plus the first admin's password.
 */

/** The Airflow processes: the registry's `airflow.process` values. */
export type AirflowProcess = { [K in ComponentName]: (typeof COMPONENTS)[K] extends { airflow: { process: infer P } } ? P : never }[ComponentName];
export { SECRET_SETTINGS, type SecretSettingName };

/** The allowed table, read from the component registry: the one place that decides which process gets which secret. */
export const COMPONENT_SECRETS: Readonly<Record<AirflowProcess, readonly SecretSettingName[]>> = Object.fromEntries(
  Object.values(COMPONENTS as Record<ComponentName, ComponentSpec>).flatMap((c) => (c.airflow ? [[c.airflow.process, c.airflow.secrets]] : [])),
) as Record<AirflowProcess, readonly SecretSettingName[]>;

/** Where a process's secret files are mounted. */
export const AIRFLOW_SECRET_MOUNT = '/opt/airflow/secrets/airflow';
export const AIRFLOW_SECRETS_VOLUME = 'airflow-secrets';

/** Settings that make Airflow read each secret from its file: `AIRFLOW__…_CMD`, or the path for options that take one. */
export function secretFileSettings(process: AirflowProcess, dir = AIRFLOW_SECRET_MOUNT): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of COMPONENT_SECRETS[process]) {
    const s = SECRET_SETTINGS[name];
    if (!s.option) continue;
    if ('byPath' in s) out[s.option] = `${dir}/${s.key}`;
    else out[`${s.option}_CMD`] = `cat ${dir}/${s.key}`;
  }
  return out;
}

/** Path of one secret file of a process (for scripts such as the bootstrap). */
export function secretFile(name: SecretSettingName, dir = AIRFLOW_SECRET_MOUNT): string {
  return `${dir}/${SECRET_SETTINGS[name].key}`;
}

/** The Kubernetes Secrets a process reads (its pods roll when one of them changes). */
export function secretsOf(process: AirflowProcess): string[] {
  return [...new Set(COMPONENT_SECRETS[process].map((n) => SECRET_SETTINGS[n].secret))].sort();
}

/** A projected volume with exactly the process's keys, read-only to the pod's group (fsGroup) only. */
export function secretVolume(process: AirflowProcess): k8s.Volume {
  const bySecret = new Map<string, string[]>();
  for (const n of COMPONENT_SECRETS[process]) {
    const s = SECRET_SETTINGS[n];
    bySecret.set(s.secret, [...(bySecret.get(s.secret) ?? []), s.key]);
  }
  return {
    name: AIRFLOW_SECRETS_VOLUME,
    projected: {
      defaultMode: 0o440,
      sources: [...bySecret].map(([name, keys]) => ({ secret: { name, items: keys.map((key) => ({ key, path: key })) } })),
    },
  };
}

export function secretMount(): k8s.VolumeMount {
  return { name: AIRFLOW_SECRETS_VOLUME, mountPath: AIRFLOW_SECRET_MOUNT, readOnly: true };
}
