import { spawn, type ChildProcess } from 'node:child_process';
import { kubectlJson } from '../../cluster/node/kubectl';
import { KUBECONFIG, kubeBin } from '../../cluster/node/layout';

/**
 * What happened to every pod of the cluster while the suite ran, not only to the pods alive at its end (dev's
 * workers scale to zero): a watch on all pods from the start records each container's restarts, how it last
 * ended (OOMKilled...) and what it waited for (CrashLoopBackOff...), and evictions; the events of every namespace
 * (BackOff, OOMKilling, SystemOOM, Evicted, Killing, probe failures, KEDA scaler errors) are read at the end.
 * A finding is excused only by a named expectation that says why (test 5).
 */

export interface ContainerRecord {
  restarts: number;
  /** Reasons of its last terminations (`lastState.terminated.reason`, e.g. OOMKilled, Error). */
  terminated: string[];
  /** Waiting reasons seen (e.g. CrashLoopBackOff, ImagePullBackOff). */
  waiting: string[];
  /** When it last ended (`lastState.terminated.finishedAt`). */
  lastEndedAt?: string;
  /** Its startup probe's failureThreshold, when it has one. */
  startupFailureThreshold?: number;
  image: string;
}

export interface PodRecord {
  ns: string;
  name: string;
  /** Why the pod failed, when it did (`status.reason`, e.g. Evicted). */
  reason?: string;
  containers: Record<string, ContainerRecord>;
}

export interface PodEvent {
  ns: string;
  reason: string;
  kind: string;
  name: string;
  /** e.g. `spec.containers{worker}`. */
  fieldPath?: string;
  message: string;
  count: number;
  at: string;
}

export interface Finding {
  ns: string;
  pod: string;
  container?: string;
  /** restart, terminated, waiting, evicted, or the event's reason. */
  what: string;
  detail: string;
  /** For a restart: the last lines its previous instance logged (read as the restart was seen). */
  previousLog?: string;
}

/** A finding that is part of the suite's design, with the reason. */
export interface Expected {
  readonly why: string;
  readonly matches: (f: Finding, history: PodHistoryData) => boolean;
}

export interface PodHistoryData {
  pods: Map<string, PodRecord>;
  events: PodEvent[];
  /** When the watch began (ms since the epoch): a container that ended before it did so while the cluster came up. */
  watchStartedAt?: number;
  /** `ns/pod/container` → the tail of the log of each instance that ended (one entry per restart seen). */
  previousLogs?: Map<string, string[]>;
}

/** Event reasons that mean a pod or container did not live its life undisturbed. */
export const WATCHED_EVENT_REASONS = ['BackOff', 'OOMKilling', 'SystemOOM', 'Evicted', 'EvictionThresholdMet', 'Killing', 'Unhealthy', 'KEDAScalerFailed', 'FailedKillPod', 'Preempting'];

/** Waiting reasons that are problems (ContainerCreating and PodInitializing are a start). */
const BAD_WAITING = /BackOff|Err|Invalid|CreateContainer/;

