/**
 * The operators the local cluster runs (cluster/operators): installed against a kubelet-less control plane of this
 * test's own (Debian etcd + the cluster build's kube-apiserver, own ports): CRDs from the modules' sources become
 * Established, every install object is accepted, and what the objects carry comes from the CDK stack's chart values.
 * Prerequisites missing -> the tests fail and say which (never skipped).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { argoCdValues } from '../../infra/lib/argocd';
import { SYSTEM_NODE_LABELS } from '../../infra/lib/cluster';
import { externalSecretsValues } from '../../infra/lib/external-secrets';
import { kedaValues } from '../../infra/lib/keda-addon';
import { operatorImageRefs } from '../../cluster/operators/images';
import { devEnvironment, installOperators, operatorObjects, type InstallReport } from '../../cluster/operators/install';
import { Kubectl, kubectlPath } from '../../cluster/operators/kubectl';
import { CRD_ONLY, OPERATORS } from '../../cluster/operators/sources';
import { operatorCrds, type K8sObject } from '../../cluster/operators/upstream';
import { associations } from '../../cluster/services/pod-identity';
import { startControlPlane, type ControlPlane } from '../support/control-plane';

jest.setTimeout(15 * 60_000);

const env = devEnvironment();
/** The git host of the committed GitOps URL (what `cluster up` passes as gitHosts). */
const GIT_HOSTS = [new URL(env.gitops.repoUrl).hostname];
const repo = join(__dirname, '..', '..');

let cp: ControlPlane | undefined;
let kubectl: Kubectl;
let report: InstallReport;
let setupError: Error | undefined;
let caCert: string;

beforeAll(async () => {
  try {
    const binary = kubectlPath();
    cp = await startControlPlane(binary);
    kubectl = new Kubectl(cp.kubeconfig, binary);
    // Any PEM certificate stands for the local CA here: the apiserver's self-signed one.
    caCert = join(cp.dir, 'certs', 'apiserver.crt');
    report = await installOperators(cp.kubeconfig, { env, caCert, gitHosts: GIT_HOSTS, wait: false, log: () => {} });
  } catch (err) {
    setupError = err as Error;
  }
});

afterAll(() => cp?.stop());

/** Fails the test with the setup's reason (a missing prerequisite is a failure, never a skip). */
function ready(): void {
  if (setupError) throw new Error(`operators install setup failed: ${setupError.message}`);
}

function list(kind: string, namespace: string): K8sObject[] {
  return (JSON.parse(kubectl.run(['get', kind, '-n', namespace, '-o', 'json'])) as { items: K8sObject[] }).items;
}

test('the CRDs from the modules are Established', () => {
  ready();
  const names = [...OPERATORS, ...CRD_ONLY].flatMap(operatorCrds).map((c) => c.metadata.name);
  expect(names).toEqual(expect.arrayContaining(['applications.argoproj.io', 'scaledobjects.keda.sh', 'clustersecretstores.external-secrets.io', 'externalsecrets.external-secrets.io', 'nodepools.karpenter.sh', 'ec2nodeclasses.karpenter.k8s.aws']));
  expect(report.crds).toBe(names.length);
  for (const name of names) {
    const crd = kubectl.get<{ status: { conditions: { type: string; status: string }[] } }>('crd', name);
    expect(crd?.status.conditions.find((c) => c.type === 'Established')?.status).toBe('True');
  }
});

test("Argo CD's config maps carry app.kubernetes.io/part-of: argocd and the chart values' configs", () => {
  ready();
  for (const [kind, name] of [['configmap', 'argocd-cm'], ['configmap', 'argocd-cmd-params-cm'], ['configmap', 'argocd-rbac-cm'], ['secret', 'argocd-secret']]) {
    expect(kubectl.get(kind, name, 'argocd')?.metadata.labels?.['app.kubernetes.io/part-of']).toBe('argocd');
  }
  const configs = (argoCdValues(env) as { configs: { params?: Record<string, unknown>; cm?: Record<string, unknown> } }).configs;
  const params = kubectl.get<{ data: Record<string, string> }>('configmap', 'argocd-cmd-params-cm', 'argocd')!.data;
  expect(Object.keys(params).sort()).toEqual(Object.keys(configs.params ?? {}).sort());
  for (const [k, v] of Object.entries(configs.params ?? {})) expect(params[k]).toBe(typeof v === 'string' ? v : JSON.stringify(v));
  const cm = kubectl.get<{ data: Record<string, string> }>('configmap', 'argocd-cm', 'argocd')!.data;
  // The upstream defaults stay, the values' cm entries are added on top.
  expect(cm['resource.exclusions']).toContain('EndpointSlice');
  for (const [k, v] of Object.entries(configs.cm ?? {})) if (k !== 'create') expect(cm[k]).toBe(typeof v === 'string' ? v : JSON.stringify(v));
});

