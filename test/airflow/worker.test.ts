import { MEASURED_WORKER_START_SECONDS, WORKER_FIRST_PROBE_AFTER_SECONDS } from '../../manifests-src/hardening/exec-probe-timing';
import { kedaWorkerQuery } from '../../manifests-src/platform/keda-scaled-object';
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

  test("the startup probe's first ping waits past the measured Celery start; liveness keeps its own period", () => {
    const worker = pod.spec.containers.find((c: { name: string }) => c.name === 'worker');
    expect(worker.startupProbe.initialDelaySeconds).toBe(WORKER_FIRST_PROBE_AFTER_SECONDS);
    expect(worker.startupProbe.initialDelaySeconds).toBeGreaterThan(Math.max(...MEASURED_WORKER_START_SECONDS));
    expect(worker.livenessProbe.initialDelaySeconds).toBeUndefined();
  });

  test('both probes ping this worker with the broker URL from its own secret file, without starting Airflow', () => {
    const worker = pod.spec.containers.find((c: { name: string }) => c.name === 'worker');
    expect(worker.livenessProbe.exec.command).toEqual(worker.startupProbe.exec.command);
    const [shell, flag, script] = worker.livenessProbe.exec.command;
    expect([shell, flag]).toEqual(['sh', '-c']);
    // The URL is read from a file of the mounted projected Secret volume (a key the worker is given).
    const file = /CELERY_BROKER_URL="\$\(cat (\S+)\)"/.exec(script)?.[1];
    // The deepest mount holding the path (the Airflow home is mounted above it).
    const mount = worker.volumeMounts
      .filter((m: { mountPath: string }) => file?.startsWith(`${m.mountPath}/`))
      .sort((a: { mountPath: string }, b: { mountPath: string }) => b.mountPath.length - a.mountPath.length)[0];
    expect(mount).toBeDefined();
    const volume = pod.spec.volumes.find((v: { name: string }) => v.name === mount.name);
    const keys = volume.projected.sources.flatMap((s: any) => s.secret.items.map((i: any) => i.path));
    expect(keys).toContain(file!.slice(mount.mountPath.length + 1));
    // Celery's own CLI (no Airflow app to import), to this pod's node name, and the secret never on a command line.
    expect(script).toMatch(/exec celery inspect ping -d "celery@\$\(hostname\)" --timeout \d+$/);
    expect(script).not.toMatch(/--app|-A |airflow\./);
    expect(script).not.toMatch(/ -b |--broker/);
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
    // The trigger's authentication points at the secret key whose template is the PgBouncer URL.
    const auth = find(objs, 'TriggerAuthentication', scaled.spec.triggers[0].authenticationRef.name);
    const ref = auth.spec.secretTargetRef.find((r: any) => r.parameter === 'connection');
    const es = find(objs, 'ExternalSecret', ref.name);
    expect(es.spec.target.template.data[ref.key]).toMatch(/@pgbouncer\.airflow\.svc\.cluster\.local:6432\/airflow\?/);
  });

  test('scale-in lets running tasks finish: long grace period, slow scale-down; no do-not-disrupt pinning the node forever', () => {
    expect(pod.spec.terminationGracePeriodSeconds).toBe(5400);
    // Karpenter's eviction honours the grace period; do-not-disrupt would keep an always-on worker's node forever.
    expect(pod.metadata.annotations['karpenter.sh/do-not-disrupt']).toBeUndefined();
    const down = scaled.spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown;
    expect(down.stabilizationWindowSeconds).toBe(env.workers.scaleDownStabilizationSeconds);
    expect(down.policies).toEqual([{ type: 'Pods', value: 1, periodSeconds: 60 }]);
    expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    // SIGTERM reaches Celery's main process only (warm shutdown), not every task process in the group.
    expect(pod.spec.containers[0].env).toContainEqual({ name: 'DUMB_INIT_SETSID', value: '0' });
    // No start-up `airflow db check` (workers hold no database credentials) or broker check before Celery.
    expect(pod.spec.containers[0].env).toContainEqual({ name: 'CONNECTION_CHECK_MAX_COUNT', value: '0' });
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

describe('on-demand workers for long tasks (workers.longTasks)', () => {
  const env = environment('prod', { workers: { queues: ['default'], longTasks: { enabled: true, queue: 'long', minReplicas: 0, maxReplicas: 4 } } });
  const objs = render([env]);
  const long = find(objs, 'Deployment', 'airflow-worker-long');
  const pod = long.spec.template;
  const pool = find(objs, 'NodePool', 'airflow-long-workers');

  test('off by default: no second Deployment or NodePool', () => {
    const plain = render([environment('prod')]);
    expect(plain.filter((o) => ['airflow-worker-long', 'airflow-long-workers'].includes(o.obj.metadata.name))).toEqual([]);
  });

  test('serves only its queue, scaled by KEDA on that queue alone', () => {
    expect(pod.spec.containers[0].args).toEqual(['airflow', 'celery', 'worker', '--queues', 'long', '--without-gossip', '--without-mingle']);
    const scaled = find(objs, 'ScaledObject', 'airflow-worker-long');
    expect(scaled.spec).toMatchObject({ minReplicaCount: 0, maxReplicaCount: 4, scaleTargetRef: { name: 'airflow-worker-long' } });
    expect(scaled.spec.triggers[0].metadata.query).toBe(kedaWorkerQuery(env, ['long']));
    expect(find(objs, 'ScaledObject', 'airflow-worker').spec.triggers[0].metadata.query).toMatch(/queue IN \('default'\)/);
    expect(objs.filter((o) => o.obj.kind === 'TriggerAuthentication')).toHaveLength(1);
  });

  test('runs on an on-demand-only NodePool, tainted for it, and keeps its node while a task runs (bounded by the pool)', () => {
    expect(pool.spec.template.spec.requirements.find((r: any) => r.key === 'karpenter.sh/capacity-type').values).toEqual(['on-demand']);
    expect(pool.spec.template.spec.taints).toEqual([{ key: 'airflow-eks/pool', value: 'long-workers', effect: 'NoSchedule' }]);
    expect(pod.spec.nodeSelector['airflow-eks/pool']).toBe('long-workers');
    expect(pod.spec.tolerations).toEqual([{ key: 'airflow-eks/pool', operator: 'Equal', value: 'long-workers', effect: 'NoSchedule' }]);
    expect(pod.metadata.annotations['karpenter.sh/do-not-disrupt']).toBe('true');
    expect(pool.spec.template.spec.terminationGracePeriod).toMatch(/^\d+m$/);
    expect(pod.spec.serviceAccountName).toBe('airflow-worker');
  });

  test('the long queue must not also be a spot worker queue', () => {
    expect(() => environment('prod', { workers: { queues: ['default', 'long'], longTasks: { enabled: true, queue: 'long' } } })).toThrow(/workers\.longTasks\.queue: must differ from workers\.queues/);
  });
});
