import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { KEEP_DATA } from './retention';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { AIRFLOW_METRICS_PREFIX, CLOUDWATCH_AIRFLOW_METRICS, CLOUDWATCH_PGBOUNCER_METRICS, DATABASES, METRIC_CLUSTER_DIMENSION, PGBOUNCER_METRICS_PREFIX, SERVICE_ACCOUNTS, type EnvironmentConfig } from '../../manifests-src/config';
import { METRICS_AGENT } from '../../manifests-src/platform/fluent-bit';
import { logGroupNames } from '../../manifests-src/airflow/airflow-settings';

export interface ObservabilityProps {
  readonly env: EnvironmentConfig;
  readonly database: rds.DatabaseCluster;
  readonly broker: elasticache.CfnReplicationGroup;
}

/**
 * CloudWatch namespace of Airflow's metrics: the metrics agent (dist/'s `fluent-bit-metrics`) scrapes the StatsD
 * exporter and writes embedded metric format, whose namespace is the names' first segment, Airflow's StatsD prefix.
 */
export const AIRFLOW_METRICS_NAMESPACE = AIRFLOW_METRICS_PREFIX;

/** Between when an alarm fires and what to do, in its description (docs/runbook.md renders both from cdk.out). */
export const ALARM_ACTION_SEPARATOR = ' What to do: ';

export { logGroupNames };

/** PgBouncer's server connections at most; more on Aurora means something bypasses PgBouncer. */
export function expectedMaxDbConnections(env: EnvironmentConfig): number {
  const pb = env.pgbouncer;
  return pb.replicas * pb.metadataPoolSize;
}

/** Log groups with the configured retention, a dashboard, alarms and the SNS topic they notify. */
export class Observability extends Construct {
  readonly logGroups: Record<'containers' | 'tasks' | 'metrics', logs.LogGroup>;
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const { env, database, broker } = props;
    const retention = env.logging.retentionDays as logs.RetentionDays;
    const names = logGroupNames(env);
    this.logGroups = {
      containers: new logs.LogGroup(this, 'Containers', { logGroupName: names.containers, retention, removalPolicy: KEEP_DATA }),
      tasks: new logs.LogGroup(this, 'Tasks', { logGroupName: names.tasks, retention, removalPolicy: KEEP_DATA }),
      // EMF events of the metrics agent (CloudWatch extracts the metrics on arrival): a few MB a day.
      metrics: new logs.LogGroup(this, 'Metrics', { logGroupName: names.metrics, retention, removalPolicy: KEEP_DATA }),
    };

