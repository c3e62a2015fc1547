/**
 * CloudWatch's extraction of metrics from embedded metric format (EMF) log events, emulated: the AWS emulator stores
 * the events the metrics agent writes but extracts nothing. Follows the documented format: an event is JSON whose
 * `_aws` member names a Timestamp (ms) and CloudWatchMetrics directives (Namespace, Dimensions: lists of member
 * names, Metrics: names); each named metric's value is the member of that name, each dimension's value the member
 * of its name. One datapoint per metric, per dimension set, per event.
 */
import type { Datapoint } from './cloudwatch-alarms';

export interface EmfMetricKey {
  readonly namespace: string;
  readonly metricName: string;
  /** Dimension name → value. */
  readonly dimensions: Readonly<Record<string, string>>;
}

interface Directive {
  Namespace: string;
  Dimensions: string[][];
  Metrics: { Name: string }[];
}

/** A stable string for a metric's identity: namespace, name and sorted dimensions. */
export function metricId(k: EmfMetricKey): string {
  const dims = Object.entries(k.dimensions)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([n, v]) => `${n}=${v}`)
    .join(',');
  return `${k.namespace}/${k.metricName}{${dims}}`;
}

/** The datapoints a set of EMF log events becomes, by metric; an event that is not valid EMF is an error. */
export function metricsFromEmf(events: readonly string[]): Map<string, { key: EmfMetricKey; data: Datapoint[] }> {
  const out = new Map<string, { key: EmfMetricKey; data: Datapoint[] }>();
  for (const e of events) {
    const doc = JSON.parse(e) as Record<string, unknown> & { _aws?: { Timestamp?: number; CloudWatchMetrics?: Directive[] } };
    const aws = doc._aws;
    if (!aws || typeof aws.Timestamp !== 'number' || !Array.isArray(aws.CloudWatchMetrics)) throw new Error(`not an EMF event (no _aws.Timestamp / CloudWatchMetrics): ${e.slice(0, 200)}`);
    for (const d of aws.CloudWatchMetrics) {
      for (const set of d.Dimensions) {
        const dimensions = Object.fromEntries(set.map((n) => [n, String(doc[n])]));
        for (const m of d.Metrics) {
          const value = doc[m.Name];
          if (typeof value !== 'number') throw new Error(`EMF event names metric ${m.Name} without a numeric member: ${e.slice(0, 200)}`);
          const key = { namespace: d.Namespace, metricName: m.Name, dimensions };
          const id = metricId(key);
          if (!out.has(id)) out.set(id, { key, data: [] });
          out.get(id)!.data.push({ at: aws.Timestamp, value });
        }
      }
    }
  }
  for (const v of out.values()) v.data.sort((a, b) => a.at - b.at);
  return out;
}