type PodJson = {
  metadata: { uid: string; name: string; namespace: string };
  spec: { containers: { name: string; image: string; startupProbe?: { failureThreshold?: number } }[]; initContainers?: { name: string; image: string }[] };
  status?: {
    reason?: string;
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
};
type ContainerStatus = { name: string; image: string; restartCount: number; state?: { waiting?: { reason?: string } }; lastState?: { terminated?: { reason?: string; exitCode?: number; finishedAt?: string } } };

/** Folds one observed version of a pod into its record (counts only grow; reasons accumulate); returns the containers whose restart count grew. */
export function observe(pods: Map<string, PodRecord>, p: PodJson): string[] {
  const restarted: string[] = [];
  const rec = pods.get(p.metadata.uid) ?? { ns: p.metadata.namespace, name: p.metadata.name, containers: {} };
  if (p.status?.reason) rec.reason = p.status.reason;
  const specs = [...p.spec.containers, ...(p.spec.initContainers ?? [])];
  for (const c of [...(p.status?.containerStatuses ?? []), ...(p.status?.initContainerStatuses ?? [])]) {
    const spec = specs.find((s) => s.name === c.name) as { startupProbe?: { failureThreshold?: number } } | undefined;
    const r = (rec.containers[c.name] ??= { restarts: 0, terminated: [], waiting: [], image: c.image, startupFailureThreshold: spec?.startupProbe ? spec.startupProbe.failureThreshold ?? 3 : undefined });
    if (c.restartCount > r.restarts) restarted.push(c.name);
    r.restarts = Math.max(r.restarts, c.restartCount);
    const t = c.lastState?.terminated;
    if (t?.reason && !r.terminated.includes(`${t.reason} (exit ${t.exitCode ?? '?'})`)) r.terminated.push(`${t.reason} (exit ${t.exitCode ?? '?'})`);
    if (t?.finishedAt) r.lastEndedAt = t.finishedAt;
    const w = c.state?.waiting?.reason;
    if (w && !r.waiting.includes(w)) r.waiting.push(w);
  }
  pods.set(p.metadata.uid, rec);
  return restarted;
}

/** The record of the container a finding is about, if the watch saw it. */
export function containerOf(h: PodHistoryData, f: Finding): ContainerRecord | undefined {
  return f.container ? [...h.pods.values()].find((p) => p.ns === f.ns && p.name === f.pod)?.containers[f.container] : undefined;
}

/** Everything that disturbed a pod, from the records and the events. */
export function findings(h: PodHistoryData): Finding[] {
  const out: Finding[] = [];
  for (const p of h.pods.values()) {
    if (p.reason) out.push({ ns: p.ns, pod: p.name, what: p.reason === 'Evicted' ? 'evicted' : 'failed', detail: p.reason });
    for (const [name, c] of Object.entries(p.containers)) {
      if (c.restarts > 0) out.push({ ns: p.ns, pod: p.name, container: name, what: 'restart', detail: `restarted ${c.restarts}x${c.terminated.length ? `, last ended ${c.terminated.join(', ')}` : ''}`, previousLog: h.previousLogs?.get(`${p.ns}/${p.name}/${name}`)?.join('\n--- then, after its restart ---\n') });
      else if (c.terminated.some((t) => t.startsWith('OOMKilled'))) out.push({ ns: p.ns, pod: p.name, container: name, what: 'terminated', detail: c.terminated.join(', ') });
      for (const w of c.waiting.filter((x) => BAD_WAITING.test(x))) out.push({ ns: p.ns, pod: p.name, container: name, what: 'waiting', detail: `${w} (image ${c.image})` });
    }
  }
  for (const e of h.events) {
    if (!WATCHED_EVENT_REASONS.includes(e.reason)) continue;
    const container = /\{(.+)\}/.exec(e.fieldPath ?? '')?.[1];
    out.push({ ns: e.ns, pod: e.kind === 'Pod' ? e.name : `${e.kind}/${e.name}`, container, what: e.reason, detail: `${e.message} (x${e.count}, at ${e.at})` });
  }
  return out;
}

/** The findings no expectation excuses, and the excused ones with the reason that excused them. */
export function judge(h: PodHistoryData, expected: readonly Expected[]): { unexpected: Finding[]; excused: { finding: Finding; why: string }[] } {
  const unexpected: Finding[] = [];
  const excused: { finding: Finding; why: string }[] = [];
  for (const f of findings(h)) {
    const e = expected.find((x) => x.matches(f, h));
    if (e) excused.push({ finding: f, why: e.why });
    else unexpected.push(f);
  }
  return { unexpected, excused };
}

export const describeFinding = (f: Finding): string =>
  `${f.what} ${f.ns}/${f.pod}${f.container ? `/${f.container}` : ''}: ${f.detail}${f.previousLog ? `\n      its previous instance logged:\n${f.previousLog.replace(/^/gm, '        ')}` : ''}`;

/** Startup-probe failures of a container, summed over its events. */
export function startupProbeFailures(h: PodHistoryData, ns: string, pod: string, container: string): number {
  return h.events.filter((e) => e.ns === ns && e.name === pod && e.reason === 'Unhealthy' && e.fieldPath === `spec.containers{${container}}` && e.message.startsWith('Startup probe failed')).reduce((n, e) => n + e.count, 0);
}

/** Splits kubectl's stream of pretty-printed JSON objects into objects. */
export class JsonStream {
  private buf = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private start = -1;
  constructor(private readonly onObject: (o: unknown) => void) {}

  push(chunk: string): void {
    let i = this.buf.length;
    this.buf += chunk;
    for (; i < this.buf.length; i++) {
      const ch = this.buf[i];
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (ch === '\\') this.escaped = true;
        else if (ch === '"') this.inString = false;
        continue;
      }
      if (ch === '"') this.inString = true;
      else if (ch === '{') {
        if (this.depth++ === 0) this.start = i;
      } else if (ch === '}' && --this.depth === 0) {
        this.onObject(JSON.parse(this.buf.slice(this.start, i + 1)));
        this.buf = this.buf.slice(i + 1);
        i = -1;
      }
    }
  }
}

