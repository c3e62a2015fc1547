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
  // Custom resources are defaulted by their CRD schema or a webhook: with server-side apply Argo CD
  // owns only the fields we set, so those defaults are not drift (and large objects avoid the
  // last-applied annotation size limit).
  if (props.objects.some(isCustomResource)) syncOptions.push('ServerSideApply=true');
  return {
    automated: { prune: true, selfHeal: true, allowEmpty: false },
    syncOptions,
    retry: {
      limit: props.retryLimit ?? 5,
      backoff: { duration: props.backoff ?? '10s', factor: 2, maxDuration: props.maxBackoff ?? '3m' },
    },
  };
}
