/**
 * CloudWatch's alarm evaluation, emulated for the alarm definitions in cdk.out/ (the AWS emulator stores metric data
 * but evaluates no alarm). It follows the documented rules: the most recent `EvaluationPeriods` periods, aligned to
 * the period, each reduced by the statistic; `DatapointsToAlarm` of them breaching (default: all) is ALARM; a period
 * without data counts by `TreatMissingData` (breaching / notBreaching; missing and ignore leave it out: fewer
 * than `DatapointsToAlarm` periods left, all of them breaching, is ALARM; none left is INSUFFICIENT_DATA, or the
 * previous state for ignore). CloudWatch's look-back beyond the evaluation range for missing data is not emulated.
 * A metric-math alarm is evaluated when its expression is DIFF of one metric (how the alarms read counters).
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
  /** Dimension name → value (a literal in the template; a reference is kept as `{token}`). */
  readonly dimensions: Readonly<Record<string, string>>;
  readonly statistic: Statistic;
  /** Seconds. */
  readonly period: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly threshold: number;
  readonly comparison: Comparison;
  readonly treatMissingData: MissingData;
  /**
   * A metric-math alarm on `DIFF(<the metric>)`: each value less the previous value of the series (a counter's
   * increase per period). Other expressions are refused when the template is read.
   */
  readonly expression?: 'DIFF';
}

/** How many periods before the evaluated ones DIFF looks back for a previous value. */
const DIFF_LOOKBACK_PERIODS = 5;

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

type Dimensions = { Name: string; Value: unknown }[] | undefined;
interface MetricQuery {
  Id: string;
  Expression?: string;
  ReturnData?: boolean;
  MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions?: Dimensions }; Period: number; Stat: string };
}

const dimensionsOf = (d: Dimensions): Record<string, string> => Object.fromEntries((d ?? []).map((x) => [x.Name, typeof x.Value === 'string' ? x.Value : '{token}']));

/** The metric an alarm reads: its own fields, or the one metric of a `DIFF(<id>)` expression. */
function alarmMetric(id: string, p: Record<string, unknown>): Pick<AlarmDefinition, 'namespace' | 'metricName' | 'dimensions' | 'statistic' | 'period' | 'expression'> {
  if (typeof p.MetricName === 'string' && typeof p.Statistic === 'string') {
    return { namespace: String(p.Namespace), metricName: p.MetricName, dimensions: dimensionsOf(p.Dimensions as Dimensions), statistic: p.Statistic as Statistic, period: Number(p.Period) };
  }
  const queries = (p.Metrics as MetricQuery[] | undefined) ?? [];
  const returned = queries.filter((q) => q.ReturnData !== false);
  // One metric with a label or an id renders as a one-query Metrics array: a plain alarm.
  const plain = returned.length === 1 ? returned[0].MetricStat : undefined;
  if (plain) return { namespace: plain.Metric.Namespace, metricName: plain.Metric.MetricName, dimensions: dimensionsOf(plain.Metric.Dimensions), statistic: plain.Stat as Statistic, period: Number(plain.Period) };
  const m = returned.length === 1 ? /^DIFF\((\w+)\)$/.exec(returned[0].Expression ?? '') : null;
  const stat = m ? queries.find((q) => q.Id === m[1])?.MetricStat : undefined;
  if (!stat) throw new Error(`alarm ${id}: only single-metric alarms and DIFF(<metric>) expressions are evaluated here`);
  return { namespace: stat.Metric.Namespace, metricName: stat.Metric.MetricName, dimensions: dimensionsOf(stat.Metric.Dimensions), statistic: stat.Stat as Statistic, period: Number(stat.Period), expression: 'DIFF' };
}

/** The alarms of a synthesized template: single-metric, or DIFF of one metric (any other expression is refused by name). */
export function alarmsOf(template: { Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }> }): AlarmDefinition[] {
  return Object.entries(template.Resources ?? {})
    .filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm')
    .map(([id, r]) => {
      const p = r.Properties ?? {};
      const evaluationPeriods = Number(p.EvaluationPeriods);
      return {
        id,
        ...alarmMetric(id, p),
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
  const reduced = (periods: number): (number | undefined)[] => {
    const out: (number | undefined)[] = [];
    for (let i = periods; i >= 1; i--) {
      const from = end - i * periodMs;
      const values = data.filter((d) => d.at >= from && d.at < from + periodMs).map((d) => d.value);
      out.push(values.length ? STATISTICS[alarm.statistic](values) : undefined);
    }
    return out;
  };
  if (alarm.expression !== 'DIFF') return reduced(alarm.evaluationPeriods);
  // DIFF works on the series of values that exist: each less the value before it, the first one has none.
  const series = reduced(alarm.evaluationPeriods + DIFF_LOOKBACK_PERIODS);
  let previous: number | undefined;
  const diffs = series.map((v) => {
    if (v === undefined) return undefined;
    const d = previous === undefined ? undefined : v - previous;
    previous = v;
    return d;
  });
  return diffs.slice(DIFF_LOOKBACK_PERIODS);
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

/**
 * The alarm's own rule on the complete periods of its window that lie after the metrics began at `earliest` (and, for
 * DIFF, after a first period to diff from): before the agent ran, a period's missing data says nothing of the platform.
 */
export function coveredPart(a: AlarmDefinition, earliest: number, now: number): AlarmDefinition | undefined {
  const p = a.period * 1000;
  const firstJudged = Math.floor(earliest / p) * p + (a.expression === 'DIFF' ? p : 0);
  const covered = Math.min(a.evaluationPeriods, Math.floor((Math.floor(now / p) * p - firstJudged) / p));
  return covered >= 1 ? { ...a, evaluationPeriods: covered, datapointsToAlarm: Math.min(a.datapointsToAlarm, covered) } : undefined;
}
