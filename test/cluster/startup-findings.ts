import { containerOf, type Expected } from './pod-history';

/** When an event finding happened: the `at` its detail ends with (pod-history.ts `findings`). */
function eventTime(detail: string): number | undefined {
  const at = /, at ([^)]+)\)$/.exec(detail)?.[1];
  const t = at ? Date.parse(at) : NaN;
  return Number.isNaN(t) ? undefined : t;
}

/**
 * A readiness probe refused while the cluster came up, before the suite's watch began (CoreDNS's /ready before it
 * listens): with no restart of that container, that is the probe keeping a starting pod out of its Service. A
 * refusal later in the suite, any other failure text, or one followed by a restart stays unexpected.
 */
export const READINESS_WHILE_STARTING: Expected = {
  why: 'a readiness probe refused while the cluster came up (before the watch began) and the container never restarted: it was not listening yet',
  matches: (f, h) => {
    if (f.what !== 'Unhealthy' || !f.container || !f.detail.startsWith('Readiness probe failed') || !/connect: connection refused/.test(f.detail)) return false;
    const at = eventTime(f.detail);
    const c = containerOf(h, f);
    return at !== undefined && !!h.watchStartedAt && at < h.watchStartedAt && !!c && c.restarts === 0;
  },
};
