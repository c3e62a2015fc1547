import { CLOUDWATCH_PGBOUNCER_METRICS, DATABASES, loadEnvironments, PGBOUNCER_METRICS_PREFIX } from '../../manifests-src/config';
import { AIRFLOW_METRICS_NAMESPACE } from '../../infra/lib/observability';
import { metricNamesIn, metricsReadBy } from '../../infra/lib/metric-catalog';
import { committedSynth } from './committed-synth';

/** The list of metrics the synthesized stacks read, which the cluster suite holds the StatsD exporter to. */
const s = committedSynth();

describe('metrics read by the alarms and dashboards of cdk.out', () => {
  test.each(loadEnvironments().map((e) => e.name))('%s: every alarm and every dashboard metric is listed, with its dimensions', (name) => {
    const template = s.templates[name].toJSON();
    const read = metricsReadBy(template);
    const alarms = Object.keys(s.templates[name].findResources('AWS::CloudWatch::Alarm'));
    expect(read.filter((m) => m.readBy.startsWith('alarm ')).map((m) => m.readBy.slice('alarm '.length)).sort()).toEqual(alarms.sort());
    expect(read.filter((m) => m.readBy.startsWith('dashboard ')).length).toBeGreaterThan(0);
    // Airflow's metrics carry the cluster, as the metrics path must publish them.
    for (const m of read.filter((x) => x.namespace === AIRFLOW_METRICS_NAMESPACE)) expect(m.dimensions).toEqual({ ClusterName: expect.stringMatching(/^airflow-/) });
    expect(metricNamesIn(read, AIRFLOW_METRICS_NAMESPACE)).toEqual(['airflow_dag_processing_import_errors', 'airflow_executor_queued_tasks', 'airflow_scheduler_heartbeat', 'airflow_ti_failures', 'airflow_ti_successes', 'airflow_triggerer_heartbeat']);
    // PgBouncer's, per cluster and metadata database (the agent drops the exporter's user and pool_mode labels).
    const pgbouncer = read.filter((x) => x.namespace === PGBOUNCER_METRICS_PREFIX);
    expect([...new Set(pgbouncer.map((m) => m.metricName))]).toEqual([CLOUDWATCH_PGBOUNCER_METRICS.waitingClients.name]);
    for (const m of pgbouncer) expect(m.dimensions).toEqual({ ClusterName: expect.stringMatching(/^airflow-/), database: DATABASES.metadata });
  });

  test('a reference inside a dimension or the dashboard body is kept as a token; a metric-math alarm reads the metrics of its queries; an alarm with neither is refused by name', () => {
    const template = {
      Resources: {
        A: { Type: 'AWS::CloudWatch::Alarm', Properties: { Namespace: 'AWS/RDS', MetricName: 'CPUUtilization', Dimensions: [{ Name: 'DBClusterIdentifier', Value: { Ref: 'Db' } }] } },
        E: { Type: 'AWS::CloudWatch::Alarm', Properties: { Metrics: [{ Id: 'e', Expression: 'DIFF(c)', ReturnData: true }, { Id: 'c', ReturnData: false, MetricStat: { Metric: { Namespace: 'airflow', MetricName: 'airflow_x', Dimensions: [{ Name: 'ClusterName', Value: 'c1' }] }, Period: 300, Stat: 'Maximum' } }] } },
        D: { Type: 'AWS::CloudWatch::Dashboard', Properties: { DashboardBody: { 'Fn::Join': ['', ['{"widgets":[{"type":"metric","properties":{"title":"t","region":"', { Ref: 'AWS::Region' }, '","metrics":[["NS","m","K","', { Ref: 'X' }, '-001",{"stat":"Sum"}]]}}]}']] } } },
      },
    };
    expect(metricsReadBy(template)).toEqual([
      { namespace: 'AWS/RDS', metricName: 'CPUUtilization', dimensions: { DBClusterIdentifier: '{token}' }, readBy: 'alarm A' },
      { namespace: 'airflow', metricName: 'airflow_x', dimensions: { ClusterName: 'c1' }, readBy: 'alarm E' },
      { namespace: 'NS', metricName: 'm', dimensions: { K: '{token}-001' }, readBy: 'dashboard D: t' },
    ]);
    expect(() => metricsReadBy({ Resources: { M: { Type: 'AWS::CloudWatch::Alarm', Properties: {} } } })).toThrow(/alarm M: neither MetricName nor Metrics/);
  });
});
