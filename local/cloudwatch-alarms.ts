/**
 * CloudWatch's alarm evaluation, emulated for the alarm definitions in cdk.out/ (the AWS emulator stores metric data
 * but evaluates no alarm). It follows the documented rules: the most recent `EvaluationPeriods` periods, aligned to
 * the period, each reduced by the statistic; `DatapointsToAlarm` of them breaching (default: all) is ALARM; a period
 * without data counts by `TreatMissingData` (breaching / notBreaching; missing and ignore leave it out: fewer
 * than `DatapointsToAlarm` periods left, all of them breaching, is ALARM; none left is INSUFFICIENT_DATA, or the
 * previous state for ignore). CloudWatch's look-back beyond the evaluation range for missing data is not emulated.
 */

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
export type Statistic = 'Sum' | 'Average' | 'Maximum' | 'Minimum' | 'SampleCount';
export type Comparison = 'GreaterThanThreshold' | 'GreaterThanOrEqualToThreshold' | 'LessThanThreshold' | 'LessThanOrEqualToThreshold';
export type MissingData = 'breaching' | 'notBreaching' | 'missing' | 'ignore';

export interface AlarmDefinition {
  /** The template's logical id. */
  readonly id: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly statistic: Statistic;
  /** Seconds. */
  readonly period: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly threshold: number;
  readonly comparison: Comparison;
  readonly treatMissingData: MissingData;
}

/** One metric datapoint: when (ms since the epoch) and its value. */
export interface Datapoint {
  readonly at: number;
  readonly value: number;
}

const STATISTICS: Record<Statistic, (v: number[]) => number> = {
  Sum: (v) => v.reduce((a, b) => a + b, 0),
  Average: (v) => v.reduce((a, b) => a + b, 0) / v.length,
  Maximum: (v) => Math.max(...v),
  Minimum: (v) => Math.min(...v),
  SampleCount: (v) => v.length,
};

const COMPARE: Record<Comparison, (value: number, threshold: number) => boolean> = {
  GreaterThanThreshold: (v, t) => v > t,
  GreaterThanOrEqualToThreshold: (v, t) => v >= t,
  LessThanThreshold: (v, t) => v < t,
  LessThanOrEqualToThreshold: (v, t) => v <= t,
};

/** The single-metric alarms of a synthesized template (metric-math alarms are refused by name). */
export function alarmsOf(template: { Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }> }): AlarmDefinition[] {
  return Object.entries(template.Resources ?? {})
    .filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm')
    .map(([id, r]) => {
      const p = r.Properties ?? {};
      if (typeof p.MetricName !== 'string' || typeof p.Statistic !== 'string') throw new Error(`alarm ${id}: only single-metric alarms with a statistic are evaluated here`);
      const evaluationPeriods = Number(p.EvaluationPeriods);
      return {
        id,
        namespace: String(p.Namespace),
        metricName: p.MetricName,
        statistic: p.Statistic as Statistic,
        period: Number(p.Period),
        evaluationPeriods,
        datapointsToAlarm: p.DatapointsToAlarm === undefined ? evaluationPeriods : Number(p.DatapointsToAlarm),
        threshold: Number(p.Threshold),
        comparison: p.ComparisonOperator as Comparison,
        // CloudWatch's default.
        treatMissingData: (p.TreatMissingData as MissingData | undefined) ?? 'missing',
      };
    });
}

/** Each of the evaluated periods (oldest first): its value, or undefined when it had no datapoint. */
export function periodValues(alarm: AlarmDefinition, data: readonly Datapoint[], now: number): (number | undefined)[] {
  const periodMs = alarm.period * 1000;
  // The last complete period ends at the period boundary at or before now.
  const end = Math.floor(now / periodMs) * periodMs;
  const out: (number | undefined)[] = [];
  for (let i = alarm.evaluationPeriods; i >= 1; i--) {
    const from = end - i * periodMs;
    const values = data.filter((d) => d.at >= from && d.at < from + periodMs).map((d) => d.value);
    out.push(values.length ? STATISTICS[alarm.statistic](values) : undefined);
  }
  return out;
}

/** The alarm's state at `now` from the metric's datapoints. */
export function evaluateAlarm(alarm: AlarmDefinition, data: readonly Datapoint[], now: number, previous: AlarmState = 'INSUFFICIENT_DATA'): AlarmState {
  const verdicts = periodValues(alarm, data, now).map((v) => {
    if (v !== undefined) return COMPARE[alarm.comparison](v, alarm.threshold);
    if (alarm.treatMissingData === 'breaching') return true;
    if (alarm.treatMissingData === 'notBreaching') return false;
    return undefined;
  });
  const counted = verdicts.filter((v): v is boolean => v !== undefined);
  if (counted.length === 0) return alarm.treatMissingData === 'ignore' ? previous : 'INSUFFICIENT_DATA';
  const breaching = counted.filter(Boolean).length;
  return breaching > 0 && breaching >= Math.min(alarm.datapointsToAlarm, counted.length) ? 'ALARM' : 'OK';
}