/** A watch on every pod of the cluster from now on; `stop()` ends it and reads the events of every namespace. */
export class PodHistory {
  readonly pods = new Map<string, PodRecord>();
  private startedAt?: number;
  private child?: ChildProcess;
  private stopped = false;
  readonly watchErrors: string[] = [];
  /** Why a container restarted is in the log of the instance that ended, which the kubelet keeps only until the next restart. */
  readonly previousLogs = new Map<string, string[]>();
  private readonly reads = new Set<Promise<void>>();

  start(): void {
    this.startedAt ??= Date.now();
    const stream = new JsonStream((o) => {
      const obj = o as { kind?: string; items?: PodJson[] };
      try {
        for (const p of obj.kind === 'List' ? obj.items ?? [] : [o as PodJson]) {
          for (const c of observe(this.pods, p)) this.readPreviousLog(p.metadata.namespace, p.metadata.name, c);
        }
      } catch (e) {
        this.watchErrors.push(`unreadable pod from the watch: ${(e as Error).message}`);
      }
    });
    const child = spawn(kubeBin('kubectl'), [`--kubeconfig=${KUBECONFIG}`, 'get', 'pods', '-A', '--watch', '-o', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.setEncoding('utf8').on('data', (d: string) => stream.push(d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => this.watchErrors.push(d.trim().slice(0, 300)));
    // The API server ends a watch after its request timeout (30-60 min): a new watch lists every pod again.
    child.on('exit', () => {
      if (!this.stopped) this.start();
    });
    this.child = child;
  }

  private readPreviousLog(ns: string, pod: string, container: string): void {
    const read = new Promise<void>((resolve) => {
      const child = spawn(kubeBin('kubectl'), [`--kubeconfig=${KUBECONFIG}`, '-n', ns, 'logs', pod, '-c', container, '--previous', '--tail=20'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.on('close', () => {
        const key = `${ns}/${pod}/${container}`;
        this.previousLogs.set(key, [...(this.previousLogs.get(key) ?? []), out.trimEnd().slice(-3000)]);
        resolve();
      });
    });
    this.reads.add(read);
    void read.then(() => this.reads.delete(read));
  }

  /** Ends the watch without reading anything (a suite that stops early). */
  close(): void {
    this.stopped = true;
    this.child?.kill();
  }

  /** Ends the watch (after one last full list) and returns the records with every namespace's events. */
  async stop(): Promise<PodHistoryData> {
    this.close();
    for (const p of kubectlJson<{ items: PodJson[] }>(['get', 'pods', '-A']).items) {
      for (const c of observe(this.pods, p)) this.readPreviousLog(p.metadata.namespace, p.metadata.name, c);
    }
    await Promise.all([...this.reads]);
    type Ev = { metadata: { namespace: string }; reason: string; involvedObject: { kind: string; name: string; fieldPath?: string }; message: string; count?: number; series?: { count?: number }; firstTimestamp?: string; eventTime?: string };
    const events = kubectlJson<{ items: Ev[] }>(['get', 'events', '-A']).items.map((e) => ({
      ns: e.metadata.namespace,
      reason: e.reason,
      kind: e.involvedObject.kind,
      name: e.involvedObject.name,
      fieldPath: e.involvedObject.fieldPath,
      message: e.message,
      count: e.series?.count ?? e.count ?? 1,
      at: e.firstTimestamp ?? e.eventTime ?? '?',
    }));
    return { pods: this.pods, events, watchStartedAt: this.startedAt, previousLogs: this.previousLogs };
  }
}
