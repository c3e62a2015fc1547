import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EnvironmentConfig } from '../manifests-src/config';
import { PROJECT_ROOT } from '../local/stack';
import { allSettled, applyStackManifests } from './gitops';
import { loadImages } from './images/load';
import { distDaemonSetImageReferences } from './images/references';
import { installOperators } from './operators/install';
import { addonManifests, loadAddonImages } from './node/addons';
import { apiStatus, startApiServer, startControllerManager, startEtcd, startScheduler } from './node/control-plane';
import { daemonNames, daemonPid, sh, sleep, startDaemon, stopDaemon, waitFor } from './node/daemon';
import { kubeProxyCleanup, startKubelet, startKubeProxy } from './node/kubelet';
import { apply, kubectl, kubectlJson } from './node/kubectl';
import { KUBECONFIG, kubeBin, NET, NODES, SANDBOX_IMAGE, SNAPSHOTTER, STATE_DIR, SYSTEM_NODE, vpcAddresses, type NodeSpec } from './node/layout';
import { archPolicy, nodePoolRegistration, type NodeRegistration } from './node/node-pools';
import { kubeletLimits, systemNodeOf, type SystemNode } from './node/system-node';
import { stackTemplate } from '../local/stack-template';
import { podIdentityPolicy } from './services/pod-identity';
import { hostPathPolicy, leftoverContainerLinks, prepareNodeDisk, startLogLinkRelay } from './node/node-disks';
import { networkLeftovers, setupVpcLink, teardownNetwork, writeCniConfig } from './node/network';
import { destroyEnforcerIpsets, enforcerCleanup, enforcerHealthy, enforcerIpsetsLeft, startNetworkPolicyEnforcer } from './node/network-policy-enforcer';
import { ensureCredentials } from './node/pki';
import { ourShims, startContainerd, stopAllContainerd } from './node/runtime';
import { cgroupRootsLeft, ensureCgroupRoot, removeCgroupRoot } from './node/cgroups';
import { frontDoorNames, GIT_ROOT, readServicesInfo, SERVICES_READY, type ServicesInfo } from './services/managed-services';

/**
 * `cluster up | down | status`: one real single-node Kubernetes on this machine, the managed services
 * beside it, the images of dist/ (cluster/images) and the operators (cluster/operators), then
 * Argo CD syncing argocd/<env> from the local git server.
 */

type Log = (line: string) => void;

const TSX = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');

async function startManagedServices(env: EnvironmentConfig, log: Log): Promise<ServicesInfo> {
  if (!daemonPid('managed-services')) fs.rmSync(SERVICES_READY, { force: true });
  startDaemon({ name: 'managed-services', command: TSX, args: [path.join(__dirname, 'cli.ts'), 'services', '--env', env.name], netns: NET.vpcNetns });
  await waitFor('managed services (PostgreSQL, Redis, AWS API emulator, git front door)', () => fs.existsSync(SERVICES_READY) && !!daemonPid('managed-services'), 240_000, 'managed-services');
  const info = readServicesInfo()!;
  log(`managed services on ${info.host}: postgres ${info.ports.postgres}, redis ${info.ports.redis} (TLS+AUTH), aws api ${info.ports.awsApi}, https ${info.ports.https}`);
  return info;
}

/** The clone's committed HEAD becomes the GitOps repository's target branch (what Argo CD syncs). */
export function publishGitops(env: EnvironmentConfig, info: ServicesInfo, revision = 'HEAD'): string {
  const bare = path.join(GIT_ROOT, info.git.gitopsRepo);
  if (!fs.existsSync(path.join(bare, 'HEAD'))) sh('git', ['init', '--bare', '--quiet', `--initial-branch=${env.gitops.targetRevision}`, bare]);
  sh('git', ['-C', PROJECT_ROOT, 'push', '--quiet', '--force', bare, `${revision}:refs/heads/${env.gitops.targetRevision}`]);
  return sh('git', ['-C', bare, 'rev-parse', env.gitops.targetRevision]);
}

/**
 * Ready with its pod CIDR. The CIDR is set once the kubelet has registered the node (spec.podCIDR may change only
 * from empty), so it always matches the bridge made for the node.
 */
