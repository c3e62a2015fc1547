import * as fs from 'node:fs';
import * as path from 'node:path';
import { AGENT_METRIC_NAMESPACES, METRICS_SCRAPE_SECONDS, PORTS } from '../../../manifests-src/config';
import { POD_PEERS } from '../../../manifests-src/platform/network-flows';
import { AIRFLOW_METRICS_NAMESPACE } from '../../../infra/lib/observability';
import { stackName } from '../../../infra/lib/airflow-eks-stack';
import { metricNamesIn, metricsReadBy } from '../../../infra/lib/metric-catalog';
import type { AirflowApi } from '../../../cluster/airflow-api';
import { kubectlJson } from '../../../cluster/node/kubectl';
import { inPodNetwork } from '../pod-probe';
import { MIN, type ScenarioContext } from './context';
import { logGroupNames } from '../../../manifests-src/airflow/airflow-settings';
import { alarmsOf, coveredPart, evaluateAlarm, type AlarmDefinition } from '../../../local/cloudwatch-alarms';
import { metricId, metricsFromEmf } from '../../../local/emf';
import { CloudWatchLogsReader } from './container-logs';

/** Metric names in a Prometheus text exposition (comments and samples' labels left out). */
export function exposedMetricNames(exposition: string): string[] {
  const names = exposition
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(l)?.[0] ?? '');
  return [...new Set(names.filter(Boolean))].sort();
}

const stackTemplateOf = (root: string, envName: string) => JSON.parse(fs.readFileSync(path.join(root, 'cdk.out', `${stackName({ name: envName })}.template.json`), 'utf8'));

/** The names the alarms and dashboard of one environment's synthesized stack read in the Airflow namespace. */
export function airflowMetricsOfStack(root: string, envName: string): string[] {
  return metricNamesIn(metricsReadBy(stackTemplateOf(root, envName)), AIRFLOW_METRICS_NAMESPACE);
}

/**
 * Issue 24: the committed metrics agent (dist/'s fluent-bit-metrics) delivers every Airflow and PgBouncer metric the
 * stack's alarms and dashboard read (cdk.out/), under their namespace, name and dimensions, as EMF into the stack's metrics log
 * group; CloudWatch's extraction of them is emulated (local/emf.ts). Each alarm on them, evaluated on that data once
 * its window is covered, is OK: the platform ran work all along.
 */
export async function alarmMetricsReachCloudWatch(ctx: ScenarioContext, root: string): Promise<void> {
  const { env, services, log, until } = ctx;
  const template = stackTemplateOf(root, env.name);
  const read = metricsReadBy(template).filter((m) => (AGENT_METRIC_NAMESPACES as readonly string[]).includes(m.namespace));
  const wanted = [...new Set(read.map((m) => metricId(m)))].sort();
  expect(wanted.length).toBeGreaterThan(0);
  const group = logGroupNames(env).metrics;
  const cw = new CloudWatchLogsReader(`http://${services.host}:${services.ports.awsApi}`, env.aws.region);
  const arrived = async () => {
    const events: string[] = [];
    for (const s of await cw.streams(group, '')) events.push(...(await cw.events(group, s)));
    return metricsFromEmf(events);
  };
  let metrics = await arrived();
  try {
    await until(`every metric of cdk.out's alarms and dashboard in the agent's namespaces (${AGENT_METRIC_NAMESPACES.join(', ')}) as EMF in ${group}`, async () => {
      metrics = await arrived();
      return wanted.every((w) => metrics.has(w));
    }, 4 * MIN, 10_000);
  } finally {
    log(`  ${group}: ${wanted.map((w) => `${w} ${metrics.get(w)?.data.length ?? 0} datapoints`).join('; ')}`);
  }

  const alarms = alarmsOf(template).filter((a) => (AGENT_METRIC_NAMESPACES as readonly string[]).includes(a.namespace));
  expect(alarms.length).toBeGreaterThan(0);
  const data = (a: AlarmDefinition) => metrics.get(metricId(a))!.data;
  const earliest = Math.min(...alarms.map((a) => data(a)[0].at));
  // Each alarm judged on at least one complete period after the metrics began (DIFF: two).
  await until('a complete period of metric data for every alarm', () => alarms.every((a) => coveredPart(a, earliest, Date.now() - METRICS_SCRAPE_SECONDS * 1000)), 15 * MIN, 10_000);
  metrics = await arrived();
  const now = Date.now() - METRICS_SCRAPE_SECONDS * 1000;
  const states = alarms.map((a) => {
    const judged = coveredPart(a, earliest, now)!;
    return { alarm: `${a.id} (${judged.evaluationPeriods} of ${a.evaluationPeriods} periods)`, state: evaluateAlarm(judged, data(a), now) };
  });
  log(`  alarms on the agent's metrics, evaluated on the data that arrived: ${states.map((x) => `${x.alarm} ${x.state}`).join(', ')}`);
  expect(states.filter((x) => x.state !== 'OK')).toEqual([]);
}

/**
 * Every Airflow metric the stack's alarms and dashboard read (cdk.out/) is exported by dist/'s StatsD exporter under
 * that name, after real work: the tasks of the earlier tests succeeded, and one task here fails its tries (the
 * failure counter exists only once a try failed). The exporter is read on its own loopback, inside its pod.
 */
export async function alarmMetricsAreExported(ctx: ScenarioContext, api: AirflowApi, root: string): Promise<void> {
  const { env, log, until } = ctx;
  const wanted = airflowMetricsOfStack(root, env.name);
  expect(wanted.length).toBeGreaterThan(0);
  const pod = kubectlJson<{ items: { metadata: { name: string }; status: { phase: string } }[] }>(['-n', env.namespace, 'get', 'pods', '-l', `app.kubernetes.io/name=${POD_PEERS.statsd}`]).items.find((p) => p.status.phase === 'Running');
  if (!pod) throw new Error(`no running ${POD_PEERS.statsd} pod`);
  const exposed = async () =>
    exposedMetricNames(await inPodNetwork(env.namespace, pod.metadata.name, `fetch('http://127.0.0.1:${PORTS.statsdMetrics}/metrics').then(r=>r.text()).then(t=>console.log(t))`));
  const failing = await api.trigger('platform_workload', { tasks: 1, seconds: 0, fail: true });
  let names: string[] = [];
  try {
    await until(`every metric the alarms and dashboard read (${wanted.join(', ')}) exported`, async () => {
      names = await exposed();
      return wanted.every((w) => names.includes(w));
    }, 5 * MIN, 5000);
  } finally {
    // Its retries would go on for a minute: the failed try is what was needed.
    await api.call('PATCH', `/api/v2/dags/platform_workload/dagRuns/${encodeURIComponent(failing)}`, { state: 'failed' }).catch(() => undefined);
    log(`  StatsD exporter: ${names.filter((n) => n.startsWith('airflow_')).length} Airflow metrics; read by the alarms and dashboard: ${wanted.map((w) => `${w} ${names.includes(w) ? 'exported' : 'MISSING'}`).join(', ')}`);
  }
}
