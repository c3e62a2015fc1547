import type { EnvironmentConfig } from '../config';

/**
 * Where Argo CD lives and how this repository is laid out for it. Each environment is its own EKS
 * cluster with its own Argo CD, so every Application targets the cluster it runs in.
 */
export const ARGOCD = {
  /** Namespace of the Argo CD installation; Applications and AppProjects must live there. */
  namespace: 'argocd',
  /** The cluster Argo CD runs in. */
  inClusterServer: 'https://kubernetes.default.svc',
  /** Cascading delete: removing an Application removes what it deployed, instead of orphaning it. */
  finalizer: 'resources-finalizer.argocd.argoproj.io',
  /** Argo CD's sync-wave annotation (lower waves sync, and must be healthy, before higher ones). */
  syncWave: 'argocd.argoproj.io/sync-wave',
} as const;

/** Generated Argo CD objects go to `argocd/<env>/`: `root.yaml` plus the `apps/` folder the root syncs. */
export const ARGOCD_DIR = 'argocd';
export const DIST_DIR = 'dist';

export const argocdPaths = (env: Pick<EnvironmentConfig, 'name'>) => ({
  /** The app-of-apps, applied once by hand (`kubectl apply -f`); it then manages everything else. */
  root: `${env.name}/root.yaml`,
  /** Folder (relative to argocd/) holding the AppProject and one Application per group. */
  appsDir: `${env.name}/apps`,
});

/** Names shown in the Argo CD UI and CLI (`argocd app diff <name>`). */
export const projectName = (env: Pick<EnvironmentConfig, 'name'>) => `airflow-eks-${env.name}`;
export const rootAppName = (env: Pick<EnvironmentConfig, 'name'>) => `airflow-eks-${env.name}`;
export const groupAppName = (env: Pick<EnvironmentConfig, 'name'>, group: string) => `${env.name}-${group}`;
