import * as fs from 'node:fs';
import * as path from 'node:path';
import { AirflowApi } from '../cluster/airflow-api';
import { daemonPid } from '../cluster/node/daemon';
import { kubectlJson } from '../cluster/node/kubectl';
import { nodeNamed } from '../cluster/node/layout';
import { descendantsOf } from '../local/proc';
import { POD_PEERS } from '../manifests-src/platform/network-flows';
import type { BenchTarget } from './phases';
import { treeCpuSeconds, treePssMiB } from './proc-sample';

/**
 * dist/<env> running on the local cluster as a benchmark target: runs are triggered through the api-server pod
 * (from the VPC, as the load balancer would), CPU and memory are read from each pod's cgroup (cgroup v1
 * cpuacct and memory, under the kubelet's cgroup root of the pod's node), and PostgreSQL, Redis and the AWS API
 * emulator (the log sink) from their process trees beside the cluster, as the managed services they stand in for.
 */

/** The benchmark's component of each pod peer it measures; the StatsD exporter and the migration Job are not counted. */
const MEASURED_PEERS: Partial<Record<keyof typeof POD_PEERS, string>> = {
  scheduler: 'scheduler',
  'api-server': 'api-server',
  'dag-processor': 'dag-processor',
  triggerer: 'triggerer',
  worker: 'workers',
  'worker-long': 'workers',
  pgbouncer: 'pgbouncer',
};

/** dist/'s pod name label (app.kubernetes.io/name) -> the benchmark's component. */
export const POD_COMPONENTS: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(MEASURED_PEERS).map(([peer, component]) => [POD_PEERS[peer as keyof typeof POD_PEERS], component]),
);

export interface PodJson {
  metadata: { uid: string; labels?: Record<string, string> };
  spec: { nodeName?: string };
  status: { qosClass?: string };
}

const CGROUP_V1 = '/sys/fs/cgroup';

/** The pod's cgroup folder of one cgroup v1 controller (the kubelet's cgroupfs layout), if it still exists. */
export function podCgroupDir(controller: 'cpuacct' | 'memory', cgroupRoot: string, qosClass: string | undefined, uid: string): string | undefined {
  const qos = qosClass === 'Guaranteed' ? '' : (qosClass ?? 'Burstable').toLowerCase();
  const dir = path.join(CGROUP_V1, controller, cgroupRoot, 'kubepods', qos, `pod${uid}`);
  return fs.existsSync(dir) ? dir : undefined;
}

function readNumber(file: string): number | undefined {
  try {
    return Number(fs.readFileSync(file, 'utf8').trim());
  } catch {
    return undefined;
  }
}

/** CPU-seconds a pod has used (its cgroup's cpuacct.usage: every container), while its cgroup exists. */
export function podCpuSeconds(p: PodJson): number | undefined {
  if (!p.spec.nodeName) return undefined;
  const dir = podCgroupDir('cpuacct', nodeNamed(p.spec.nodeName).cgroupRoot, p.status.qosClass, p.metadata.uid);
  const ns = dir ? readNumber(path.join(dir, 'cpuacct.usage')) : undefined;
  return ns === undefined || Number.isNaN(ns) ? undefined : ns / 1e9;
}

/** Working set of a memory cgroup (usage minus inactive file pages), the figure the kubelet evicts on. */
function workingSetMiB(dir: string): number {
  const usage = readNumber(path.join(dir, 'memory.usage_in_bytes')) ?? 0;
  const stat = fs.readFileSync(path.join(dir, 'memory.stat'), 'utf8');
  const inactive = Number(/^total_inactive_file (\d+)$/m.exec(stat)?.[1] ?? 0);
  return Math.max(0, usage - inactive) / 2 ** 20;
}

/** Process trees of the managed services, by the benchmark's component names. */
function managedServiceRoots(): Record<string, number> {
  const daemon = daemonPid('managed-services');
  if (!daemon) throw new Error('the managed services are not running: start the cluster with `npm run cluster -- up`');
  const roots: Record<string, number> = {};
  for (const pid of descendantsOf(daemon)) {
    // comm, not argv[0]: Redis and PostgreSQL rewrite their argv into a process title.
    let exe: string;
    let cmd: string[];
    try {
      exe = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // exited since it was listed
    }
    // The first (topmost) match is the server's root process; its children are in its tree.
    if (exe === 'postgres' && !roots.postgres) roots.postgres = pid;
    else if (exe === 'redis-server' && !roots.redis) roots.redis = pid;
    else if (cmd.some((a) => path.basename(a) === 'moto_server') && !roots['log-sink']) roots['log-sink'] = pid;
  }
  for (const c of ['postgres', 'redis', 'log-sink']) if (!roots[c]) throw new Error(`no ${c} process under the managed services (pid ${daemon})`);
  return roots;
}

export class ClusterTarget implements BenchTarget {
  /** Last CPU-seconds read per pod uid: a pod deleted since (KEDA scale-in) keeps what it was seen to use. */
  private readonly lastPodCpu = new Map<string, { component: string; seconds: number }>();

  constructor(
    private readonly api: AirflowApi,
    private readonly namespace: string,
  ) {}

  /** One POST per run (the DAGs are unpaused once, before the rounds). */
  async trigger(dagId: string, conf: Record<string, unknown> = {}): Promise<string> {
    return (await this.api.call<{ dag_run_id: string }>('POST', `/api/v2/dags/${dagId}/dagRuns`, { logical_date: null, conf })).dag_run_id;
  }

  private pods(): PodJson[] {
    return kubectlJson<{ items: PodJson[] }>(['-n', this.namespace, 'get', 'pods']).items.filter((p) => p.spec.nodeName && POD_COMPONENTS[p.metadata.labels?.['app.kubernetes.io/name'] ?? '']);
  }

  cpuByComponent(): Record<string, number> {
    for (const p of this.pods()) {
      const seconds = podCpuSeconds(p);
      if (seconds !== undefined) this.lastPodCpu.set(p.metadata.uid, { component: POD_COMPONENTS[p.metadata.labels!['app.kubernetes.io/name']], seconds });
    }
    const out: Record<string, number> = {};
    for (const { component, seconds } of this.lastPodCpu.values()) out[component] = (out[component] ?? 0) + seconds;
    for (const [component, pid] of Object.entries(managedServiceRoots())) out[component] = treeCpuSeconds(pid);
    return out;
  }

  memoryByComponent(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const p of this.pods()) {
      const dir = podCgroupDir('memory', nodeNamed(p.spec.nodeName!).cgroupRoot, p.status.qosClass, p.metadata.uid);
      if (!dir) continue;
      const c = POD_COMPONENTS[p.metadata.labels!['app.kubernetes.io/name']];
      out[c] = (out[c] ?? 0) + workingSetMiB(dir);
    }
    for (const [component, pid] of Object.entries(managedServiceRoots())) out[component] = treePssMiB(pid);
    return out;
  }

  /** Worker pods now (KEDA decides; the local benchmark fixes the count). */
  workerPods(): number {
    return this.pods().filter((p) => POD_COMPONENTS[p.metadata.labels?.['app.kubernetes.io/name'] ?? ''] === 'workers').length;
  }
}
