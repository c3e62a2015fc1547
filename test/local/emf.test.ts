import { metricId, metricsFromEmf } from '../../local/emf';

/** The EMF extraction the cluster suite applies to the metrics agent's events (the AWS emulator extracts none). */
describe('metrics from embedded metric format events', () => {
  // The shape Fluent Bit's cmetrics encoder writes for one sample (lib/cmetrics/src/cmt_encode_cloudwatch_emf.c).
  const event = (t: number, value: number, name = 'airflow_scheduler_heartbeat') =>
    JSON.stringify({ _aws: { Timestamp: t, CloudWatchMetrics: [{ Namespace: 'airflow', Dimensions: [['ClusterName']], Metrics: [{ Name: name, StorageResolution: 60 }] }] }, ClusterName: 'airflow-dev', prom_metric_type: 'counter', [name]: value });

  test('each event is a datapoint of its namespace, name and dimension values, in time order', () => {
    const m = metricsFromEmf([event(2000, 12), event(1000, 7), event(1500, 3, 'airflow_executor_queued_tasks')]);
    const id = metricId({ namespace: 'airflow', metricName: 'airflow_scheduler_heartbeat', dimensions: { ClusterName: 'airflow-dev' } });
    expect(id).toBe('airflow/airflow_scheduler_heartbeat{ClusterName=airflow-dev}');
    expect(m.get(id)!.data).toEqual([{ at: 1000, value: 7 }, { at: 2000, value: 12 }]);
    expect([...m.keys()].sort()).toEqual(['airflow/airflow_executor_queued_tasks{ClusterName=airflow-dev}', id]);
  });

  test('an event that is not EMF, or names a metric it does not carry, is an error', () => {
    expect(() => metricsFromEmf(['{"log":"a line"}'])).toThrow(/not an EMF event/);
    expect(() => metricsFromEmf([JSON.stringify({ _aws: { Timestamp: 1, CloudWatchMetrics: [{ Namespace: 'n', Dimensions: [[]], Metrics: [{ Name: 'x' }] }] } })])).toThrow(/names metric x without a numeric member/);
  });
});
