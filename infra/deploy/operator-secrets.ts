import { SECRET_KEYS, secretsManagerNames, type EnvironmentConfig } from '../../manifests-src/config';

/** A secret the user creates before the first deploy (the stack cannot: it holds their git credentials). */
export interface OperatorSecret {
  readonly name: string;
  /** The config field that asks for it (its auth mode). */
  readonly field: string;
  readonly auth: 'https' | 'ssh';
  /** The keys the secret must hold. */
  readonly keys: readonly string[];
}

/**
 * The secrets the deploy preflight requires and the local cluster seeds as the user would: the credentials Argo CD
 * reads this repository with, and those the GitDagBundle clones the DAG repository with. None for `auth: none`.
 */
export function operatorSecrets(env: EnvironmentConfig): OperatorSecret[] {
  const label = `environments(${env.name})`;
  const names = secretsManagerNames(env);
  const out: OperatorSecret[] = [];
  if (env.gitops.auth !== 'none') {
    const k = SECRET_KEYS.gitops;
    out.push({ name: names.gitops, field: `${label}.gitops.auth`, auth: env.gitops.auth, keys: env.gitops.auth === 'ssh' ? [k.sshPrivateKey] : [k.username, k.password] });
  }
  if (env.dags.auth !== 'none') {
    const k = SECRET_KEYS.git;
    out.push({ name: names.git, field: `${label}.dags.auth`, auth: env.dags.auth, keys: env.dags.auth === 'ssh' ? [k.sshKey, k.knownHosts] : [k.username, k.password] });
  }
  return out;
}
