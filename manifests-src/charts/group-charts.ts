import { App, Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-33';
import type { AppGroupName, EnvironmentConfig } from '../config';
import { SERVICE_NAMES } from '../airflow/airflow-settings';
import { AirflowConfig } from '../airflow/airflow-config';
import { ApiServerDeployment } from '../airflow/api-server';
import { DagProcessorDeployment } from '../airflow/dag-processor';
import { MigrateDatabaseJob } from '../airflow/migrate-job';
import { SchedulerDeployment } from '../airflow/scheduler';
import { StatsdExporter } from '../airflow/statsd';
import { TriggererDeployment } from '../airflow/triggerer';
import { CeleryWorkerDeployment } from '../airflow/worker';
import { AirflowExternalSecrets, AwsSecretsManagerStore } from '../platform/external-secret-objects';
import { FluentBitDaemonSet, FluentBitMetricsAgent } from '../platform/fluent-bit';
import { ApiServerIngress } from '../platform/ingress';
import { AirflowNodePool, GravitonNodeClass } from '../platform/karpenter-node-pools';
import { WorkerScaledObject } from '../platform/keda-scaled-object';
import { AirflowNetworkPolicies } from '../platform/network-policies';
import { OfficeHoursScaledObject } from '../platform/office-hours';
import { PgBouncerDeployment } from '../platform/pgbouncer';
import { READINESS_GATE_LABEL } from '../platform/alb-target-draining';

/**
 * Which charts make up each Argo CD Application (folder of dist/<env>/). A chart becomes one file.
 * Charts carry no namespace: every object names its own, so cluster-scoped ones stay cluster-scoped.
 */
export function addGroupCharts(app: App, env: EnvironmentConfig, group: AppGroupName): void {
  const chart = (id: string) => new Chart(app, id, { disableResourceNameHashes: true });
  switch (group) {
    case 'platform': {
      const ns = chart('namespace');
      new k8s.KubeNamespace(ns, 'Namespace', {
        metadata: {
          name: env.namespace,
          labels: {
            'app.kubernetes.io/part-of': 'airflow-eks',
            // Pod Security Admission: every Airflow pod must pass the restricted profile.
            'pod-security.kubernetes.io/enforce': 'restricted',
            'pod-security.kubernetes.io/enforce-version': 'latest',
            // The ALB controller gates each api-server pod's readiness on its target's health (alb-target-draining.ts).
            ...READINESS_GATE_LABEL,
          },
        },
      });
      new AirflowNetworkPolicies(chart('network-policies'), 'Policies', { env });
      const nodes = chart('karpenter');
      new GravitonNodeClass(nodes, 'NodeClass', { env });
      new AirflowNodePool(nodes, 'Core', { env, role: 'core' });
      new AirflowNodePool(nodes, 'Workers', { env, role: 'workers' });
      if (env.workers.longTasks.enabled) new AirflowNodePool(nodes, 'LongWorkers', { env, role: 'long-workers' });
      new AwsSecretsManagerStore(chart('secret-store'), 'Store', { env });
      return;
    }
    case 'secrets':
      new AirflowExternalSecrets(chart('external-secrets'), 'Secrets', { env });
      return;
    case 'logging':
      new FluentBitDaemonSet(chart('fluent-bit'), 'FluentBit', { env });
      new FluentBitMetricsAgent(chart('fluent-bit-metrics'), 'Metrics', { env });
      return;
    case 'pgbouncer': {
      const pgbouncer = chart('pgbouncer');
      new PgBouncerDeployment(pgbouncer, 'PgBouncer', { env });
      new OfficeHoursScaledObject(pgbouncer, 'OfficeHours', { env, deploymentName: SERVICE_NAMES.pgbouncer, replicas: env.pgbouncer.replicas });
      return;
    }
    case 'airflow': {
      const base = chart('airflow-config');
      const config = new AirflowConfig(base, 'Config', { env });
      new MigrateDatabaseJob(chart('migrate-job'), 'Migrate', { env, config });
      const c = env.components;
      const officeHours = (scope: Chart, deploymentName: string, replicas: number) => new OfficeHoursScaledObject(scope, 'OfficeHours', { env, deploymentName, replicas });
      const apiServer = chart('api-server');
      officeHours(apiServer, new ApiServerDeployment(apiServer, 'ApiServer', { env, config }).component.name, c.apiServer.replicas);
      new ApiServerIngress(chart('ingress'), 'Ingress', { env });
      const scheduler = chart('scheduler');
      officeHours(scheduler, new SchedulerDeployment(scheduler, 'Scheduler', { env, config }).component.name, c.scheduler.replicas);
      const dagProcessor = chart('dag-processor');
      officeHours(dagProcessor, new DagProcessorDeployment(dagProcessor, 'DagProcessor', { env, config }).component.name, c.dagProcessor.replicas);
      const triggerer = chart('triggerer');
      officeHours(triggerer, new TriggererDeployment(triggerer, 'Triggerer', { env, config }).component.name, c.triggerer.replicas);
      const workers = chart('worker');
      const worker = new CeleryWorkerDeployment(workers, 'Worker', { env, config });
      new WorkerScaledObject(workers, 'Autoscaling', { env, deploymentName: worker.component.name });
      if (env.workers.longTasks.enabled) {
        const long = new CeleryWorkerDeployment(workers, 'LongTaskWorker', { env, config, longTasks: true });
        const l = env.workers.longTasks;
        new WorkerScaledObject(workers, 'LongTaskAutoscaling', {
          env,
          deploymentName: long.component.name,
          queues: [l.queue],
          minReplicas: l.minReplicas,
          maxReplicas: l.maxReplicas,
          createTriggerAuthentication: false,
        });
      }
      new StatsdExporter(chart('statsd'), 'Statsd', { env });
      return;
    }
  }
}
