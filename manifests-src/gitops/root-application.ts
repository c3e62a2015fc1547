import type { EnvironmentConfig } from '../config';
import type { Application } from './argo-types';
import { ARGOCD, ARGOCD_DIR, argocdPaths, rootAppName } from './argocd-settings';
import { syncPolicyFor } from './sync-policy';

/**
 * The app of apps for one environment: it syncs `argocd/<env>/apps/` (the AppProject and one Application
 * per group), so adding or changing a group is a git change like any other. Bootstrapped once with
 * `kubectl apply -n argocd -f argocd/<env>/root.yaml`.
 */
export function rootApplication(env: EnvironmentConfig): Application {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {
      name: rootAppName(env),
      namespace: ARGOCD.namespace,
      labels: { 'app.kubernetes.io/part-of': 'airflow-eks', 'airflow-eks/environment': env.name },
      finalizers: [ARGOCD.finalizer],
    },
    spec: {
      // The built-in project: ours is created by this very Application.
      project: 'default',
      source: {
        repoURL: env.gitops.repoUrl,
        targetRevision: env.gitops.targetRevision,
        // Only the folder's own files (the default: `directory.recurse` is left out, see group-application.ts).
        path: `${ARGOCD_DIR}/${argocdPaths(env).appsDir}`,
      },
      destination: { server: ARGOCD.inClusterServer, namespace: ARGOCD.namespace },
      syncPolicy: syncPolicyFor({ objects: [] }),
      revisionHistoryLimit: 10,
    },
  };
}
