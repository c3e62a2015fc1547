import { loadEnvironments, METRICS_SCRAPE_SECONDS } from '../../manifests-src/config';
import { alarmsOf, coveredPart, evaluateAlarm, periodValues, type AlarmDefinition, type Datapoint } from '../../local/cloudwatch-alarms';
import { committedSynth } from '../infra/committed-synth';

/**
 * The alarm definitions of cdk.out/ against metric data shaped like what the platform emits: each alarm is OK
 * while the platform works and goes to ALARM within its window when its fault happens. The data here is made
 * up; the definitions are the ones that ship.
 */
const s = committedSynth();
const MIN = 60_000;
const T0 = Date.parse('2026-12-07T12:00:00Z');
const every = (fromMs: number, toMs: number, stepMs: number, value: number): Datapoint[] => {
  const out: Datapoint[] = [];
  for (let t = fromMs; t < toMs; t += stepMs) out.push({ at: t, value });
  return out;
};
/**
 * A counter as the metrics agent ships it: its running total, one datapoint per scrape (METRICS_SCRAPE_SECONDS),
 * rising by `perScrape` until `stopsAt`, then flat (the StatsD exporter keeps the last total).
 */
const counter = (fromMs: number, toMs: number, perScrape: number, stopsAt = Infinity, start = 0): Datapoint[] => {
  const out: Datapoint[] = [];
  let total = start;
  for (let t = fromMs; t < toMs; t += METRICS_SCRAPE_SECONDS * 1000) {
    if (t < stopsAt) total += perScrape;
    out.push({ at: t, value: total });
  }
  return out;
};

