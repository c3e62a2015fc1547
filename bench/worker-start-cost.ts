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
 * 500 ms and split at the moments its log says Celery is `ready.`, the kubelet marks it Ready (the startup
 * probe, an `inspect ping`, passed), the task succeeded, and the pod was last seen before KEDA removed it.
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

interface StartCost {
  /** CPU-s from the pod's start to Celery's `ready.` */
  toCeleryReady: number;
  /** CPU-s from there to the pod's Ready condition: the startup probe and an idle Celery. */
  startupProbe: number;
  /** CPU-s from Ready to the task's success: the task and its log upload. */
  task: number;
  /** CPU-s of the pod's whole life as last seen (warm shutdown, and any probe after the task). */
  whole: number;
}

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

async function oneStart(api: AirflowApi, ns: string, cooldownSeconds: number): Promise<StartCost> {
  const workers = () => kubectlJson<{ items: WorkerPod[] }>(['-n', ns, 'get', 'pods', '-l', `app.kubernetes.io/name=${POD_PEERS.worker}`]).items;
  await until('the workers at KEDA minimum (0)', (cooldownSeconds + 180) * 1000, () => (workers().length === 0 ? true : undefined));
  const runId = await api.trigger(SINGLE_TASK_DAG);
  const pod = await until('a worker pod on a node', 120_000, () => workers().find((p) => p.spec.nodeName && cpuSeconds(p) !== undefined));
  const name = pod.metadata.name;
  const current = () => workers().find((p) => p.metadata.uid === pod.metadata.uid);
  let last = cpuSeconds(pod)!;
  const sample = (p: WorkerPod | undefined) => {
    const c = p ? cpuSeconds(p) : undefined;
    if (c !== undefined) last = c;
    return last;
  };
  const atReady = await until(`Celery ready in ${name}`, 300_000, async () => {
    const c = sample(current());
    const logs = await kubectlAsync(['-n', ns, 'logs', name, '-c', 'worker']).catch(() => '');
    return /celery@\S+ ready\./.test(logs) ? c : undefined;
  });
  const atPodReady = await until(`${name} Ready`, 300_000, () => {
    const p = current();
    const c = sample(p);
    return p?.status.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ? c : undefined;
  });
  const atTaskDone = await until(`the ${SINGLE_TASK_DAG} run`, 300_000, async () => {
    const c = sample(current());
    const state = await api.runState(SINGLE_TASK_DAG, runId);
    if (state === 'failed') throw new Error(`${SINGLE_TASK_DAG} run ${runId} failed`);
    return state === 'success' ? c : undefined;
  });
  await until(`${name} removed by KEDA`, (cooldownSeconds + 300) * 1000, () => {
    const p = current();
    sample(p);
    return p ? undefined : true;
  });
  return { toCeleryReady: atReady, startupProbe: atPodReady - atReady, task: atTaskDone - atPodReady, whole: last };
}

async function main(): Promise<void> {
  const env = loadEnvironments().find((e) => e.name === 'dev')!;
  if (env.workers.minReplicas !== 0) throw new Error(`dev's workers.minReplicas is ${env.workers.minReplicas}: this measures a start from 0`);
  if (!(await status(env)).nodeReady) throw new Error('the local cluster is not up: run `npm run cluster -- up` first');
  const services = readServicesInfo()!;
  const api = new AirflowApi(env.namespace, env.airflow.adminUsername, services.secrets.adminPassword);
  await api.call('PATCH', `/api/v2/dags/${SINGLE_TASK_DAG}`, { is_paused: false });
  const so = kubectlJson<{ spec: { cooldownPeriod?: number } }>(['-n', env.namespace, 'get', 'scaledobjects.keda.sh', POD_PEERS.worker]);
  const cooldown = so.spec.cooldownPeriod ?? 300;
  const costs: StartCost[] = [];
  for (let i = 1; i <= repeats; i++) {
    const c = await oneStart(api, env.namespace, cooldown);
    costs.push(c);
    console.log(`start ${i}/${repeats}: CPU-s to Celery ready ${c.toCeleryReady.toFixed(2)}, startup probe ${c.startupProbe.toFixed(2)}, task ${c.task.toFixed(2)}, whole pod ${c.whole.toFixed(2)}`);
  }
  const row = (label: string, k: keyof StartCost) => `| ${label} | ${formatSpread(spread(costs.map((c) => c[k])), 2)} |`;
  console.log(
    [
      `\nworker pod CPU-s per KEDA start, ${repeats} starts, median (min-max):`,
      '| part | CPU-s |',
      '|---|---:|',
      row('start to Celery ready', 'toCeleryReady'),
      row('startup probe (ready to pod Ready)', 'startupProbe'),
      row('one no-op task (pod Ready to success)', 'task'),
      row('whole pod life (to scale-in)', 'whole'),
    ].join('\n'),
  );
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