function nodeReady(node: NodeSpec): boolean {
  const n = kubectlJson<{ spec: { podCIDR?: string }; status: { conditions?: { type: string; status: string }[] } }>(['get', 'node', node.name]);
  if (!n.spec.podCIDR) {
    kubectl(['patch', 'node', node.name, '--type=merge', '-p', JSON.stringify({ spec: { podCIDR: node.podCidr, podCIDRs: [node.podCidr] } })]);
    return false;
  }
  if (n.spec.podCIDR !== node.podCidr) {
    throw new Error(`node ${node.name} has pod CIDR ${n.spec.podCIDR}, its bridge serves ${node.podCidr}: run \`npm run cluster -- down --purge\``);
  }
  return (n.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/**
 * Every EKS node carries its region and zone (dist/'s zone spread constraints need them): all nodes stand in
 * one zone. The system node carries the stack's system node group labels and its AMI's arch; the others their
 * dist/ NodePool's registration.
 */
function registration(env: EnvironmentConfig, node: NodeSpec, system: SystemNode): NodeRegistration {
  const where = { 'topology.kubernetes.io/region': env.aws.region, 'topology.kubernetes.io/zone': `${env.aws.region}a` };
  if (node.pool === 'system') return { labels: { ...system.labels, 'kubernetes.io/arch': system.arch, 'kubernetes.io/os': 'linux', ...where }, taints: [] };
  const r = nodePoolRegistration(env.name, node.pool);
  return { ...r, labels: { ...r.labels, ...where } };
}

function rolloutDone(kind: string, ns: string, name: string): boolean {
  const o = kubectlJson<{ status: { numberReady?: number; desiredNumberScheduled?: number; readyReplicas?: number; replicas?: number } }>(['-n', ns, 'get', kind, name]);
  return kind === 'daemonset' ? (o.status.desiredNumberScheduled ?? 0) > 0 && o.status.numberReady === o.status.desiredNumberScheduled : (o.status.readyReplicas ?? 0) >= 1;
}

export interface UpResult {
  readonly services: ServicesInfo;
  readonly missing: string[];
  /** References of dist/'s images that cannot be built here (each also in `missing`, with the reason). */
  readonly unbuildable: string[];
  readonly seconds: Record<string, number>;
}

export interface UpOptions {
  /** Apply what the stack's kubectl handler applies (root Application, repository credentials) and wait for every Application to be Synced + Healthy. @default true */
  readonly sync?: boolean;
  /** Only the node, its add-ons and the managed services: no images of dist/, no operators. @default false */
  readonly nodeOnly?: boolean;
}

export async function up(env: EnvironmentConfig, log: Log, opts: UpOptions = {}): Promise<UpResult> {
  const seconds: Record<string, number> = {};
  let t = Date.now();
  const phase = (name: string) => {
    seconds[name] = (Date.now() - t) / 1000;
    log(`${name}: ${seconds[name].toFixed(1)} s`);
    t = Date.now();
  };
  const vpc = vpcAddresses(env);
  const creds = ensureCredentials(vpc.node);
  setupVpcLink(vpc);
  for (const n of NODES) writeCniConfig(n);
  const services = await startManagedServices(env, log);
  const rev = publishGitops(env, services);
  log(`gitops: ${services.git.gitopsRepo} ${env.gitops.targetRevision} = ${rev.slice(0, 12)}`);
  phase('managed services');

  await startEtcd();
  await startApiServer(vpc, creds);
  startControllerManager(creds);
  startScheduler();
  phase('control plane');

  for (const n of NODES) await startContainerd(n);
  loadAddonImages();
  const missing: string[] = [];
  const unbuildable: string[] = [];
  if (opts.nodeOnly) missing.push('node only: the images of dist/ and the operators were not installed');
  else {
    try {
      // dist/'s pods all select a NodePool but its DaemonSets, which run on every node: the system node gets their images only.
      const daemonSetImages = distDaemonSetImageReferences(path.join(PROJECT_ROOT, 'dist', env.name));
      for (const n of NODES) {
        const only = n === SYSTEM_NODE ? daemonSetImages : undefined;
        const r = loadImages(n.containerdSocket, { env: env.name, sandboxImage: SANDBOX_IMAGE, snapshotter: SNAPSHOTTER, log, only });
        if (n !== NODES[0]) continue;
        for (const u of r.unavailable) {
          unbuildable.push(u.ref);
          missing.push(`image ${u.ref}: ${u.reason}`);
        }
      }
    } catch (e) {
      missing.push(`images of dist/: ${(e as Error).message}`);
    }
  }
  phase('runtime and images');

  startKubeProxy(vpc);
  const system = systemNodeOf(stackTemplate(env));
  const limits = kubeletLimits(system);
  log(`system node: a ${system.instanceType} of the stack's node group: ${system.allocatable.pods} pods, ${system.allocatable.cpuMilli}m CPU, ${system.allocatable.memoryMiB} MiB allocatable${limits.shortfall.length ? ` (this machine is smaller: ${limits.shortfall.join('; ')})` : ''}`);
  const registrations = NODES.map((n) => ({ n, r: registration(env, n, system) }));
  for (const { n, r } of registrations) {
    ensureCgroupRoot(n);
    for (const o of archPolicy(n, r)) apply(JSON.stringify(o));
    prepareNodeDisk(n);
    startKubelet(vpc, creds, n, r, n === SYSTEM_NODE ? limits : undefined);
  }
  for (const { n, r } of registrations) {
    await waitFor(`node ${n.name} Ready with pod CIDR ${n.podCidr}`, () => nodeReady(n), 120_000, `kubelet${n.suffix}`);
    // The admission policy may start to apply after the node registered: set the labels once more, it keeps them.
    kubectl(['label', 'node', n.name, '--overwrite', ...Object.entries(r.labels).map(([k, v]) => `${k}=${v}`)]);
  }
  const hosts = frontDoorNames(env).map((name) => ({ name, address: services.host }));
  apply(addonManifests(hosts));
  for (const o of podIdentityPolicy(env)) apply(JSON.stringify(o));
  for (const o of hostPathPolicy()) apply(JSON.stringify(o));
  startLogLinkRelay();
  startNetworkPolicyEnforcer();
  await waitFor('CoreDNS ready', () => rolloutDone('deployment', 'kube-system', 'coredns'), 120_000);
  await waitFor('NetworkPolicy enforcer (kube-router firewall) healthy', enforcerHealthy, 120_000, 'kube-router');
  phase('node and add-ons');

  // The node is useful without them (and says what is missing): a failed install is reported, not thrown.
  let operators = false;
  if (!opts.nodeOnly) {
    try {
      await installOperators(KUBECONFIG, { env, caCert: services.caCert, gitHosts: services.git.gitHosts, ctrSocket: SYSTEM_NODE.containerdSocket, log });
      operators = true;
    } catch (e) {
      missing.push(`operators: ${(e as Error).message}`);
    }
  }
  if (operators) {
    phase('operators');
    if (opts.sync !== false) {
      log(`from the stack's template: ${(await applyStackManifests(env)).join(', ')}`);
      await waitFor(`argocd/${env.name}: every Application Synced + Healthy (or waiting only for an image that cannot be built here)`, () => allSettled(env, unbuildable), 30 * 60_000);
      phase(`first sync of argocd/${env.name}`);
    }
  }
  for (const m of missing) log(`NOT INSTALLED: ${m}`);
  return { services, missing, unbuildable, seconds };
}

const DOWN_GRACE_SECONDS = 30;

/** Every pod gone (the controllers stopped first so nothing is re-created); forced when one outlives its stop. */
async function deleteAllPods(log: Log): Promise<void> {
  // Workloads first, cluster services (CoreDNS) after: a worker finishing its last task during its warm
  // shutdown still resolves and reaches the api-server. SIGTERM, then SIGKILL after DOWN_GRACE_SECONDS.
  const scopes = [
    { which: 'workload', select: ['-A', '--field-selector', 'metadata.namespace!=kube-system'] },
    { which: 'cluster service', select: ['-A', '--field-selector', 'metadata.namespace=kube-system'] },
  ];
  for (const { which, select } of scopes) {
    const count = () => kubectl(['get', 'pods', ...select, '--no-headers', '--ignore-not-found']).split('\n').filter(Boolean).length;
    const n = count();
    if (n === 0) continue;
    log(`deleting ${n} ${which} pods (SIGTERM, SIGKILL after ${DOWN_GRACE_SECONDS} s)`);
    kubectl(['delete', 'pods', ...select, `--grace-period=${DOWN_GRACE_SECONDS}`, '--wait=false']);
    try {
      await waitFor(`every ${which} pod deleted`, () => count() === 0, (DOWN_GRACE_SECONDS + 60) * 1000, 'kubelet');
    } catch {
      log(`pods still terminating ${DOWN_GRACE_SECONDS + 60} s after deletion, forcing: ${stuckPods().join('; ')}`);
      kubectl(['delete', 'pods', ...select, '--force', '--grace-period=0', '--wait=false']);
      await sleep(5000);
    }
  }
}

/** What each pod (of one namespace, or all) is doing: its node, phase, deletion grace and each container's state; for pods that outlive their stop. */
export function stuckPods(namespace?: string): string[] {
  type Pod = {
    metadata: { namespace: string; name: string; deletionGracePeriodSeconds?: number; finalizers?: string[] };
    spec: { nodeName?: string };
    status: { phase?: string; containerStatuses?: { name: string; state?: Record<string, { reason?: string; exitCode?: number }> }[] };
  };
  return kubectlJson<{ items: Pod[] }>(['get', 'pods', ...(namespace ? ['-n', namespace] : ['-A'])]).items.map((p) => {
    const containers = (p.status.containerStatuses ?? []).map((c) => {
      const [state, detail] = Object.entries(c.state ?? {})[0] ?? ['unknown', {}];
      return `${c.name}=${state}${detail.reason ? `(${detail.reason}${detail.exitCode !== undefined ? ` ${detail.exitCode}` : ''})` : ''}`;
    });
    const finalizers = p.metadata.finalizers?.length ? ` finalizers ${p.metadata.finalizers.join(',')}` : '';
    return `${p.metadata.namespace}/${p.metadata.name} on ${p.spec.nodeName ?? '(unscheduled)'} ${p.status.phase ?? ''} grace ${p.metadata.deletionGracePeriodSeconds ?? '-'}${finalizers} [${containers.join(' ')}]`;
  });
}

function leftoverMounts(): string[] {
  return fs.readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1]).filter((m) => m?.startsWith(STATE_DIR));
}