describe.each(loadEnvironments().map((e) => e.name))("%s's alarms (cdk.out) evaluated on made-up data", (name) => {
  const env = loadEnvironments().find((e) => e.name === name)!;
  const alarms = alarmsOf(s.templates[name].toJSON());
  const alarm = (suffix: string): AlarmDefinition => {
    const a = alarms.find((x) => x.id.startsWith(`Observability${suffix}`));
    if (!a) throw new Error(`no alarm Observability${suffix}* in ${name}: ${alarms.map((x) => x.id).join(', ')}`);
    return a;
  };

  test('scheduler heartbeat: OK while schedulers beat; ALARM within its window once the beats stop, though the agent still ships the flat total, and as well when nothing arrives at all', () => {
    const a = alarm('SchedulerHeartbeat');
    expect(a.expression).toBe('DIFF');
    // A beat every 5 s: 12 a scrape.
    const beats = counter(T0 - 60 * MIN, T0 + 30 * MIN, 12, T0);
    expect(evaluateAlarm(a, beats, T0)).toBe('OK');
    const firstAlarm = [...Array(30).keys()].map((m) => T0 + m * MIN).find((t) => evaluateAlarm(a, beats, t) === 'ALARM');
    expect(firstAlarm).toBeDefined();
    expect(firstAlarm! - T0).toBeLessThanOrEqual(a.period * 1000 * (a.evaluationPeriods + 1));
    expect(evaluateAlarm(a, beats, T0 + a.period * 1000)).toBe('OK');
    // The agent gone too: no data is breaching.
    const silent = beats.filter((d) => d.at < T0);
    expect(evaluateAlarm(a, silent, T0 + a.period * 1000 * (a.evaluationPeriods + 1))).toBe('ALARM');
  });

  test('scheduler heartbeat: a restart of the StatsD exporter (its totals start again at 0) is one odd period, not an alarm', () => {
    const a = alarm('SchedulerHeartbeat');
    const restarted = [...counter(T0 - 60 * MIN, T0 - 7 * MIN, 12), ...counter(T0 - 7 * MIN, T0 + 30 * MIN, 12)];
    for (let m = 0; m <= 15; m++) expect({ at: m, state: evaluateAlarm(a, restarted, T0 + m * MIN) }).toEqual({ at: m, state: 'OK' });
  });

  test('queue depth: OK at the worker slots; ALARM after tasks wait above them for the whole window', () => {
    const a = alarm('QueueDepth');
    const slots = env.workers.maxReplicas * env.workers.concurrency;
    expect(a.threshold).toBe(slots);
    expect(evaluateAlarm(a, every(T0 - 60 * MIN, T0, MIN, slots), T0)).toBe('OK');
    const waiting = [...every(T0 - 60 * MIN, T0 - 20 * MIN, MIN, slots), ...every(T0 - 20 * MIN, T0, MIN, slots + 1)];
    expect(evaluateAlarm(a, waiting, T0)).toBe('ALARM');
    // One spike of one period is not an incident.
    expect(evaluateAlarm(a, [...every(T0 - 60 * MIN, T0, MIN, 0), { at: T0 - 2 * MIN, value: slots * 3 }], T0)).toBe('OK');
  });

  test('task failures: a quiet night is OK (the total flat, or no datapoint at all), not INSUFFICIENT_DATA or ALARM; 11 failures every 5 minutes for 15 minutes is ALARM', () => {
    const a = alarm('TaskFailures');
    expect(evaluateAlarm(a, [], T0)).toBe('OK');
    expect(evaluateAlarm(a, counter(T0 - 60 * MIN, T0, 0, Infinity, 3), T0)).toBe('OK');
    // 11 in each 5-minute period: 2.2 a scrape.
    expect(evaluateAlarm(a, counter(T0 - 60 * MIN, T0, 11 / 5), T0)).toBe('ALARM');
    expect(evaluateAlarm(a, counter(T0 - 60 * MIN, T0, 10 / 5), T0)).toBe('OK');
  });

  test('triggerer heartbeat: OK while it beats; ALARM once it stopped for its window', () => {
    const a = alarm('TriggererHeartbeat');
    const beats = counter(T0 - 60 * MIN, T0 + 30 * MIN, 12, T0);
    expect(evaluateAlarm(a, beats, T0)).toBe('OK');
    expect(evaluateAlarm(a, beats, T0 + a.period * 1000 * (a.evaluationPeriods + 1))).toBe('ALARM');
  });

  test('PgBouncer clients waiting: none is OK; one period with a queue is OK; a queue in every period of the window is ALARM', () => {
    const a = alarm('PgBouncerClientsWaiting');
    expect(evaluateAlarm(a, every(T0 - 60 * MIN, T0, MIN, 0), T0)).toBe('OK');
    expect(evaluateAlarm(a, [...every(T0 - 60 * MIN, T0, MIN, 0), { at: T0 - 3 * MIN, value: 4 }], T0)).toBe('OK');
    expect(evaluateAlarm(a, [...every(T0 - 60 * MIN, T0, MIN, 0), ...every(T0 - 15 * MIN, T0, 5 * MIN, 2)], T0)).toBe('ALARM');
  });

  test('import errors: the gauge at 0 is OK; one broken file for the whole window is ALARM; one that is fixed within a period is not', () => {
    const a = alarm('ImportErrors');
    expect(evaluateAlarm(a, every(T0 - 60 * MIN, T0, 30_000, 0), T0)).toBe('OK');
    expect(evaluateAlarm(a, every(T0 - 60 * MIN, T0, 30_000, 1), T0)).toBe('ALARM');
    expect(evaluateAlarm(a, [...every(T0 - 60 * MIN, T0, 30_000, 0), { at: T0 - 4 * MIN, value: 1 }], T0)).toBe('OK');
  });

  test('every alarm is evaluated from its template fields (no default left unread)', () => {
    for (const a of alarms) {
      expect({ id: a.id, values: periodValues(a, [], T0).length }).toEqual({ id: a.id, values: a.evaluationPeriods });
      expect(a.datapointsToAlarm).toBeGreaterThan(0);
      expect(['breaching', 'notBreaching', 'missing', 'ignore']).toContain(a.treatMissingData);
    }
  });
});

