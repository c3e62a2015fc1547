import { containerOf, type Expected } from './pod-history';

/**
 * The KEDA operator's restarts while the cluster comes up, from its own code (pkg/certificates, v2.21):
 * - exit 0 once its certificate rotator has written the certificates (RestartOnSecretRefresh), on the leader;
 * - exit 1 when both replicas found no `kedaorg-certs` Secret and the slower one's create met AlreadyExists
 *   (`ensureSecret` lists, then creates; the chart leaves the Secret to the operator). That replica starts again
 *   and finds it. Both happen on a first install on EKS as well; only these, before the suite's watch began, are
 *   excused, and the exit 1 only with the log line that names the race.
 */
export const KEDA_CERT_STARTUP: Expected = {
  why: "KEDA's certificate setup while the cluster comes up: the rotator exits 0 after it first writes its certificates, and a replica that lost the race to create kedaorg-certs exits 1 (its log names it)",
  matches: (f, h) => {
    if (f.what !== 'restart' || f.ns !== 'keda' || f.container !== 'keda-operator') return false;
    const c = containerOf(h, f);
    if (!c || !c.lastEndedAt || !h.watchStartedAt || Date.parse(c.lastEndedAt) >= h.watchStartedAt) return false;
    const logs = h.previousLogs?.get(`${f.ns}/${f.pod}/${f.container}`) ?? [];
    const race = logs.some((l) => /unable to create certificates secret[^\n]*already exists/.test(l));
    const exit0 = c.terminated.includes('Completed (exit 0)');
    const exit1 = c.terminated.includes('Error (exit 1)');
    if (c.terminated.some((t) => t !== 'Completed (exit 0)' && t !== 'Error (exit 1)') || (exit1 && !race)) return false;
    // At most one of each: a second exit of either kind is something else.
    return c.restarts === Number(exit0) + Number(exit1);
  },
};

/**
 * KEDA's metrics API server started before the operator wrote the certificates into kedaorg-certs (the Secret
 * exists, empty, from the operator's `ensureSecret`): it logs `open /certs/ca.crt: no such file or directory` and
 * exits, and starts again once they are there. The same order on a first install on EKS; excused once, before the
 * suite's watch began, with that log line.
 */
export const KEDA_METRICS_SERVER_BEFORE_CERTS: Expected = {
  why: "KEDA's metrics API server started before the operator wrote its certificates (its log names the missing /certs/ca.crt) and started again once they were there",
  matches: (f, h) => {
    if (f.what !== 'restart' || f.ns !== 'keda' || f.container !== 'keda-metrics-apiserver') return false;
    const c = containerOf(h, f);
    if (!c || c.restarts !== 1 || !c.lastEndedAt || !h.watchStartedAt || Date.parse(c.lastEndedAt) >= h.watchStartedAt) return false;
    return (h.previousLogs?.get(`${f.ns}/${f.pod}/${f.container}`) ?? []).some((l) => /open \/certs\/ca\.crt: no such file or directory/.test(l));
  },
};
