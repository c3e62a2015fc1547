import * as fs from 'node:fs';
import * as path from 'node:path';
import { PORTS } from '../../../manifests-src/config';
import { POD_PEERS } from '../../../manifests-src/platform/network-flows';
import { AIRFLOW_METRICS_NAMESPACE } from '../../../infra/lib/observability';
import { stackName } from '../../../infra/lib/airflow-eks-stack';
import { metricNamesIn, metricsReadBy } from '../../../infra/lib/metric-catalog';
import type { AirflowApi } from '../../../cluster/airflow-api';
import { kubectlJson } from '../../../cluster/node/kubectl';
import { inPodNetwork } from '../pod-probe';
import { MIN, type ScenarioContext } from './context';

/** Metric names in a Prometheus text exposition (comments and samples' labels left out). */
export function exposedMetricNames(exposition: string): string[] {
  const names = exposition
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(l)?.[0] ?? '');
  return [...new Set(names.filter(Boolean))].sort();
}

/** The names the alarms and dashboard of one environment's synthesized stack read in the Airflow namespace. */
export function airflowMetricsOfStack(root: string, envName: string): string[] {
  const template = JSON.parse(fs.readFileSync(path.join(root, 'cdk.out', `${stackName({ name: envName })}.template.json`), 'utf8'));
  return metricNamesIn(metricsReadBy(template), AIRFLOW_METRICS_NAMESPACE);
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
