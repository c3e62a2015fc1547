import { readFileSync } from 'node:fs';
import { loadEnvironments, type EnvironmentConfig } from '../../manifests-src/config';
import { SYSTEM_NODE_LABELS } from '../../infra/lib/cluster';
import { argoCdObjects, argoCdWorkloads } from './argocd-install';
import { externalSecretsObjects, externalSecretsWorkloads, type LocalAws } from './external-secrets-install';
import { kedaObjects, kedaWorkloads } from './keda-install';
import { Kubectl } from './kubectl';
import { CRD_ONLY, OPERATORS, type OperatorName } from './sources';
import { buildOperator } from './build';
import { loadOperatorImages } from './images';
import { operatorCrds, type K8sObject } from './upstream';
import { containers } from './workload';

export interface InstallOperatorsOptions {
  /** The environment whose CDK values the operators get. @default the `dev` environment of the committed config */
  readonly env?: EnvironmentConfig;
  /** Path of the PEM of the local CA that signed the front door's certificate (AWS API hosts and git hosts). */
  readonly caCert?: string;
  /** Git host names (HTTPS) Argo CD syncs from; their CA is `caCert`. */
  readonly gitHosts?: readonly string[];
  /** AWS API emulator URL as pods reach it (short for `aws.endpoint`). */
  readonly awsEndpoint?: string;
  /** How External Secrets reaches the AWS API emulator. @default the real endpoint names (the cluster's DNS points them at the front door), credentials test/test */
  readonly aws?: LocalAws;
  /** Which operators. @default all: External Secrets, KEDA, Argo CD */
  readonly operators?: readonly OperatorName[];
  /** Wait until every workload is Ready (and KEDA's APIService Available). @default true */
  readonly wait?: boolean;
  /** Seconds to wait per workload. @default 300 */
  readonly timeoutSeconds?: number;
  /** Server-side dry run: nothing is stored (CRDs are applied for real so the rest can be checked). @default false */
  readonly dryRun?: boolean;
  /** containerd socket of the node: the operator images are imported there when missing. @default not imported (the images loader did it) */
  readonly ctrSocket?: string;
  /** kubectl binary. @default the cluster build's, else PATH */
  readonly kubectl?: string;
  /** Progress lines. @default console.log */
  readonly log?: (line: string) => void;
}

/** What was installed and how long each phase took. */
export interface InstallReport {
  readonly operators: readonly OperatorName[];
  readonly crds: number;
  readonly objects: number;
  /** Seconds per phase (crds, objects, ready:<operator>). */
  readonly seconds: Readonly<Record<string, number>>;
}

type Workload = { kind: string; name: string; namespace: string };

/** The objects of one operator (CRDs apart). */
export function operatorObjects(name: OperatorName, env: EnvironmentConfig, local: { aws?: LocalAws; gitHosts?: readonly string[]; caCertPem?: string } = {}): K8sObject[] {
  switch (name) {
    case 'argocd':
      return argoCdObjects(env, { gitHosts: local.gitHosts, caCertPem: local.caCertPem });
    case 'keda':
      return kedaObjects(env);
    case 'externalSecrets':
      return externalSecretsObjects(env, { caCertPem: local.caCertPem, ...local.aws });
  }
}

/** The CA PEM from opts.caCert (a path), checked to be a certificate. */
function readCaCert(path: string | undefined): string | undefined {
  if (!path) return undefined;
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`installOperators: opts.caCert ${path} cannot be read (${(err as Error).message}); pass the path of the local CA's PEM`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`installOperators: opts.caCert ${path} is not a PEM certificate`);
  return pem;
}

function operatorWorkloads(name: OperatorName): Workload[] {
  return { argocd: argoCdWorkloads, keda: kedaWorkloads, externalSecrets: externalSecretsWorkloads }[name]();
}

/** The `dev` environment of the committed config. */
export function devEnvironment(): EnvironmentConfig {
  const env = loadEnvironments().find((e) => e.name === 'dev');
  if (!env) throw new Error('no `dev` environment in the committed config');
  return env;
}

/**
 * The CDK stack runs the controllers on its managed system node group (chart values `nodeSelector`); in the local
 * cluster the node plays that group: label it when no node carries the labels yet.
 */
function labelSystemNodes(kubectl: Kubectl, log: (l: string) => void): void {
  const selector = Object.entries(SYSTEM_NODE_LABELS).map(([k, v]) => `${k}=${v}`).join(',');
  const labelled = kubectl.run(['get', 'nodes', '-l', selector, '-o', 'name']).trim();
  if (labelled) return;
  const nodes = kubectl.run(['get', 'nodes', '-o', 'name']).trim().split('\n').filter(Boolean);
  for (const node of nodes) {
    kubectl.run(['label', '--overwrite', node, ...Object.entries(SYSTEM_NODE_LABELS).map(([k, v]) => `${k}=${v}`)]);
    log(`labelled ${node} ${selector} (the system node group of the CDK stack)`);
  }
}

