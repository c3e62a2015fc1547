import type { EnvironmentConfig } from '../config';
import { dagRepoUrl, K8S_SECRETS, SECRET_KEYS } from '../config';

/**
 * DAGs come from one place in every environment: an Airflow 3 GitDagBundle (provider
 * apache-airflow-providers-git). A bundle is versioned: a run keeps the commit it started with, a failed
 * fetch keeps the last good checkout, and no sidecar is needed. The dag-processor and the workers clone
 * (they run DAG code); the scheduler, triggerer and api-server read serialized DAGs from the database.
 *
 * Credentials reach the cloning processes as a FILE: External Secrets renders an Airflow connections
 * file (below) into the `airflow-git` Secret, mounted read-only, and Airflow's LocalFilesystemBackend
 * reads it. The local runner renders the same template with local values.
 */

export const DAG_BUNDLE_NAME = 'dags';
/** Airflow connection id of the DAG repository (conn type `git`, read by the provider's GitHook). */
export const DAG_REPO_CONN_ID = 'dags_git';
/** Where credential files of the DAG repository are mounted (the `airflow-git` Secret). */
export const GIT_SECRET_MOUNT = '/opt/airflow/secrets/git';

/** The Airflow connections file key in the `airflow-git` Secret. */
export const CONNECTIONS_FILE = K8S_SECRETS.git.keys.connections;

/** The bundle class every environment uses (provider apache-airflow-providers-git). */
export const DAG_BUNDLE_CLASSPATH = 'airflow.providers.git.bundles.git.GitDagBundle';

/** The module that defines the bundle class: what a process must import to build the bundle. */
export function dagBundleModule(): string {
  return DAG_BUNDLE_CLASSPATH.slice(0, DAG_BUNDLE_CLASSPATH.lastIndexOf('.'));
}

/**
 * `[dag_processor] dag_bundle_config_list`. The repository URL is a bundle argument (not secret), so
 * components that never clone can still build the bundle object without the connection.
 */
export function dagBundleConfigList(env: Pick<EnvironmentConfig, 'dags' | 'aws' | 'cluster'>, repoUrl = dagRepoUrl(env)): string {
  return JSON.stringify([
    {
      name: DAG_BUNDLE_NAME,
      classpath: DAG_BUNDLE_CLASSPATH,
      kwargs: {
        repo_url: repoUrl,
        git_conn_id: DAG_REPO_CONN_ID,
        tracking_ref: env.dags.branch,
        subdir: env.dags.subPath || null,
        refresh_interval: env.dags.refreshIntervalSeconds,
      },
    },
  ]);
}

/**
 * The connections file External Secrets renders (Go template over the `airflow-eks/<env>/git` keys), as
 * LocalFilesystemBackend reads it: `{ "<conn id>": { conn_type, host, login, password, extra } }`.
 * - https: login + password (a CodeCommit HTTPS Git credential, or any host's user + token); GitHook
 *   puts them into the https:// URL it clones.
 * - ssh: GitHook's `key_file` and `known_hosts_file` point at files of the same Secret; strict host key
 *   checking (the host must be in known_hosts).
 * - none: the connection holds no secret: undefined (the caller uses a plain setting instead).
 */
export function gitConnectionsTemplate(env: Pick<EnvironmentConfig, 'dags' | 'aws' | 'cluster'>, secretDir = GIT_SECRET_MOUNT): string | undefined {
  const k = K8S_SECRETS.git.keys;
  const base = { conn_type: 'git', host: dagRepoUrl(env) };
  if (env.dags.auth === 'none') return undefined;
  if (env.dags.auth === 'https') {
    // Values go through toJson so any character in a token stays valid JSON.
    const body = JSON.stringify(base).slice(0, -1);
    return `{${JSON.stringify(DAG_REPO_CONN_ID)}: ${body}, "login": {{ .${SECRET_KEYS.git.username} | toJson }}, "password": {{ .${SECRET_KEYS.git.password} | toJson }}}}`;
  }
  return JSON.stringify({
    [DAG_REPO_CONN_ID]: {
      ...base,
      extra: { key_file: `${secretDir}/${k.sshKey}`, known_hosts_file: `${secretDir}/${k.knownHosts}`, strict_host_key_checking: 'yes' },
    },
  });
}

/** The `airflow-git` Secret's contents as templates: the connections file, plus the SSH key files in SSH mode. */
export function gitSecretTemplates(env: Pick<EnvironmentConfig, 'dags' | 'aws' | 'cluster'>, secretDir = GIT_SECRET_MOUNT): Record<string, string> | undefined {
  const connections = gitConnectionsTemplate(env, secretDir);
  if (connections === undefined) return undefined;
  const k = K8S_SECRETS.git.keys;
  return {
    [CONNECTIONS_FILE]: connections,
    ...(env.dags.auth === 'ssh' ? { [k.sshKey]: `{{ .${SECRET_KEYS.git.sshKey} }}`, [k.knownHosts]: `{{ .${SECRET_KEYS.git.knownHosts} }}` } : {}),
  };
}

/**
 * Settings of the processes that clone the bundle: the secrets backend that reads the connections file,
 * or, without credentials, the connection as a plain setting.
 */
export function dagBundleCloneSettings(env: Pick<EnvironmentConfig, 'dags' | 'aws' | 'cluster'>, secretDir = GIT_SECRET_MOUNT): Record<string, string> {
  if (env.dags.auth === 'none') {
    return { [`AIRFLOW_CONN_${DAG_REPO_CONN_ID.toUpperCase()}`]: JSON.stringify({ conn_type: 'git', host: dagRepoUrl(env) }) };
  }
  return {
    AIRFLOW__SECRETS__BACKEND: 'airflow.secrets.local_filesystem.LocalFilesystemBackend',
    AIRFLOW__SECRETS__BACKEND_KWARGS: JSON.stringify({ connections_file_path: `${secretDir}/${CONNECTIONS_FILE}` }),
  };
}
