import { KEDA_CERT_STARTUP, KEDA_METRICS_SERVER_BEFORE_CERTS } from './keda-startup';
import { READINESS_WHILE_STARTING } from './startup-findings';
import { describeFinding, judge, JsonStream, observe, type PodHistoryData, type PodRecord } from './pod-history';

/**
 * The bookkeeping behind cluster test 5 (no cluster needed): a pod seen once with a restart or an OOM kill stays
 * recorded after it is gone, and a finding is excused only by a named expectation.
 */

const pod = (uid: string, name: string, restartCount: number, extra: Record<string, unknown> = {}) => ({
  metadata: { uid, name, namespace: 'airflow' },
  spec: { containers: [{ name: 'worker', image: 'x/airflow:1', startupProbe: { failureThreshold: 5 } }] },
  status: { containerStatuses: [{ name: 'worker', image: 'x/airflow:1', restartCount, ...extra }] },
});

describe('pod history (cluster test 5)', () => {
  test("kubectl's stream of pretty-printed objects splits into objects, braces inside strings included", () => {
    const seen: unknown[] = [];
    const s = new JsonStream((o) => seen.push(o));
    const text = `${JSON.stringify({ a: '{not}', b: { c: 1 } }, null, 2)}\n${JSON.stringify({ d: 'quote \\" }' }, null, 2)}\n`;
    s.push(text.slice(0, 7));
    s.push(text.slice(7, 30));
    s.push(text.slice(30));
    expect(seen).toEqual([{ a: '{not}', b: { c: 1 } }, { d: 'quote \\" }' }]);
  });

  test('a restart and an OOM kill seen once stay recorded; a later version with fewer restarts does not erase them', () => {
    const pods = new Map<string, PodRecord>();
    observe(pods, pod('u1', 'airflow-worker-a', 1, { lastState: { terminated: { reason: 'OOMKilled', exitCode: 137 } } }));
    observe(pods, pod('u1', 'airflow-worker-a', 0));
    const h: PodHistoryData = { pods, events: [] };
    expect(judge(h, []).unexpected.map(describeFinding)).toEqual(['restart airflow/airflow-worker-a/worker: restarted 1x, last ended OOMKilled (exit 137)']);
  });

  test('observe names the containers whose restart count grew, and a restart finding carries its previous log', () => {
    const pods = new Map<string, PodRecord>();
    expect(observe(pods, pod('u3', 'keda-operator-x', 0))).toEqual([]);
    expect(observe(pods, pod('u3', 'keda-operator-x', 1, { lastState: { terminated: { reason: 'Error', exitCode: 1 } } }))).toEqual(['worker']);
    expect(observe(pods, pod('u3', 'keda-operator-x', 1))).toEqual([]);
    const h: PodHistoryData = { pods, events: [], previousLogs: new Map([['airflow/keda-operator-x/worker', ['E problem running manager: leader election lost']]]) };
    const [f] = judge(h, []).unexpected;
    expect(f.detail).toBe('restarted 1x, last ended Error (exit 1)');
    expect(describeFinding(f)).toContain('its previous instance logged:\n        E problem running manager: leader election lost');
  });

  test('events are findings; only a matching named expectation excuses one, and says why', () => {
    const pods = new Map<string, PodRecord>();
    observe(pods, pod('u2', 'airflow-worker-b', 0, { state: { waiting: { reason: 'CrashLoopBackOff' } } }));
    const ev = (reason: string, message: string) => ({ ns: 'airflow', reason, kind: 'Pod', name: 'airflow-worker-b', fieldPath: 'spec.containers{worker}', message, count: 1, at: 't' });
    const h: PodHistoryData = { pods, events: [ev('Killing', 'Stopping container worker'), ev('BackOff', 'Back-off restarting failed container'), ev('Scheduled', 'ok')] };
    const { unexpected, excused } = judge(h, [{ why: 'deleted on purpose', matches: (f) => f.what === 'Killing' }]);
    expect(unexpected.map((f) => f.what)).toEqual(['waiting', 'BackOff']);
    expect(excused.map((e) => `${e.finding.what}: ${e.why}`)).toEqual(['Killing: deleted on purpose']);
  });
});