    // Encrypts alarm notifications only (nothing kept depends on it): scheduled for deletion with the stack.
    const topicKey = new kms.Key(this, 'TopicKey', { enableKeyRotation: true, description: `${env.cluster.name} alarm topic`, removalPolicy: RemovalPolicy.DESTROY });
    // CloudWatch alarms publish to the encrypted topic, so the service must be able to use the key.
    topicKey.addToResourcePolicy(new iam.PolicyStatement({ principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')], actions: ['kms:Decrypt', 'kms:GenerateDataKey*'], resources: ['*'] }));
    this.topic = new sns.Topic(this, 'Alarms', { displayName: `${env.cluster.name} alarms`, masterKey: topicKey, enforceSSL: true });
    if (env.infra.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(env.infra.alarmEmail));

    const period = Duration.minutes(5);
    type AirflowMetric = keyof typeof CLOUDWATCH_AIRFLOW_METRICS;
    /**
     * A gauge by its maximum per period; a counter (its running total arrives) by its increase per period: the
     * highest total of the period less the previous period's (DIFF), so a stalled counter reads 0 while data flows.
     */
    const airflow = (key: AirflowMetric, label: string): cloudwatch.IMetric => {
      const { name, kind } = CLOUDWATCH_AIRFLOW_METRICS[key];
      const metric = new cloudwatch.Metric({ namespace: AIRFLOW_METRICS_NAMESPACE, metricName: name, dimensionsMap: { [METRIC_CLUSTER_DIMENSION]: env.cluster.name }, statistic: 'Maximum', period });
      return kind === 'gauge' ? metric.with({ label }) : new cloudwatch.MathExpression({ expression: `DIFF(${key})`, usingMetrics: { [key]: metric }, period, label });
    };
    const heartbeat = airflow('schedulerHeartbeat', 'Scheduler heartbeats');
    const successes = airflow('taskSuccesses', 'Task successes');
    const failures = airflow('taskFailures', 'Task failures');
    const queued = airflow('queuedTasks', 'Queued tasks');
    const dbConnections = database.metricDatabaseConnections({ period: Duration.minutes(5), statistic: 'Maximum' });
    const dbCpu = database.metricCPUUtilization({ period: Duration.minutes(5) });
    // Memory of the primary node (member 001 of the replication group).
    const redisMemory = new cloudwatch.Metric({ namespace: 'AWS/ElastiCache', metricName: 'DatabaseMemoryUsagePercentage', dimensionsMap: { CacheClusterId: `${broker.ref}-001` }, statistic: 'Maximum', period: Duration.minutes(5) });

    // Clients of the metadata database's pool queued for a server connection (the highest of the period).
    const pgbouncerWaiting = new cloudwatch.Metric({
      namespace: PGBOUNCER_METRICS_PREFIX,
      metricName: CLOUDWATCH_PGBOUNCER_METRICS.waitingClients.name,
      dimensionsMap: { [METRIC_CLUSTER_DIMENSION]: env.cluster.name, database: DATABASES.metadata },
      statistic: 'Maximum',
      period,
      label: 'PgBouncer clients waiting',
    });
    const importErrors = airflow('importErrors', 'DAG import errors');
    const triggererHeartbeat = airflow('triggererHeartbeat', 'Triggerer heartbeats');
    const brokerCpu = new cloudwatch.Metric({ namespace: 'AWS/ElastiCache', metricName: 'EngineCPUUtilization', dimensionsMap: { CacheClusterId: `${broker.ref}-001` }, statistic: 'Maximum', period: Duration.minutes(5) });

    const slots = env.workers.maxReplicas * env.workers.concurrency;
    const ns = env.namespace;
    /** One alarm: when it fires, and what the operator does first (both in its description, so the notification carries them). */
    const alarm = (id: string, metric: cloudwatch.IMetric, threshold: number, op: cloudwatch.ComparisonOperator, fires: string, action: string, missing = cloudwatch.TreatMissingData.NOT_BREACHING, periods = 3) => {
      const a = new cloudwatch.Alarm(this, id, { metric, threshold, comparisonOperator: op, evaluationPeriods: periods, treatMissingData: missing, alarmDescription: `${fires}${ALARM_ACTION_SEPARATOR}${action}` });
      a.addAlarmAction(new actions.SnsAction(this.topic));
      a.addOkAction(new actions.SnsAction(this.topic));
      this.alarms.push(a);
    };
    const GT = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD;
    const LT = cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD;
    alarm('SchedulerHeartbeat', heartbeat, 1, LT, 'No scheduler heartbeat for 10 minutes: no task is being scheduled.', `\`kubectl -n ${ns} get pods -l app.kubernetes.io/name=airflow-scheduler\`; read the scheduler log in CloudWatch Logs; check the database through PgBouncer (DbConnections, DbCpu). With no scheduler pod Pending or crashing, check that metrics still arrive (the alarm breaches on missing data): \`kubectl -n ${SERVICE_ACCOUNTS.fluentBit.namespace} logs deploy/${METRICS_AGENT}\`.`, cloudwatch.TreatMissingData.BREACHING, 2);
    alarm('TriggererHeartbeat', triggererHeartbeat, 1, LT, 'No triggerer heartbeat for 10 minutes: deferred tasks do not resume.', `\`kubectl -n ${ns} get pods -l app.kubernetes.io/name=airflow-triggerer\`; its log shows a trigger blocking the event loop (\`triggers.blocked_main_thread\`) or a database error.`, cloudwatch.TreatMissingData.BREACHING, 2);
    alarm('TaskFailures', failures, 10, GT, 'More than 10 task failures per 5 minutes for 15 minutes.', 'Open the Airflow UI (Browse > Task Instances, state failed) to see whether one DAG or all fail; all failing points at the platform (workers, database, broker), one at its code or its source system.');
    alarm('QueueDepth', queued, slots, GT, `Queued tasks above what maxReplicas x concurrency (${slots}) can run, for 15 minutes.`, 'Raise `workers.maxReplicas` (and `karpenter.cpuLimit`), or look for workers that do not start: `kubectl -n ' + ns + ' get pods -l app.kubernetes.io/name=airflow-worker` and Karpenter\'s NodeClaims.');
    alarm('ImportErrors', importErrors, 0, GT, 'A DAG file failed to import for 15 minutes: its DAGs are not scheduled.', 'The Airflow UI lists the file and its traceback (DAG import errors); fix it in the DAG repository and push.');
    alarm('PgBouncerClientsWaiting', pgbouncerWaiting, 0, GT, 'Airflow clients queued in PgBouncer for a database connection, in every 5 minutes for 15 minutes: tasks and the scheduler wait on the database.', `Long transactions or a slow Aurora hold the pool: check DbCpu and \`SELECT pid, now() - xact_start, query FROM pg_stat_activity ORDER BY 2 DESC\`; if the load is real, raise \`pgbouncer.metadataPoolSize\` (within Aurora's max_connections) or \`pgbouncer.replicas\`.`);
    alarm('DbConnections', dbConnections, expectedMaxDbConnections(env) + 10, GT, 'More Aurora connections than PgBouncer opens, for 15 minutes.', 'A client bypasses PgBouncer or the pool sizes changed: `SELECT usename, application_name, count(*) FROM pg_stat_activity GROUP BY 1, 2` on the cluster endpoint.');
    alarm('DbCpu', dbCpu, 80, GT, 'Aurora CPU above 80% for 15 minutes.', 'Performance Insights names the top queries; raise `infra.database.instanceClass`; if the queries of the dag-processor dominate, fewer or slower-changing DAG files help.');
    alarm('BrokerMemory', redisMemory, 80, GT, 'Broker memory above 80% for 15 minutes: queued messages are piling up.', 'Workers are not consuming: check QueueDepth and the worker pods; raise `infra.cache.nodeType` only if the backlog is real work.');
    alarm('BrokerCpu', brokerCpu, 90, GT, 'Broker engine CPU above 90% for 15 minutes: Celery calls slow down for every task.', 'Too many workers polling or a very large queue: compare with QueueDepth; raise `infra.cache.nodeType`.');

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${env.cluster.name}-airflow`,
      widgets: [
        [new cloudwatch.GraphWidget({ title: 'Scheduler / triggerer heartbeats', left: [heartbeat, triggererHeartbeat], width: 8 }), new cloudwatch.GraphWidget({ title: 'Task successes / failures', left: [successes], right: [failures], width: 8 }), new cloudwatch.GraphWidget({ title: 'Queued tasks', left: [queued], leftAnnotations: [{ value: slots, label: 'worker slots at max' }], width: 8 })],
        [new cloudwatch.GraphWidget({ title: 'Aurora connections', left: [dbConnections], leftAnnotations: [{ value: expectedMaxDbConnections(env), label: 'PgBouncer pools' }], width: 8 }), new cloudwatch.GraphWidget({ title: 'Aurora CPU', left: [dbCpu], width: 8 }), new cloudwatch.GraphWidget({ title: 'Broker memory / engine CPU %', left: [redisMemory, brokerCpu], width: 8 })],
        [new cloudwatch.GraphWidget({ title: 'DAG import errors', left: [importErrors], width: 8 }), new cloudwatch.GraphWidget({ title: 'PgBouncer clients waiting', left: [pgbouncerWaiting], width: 8 }), new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 8 })],
      ],
    });
  }
}