export interface DownOptions {
  /**
   * Also forget the cluster's objects (etcd data, kubelet folder), so the next `up` starts from an empty
   * cluster; images in containerd and the managed services' data are kept. @default false
   */
  readonly purge?: boolean;
}

/** Stops everything in order and checks that nothing is left; returns what is left (empty = clean). */
export async function down(log: Log, opts: DownOptions = {}): Promise<string[]> {
  if (daemonPid('kube-apiserver')) {
    await stopDaemon('kube-controller-manager');
    await stopDaemon('kube-scheduler');
    if (daemonPid('kubelet')) await deleteAllPods(log).catch((e: Error) => log(`pod deletion: ${e.message}`));
  }
  for (const n of NODES) await stopDaemon(`kubelet${n.suffix}`);
  await stopAllContainerd();
  await stopDaemon('kube-router');
  enforcerCleanup();
  await stopDaemon('kube-proxy');
  kubeProxyCleanup();
  await stopDaemon('kube-apiserver');
  await stopDaemon('etcd');
  await stopDaemon('managed-services', 90_000);
  for (const m of leftoverMounts().reverse()) sh('umount', ['-l', m], { allowFail: true });
  teardownNetwork();
  destroyEnforcerIpsets();
  for (const d of daemonNames()) await stopDaemon(d);
  for (const n of NODES) removeCgroupRoot(n);
  for (const l of leftoverContainerLinks()) fs.rmSync(l, { force: true });
  // Purge = the next `up` starts from nothing: cluster state and the managed services' data and credentials.
  if (opts.purge) for (const dir of ['etcd', 'services', 'nodes', ...NODES.map((n) => n.kubeletDir)]) fs.rmSync(path.resolve(STATE_DIR, dir), { recursive: true, force: true });
  const left = [
    ...daemonNames().filter((d) => daemonPid(d)).map((d) => `process ${d}`),
    ...ourShims().map((p) => `containerd shim pid ${p}`),
    ...networkLeftovers(),
    ...enforcerIpsetsLeft().map((s) => `ipset ${s}`),
    ...leftoverMounts().map((m) => `mount ${m}`),
    ...cgroupRootsLeft(NODES).map((c) => `cgroup ${c}`),
    ...leftoverContainerLinks().map((l) => `container log link ${l}`),
  ];
  return left;
}

