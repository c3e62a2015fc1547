import type { SyncPolicy } from './argo-types';
import { isCustomResource, type ManifestObject } from './manifest-objects';

export interface SyncPolicyProps {
  /** Objects the Application deploys; they decide whether server-side apply is worth it. */
  readonly objects: readonly ManifestObject[];
  /** Sync attempts before Argo CD gives up and marks the sync failed. Default 5. */
  readonly retryLimit?: number;
  /** First retry delay; doubles each time up to `maxBackoff`. Default `10s`. */
  readonly backoff?: string;
  /** Longest wait between retries. Default `3m`. */
  readonly maxBackoff?: string;
}

/**
 * Custom resources are defaulted by their CRD schema or a webhook: with server-side apply Argo CD owns only the fields
 * we set (and large objects avoid the last-applied annotation size limit). Applying is half of it: see
 * SERVER_SIDE_DIFF for the comparison.
 */
export const usesServerSideApply = (objects: readonly ManifestObject[]) => objects.some(isCustomResource);

/**
 * Compare option of an Application whose objects are applied server-side: the API server computes the diff (a dry-run
 * apply), so defaults a CRD schema writes into the live object count as ours. Argo CD's own diff adds defaults for
 * built-in kinds only; in a list that server-side apply treats as atomic (External Secrets' `data[].remoteRef`
 * gets `conversionStrategy`, `decodingStrategy`, `metadataPolicy`) a default it cannot see would read as drift that
 * no sync removes.
 */
export const SERVER_SIDE_DIFF = { 'argocd.argoproj.io/compare-options': 'ServerSideDiff=true' } as const;

/**
 * Automated sync that heals drift and prunes what git no longer has. Retries with backoff cover the
 * normal ordering races of a first install (a CRD or webhook not ready yet, a Secret not yet written).
 */
export function syncPolicyFor(props: SyncPolicyProps): SyncPolicy {
  const syncOptions = [
    // The destination namespace may not exist on a fresh cluster before the platform wave has run.
    'CreateNamespace=true',
    // Delete removed objects only after everything else is applied and healthy.
    'PruneLast=true',
    // Honour ignoreDifferences on sync too, so self-heal never resets a KEDA-owned replica count.
    'RespectIgnoreDifferences=true',
    // Two Applications must never fight over one object.
    'FailOnSharedResource=true',
  ];
  if (usesServerSideApply(props.objects)) syncOptions.push('ServerSideApply=true');
  return {
    automated: { prune: true, selfHeal: true, allowEmpty: false },
    syncOptions,
    retry: {
      limit: props.retryLimit ?? 5,
      backoff: { duration: props.backoff ?? '10s', factor: 2, maxDuration: props.maxBackoff ?? '3m' },
    },
  };
}