describe('the evaluation rules', () => {
  const base: AlarmDefinition = { id: 'X', namespace: 'N', metricName: 'm', dimensions: {}, statistic: 'Maximum', period: 60, evaluationPeriods: 3, datapointsToAlarm: 2, threshold: 5, comparison: 'GreaterThanThreshold', treatMissingData: 'missing' };
  test('M of N, statistic per aligned period, missing data by its treatment', () => {
    const now = T0 + 30_000; // mid-period: the current period is not complete, so it is not evaluated
    const d = [{ at: T0 - 3 * MIN + 1000, value: 9 }, { at: T0 - 2 * MIN + 1000, value: 1 }, { at: T0 - MIN + 1000, value: 9 }, { at: T0 + 1000, value: 99 }];
    expect(periodValues(base, d, now)).toEqual([9, 1, 9]);
    expect(evaluateAlarm(base, d, now)).toBe('ALARM');
    expect(evaluateAlarm({ ...base, datapointsToAlarm: 3 }, d, now)).toBe('OK');
    expect(evaluateAlarm(base, [], now)).toBe('INSUFFICIENT_DATA');
    expect(evaluateAlarm({ ...base, treatMissingData: 'ignore' }, [], now, 'ALARM')).toBe('ALARM');
    expect(evaluateAlarm({ ...base, treatMissingData: 'breaching' }, [], now)).toBe('ALARM');
    expect(evaluateAlarm({ ...base, treatMissingData: 'notBreaching' }, [], now)).toBe('OK');
    expect(evaluateAlarm({ ...base, statistic: 'Sum', comparison: 'LessThanThreshold', threshold: 1 }, d, now)).toBe('OK');
  });
});

describe('DIFF alarms (counters)', () => {
  const diff: AlarmDefinition = { id: 'D', namespace: 'N', metricName: 'c', dimensions: {}, statistic: 'Maximum', period: 60, evaluationPeriods: 2, datapointsToAlarm: 2, threshold: 1, comparison: 'LessThanThreshold', treatMissingData: 'breaching', expression: 'DIFF' };
  test('each period is its maximum less the previous value of the series; the first value has none', () => {
    const d = [{ at: T0 - 4 * MIN, value: 10 }, { at: T0 - 3 * MIN, value: 15 }, { at: T0 - 2 * MIN, value: 15 }, { at: T0 - MIN + 1, value: 18 }];
    expect(periodValues(diff, d, T0)).toEqual([0, 3]);
    expect(periodValues(diff, d.slice(3), T0)).toEqual([undefined, undefined]);
    // A gap: the value before it is the previous one.
    expect(periodValues(diff, [d[0], d[3]], T0)).toEqual([undefined, 8]);
  });
  test('a template with another expression is refused by name', () => {
    const template = { Resources: { A: { Type: 'AWS::CloudWatch::Alarm', Properties: { EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'LessThanThreshold', Metrics: [{ Id: 'e', Expression: 'RATE(m)', ReturnData: true }, { Id: 'm', ReturnData: false, MetricStat: { Metric: { Namespace: 'N', MetricName: 'c' }, Period: 60, Stat: 'Sum' } }] } } } };
    expect(() => alarmsOf(template)).toThrow(/alarm A: only single-metric alarms and DIFF\(<metric>\) expressions are evaluated here/);
  });
});

describe('an alarm judged on the part of its window that metric data covers (cluster test 24.3)', () => {
  const a: AlarmDefinition = { id: 'H', namespace: 'N', metricName: 'c', dimensions: {}, statistic: 'Maximum', period: 300, evaluationPeriods: 2, datapointsToAlarm: 2, threshold: 1, comparison: 'LessThanThreshold', treatMissingData: 'breaching', expression: 'DIFF' };
  test('periods before the first datapoint are not judged; DIFF needs one period more; the window never grows past its own', () => {
    const start = T0 + 60_000; // data begins one minute into the period starting at T0
    expect(coveredPart(a, start, T0 + 9 * MIN)).toBeUndefined(); // only the first (DIFF base) period is complete
    expect(coveredPart(a, start, T0 + 10 * MIN)).toEqual({ ...a, evaluationPeriods: 1, datapointsToAlarm: 1 });
    expect(coveredPart(a, start, T0 + 60 * MIN)).toEqual(a);
    expect(coveredPart({ ...a, expression: undefined }, start, T0 + 5 * MIN)).toEqual({ ...a, expression: undefined, evaluationPeriods: 1, datapointsToAlarm: 1 });
  });
  test('judged on its covered part, a heartbeat that stopped is still ALARM, and one that beats is OK', () => {
    const beating = counter(T0, T0 + 12 * MIN, 12);
    const judged = coveredPart(a, T0, T0 + 11 * MIN)!;
    expect(evaluateAlarm(judged, beating, T0 + 11 * MIN)).toBe('OK');
    expect(evaluateAlarm(judged, counter(T0, T0 + 12 * MIN, 12, T0 + 5 * MIN), T0 + 11 * MIN)).toBe('ALARM');
  });
});