export interface Status {
  readonly daemons: Record<string, number | undefined>;
  readonly nodeReady: boolean;
  readonly pods: string[];
  readonly applications: string[];
}

export const DAEMONS = ['managed-services', 'etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', ...NODES.flatMap((n) => [`containerd${n.suffix}`, `kubelet${n.suffix}`]), 'kube-proxy', 'kube-router', 'log-links'];

export async function status(env: EnvironmentConfig): Promise<Status> {
  const daemons = Object.fromEntries(DAEMONS.map((d) => [d, daemonPid(d)]));
  let ready = false;
  let pods: string[] = [];
  let applications: string[] = [];
  if (daemons['kube-apiserver'] && (await apiStatus(vpcAddresses(env), '/readyz', fs.readFileSync(path.join(STATE_DIR, 'pki', 'admin.token'), 'utf8').trim())) === 200) {
    ready = NODES.every((n) => nodeReady(n));
    pods = kubectl(['get', 'pods', '-A', '--no-headers']).split('\n').filter(Boolean);
    // Before the operators are installed there is no Application kind: nothing to list.
    applications = sh(kubeBin('kubectl'), [`--kubeconfig=${KUBECONFIG}`, 'get', 'applications.argoproj.io', '-A', '--no-headers', '-o', 'custom-columns=NAME:.metadata.name,SYNC:.status.sync.status,HEALTH:.status.health.status'], { allowFail: true })
      .split('\n')
      .filter(Boolean);
  }
  return { daemons, nodeReady: ready, pods, applications };
}

