import { kubectlJson } from './node/kubectl';

/** The part of a Kubernetes Event that says which object it is about. */
export interface JobEvent {
  readonly reason: string;
  readonly involvedObject: { readonly kind: string; readonly name: string; readonly uid?: string };
}

/**
 * How many times a Job-based hook ran: the distinct Job objects of that name the API server recorded creating
 * a pod for. A hook with delete policy BeforeHookCreation deletes the previous Job before it creates the next, so
 * listing Jobs always shows one, re-runs included; the events keep each Job's uid (for the API server's event TTL,
 * one hour by default).
 */
export function hookRuns(events: readonly JobEvent[], jobName: string): string[] {
  const uids = events
    .filter((e) => e.involvedObject.kind === 'Job' && e.involvedObject.name === jobName && e.reason === 'SuccessfulCreate')
    .map((e) => e.involvedObject.uid ?? '');
  if (uids.includes('')) throw new Error(`an event of Job ${jobName} names no uid: its runs cannot be told apart`);
  return [...new Set(uids)];
}

/** The runs of Job `jobName` in namespace `ns` the cluster's events remember (uids). */
export function clusterHookRuns(ns: string, jobName: string): string[] {
  const { items } = kubectlJson<{ items: JobEvent[] }>(['-n', ns, 'get', 'events', '--field-selector', `involvedObject.kind=Job,involvedObject.name=${jobName}`]);
  return hookRuns(items, jobName);
}