describe("KEDA's certificate start-up restarts (cluster test 5)", () => {
  const WATCH = Date.parse('2026-12-07T10:00:00Z');
  const keda = (restartCount: number, reason: string, exitCode: number, finishedAt = '2026-12-07T09:59:00Z') => ({
    metadata: { uid: `k${restartCount}${exitCode}`, name: 'keda-operator-abc', namespace: 'keda' },
    spec: { containers: [{ name: 'keda-operator', image: 'keda:2.21.0' }] },
    status: { containerStatuses: [{ name: 'keda-operator', image: 'keda:2.21.0', restartCount, lastState: { terminated: { reason, exitCode, finishedAt } } }] },
  });
  const RACE = 'ERROR\tsetup\tunable to create certificates secret\t{"error": "secrets \\"kedaorg-certs\\" already exists"}\nERROR\tsetup\tunable to set up cert rotation';
  const judged = (pod: ReturnType<typeof keda>, logs: string[] = []) => {
    const pods = new Map<string, PodRecord>();
    observe(pods, pod);
    const h: PodHistoryData = { pods, events: [], watchStartedAt: WATCH, previousLogs: new Map([['keda/keda-operator-abc/keda-operator', logs]]) };
    return judge(h, [KEDA_CERT_STARTUP]).unexpected.map(describeFinding);
  };

  test('the rotator exit 0 and the create race exit 1 (with its log line) before the watch are excused', () => {
    expect(judged(keda(1, 'Completed', 0))).toEqual([]);
    expect(judged(keda(1, 'Error', 1), [RACE])).toEqual([]);
  });

  test('an exit 1 without the race in its log, a late restart, or a second exit 0 stays unexpected', () => {
    expect(judged(keda(1, 'Error', 1), ['E problem running manager: leader election lost'])).toHaveLength(1);
    expect(judged(keda(1, 'Error', 1))).toHaveLength(1);
    expect(judged(keda(1, 'Completed', 0, '2026-12-07T10:05:00Z'))).toHaveLength(1);
    expect(judged(keda(2, 'Completed', 0))).toHaveLength(1);
  });
});

describe('readiness refused while the cluster comes up (cluster test 5)', () => {
  const WATCH = Date.parse('2026-12-07T13:30:00Z');
  const judged = (at: string, restartCount: number, message = 'Readiness probe failed: Get "http://10.244.0.2:8181/ready": dial tcp 10.244.0.2:8181: connect: connection refused') => {
    const pods = new Map<string, PodRecord>();
    observe(pods, { metadata: { uid: 'c1', name: 'coredns-x', namespace: 'kube-system' }, spec: { containers: [{ name: 'coredns', image: 'coredns:1' }] }, status: { containerStatuses: [{ name: 'coredns', image: 'coredns:1', restartCount }] } });
    const h: PodHistoryData = { pods, events: [{ ns: 'kube-system', reason: 'Unhealthy', kind: 'Pod', name: 'coredns-x', fieldPath: 'spec.containers{coredns}', message, count: 1, at }], watchStartedAt: WATCH };
    return judge(h, [READINESS_WHILE_STARTING]).unexpected.map((f) => f.what);
  };
  test('a refusal before the watch, with no restart, is excused', () => {
    expect(judged('2026-12-07T13:29:05Z', 0)).toEqual([]);
  });
  test('after the watch began, followed by a restart, or another failure: unexpected', () => {
    expect(judged('2026-12-07T13:31:05Z', 0)).toEqual(['Unhealthy']);
    expect(judged('2026-12-07T13:29:05Z', 1)).toEqual(['restart', 'Unhealthy']);
    expect(judged('2026-12-07T13:29:05Z', 0, 'Readiness probe failed: HTTP probe failed with statuscode: 503')).toEqual(['Unhealthy']);
  });
});

describe("KEDA's metrics API server before the certificates (cluster test 5)", () => {
  const WATCH = Date.parse('2026-12-07T13:50:00Z');
  const judged = (restartCount: number, finishedAt: string, logs: string[]) => {
    const pods = new Map<string, PodRecord>();
    observe(pods, { metadata: { uid: 'm1', name: 'keda-metrics-apiserver-x', namespace: 'keda' }, spec: { containers: [{ name: 'keda-metrics-apiserver', image: 'm:1' }] }, status: { containerStatuses: [{ name: 'keda-metrics-apiserver', image: 'm:1', restartCount, lastState: { terminated: { reason: 'Completed', exitCode: 0, finishedAt } } }] } });
    const h: PodHistoryData = { pods, events: [], watchStartedAt: WATCH, previousLogs: new Map([['keda/keda-metrics-apiserver-x/keda-metrics-apiserver', logs]]) };
    return judge(h, [KEDA_METRICS_SERVER_BEFORE_CERTS]).unexpected.length;
  };
  const LOG = '{"level":"error","msg":"unable to run external metrics adapter","error":"open /certs/ca.crt: no such file or directory"}';
  test('one exit before the watch with the missing-certificate line is excused', () => {
    expect(judged(1, '2026-12-07T13:46:16Z', [LOG])).toBe(0);
  });
  test('without that line, after the watch, or twice: unexpected', () => {
    expect(judged(1, '2026-12-07T13:46:16Z', ['panic: something else'])).toBe(1);
    expect(judged(1, '2026-12-07T13:55:00Z', [LOG])).toBe(1);
    expect(judged(2, '2026-12-07T13:46:16Z', [LOG])).toBe(1);
  });
});
