import { AIRFLOW_METRICS_PREFIX, COMPONENTS, METRIC_CLUSTER_DIMENSION, PORTS, type EnvironmentConfig } from '../manifests-src/config';
import { logGroupNames } from '../manifests-src/airflow/airflow-settings';
import { METRICS_AGENT } from '../manifests-src/platform/fluent-bit';

/** Per environment: every component with its replicas and resources, as `npm start` prints it. */
export function componentSummary(envs: readonly EnvironmentConfig[]): string {
  const lines: string[] = [];
  for (const env of envs) {
    const c = env.components;
    const w = env.workers;
    const rows: [string, string, string][] = [
      ['api-server', String(c.apiServer.replicas), res(c.apiServer.resources)],
      ['scheduler', String(c.scheduler.replicas), res(c.scheduler.resources)],
      ['dag-processor', String(c.dagProcessor.replicas), res(c.dagProcessor.resources)],
      ['triggerer', String(c.triggerer.replicas), res(c.triggerer.resources)],
      ['celery worker', `${w.minReplicas}..${w.maxReplicas} (KEDA, ${w.concurrency} slots each)`, res(w.resources)],
      ['pgbouncer', String(env.pgbouncer.replicas), `${res(env.pgbouncer.resources)}; pool ${env.pgbouncer.metadataPoolSize}`],
    ];
    lines.push(`${env.name}  (${env.aws.partition} ${env.aws.region}, cluster ${env.cluster.name}, Airflow ${env.airflow.version})`);
    const width = Math.max(...rows.map((r) => r[1].length));
    for (const [name, replicas, r] of rows) lines.push(`  ${name.padEnd(14)} ${replicas.padEnd(width)}  ${r}`);
    for (const l of telemetryLines(env)) lines.push(`  ${l}`);
  }
  return lines.join('\n');
}

function res(r: { cpu: string; memory: string; cpuLimit?: string; memoryLimit?: string }): string {
  return `cpu ${r.cpu}, mem ${r.memory}${r.memoryLimit ? ` (limit ${r.memoryLimit})` : ''}`;
}

/** Where an environment's logs and metrics go, as dist/ and the stack send them. */
export function telemetryLines(env: EnvironmentConfig): string[] {
  const groups = logGroupNames(env);
  const tasks = env.logging.remoteTaskLogs === 's3' ? `s3://${env.logging.s3Bucket}/task-logs` : `CloudWatch Logs ${groups.tasks}`;
  return [
    `logs           containers (FluentBit) -> CloudWatch Logs ${groups.containers}; task logs (Airflow) -> ${tasks}`,
    `metrics        Airflow StatsD -> ${COMPONENTS.statsd.service}:${PORTS.statsdMetrics}/metrics (Prometheus) -> ${METRICS_AGENT} -> CloudWatch namespace ${AIRFLOW_METRICS_PREFIX} (${METRIC_CLUSTER_DIMENSION}=${env.cluster.name}, via ${groups.metrics}); alarms -> SNS ${env.cluster.name} alarms${env.infra.alarmEmail ? ` (${env.infra.alarmEmail})` : ''}`,
  ];
}

