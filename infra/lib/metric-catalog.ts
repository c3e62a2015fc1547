/**
 * Every CloudWatch metric a synthesized stack reads: each alarm's metric and each dashboard widget's metrics, from
 * the template in cdk.out/ (what AWS gets), not from the construct code. Tests hold the metrics path to this list:
 * a metric an alarm reads that nothing publishes is an alarm nobody can trust.
 */

export interface ReadMetric {
  readonly namespace: string;
  readonly metricName: string;
  /** Dimension name → value; a CloudFormation reference (a Ref or Fn::Join) is kept as `{token}`. */
  readonly dimensions: Record<string, string>;
  /** Who reads it: `alarm <logical id>` or `dashboard <logical id>: <widget title>`. */
  readonly readBy: string;
}

interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
}

const TOKEN = '{token}';

/** A CloudFormation value as text: literals as they are, intrinsic functions as `{token}`. */
function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && 'Fn::Join' in v) {
    const [sep, parts] = (v as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    return parts.map(text).join(sep);
  }
  return TOKEN;
}

/** Dashboard metric arrays: [namespace, name, dim1, value1, ..., {options}?]. */
function fromMetricArray(a: unknown[], readBy: string): ReadMetric {
  const fields = a.filter((x): x is string => typeof x === 'string');
  const [namespace, metricName, ...pairs] = fields;
  const dimensions: Record<string, string> = {};
  for (let i = 0; i + 1 < pairs.length; i += 2) dimensions[pairs[i]] = pairs[i + 1];
  return { namespace, metricName, dimensions, readBy };
}

export function metricsReadBy(template: { Resources?: Record<string, CfnResource> }): ReadMetric[] {
  const out: ReadMetric[] = [];
  for (const [id, r] of Object.entries(template.Resources ?? {})) {
    const p = r.Properties ?? {};
    if (r.Type === 'AWS::CloudWatch::Alarm') {
      const dimensions = (dims: { Name: string; Value: unknown }[] | undefined) => Object.fromEntries((dims ?? []).map((d) => [d.Name, text(d.Value)]));
      if (typeof p.MetricName === 'string') {
        out.push({ namespace: String(p.Namespace), metricName: p.MetricName, dimensions: dimensions(p.Dimensions as { Name: string; Value: unknown }[]), readBy: `alarm ${id}` });
      } else if (Array.isArray(p.Metrics)) {
        // A metric-math alarm: each metric its expression reads.
        for (const q of p.Metrics as { MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions?: { Name: string; Value: unknown }[] } } }[]) {
          if (q.MetricStat) out.push({ namespace: q.MetricStat.Metric.Namespace, metricName: q.MetricStat.Metric.MetricName, dimensions: dimensions(q.MetricStat.Metric.Dimensions), readBy: `alarm ${id}` });
        }
      } else throw new Error(`alarm ${id}: neither MetricName nor Metrics`);
    } else if (r.Type === 'AWS::CloudWatch::Dashboard') {
      // The body is JSON with references spliced in (region, resource ids): inside strings, so a token keeps it JSON.
      const body = JSON.parse(text(p.DashboardBody)) as { widgets: { type: string; properties?: { title?: string; metrics?: unknown[][] } }[] };
      for (const w of body.widgets) {
        // An expression's entry ([{expression, ...}]) names no metric: the metrics it reads have entries of their own.
        for (const m of w.properties?.metrics ?? []) if (typeof m[0] === 'string') out.push(fromMetricArray(m, `dashboard ${id}: ${w.properties?.title ?? w.type}`));
      }
    }
  }
  return out;
}

/** The distinct metric names of one namespace, sorted. */
export function metricNamesIn(metrics: readonly ReadMetric[], namespace: string): string[] {
  return [...new Set(metrics.filter((m) => m.namespace === namespace).map((m) => m.metricName))].sort();
}
