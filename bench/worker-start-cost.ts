import * as fs from 'node:fs';
import * as path from 'node:path';
import { AirflowApi } from '../cluster/airflow-api';
import { status } from '../cluster/cluster';
import { kubectlAsync, kubectlJson } from '../cluster/node/kubectl';
import { nodeNamed } from '../cluster/node/layout';
import { readServicesInfo } from '../cluster/services/managed-services';
import { loadEnvironments } from '../manifests-src/config';
import { POD_PEERS } from '../manifests-src/platform/network-flows';
import { podCgroupDir } from './cluster-target';
import { SINGLE_TASK_DAG } from './phases';
import { formatSpread, spread } from './stats';

/**
 * `npm run measure:worker-start [-- --repeats 3]`: what one KEDA scale-out costs in CPU, on the local cluster
 * (`npm run cluster -- up` first). With dev's workers at KEDA's minimum (0), one no-op task is triggered; the
 * worker pod KEDA starts for it has its cgroup CPU (cpuacct.usage, every container of the pod) read every
 * 500 ms and split at the moments its log says Celery is `ready.`, the task succeeded, the kubelet marks it
 * Ready (the startup probe, an `inspect ping`, passed) and KEDA removed it, in the order they happen.
 * Prints each start and the median (min-max).
 */

const repeats = Number(process.argv[process.argv.indexOf('--repeats') + 1] || 3) || 3;
const POLL_MS = 500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface WorkerPod {
  metadata: { name: string; uid: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status: { qosClass?: string; conditions?: { type: string; status: string }[] };
}

/** One moment of a worker pod's life and the pod's CPU-seconds when it was first seen. */
interface Mark {
  readonly event: string;
  readonly cpu: number;
}

const EVENTS = { ready: 'Celery ready', task: 'task succeeded', podReady: 'pod Ready (startup probe passed)', gone: 'removed by KEDA (warm shutdown)' } as const;

async function until<T>(what: string, timeoutMs: number, f: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(POLL_MS);
  }
}

function cpuSeconds(p: WorkerPod): number | undefined {
  if (!p.spec.nodeName) return undefined;
  const dir = podCgroupDir('cpuacct', nodeNamed(p.spec.nodeName).cgroupRoot, p.status.qosClass, p.metadata.uid);
  if (!dir) return undefined;
  try {
    return Number(fs.readFileSync(path.join(dir, 'cpuacct.usage'), 'utf8').trim()) / 1e9;
  } catch {
    return undefined; // removed between the two reads
  }
}

/** The marks of one scale-out from zero, in the order they happened (the task may finish before the probe passes). */
async function oneStart(api: AirflowApi, ns: string, cooldownSeconds: number): Promise<Mark[]> {
  const workers = () => kubectlJson<{ items: WorkerPod[] }>(['-n', ns, 'get', 'pods', '-l', `app.kubernetes.io/name=${POD_PEERS.worker}`]).items;
  await until('the workers at KEDA minimum (0)', (cooldownSeconds + 180) * 1000, () => (workers().length === 0 ? true : undefined));
  const runId = await api.trigger(SINGLE_TASK_DAG);
  const pod = await until('a worker pod on a node', 120_000, () => workers().find((p) => p.spec.nodeName && cpuSeconds(p) !== undefined));
  const name = pod.metadata.name;
  let last = cpuSeconds(pod)!;
  const marks: Mark[] = [];
  const seen = (e: string) => marks.some((m) => m.event === e);
  const mark = (e: string) => seen(e) || marks.push({ event: e, cpu: last });
  await until(`${name} through its start, task and scale-in`, (cooldownSeconds + 600) * 1000, async () => {
    const p = workers().find((x) => x.metadata.uid === pod.metadata.uid);
    const c = p ? cpuSeconds(p) : undefined;
    if (c !== undefined) last = c;
    if (!p) return mark(EVENTS.gone) && true;
    if (!seen(EVENTS.ready) && /celery@\S+ ready\./.test(await kubectlAsync(['-n', ns, 'logs', name, '-c', 'worker']).catch(() => ''))) mark(EVENTS.ready);
    if (!seen(EVENTS.task)) {
      const state = await api.runState(SINGLE_TASK_DAG, runId);
      if (state === 'failed') throw new Error(`${SINGLE_TASK_DAG} run ${runId} failed`);
      if (state === 'success') mark(EVENTS.task);
    }
    if (p.status.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')) mark(EVENTS.podReady);
    return undefined;
  });
  return marks;
}

/** CPU-seconds from the previous mark (the pod's start for the first) to each mark. */
function increments(marks: readonly Mark[]): Mark[] {
  return marks.map((m, i) => ({ event: m.event, cpu: m.cpu - (i ? marks[i - 1].cpu : 0) }));
}

async function main(): Promise<void> {
  const env = loadEnvironments().find((e) => e.name === 'dev')!;
  if (env.workers.minReplicas !== 0) throw new Error(`dev's workers.minReplicas is ${env.workers.minReplicas}: this measures a start from 0`);
  if (!(await status(env)).nodeReady) throw new Error('the local cluster is not up: run `npm run cluster -- up` first');
  const services = readServicesInfo()!;
  const api = new AirflowApi(env.namespace, env.airflow.adminUsername, services.secrets.adminPassword);
  // Right after `cluster up` the api-server pod may still be starting.
  await until(`the api-server and the ${SINGLE_TASK_DAG} DAG`, 5 * 60_000, () =>
    api.call('PATCH', `/api/v2/dags/${SINGLE_TASK_DAG}`, { is_paused: false }).then(
      () => true,
      () => undefined,
    ),
  );
  const so = kubectlJson<{ spec: { cooldownPeriod?: number } }>(['-n', env.namespace, 'get', 'scaledobjects.keda.sh', POD_PEERS.worker]);
  const cooldown = so.spec.cooldownPeriod ?? 300;
  const starts: Mark[][] = [];
  for (let i = 1; i <= repeats; i++) {
    const marks = await oneStart(api, env.namespace, cooldown);
    starts.push(marks);
    console.log(`start ${i}/${repeats}: ${increments(marks).map((m) => `${m.event} +${m.cpu.toFixed(2)}`).join(', ')}; whole pod ${marks[marks.length - 1].cpu.toFixed(2)} CPU-s`);
  }
  const order = starts[0].map((m) => m.event);
  const sameOrder = starts.every((m) => m.map((x) => x.event).join() === order.join());
  const rows = order.map((e) => `| ${e} | ${formatSpread(spread(starts.map((m) => increments(m).find((x) => x.event === e)?.cpu ?? NaN)), 2)} |`);
  console.log(
    [
      `\nworker pod CPU-s per KEDA start from 0, ${repeats} starts, median (min-max), each from the moment above it${sameOrder ? '' : ' (the order differed between starts: read the lines above)'}:`,
      '| up to | CPU-s |',
      '|---|---:|',
      ...rows,
      `| whole pod life | ${formatSpread(spread(starts.map((m) => m[m.length - 1].cpu)), 2)} |`,
    ].join('\n'),
  );
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
