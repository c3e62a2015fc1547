import { kedaWorkerQuery } from '../../manifests-src/platform/keda';
import { environment, find, render } from '../support/render';

describe('Celery workers and their KEDA autoscaling', () => {
  const env = environment('prod', { workers: { concurrency: 12, minReplicas: 0, maxReplicas: 7, queues: ['default', 'heavy'], terminationGracePeriodSeconds: 5400 } });
  const objs = render([env]);
  const deployment = find(objs, 'Deployment', 'airflow-worker');
  const scaled = find(objs, 'ScaledObject', 'airflow-worker');
  const config = find(objs, 'ConfigMap', 'airflow-config');
  const pod = deployment.spec.template;

  test('worker concurrency is one value: the workers run with it and KEDA divides by it', () => {
    expect(config.data!.AIRFLOW__CELERY__WORKER_CONCURRENCY).toBe('12');
    const query: string = scaled.spec.triggers[0].metadata.query;
    expect(query).toBe(kedaWorkerQuery(env));
    expect(query).toMatch(/COUNT\(\*\)::decimal \/ 12\)/);
    expect(query).toMatch(/state IN \('queued', 'running'\)/);
    expect(query).toMatch(/queue IN \('default', 'heavy'\)/);
  });

  test('workers serve exactly the configured queues', () => {
    expect(pod.spec.containers[0].args).toEqual(['airflow', 'celery', 'worker', '--queues', 'default,heavy', '--without-gossip', '--without-mingle']);
  });

  test('KEDA owns the replica count (min 0 allowed); the Deployment does not pin one', () => {
    expect(deployment.spec.replicas).toBeUndefined();
    expect(scaled.spec).toMatchObject({ minReplicaCount: 0, maxReplicaCount: 7, scaleTargetRef: { name: 'airflow-worker' } });
    expect(scaled.spec.triggers[0]).toMatchObject({ type: 'postgresql', authenticationRef: { name: 'airflow-metadata-db' } });
    const auth = find(objs, 'TriggerAuthentication', 'airflow-metadata-db');
    expect(auth.spec.secretTargetRef[0]).toMatchObject({ parameter: 'connection', name: 'airflow-metadata' });
  });

  test('KEDA reaches the database through PgBouncer, not Aurora', () => {
    const es = find(objs, 'ExternalSecret', 'airflow-metadata');
    expect(es.spec.target.template.data['keda-connection']).toMatch(/@pgbouncer\.airflow\.svc\.cluster\.local:6432\/airflow\?/);
  });

  test('scale-in lets running tasks finish: long grace period, slow scale-down, no Karpenter disruption', () => {
    expect(pod.spec.terminationGracePeriodSeconds).toBe(5400);
    expect(pod.metadata.annotations['karpenter.sh/do-not-disrupt']).toBe('true');
    const down = scaled.spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown;
    expect(down.stabilizationWindowSeconds).toBe(env.workers.scaleDownStabilizationSeconds);
    expect(down.policies).toEqual([{ type: 'Pods', value: 1, periodSeconds: 60 }]);
    expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    // SIGTERM reaches Celery's main process only (warm shutdown), not every task process in the group.
    expect(pod.spec.containers[0].env).toContainEqual({ name: 'DUMB_INIT_SETSID', value: '0' });
  });

  test('the Celery visibility timeout outlives the grace period, so Redis never redelivers a running task', () => {
    expect(Number(config.data!.AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT)).toBeGreaterThan(5400);
    expect(config.data!.AIRFLOW__CELERY__TASK_ACKS_LATE).toBe('True');
    expect(config.data!.AIRFLOW__CELERY__WORKER_PREFETCH_MULTIPLIER).toBe('1');
  });

  test('workers land on the worker NodePool (spot allowed), tolerating its taint', () => {
    expect(pod.spec.nodeSelector).toMatchObject({ 'airflow-eks/pool': 'workers', 'kubernetes.io/arch': 'arm64' });
    expect(pod.spec.tolerations).toEqual([{ key: 'airflow-eks/pool', operator: 'Equal', value: 'workers', effect: 'NoSchedule' }]);
  });
});
