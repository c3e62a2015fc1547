import type { EnvironmentConfig } from '../config';
import { APP_GROUPS } from '../config';
import type { Application } from './argo-types';
import { ARGOCD, DIST_DIR, groupAppName, projectName } from './argocd-settings';
import { ignoreDifferencesFor } from './ignore-differences';
import type { ManifestObject } from './manifest-objects';
import { SERVER_SIDE_DIFF, syncPolicyFor, usesServerSideApply } from './sync-policy';

export interface GroupApplicationProps {
  readonly env: EnvironmentConfig;
  readonly group: (typeof APP_GROUPS)[number];
  /** The objects rendered into `dist/<env>/<group>/`. */
  readonly objects: readonly ManifestObject[];
}

/** The namespace most of the group's namespaced objects live in; the environment's namespace otherwise. */
function destinationNamespace(env: EnvironmentConfig, objects: readonly ManifestObject[]): string {
  const counts = new Map<string, number>();
  for (const o of objects) if (o.metadata.namespace) counts.set(o.metadata.namespace, (counts.get(o.metadata.namespace) ?? 0) + 1);
  const [top] = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return top?.[0] ?? env.namespace;
}

/**
 * One Argo CD Application per `dist/<env>/<group>/` folder, in the sync wave of its group (APP_GROUPS):
 * platform before secrets and logging, before PgBouncer, before Airflow.
 */
export function groupApplication({ env, group, objects }: GroupApplicationProps): Application {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {
      name: groupAppName(env, group.name),
      namespace: ARGOCD.namespace,
      annotations: { [ARGOCD.syncWave]: String(group.wave), ...(usesServerSideApply(objects) ? SERVER_SIDE_DIFF : {}) },
      labels: { 'app.kubernetes.io/part-of': 'airflow-eks', 'airflow-eks/environment': env.name, 'airflow-eks/group': group.name },
      finalizers: [ARGOCD.finalizer],
    },
    spec: {
      project: projectName(env),
      source: {
        repoURL: env.gitops.repoUrl,
        targetRevision: env.gitops.targetRevision,
        // No `directory: {recurse: false}`: it is the default, and Argo CD stores the Application without it, so
        // the root Application would report every child OutOfSync forever (seen on the local cluster).
        path: `${DIST_DIR}/${env.name}/${group.name}`,
      },
      destination: { server: ARGOCD.inClusterServer, namespace: destinationNamespace(env, objects) },
      syncPolicy: syncPolicyFor({ objects }),
      ignoreDifferences: ignoreDifferencesFor(objects),
      revisionHistoryLimit: 10,
      info: [{ name: 'contents', value: group.description }],
    },
  };
}
