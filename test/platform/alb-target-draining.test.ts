import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { loadEnvironments } from '../../manifests-src/config';
import { READINESS_GATE_LABEL, SHUTDOWN_SECONDS } from '../../manifests-src/platform/alb-target-draining';
import { environment, find, render } from '../support/render';

/**
 * Issue 22 item 2, on the committed dist/: the AWS Load Balancer Controller's documented behaviour for IP targets is
 * that (a) a pod gets a readiness gate tied to its target's health only when its namespace carries
 * `elbv2.k8s.aws/pod-readiness-gate-inject: enabled`, and only for `target-type: ip`; (b) a terminating pod is
 * deregistered, and the ALB drains it for the target group's deregistration delay while requests may still arrive.
 * So the api-server must keep serving for that delay (preStop) and get its own stop on top (grace period).
 */
const ROOT = path.resolve(__dirname, '../..');
type Obj = { kind: string; metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: any };
const objects = (env: string, group: string): Obj[] =>
  fs.readdirSync(path.join(ROOT, 'dist', env, group)).flatMap((f) => parseAllDocuments(fs.readFileSync(path.join(ROOT, 'dist', env, group, f), 'utf8')).map((d) => d.toJS() as Obj)).filter(Boolean);

const delayOf = (ingress: Obj) => Number(/deregistration_delay\.timeout_seconds=(\d+)/.exec(ingress.metadata.annotations?.['alb.ingress.kubernetes.io/target-group-attributes'] ?? '')?.[1]);

describe.each(loadEnvironments().map((e) => [e.name, e] as const))('dist/%s: api-server behind the ALB', (name, env) => {
  const ingress = objects(name, 'airflow').find((o) => o.kind === 'Ingress')!;
  const deployment = objects(name, 'airflow').find((o) => o.kind === 'Deployment' && o.metadata.name === ingress.spec.rules[0].http.paths[0].backend.service.name)!;
  const pod = deployment.spec.template.spec;
  const container = pod.containers.find((c: { name: string }) => c.name === 'api-server');

  test('the namespace asks for readiness-gate injection, and the targets are IPs (the only type the gate works for)', () => {
    const ns = objects(name, 'platform').find((o) => o.kind === 'Namespace' && o.metadata.name === env.namespace)!;
    expect(ns.metadata.labels).toMatchObject(READINESS_GATE_LABEL);
    expect(ingress.metadata.annotations?.['alb.ingress.kubernetes.io/target-type']).toBe('ip');
  });

  test('the pod keeps serving for the whole deregistration delay, then gets its own stop within the grace period', () => {
    const delay = delayOf(ingress);
    expect(delay).toBe(env.ingress.deregistrationDelaySeconds);
    expect(container.lifecycle?.preStop?.sleep?.seconds).toBe(delay);
    expect(pod.terminationGracePeriodSeconds).toBe(delay + SHUTDOWN_SECONDS);
    // A rollout never stops an old pod before a new one is Ready (with the gate: healthy in the target group).
    expect(deployment.spec.strategy.rollingUpdate).toMatchObject({ maxUnavailable: 0 });
  });
});

test('one config field moves the deregistration delay, the preStop sleep and the grace period together', () => {
  const env = environment('prod', { ingress: { host: 'af.example.com', deregistrationDelaySeconds: 45 } as never });
  const objs = render([env]);
  expect(delayOf(find(objs, 'Ingress', 'airflow-api-server') as Obj)).toBe(45);
  const spec = find(objs, 'Deployment', 'airflow-api-server').spec.template.spec;
  expect(spec.containers[0].lifecycle.preStop.sleep.seconds).toBe(45);
  expect(spec.terminationGracePeriodSeconds).toBe(45 + SHUTDOWN_SECONDS);
});