test('workloads run the chart image references at the pinned releases, IfNotPresent, on the system nodes, with the values replicas', () => {
  ready();
  const refs = operatorImageRefs();
  const workloads = ['argocd', 'keda', 'external-secrets'].flatMap((ns) => [...list('deployments', ns), ...list('statefulsets', ns)]);
  expect(workloads.map((w) => w.metadata.name).sort()).toEqual(
    ['argocd-application-controller', 'argocd-redis', 'argocd-repo-server', 'argocd-server', 'external-secrets', 'keda-metrics-apiserver', 'keda-operator'].sort(),
  );
  const used = new Set<string>();
  for (const w of workloads) {
    const pod = (w.spec as { template: { spec: { containers: { image: string; imagePullPolicy: string }[]; initContainers?: { image: string; imagePullPolicy: string }[]; nodeSelector: Record<string, string> } } }).template.spec;
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
      expect(refs).toContain(c.image);
      expect(c.imagePullPolicy).toBe('IfNotPresent');
      used.add(c.image);
    }
    expect(pod.nodeSelector).toMatchObject(SYSTEM_NODE_LABELS);
  }
  expect([...used].sort()).toEqual([...refs].sort());
  const replicas = (ns: string, name: string) => (workloads.find((w) => w.metadata.name === name && w.metadata.namespace === ns)!.spec as { replicas: number }).replicas;
  expect(replicas('keda', 'keda-operator')).toBe((kedaValues(env) as { operator: { replicaCount: number } }).operator.replicaCount);
  expect(replicas('external-secrets', 'external-secrets')).toBe((externalSecretsValues(env) as { replicaCount: number }).replicaCount);
});

test("KEDA's metrics API is registered for the operator to serve (APIService, its Service, the cert rotation flag)", () => {
  ready();
  const api = kubectl.get<{ spec: { service: { name: string; namespace: string } } }>('apiservice', 'v1beta1.external.metrics.k8s.io');
  expect(api?.spec.service).toMatchObject({ namespace: 'keda' });
  expect(kubectl.get('service', api!.spec.service.name, 'keda')).toBeDefined();
  const operator = list('deployments', 'keda').find((d) => d.metadata.name === 'keda-operator')!;
  expect(JSON.stringify(operator.spec)).toContain('--enable-cert-rotation=true');
});

test("External Secrets reaches the emulator through Pod Identity and a trusted CA only, no static key: dist/'s ClusterSecretStore and ExternalSecrets are accepted unchanged", () => {
  ready();
  const eso = list('deployments', 'external-secrets')[0];
  const pod = (eso.spec as { template: { spec: { serviceAccountName: string; containers: { env: { name: string; value: string }[] }[] } } }).template.spec;
  expect(pod.serviceAccountName).toBe((externalSecretsValues(env) as { serviceAccount: { name: string } }).serviceAccount.name);
  const vars = Object.fromEntries(pod.containers[0].env.map((e) => [e.name, e.value]));
  expect(vars).toMatchObject({ SSL_CERT_FILE: expect.stringMatching(/ca\.crt$/) });
  // Credentials come as in EKS: the service account has the CDK stack's Pod Identity association, which the local
  // admission policy turns into the agent's endpoint and token (cluster/services/pod-identity.ts).
  expect(Object.keys(vars).filter((k) => /^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN)$/.test(k))).toEqual([]);
  expect(associations(env)).toContain(`external-secrets/${pod.serviceAccountName}`);
  expect(vars.AWS_SECRETSMANAGER_ENDPOINT).toBeUndefined();
  const ca = kubectl.get<{ data: Record<string, string> }>('configmap', 'airflow-eks-local-ca', 'external-secrets');
  expect(ca?.data['ca.crt']).toBe(readFileSync(caCert, 'utf8'));
  kubectl.run(['create', 'namespace', 'airflow']);
  for (const file of ['dist/dev/platform/secret-store.yaml', 'dist/dev/secrets/external-secrets.yaml']) {
    const docs = parseAllDocuments(readFileSync(join(repo, file), 'utf8')).map((d) => d.toJS() as K8sObject).filter(Boolean);
    expect(docs.length).toBeGreaterThan(0);
    expect(kubectl.apply(docs, { dryRun: true })).toMatch(/serverside-applied/);
  }
});

test('with an explicit endpoint External Secrets gets AWS_SECRETSMANAGER_ENDPOINT (the variable ESO 0.20 reads)', () => {
  const eso = operatorObjects('externalSecrets', env, { aws: { endpoint: 'http://192.0.2.10:5000' } }).find((o) => o.kind === 'Deployment')!;
  expect(JSON.stringify(eso)).toContain('{"name":"AWS_SECRETSMANAGER_ENDPOINT","value":"http://192.0.2.10:5000"}');
});

test('Argo CD trusts the local CA for the git hosts (argocd-tls-certs-cm)', () => {
  ready();
  const certs = kubectl.get<{ data: Record<string, string> }>('configmap', 'argocd-tls-certs-cm', 'argocd')!.data;
  expect(Object.keys(certs)).toEqual(GIT_HOSTS);
  expect(certs[GIT_HOSTS[0]]).toBe(readFileSync(caCert, 'utf8'));
});

test('a second install converges (idempotent); bad options are named', async () => {
  ready();
  const again = await installOperators(cp!.kubeconfig, { env, caCert, gitHosts: GIT_HOSTS, wait: false, log: () => {} });
  expect(again.objects).toBe(report.objects);
  await expect(installOperators(cp!.kubeconfig, { env, gitHosts: GIT_HOSTS, wait: false, log: () => {} })).rejects.toThrow(/opts\.gitHosts needs opts\.caCert/);
  await expect(installOperators(cp!.kubeconfig, { env, caCert: join(repo, 'package.json'), wait: false, log: () => {} })).rejects.toThrow(/opts\.caCert .* is not a PEM certificate/);
});
