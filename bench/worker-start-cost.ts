import { AirflowApi } from '../cluster/airflow-api';
import { status } from '../cluster/cluster';
import { waitFor } from '../cluster/node/daemon';
import { kubectlAsync, kubectlJson } from '../cluster/node/kubectl';
import { readServicesInfo } from '../cluster/services/managed-services';
import { loadEnvironments } from '../manifests-src/config';
import { POD_PEERS } from '../manifests-src/platform/network-flows';
import { podCpuSeconds, type PodJson } from './cluster-target';
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

interface WorkerPod extends PodJson {
  metadata: PodJson['metadata'] & { name: string };
  status: PodJson['status'] & { conditions?: { type: string; status: string }[] };
}

/** One moment of a worker pod's life and the pod's CPU-seconds when it was first seen. */
interface Mark {
  readonly event: string;
  readonly cpu: number;
}

const EVENTS = { ready: 'Celery ready', task: 'task succeeded', podReady: 'pod Ready (startup probe passed)', gone: 'removed by KEDA (warm shutdown)' } as const;

/** The marks of one scale-out from zero, in the order they happened (the task may finish before the probe passes). */
async function oneStart(api: AirflowApi, ns: string, cooldownSeconds: number): Promise<Mark[]> {
  const workers = () => kubectlJson<{ items: WorkerPod[] }>(['-n', ns, 'get', 'pods', '-l', `app.kubernetes.io/name=${POD_PEERS.worker}`]).items;
  await waitFor('the workers at KEDA minimum (0)', () => workers().length === 0, (cooldownSeconds + 180) * 1000);
  const runId = await api.trigger(SINGLE_TASK_DAG);
  let pod: WorkerPod | undefined;
  await waitFor('a worker pod on a node', () => (pod = workers().find((p) => podCpuSeconds(p) !== undefined)) !== undefined, 120_000);
  const { name, uid } = pod!.metadata;
  let last = podCpuSeconds(pod!)!;
  let failed = false;
  const marks: Mark[] = [];
  const seen = (e: string) => marks.some((m) => m.event === e);
  const mark = (e: string) => seen(e) || marks.push({ event: e, cpu: last });
  await waitFor(`${name} through its start, task and scale-in`, async () => {
    const p = workers().find((x) => x.metadata.uid === uid);
    last = (p && podCpuSeconds(p)) ?? last;
    if (!p) return !!mark(EVENTS.gone);
    if (!seen(EVENTS.ready) && /celery@\S+ ready\./.test(await kubectlAsync(['-n', ns, 'logs', name, '-c', 'worker']).catch(() => ''))) mark(EVENTS.ready);
    if (!seen(EVENTS.task)) {
      const state = await api.runState(SINGLE_TASK_DAG, runId);
      failed = state === 'failed';
      if (state === 'success') mark(EVENTS.task);
    }
    if (p.status.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')) mark(EVENTS.podReady);
    return failed;
  }, (cooldownSeconds + 600) * 1000);
  if (failed) throw new Error(`${SINGLE_TASK_DAG} run ${runId} failed`);
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
  await waitFor(`the api-server and the ${SINGLE_TASK_DAG} DAG`, () => api.call('PATCH', `/api/v2/dags/${SINGLE_TASK_DAG}`, { is_paused: false }).then(() => true), 5 * 60_000);
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
