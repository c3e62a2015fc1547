import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { promisify } from 'node:util';
import { sh } from '../../cluster/node/daemon';
import { kubectlJson } from '../../cluster/node/kubectl';
import { NET, nodeNamed } from '../../cluster/node/layout';

/**
 * Looks at pods from the node, the way an operator with node access would: runs a client inside a pod's
 * network namespace (so the packets carry the pod's address and meet the NetworkPolicies), and reads a
 * container's uid, root mount and memory limit from /proc and the cgroup the kubelet gave it.
 */

const run = promisify(execFile);

interface PodJson {
  metadata: { name: string; namespace: string };
  spec: { nodeName: string };
  status: { podIP?: string; containerStatuses?: { name: string; containerID?: string; restartCount: number }[] };
}

export function pod(ns: string, name: string): PodJson {
  return kubectlJson<PodJson>(['-n', ns, 'get', 'pod', name]);
}

/** The cni-* network namespace holding this pod address. */
export function netnsOfIp(ip: string): string {
  for (const n of sh('ip', ['netns', 'list']).split('\n').map((l) => l.split(' ')[0]).filter((x) => x.startsWith('cni-'))) {
    if (sh('ip', ['-n', n, '-4', '-o', 'addr', 'show'], { allowFail: true }).includes(` ${ip}/`)) return n;
  }
  throw new Error(`no network namespace holds pod address ${ip}`);
}

/** Runs a Node.js snippet inside the pod's network namespace; resolves with its stdout. */
export async function inPodNetwork(ns: string, name: string, script: string, timeoutMs = 30_000): Promise<string> {
  const ip = pod(ns, name).status.podIP;
  if (!ip) throw new Error(`pod ${ns}/${name} has no address yet`);
  const { stdout } = await run('ip', ['netns', 'exec', netnsOfIp(ip), process.execPath, '-e', script], { timeout: timeoutMs });
  return stdout.trim();
}

/** How a TCP connection attempt ended: accepted, refused (RST or ICMP port unreachable), or no answer in time. */
export type ConnectOutcome = 'open' | 'refused' | 'timeout';

/**
 * Whether a TCP connection from the pod to host:port is accepted within the timeout. A denial shows as refused
 * (kube-router rejects) or as no answer; any other error (no route, the probe itself failing) is thrown, so
 * "cannot connect" never stands for a probe that did not work.
 */
export async function connectOutcome(ns: string, name: string, host: string, port: number, timeoutMs = 3000): Promise<ConnectOutcome> {
  const out = await inPodNetwork(
    ns,
    name,
    `const s=require('net').connect({host:${JSON.stringify(host)},port:${port}});const t=setTimeout(()=>{console.log('timeout');process.exit(0)},${timeoutMs});s.on('connect',()=>{console.log('open');process.exit(0)});s.on('error',e=>{console.log(e.code);process.exit(0)})`,
  );
  return connectResult(out, `${ns}/${name} -> ${host}:${port}`);
}

/** Maps the probe's output (a state or Node's error code) to an outcome; anything else is an error. */
export function connectResult(probeOutput: string, what: string): ConnectOutcome {
  if (probeOutput === 'open' || probeOutput === 'timeout') return probeOutput;
  if (probeOutput === 'ECONNREFUSED') return 'refused';
  throw new Error(`connection probe ${what}: neither connected, refused nor timed out (${probeOutput || 'no output'})`);
}

export async function canConnect(ns: string, name: string, host: string, port: number, timeoutMs = 3000): Promise<boolean> {
  return (await connectOutcome(ns, name, host, port, timeoutMs)) === 'open';
}

/** A DNS lookup through the cluster DNS service from inside the pod. */
export async function resolveInPod(ns: string, name: string, host: string): Promise<string[]> {
  const out = await inPodNetwork(ns, name, `const r=new (require('dns').promises.Resolver)({timeout:3000,tries:2});r.setServers(['${NET.dnsServiceIp}']);r.resolve4(${JSON.stringify(host)}).then(a=>console.log(JSON.stringify(a)),e=>console.log(JSON.stringify([e.code])))`);
  return JSON.parse(out) as string[];
}

/** Host pid of a container's main process (from containerd's task list). */
export function containerPid(ns: string, name: string, container: string): number {
  const p = pod(ns, name);
  const st = p.status.containerStatuses?.find((c) => c.name === container);
  const id = st?.containerID?.replace(/^containerd:\/\//, '');
  if (!id) throw new Error(`container ${container} of ${ns}/${name} has no id yet`);
  const socket = nodeNamed(p.spec.nodeName).containerdSocket;
  const line = sh('ctr', ['-a', socket, '-n', 'k8s.io', 'tasks', 'ls']).split('\n').find((l) => l.startsWith(id));
  if (!line) throw new Error(`containerd has no task for ${id}`);
  return Number(line.split(/\s+/)[1]);
}

export interface ContainerFacts {
  readonly uid: number;
  readonly rootReadOnly: boolean;
  readonly memoryLimitBytes: number;
  readonly memoryPeakBytes: number;
}

/** What the kernel enforces on the container's process (cgroup v1 memory controller here). */
export function containerFacts(pid: number): ContainerFacts {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const uid = Number(/^Uid:\s+(\d+)/m.exec(status)![1]);
  const rootLine = fs.readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n').find((l) => l.split(' ')[4] === '/');
  const rootReadOnly = !!rootLine && rootLine.split(' ')[5].split(',').includes('ro');
  const memPath = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => /:memory:/.test(l))!.split(':')[2];
  const read = (f: string) => Number(fs.readFileSync(`/sys/fs/cgroup/memory${memPath}/${f}`, 'utf8').trim());
  return { uid, rootReadOnly, memoryLimitBytes: read('memory.limit_in_bytes'), memoryPeakBytes: read('memory.max_usage_in_bytes') };
}