/** Every image the workloads run must be on a node already (kubelet reports them): nothing can be pulled here. */
async function checkImagesOnNodes(kubectl: Kubectl, objects: K8sObject[]): Promise<void> {
  const wanted = new Set(objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet').flatMap((o) => containers(o).map((c) => c.image!)));
  // The kubelet reports a node's images with its status (every few seconds): poll with a deadline.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const nodes = (JSON.parse(kubectl.run(['get', 'nodes', '-o', 'json'])) as { items: { status: { images?: { names: string[] }[] } }[] }).items;
    if (nodes.length === 0) throw new Error('installOperators: the cluster has no node to run the operators on (wait: false checks the objects only)');
    const onNodes = new Set(nodes.flatMap((n) => (n.status.images ?? []).flatMap((i) => i.names)));
    const missing = [...wanted].filter((ref) => !onNodes.has(ref) && !onNodes.has(`docker.io/${ref}`));
    if (missing.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`installOperators: images not on the node after 60 s: ${missing.join(', ')}. Import them (operatorImages() archives, or pass opts.ctrSocket)`);
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
}

/** Polls until every CRD reports Established (`kubectl wait` fails outright while a new CRD has no conditions yet). */
async function waitEstablished(kubectl: Kubectl, names: string[], timeoutSeconds: number): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const items = (JSON.parse(kubectl.run(['get', 'crd', ...names, '-o', 'json'])) as { items: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[] }).items;
    const pending = names.filter((n) => !items.find((i) => i.metadata.name === n)?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True'));
    if (pending.length === 0) return;
    if (Date.now() > deadline) throw new Error(`installOperators: CRDs not Established after ${timeoutSeconds} s: ${pending.join(', ')}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function waitReady(kubectl: Kubectl, w: Workload, timeoutSeconds: number): void {
  if (w.kind === 'apiservice') kubectl.wait([`apiservice/${w.name}`], 'condition=Available', timeoutSeconds);
  else kubectl.run(['rollout', 'status', `${w.kind}/${w.name}`, '-n', w.namespace, `--timeout=${timeoutSeconds}s`]);
}

/**
 * Installs External Secrets, KEDA and Argo CD into a running cluster with the values the CDK stack gives their Helm
 * charts: CRDs from the modules' sources, then the install objects (server-side apply, idempotent), then waits until
 * each operator is Ready. The images must already be in the node's containerd (operatorImages + the loader).
 */
export async function installOperators(kubeconfig: string, opts: InstallOperatorsOptions = {}): Promise<InstallReport> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const env = opts.env ?? devEnvironment();
  const operators = opts.operators ?? OPERATORS;
  const kubectl = new Kubectl(kubeconfig, opts.kubectl);
  const timeout = opts.timeoutSeconds ?? 300;
  const seconds: Record<string, number> = {};
  const timed = <T>(phase: string, fn: () => T): T => {
    const started = Date.now();
    try {
      return fn();
    } finally {
      seconds[phase] = (Date.now() - started) / 1000;
      log(`${phase}: ${seconds[phase].toFixed(1)} s`);
    }
  };

  const caCertPem = readCaCert(opts.caCert);
  if (opts.gitHosts?.length && !caCertPem) throw new Error('installOperators: opts.gitHosts needs opts.caCert (the CA Argo CD trusts for those hosts)');
  const timedAsync = async <T>(phase: string, fn: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    try {
      return await fn();
    } finally {
      seconds[phase] = (Date.now() - started) / 1000;
      log(`${phase}: ${seconds[phase].toFixed(1)} s`);
    }
  };

  // Images first: a pod created before its image is on the node backs off pulling it (nothing can be pulled here).
  if (opts.ctrSocket) {
    // Every install step is scripted: Go builds and image archives are no-ops once cached.
    timed('build', () => operators.forEach((o) => buildOperator(o)));
    timed('images', () => loadOperatorImages(opts.ctrSocket!, operators, log));
  }
  const objects = operators.flatMap((o) => operatorObjects(o, env, { aws: { ...(opts.awsEndpoint ? { endpoint: opts.awsEndpoint } : {}), ...opts.aws }, gitHosts: opts.gitHosts, caCertPem }));
  const crds = [...operators, ...CRD_ONLY].flatMap(operatorCrds);
  timed('crds', () => {
    kubectl.apply(crds);
  });
  await timedAsync('crds established', () => waitEstablished(kubectl, crds.map((c) => c.metadata.name), timeout));
  const wait = (opts.wait ?? true) && !opts.dryRun;
  if (wait) labelSystemNodes(kubectl, log);
  timed('objects', () => kubectl.apply(objects, { dryRun: opts.dryRun }));
  if (wait) {
    await timedAsync('images on node', () => checkImagesOnNodes(kubectl, objects));
    for (const o of operators) timed(`ready:${o}`, () => operatorWorkloads(o).forEach((w) => waitReady(kubectl, w, timeout)));
  }
  return { operators, crds: crds.length, objects: objects.length, seconds };
}
