import * as fs from 'node:fs';
import * as path from 'node:path';
import { Chart, Testing } from 'cdk8s';
import { HardenedDeployment, type HardenedDeploymentProps } from '../../manifests-src/hardening/hardened-deployment';

/** The one Deployment construct: what every workload gets from it, and that no other file builds a Deployment. */
const ROOT = path.resolve(__dirname, '../..');

function render(props: Partial<HardenedDeploymentProps> = {}): any[] {
  const chart = new Chart(Testing.app(), 'test');
  new HardenedDeployment(chart, 'W', {
    namespace: 'ns',
    name: 'thing',
    component: 'thing',
    serviceAccountName: 'thing',
    replicas: 2,
    uid: 1000,
    containers: [{ name: 'main', image: 'img', resources: { cpu: '100m', memory: '64Mi' } }, { name: 'side', image: 'img2', resources: { cpu: '50m', memory: '32Mi' } }],
    ...props,
  });
  return Testing.synth(chart);
}
const byKind = (objs: any[], kind: string) => objs.filter((o) => o.kind === kind);

test('every container is hardened and sized; the pod is non-root, spread over zones and keeps capacity while rolling', () => {
  const [d] = byKind(render(), 'Deployment');
  const pod = d.spec.template.spec;
  for (const c of pod.containers) {
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
    expect(c.resources.limits.memory).toBe(c.resources.requests.memory);
  }
  expect(pod).toMatchObject({ automountServiceAccountToken: false, securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 0 } });
  expect(pod.topologySpreadConstraints[0]).toMatchObject({ topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule' });
  expect(d.spec.strategy.rollingUpdate).toEqual({ maxUnavailable: 0, maxSurge: 1 });
});

test('a PDB from two replicas (or two autoscaled minimum) on, none for one', () => {
  expect(byKind(render({ replicas: 2 }), 'PodDisruptionBudget')).toHaveLength(1);
  expect(byKind(render({ replicas: undefined, minReplicas: 2 }), 'PodDisruptionBudget')).toHaveLength(1);
  expect(byKind(render({ replicas: 1 }), 'PodDisruptionBudget')).toHaveLength(0);
  expect(byKind(render({ replicas: 1, createServiceAccount: false }), 'ServiceAccount')).toHaveLength(0);
});

test('config files: a ConfigMap named like the workload, and a content change rolls the pods', () => {
  const checksum = (ini: string) => byKind(render({ configFiles: { 'a.ini': ini } }), 'Deployment')[0].spec.template.metadata.annotations['airflow-eks/config-checksum'];
  expect(byKind(render({ configFiles: { 'a.ini': 'x' } }), 'ConfigMap')[0]).toMatchObject({ metadata: { name: 'thing' }, data: { 'a.ini': 'x' } });
  expect(checksum('x')).toMatch(/^[0-9a-f]{64}$/);
  expect(checksum('x')).not.toBe(checksum('y'));
});

test('no file of manifests-src builds a Deployment except the hardened construct', () => {
  const files = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]));
  const builders = files(path.join(ROOT, 'manifests-src'))
    .filter((f) => f.endsWith('.ts') && /new k8s\.KubeDeployment\(/.test(fs.readFileSync(f, 'utf8')))
    .map((f) => path.relative(ROOT, f));
  expect(builders).toEqual(['manifests-src/hardening/hardened-deployment.ts']);
});
