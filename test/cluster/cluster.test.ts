import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { loadEnvironments, PORTS } from '../../manifests-src/config';
import { allowedFlows, POD_PEERS, type Flow } from '../../manifests-src/platform/network-flows';
import { down, publishGitops, stuckPods, up, type UpResult } from '../../cluster/cluster';
import { applications, applyStackManifests, expectedApplications, refresh, settled, terminateOperation, type AppState } from '../../cluster/gitops';
import { distImageReferences, distWorkloadNames } from '../../cluster/images/references';
import { sh, sleep } from '../../cluster/node/daemon';
import { apply, kubectl, kubectlAsync, kubectlJson } from '../../cluster/node/kubectl';
import { KUBE_ROUTER, enforcerHealthy } from '../../cluster/node/network-policy-enforcer';
import { binDir, CORE_NODE, COREDNS_VERSION, KUBE_BIN, KUBERNETES_VERSION, NET, NODE_NAME, NODES, nodeNamed, STATE_DIR, SYSTEM_NODE, vpcAddresses } from '../../cluster/node/layout';
import { kubeletLimits, systemNodeOf } from '../../cluster/node/system-node';
import { mebi, milli } from '../../infra/capacity/system-pods';
import { SYSTEM_NODE_LABELS } from '../../infra/lib/cluster';
import { stackTemplate } from '../../local/stack-template';
import { GIT_ROOT } from '../../cluster/services/managed-services';
import { PROJECT_ROOT } from '../../local/stack';
import { clusterRun, recordClusterRun } from '../../scripts/cluster-phase-table';
import { AirflowApi } from '../../cluster/airflow-api';
import { clusterHookRuns } from '../../cluster/hook-runs';
import { canConnect, connectOutcome, containerFacts, containerPid, resolveInPod } from './pod-probe';
import { contractDeployment, probePod, TEST_NS, webPolicy } from './workloads';
import type { ScenarioContext } from './scenarios/context';
import { outOfSyncResources } from './scenarios/no-drift';
import { apiServerRolloutWithoutErrors } from './scenarios/api-server-rollout';
import { missingSecretHoldsTheSecretsWave } from './scenarios/secrets-wave-gate';
import { alarmMetricsAreExported, alarmMetricsReachCloudWatch } from './scenarios/exported-metrics';
import { containerLogsReachCloudWatch, type RestartOutcome } from './scenarios/container-logs';
import { TestOutcomes } from './outcomes';
import { KEDA_CERT_STARTUP, KEDA_METRICS_SERVER_BEFORE_CERTS } from './keda-startup';
import { READINESS_WHILE_STARTING } from './startup-findings';
import { containerOf, describeFinding, judge, PodHistory, startupProbeFailures, type Expected, type Finding } from './pod-history';
import { PeakSampler, queryDivisor, queueBelowMax, workersFor, type WorkerScaling } from './scaling';

/**
 * Issue 11: dist/ and argocd/ of `dev`, unchanged, on a real single-node Kubernetes built here. One
 * sequential suite; every phase prints its time. A missing prerequisite fails the test that needs it,
 * naming what is missing: nothing is skipped.
 */

/**
 * jest's `test`, wrapped to record whether each test passed: the phase table of docs/local-cluster.md is generated
 * from runs in which every test did (scripts/cluster-phase-table.ts). A test added below is recorded as well.
 */
const outcomes = new TestOutcomes().install();
const test = outcomes.test;

const env = loadEnvironments().find((e) => e.name === 'dev')!;
const NS = env.namespace;
const MIN = 60_000;
/** A worker in warm shutdown exits once its last task has reported; this bounds that wait (its grace is an hour). */
const VICTIM_EXIT_SECONDS = 60;
const phases: [string, number][] = [];
const log = (line: string) => console.log(`[cluster] ${line}`);

/** Phases that threw (their test failed); recorded with the times in test-artifacts/cluster-phases.json. */
const failedPhases: string[] = [];

async function phase<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
  const started = Date.now();
  try {
    return await fn();
  } catch (e) {
    failedPhases.push(name);
    throw e;
  } finally {
    const s = (Date.now() - started) / 1000;
    phases.push([name, s]);
    log(`phase "${name}": ${s.toFixed(1)} s`);
  }
}

/** Polls until `check` holds; a wait of 5 s or more is logged with its time, so a slow phase shows which step. */
async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 1000): Promise<void> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) {
        const s = (Date.now() - started) / 1000;
        if (s >= 5) log(`  ${what}: ${s.toFixed(1)} s`);
        return;
      }
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await sleep(everyMs);
  }
}

const ready = (ns: string, selector: string, n: number) => () =>
  kubectlJson<{ items: { status: { conditions?: { type: string; status: string }[] } }[] }>(['-n', ns, 'get', 'pods', '-l', selector]).items.filter((p) => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length >= n;

let upResult: UpResult | undefined;
const podHistory = new PodHistory();
let downRan = false;

/** Groups of dist/ the Airflow tests (2-7) run on; an image missing for another group (logging) does not block them. */
const AIRFLOW_GROUPS = ['platform', 'secrets', 'pgbouncer', 'airflow'];
let rootApplied = false;

let airflowSettledOnce = false;

/**
 * Tests 2-7: the operators are installed, argocd/dev is applied and the Airflow groups are Synced + Healthy. Once
 * they have been, a later test needs them Synced only: a test that deleted a worker pod leaves the worker
 * Deployment Progressing until KEDA's replacement starts, which the next test does not depend on.
 */
async function needAirflowSynced(): Promise<void> {
  needCluster();
  const blocking = upResult!.missing.filter((m) => !m.startsWith('image ') || /airflow|pgbouncer|statsd|pause/.test(m.split(':')[0]));
  if (blocking.length) throw new Error(`prerequisite missing:\n  ${blocking.join('\n  ')}`);
  if (!rootApplied) {
    await applyStackManifests(env);
    rootApplied = true;
  }
  const names = expectedApplications(env).filter((a) => AIRFLOW_GROUPS.includes(a.group)).map((a) => a.name);
  const ok = (a: AppState) => (airflowSettledOnce ? a.sync === 'Synced' : settled(a));
  await until(`${names.join(', ')} ${airflowSettledOnce ? 'Synced' : 'Synced + Healthy'}`, () => names.every((n) => applications().some((a) => a.name === n && ok(a))), 20 * MIN, 3000).catch((e: Error) => {
    throw new Error(`${e.message}; applications: ${JSON.stringify(applications())}`);
  });
  airflowSettledOnce = true;
}

/**
 * The node checks (node, CoreDNS, kernel-enforced pod contract, Services, DNS, managed services, a NetworkPolicy,
 * clean teardown), then tests 1-7: dist/dev synced by Argo CD with every operator and image. CLUSTER_SUITE=node
 * (`npm run test:cluster:node`) runs the node checks alone, a quick check of the cluster itself: tests 1-7 are then
 * skipped, which `npm test`'s skip guard (test/support/skip-guard.js) refuses, so it can never shrink a full run.
 */
const DIST_SUITE = process.env.CLUSTER_SUITE !== 'node';
const distTest = DIST_SUITE ? test : test.skip;

describe('local cluster: dist/dev on a real single-node Kubernetes', () => {
  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error('prerequisite missing: the cluster suite needs root (network namespaces, iptables, containerd)');
    const bins = [
      ...['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet', 'kube-proxy', 'kubectl'].map((b) => path.join(KUBE_BIN, b)),
      path.join(binDir('coredns', COREDNS_VERSION), 'coredns'),
      KUBE_ROUTER,
      path.join(binDir('pause', KUBERNETES_VERSION), 'pause'),
    ].filter((b) => !fs.existsSync(b));
    if (bins.length) throw new Error(`prerequisite missing: ${bins.join(', ')}; run: bash cluster/install.sh`);
    // An empty cluster (test 1 syncs from nothing); whatever an interrupted earlier run left is removed.
    await phase('teardown of leftovers', () => down(log, { purge: true }));
    const nodeOnly = !DIST_SUITE;
    upResult = await phase('cluster up (node, add-ons, managed services, images, operators)', () => up(env, log, { sync: false, nodeOnly }));
    // From here on, every pod's restarts and ends are recorded (test 5).
    podHistory.start();
  }, 45 * MIN);

  // If the setup failed, jest runs no test (not even the `down` one): tear down here so nothing is left.
  afterAll(async () => {
    podHistory.close();
    if (!downRan) await down(log).then((left) => left.length && log(`left after down: ${left.join(', ')}`));
    log(`phase times:\n${phases.map(([n, s]) => `  ${s.toFixed(1).padStart(7)} s  ${n}`).join('\n')}`);
    // Whole-suite runs only: `npm run docs` renders them into docs/local-cluster.md.
    if (DIST_SUITE) recordClusterRun(PROJECT_ROOT, clusterRun(phases, failedPhases, outcomes.results()));
  });

  // ---------- the node itself ----------

  test('node Ready with a pod CIDR; CoreDNS runs as a pod; the NetworkPolicy enforcer is healthy', async () => {
    await phase('node check', async () => {
      const node = kubectlJson<{ spec: { podCIDR?: string }; status: { conditions: { type: string; status: string }[]; addresses: { type: string; address: string }[] } }>(['get', 'node', NODE_NAME]);
      expect(node.spec.podCIDR).toBe(CORE_NODE.podCidr);
      expect(node.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
      const internal = node.status.addresses.find((a) => a.type === 'InternalIP')?.address;
      expect(internal).toBe(vpcAddresses(env).node);
      expect(ready('kube-system', 'k8s-app=kube-dns', 1)()).toBe(true);
      expect(await enforcerHealthy()).toBe(true);
      // The system node offers what a node of the stack's system node group offers, and the controllers fit it.
      const system = systemNodeOf(stackTemplate(env));
      expect(kubeletLimits(system).shortfall).toEqual([]);
      const sys = kubectlJson<{ metadata: { labels: Record<string, string> }; status: { allocatable: Record<string, string> } }>(['get', 'node', SYSTEM_NODE.name]);
      expect(sys.metadata.labels).toMatchObject(system.labels);
      const a = sys.status.allocatable;
      // MemTotal is not a whole number of MiB: the kubelet keeps the remainder.
      expect({ cpuMilli: milli(a.cpu), memoryMiB: Math.floor(mebi(a.memory)), pods: Number(a.pods) }).toEqual(system.allocatable);
      const selector = Object.entries(SYSTEM_NODE_LABELS).map(([k, v]) => `${k}=${v}`);
      const controllers = kubectlJson<{ items: { metadata: { namespace: string; name: string }; spec: { nodeName?: string; nodeSelector?: Record<string, string> }; status: { phase: string } }[] }>(['get', 'pods', '-A']).items.filter((p) =>
        selector.every((kv) => Object.entries(p.spec.nodeSelector ?? {}).some(([k, v]) => `${k}=${v}` === kv)),
      );
      expect(controllers.length).toBeGreaterThan(3);
      expect(controllers.filter((p) => p.spec.nodeName !== SYSTEM_NODE.name || p.status.phase !== 'Running').map((p) => `${p.metadata.namespace}/${p.metadata.name}: ${p.status.phase} on ${p.spec.nodeName ?? '(none)'}`)).toEqual([]);
      log(`system node ${SYSTEM_NODE.name} (${system.instanceType}): ${controllers.length} controller pods; allocatable ${a.cpu} CPU, ${a.memory} memory, ${a.pods} pods`);
    });
  }, 10 * MIN);

  test('a Deployment runs with its uid, read-only root and memory limit enforced by the kernel; Service and DNS work', async () => {
    await phase('contract Deployment', async () => {
      apply(contractDeployment());
      apply(probePod(TEST_NS, 'client', { role: 'client' }));
      apply(probePod(TEST_NS, 'stranger', { role: 'stranger' }));
      await until('2 web pods Ready', ready(TEST_NS, 'app=web', 2), 3 * MIN);
      await until('probe pods Ready', () => ready(TEST_NS, 'role=client', 1)() && ready(TEST_NS, 'role=stranger', 1)(), 2 * MIN);
      const pods = kubectlJson<{ items: { metadata: { name: string } }[] }>(['-n', TEST_NS, 'get', 'pods', '-l', 'app=web']).items;
      for (const p of pods) {
        const facts = containerFacts(containerPid(TEST_NS, p.metadata.name, 'web'));
        expect(facts.uid).toBe(50000);
        expect(facts.rootReadOnly).toBe(true);
        expect(facts.memoryLimitBytes).toBe(96 * 1024 * 1024);
      }
      const svcIp = kubectlJson<{ spec: { clusterIP: string } }>(['-n', TEST_NS, 'get', 'svc', 'web']).spec.clusterIP;
      expect(await resolveInPod(TEST_NS, 'client', `web.${TEST_NS}.svc.${NET.clusterDomain}`)).toEqual([svcIp]);
      // kube-proxy (iptables) load-balances the ClusterIP to the pods, once it has synced the new endpoints.
      const t0 = Date.now();
      await until(`ClusterIP ${svcIp}:80 reachable from the client pod`, () => canConnect(TEST_NS, 'client', svcIp, 80), 30_000);
      log(`ClusterIP reachable ${((Date.now() - t0) / 1000).toFixed(1)} s after the pods were Ready and resolved`);
    });
  }, 10 * MIN);

  test('pods reach the managed services on the VPC address; the configured git and AWS names resolve to them', async () => {
    needCluster();
    await phase('managed services from a pod', async () => {
      const host = upResult!.services.host;
      for (const port of [PORTS.postgres, PORTS.redis, 443]) expect(await canConnect(TEST_NS, 'client', host, port)).toBe(true);
      for (const name of upResult!.services.git.hosts) expect(await resolveInPod(TEST_NS, 'client', name)).toEqual([host]);
      // Nothing outside this machine resolves: the cluster DNS has no upstream.
      expect(await resolveInPod(TEST_NS, 'client', 'example.org')).not.toContain(host);
    });
  }, 10 * MIN);

  test('a NetworkPolicy is enforced: the selected client connects, another pod does not', async () => {
    await phase('NetworkPolicy enforcement (node)', async () => {
      const webIp = kubectlJson<{ items: { status: { podIP: string } }[] }>(['-n', TEST_NS, 'get', 'pods', '-l', 'app=web']).items[0].status.podIP;
      expect(await canConnect(TEST_NS, 'stranger', webIp, 8080)).toBe(true);
      apply(webPolicy());
      await until('the stranger is refused', async () => !(await canConnect(TEST_NS, 'stranger', webIp, 8080, 1500)), 60_000);
      expect(await canConnect(TEST_NS, 'client', webIp, 8080)).toBe(true);
      kubectl(['delete', 'namespace', TEST_NS, '--wait=false']);
    });
  }, 10 * MIN);

  // ---------- issue 11 tests 1-7: dist/dev through Argo CD ----------

  const syncedAt = new Map<string, number>();
  const started = Date.now();

  distTest('1. first sync: argocd/dev (app of apps) reaches Synced + Healthy in wave order; migration once before any Airflow pod; Secrets before pods', async () => {
    needCluster();
    const notImages = upResult!.missing.filter((m) => !m.startsWith('image '));
    if (notImages.length) throw new Error(`prerequisite missing:\n  ${notImages.join('\n  ')}`);
    await phase('1 first sync of argocd/dev', async () => {
      const expected = expectedApplications(env);
      // An image that cannot be built here (named with the reason by `up`) keeps its workload from starting:
      // its Application must still be Synced, with nothing unhealthy but the pods waiting for that image.
      const missingImages = upResult!.unbuildable;
      const blocked = new Set(expected.filter((e) => distImageReferences(path.join(PROJECT_ROOT, 'dist', env.name, e.group)).some((r) => missingImages.includes(r))).map((e) => e.name));
      log(`  Applications that cannot become Healthy here (image not buildable): ${[...blocked].join(', ') || 'none'}`);
      // What the CDK stack's kubectl handler applies (read from cdk.out/), not a file of the harness's choosing.
      log(`  from the stack's template: ${(await applyStackManifests(env)).join(', ')}`);
      rootApplied = true;
      // Every change of an Application's sync, health or operation, so a wave-order failure shows its cause.
      const timeline: string[] = [];
      const lastSeen = new Map<string, string>();
      await until(
        'every Application Synced + Healthy (or only waiting for an image that cannot be built here)',
        () => {
          for (const a of applications()) {
            const state = `${a.sync || '-'} ${a.health || '-'} ${a.operation || '-'}${a.message && a.operation !== 'Succeeded' ? ` (${a.message.slice(0, 160)})` : ''}`;
            if (lastSeen.get(a.name) !== state) timeline.push(`+${((Date.now() - started) / 1000).toFixed(0)} s ${a.name}: ${state}`);
            lastSeen.set(a.name, state);
            const done = settled(a, blocked.has(a.name) ? missingImages : []);
            if (done && !syncedAt.has(a.name)) syncedAt.set(a.name, Date.now());
          }
          return expected.every((e) => syncedAt.has(e.name));
        },
        30 * MIN,
        2000,
      );
      log(`  Application states (sync health operation):\n    ${timeline.join('\n    ')}`);
      for (const a of expected) log(`  ${a.name} (wave ${a.wave}) Synced+Healthy at +${((syncedAt.get(a.name)! - started) / 1000).toFixed(0)} s`);
      // Wave order: nothing of a later wave was Healthy before everything of an earlier wave.
      for (const a of expected) for (const b of expected) if (a.wave < b.wave) expect(syncedAt.get(a.name)!).toBeLessThanOrEqual(syncedAt.get(b.name)!);

      const jobs = kubectlJson<{ items: { metadata: { name: string }; status: { succeeded?: number; failed?: number; startTime?: string } }[] }>(['-n', NS, 'get', 'jobs', '-l', `app.kubernetes.io/name=${POD_PEERS.migrate}`]).items;
      expect(jobs).toHaveLength(1);
      // A hook re-run deletes the Job before it creates the next one (BeforeHookCreation): count runs from events.
      expect(clusterHookRuns(NS, jobs[0].metadata.name)).toHaveLength(1);
      expect(jobs[0].status.succeeded).toBe(1);
      expect(jobs[0].status.failed ?? 0).toBe(0);
      const migratePods = kubectlJson<{ items: { metadata: { creationTimestamp: string } }[] }>(['-n', NS, 'get', 'pods', '-l', `job-name=${jobs[0].metadata.name}`]).items;
      expect(migratePods).toHaveLength(1);
      const airflowPods = kubectlJson<{ items: PodMeta[] }>(['-n', NS, 'get', 'pods', '-l', `app.kubernetes.io/name in (${['api-server', 'scheduler', 'dag-processor', 'triggerer', 'worker'].map((p) => POD_PEERS[p as keyof typeof POD_PEERS]).join(',')})`]).items;
      expect(airflowPods.length).toBeGreaterThan(0);
      for (const p of airflowPods) expect(Date.parse(p.metadata.creationTimestamp)).toBeGreaterThanOrEqual(Date.parse(migratePods[0].metadata.creationTimestamp));

      for (const ns of [NS, 'airflow-logging']) {
        const secrets = new Map(kubectlJson<{ items: { metadata: { name: string; creationTimestamp: string } }[] }>(['-n', ns, 'get', 'secrets']).items.map((s) => [s.metadata.name, Date.parse(s.metadata.creationTimestamp)]));
        for (const p of kubectlJson<{ items: PodMeta[] }>(['-n', ns, 'get', 'pods']).items) {
          for (const s of secretsOf(p)) {
            expect({ pod: p.metadata.name, secret: s, exists: secrets.has(s) }).toEqual({ pod: p.metadata.name, secret: s, exists: true });
            expect(secrets.get(s)!).toBeLessThanOrEqual(Date.parse(p.metadata.creationTimestamp));
          }
        }
      }
    });
  }, 35 * MIN);

  const api = () => new AirflowApi(NS, env.airflow.adminUsername, upResult!.services.secrets.adminPassword);

  async function runDag(dagId: string, conf: Record<string, unknown>, timeoutMs: number, during?: (runId: string) => Promise<void>): Promise<string> {
    const a = api();
    const runId = await a.trigger(dagId, conf);
    if (during) await during(runId);
    await until(`${dagId} run ${runId} to finish`, async () => ['success', 'failed'].includes(await a.runState(dagId, runId)), timeoutMs, 3000);
    const tis = await a.taskInstances(dagId, runId);
    expect({ dagId, state: await a.runState(dagId, runId), failed: tis.filter((t) => t.state !== 'success').map((t) => `${t.task_id}[${t.map_index}]=${t.state}`) }).toEqual({ dagId, state: 'success', failed: [] });
    return runId;
  }

  distTest('2. Airflow in pods: XCom, deferrable sensor and mapped task on Celery workers; a task log outlives its worker pod', async () => {
    await needAirflowSynced();
    await phase('2 DAG run in pods', async () => {
      const a = api();
      await until('the example DAG is parsed', async () => (await a.call<{ dags: unknown[] }>('GET', '/api/v2/dags?dag_id_pattern=example_platform')).dags.length > 0, 5 * MIN, 3000);
      const runId = await runDag('example_platform', {}, 10 * MIN);
      const tis = await a.taskInstances('example_platform', runId);
      expect(tis.filter((t) => t.task_id === 'square')).toHaveLength(5);
      const total = tis.find((t) => t.task_id === 'total')!;
      const worker = total.hostname;
      const workerPod = kubectlJson<{ items: { metadata: { name: string }; status: { podIP: string } }[] }>(['-n', NS, 'get', 'pods', '-l', `app.kubernetes.io/name=${POD_PEERS.worker}`]).items.find((p) => p.status.podIP === worker || p.metadata.name === worker);
      expect(workerPod).toBeDefined();
      kubectl(['-n', NS, 'delete', 'pod', workerPod!.metadata.name, '--wait=true', '--timeout=600s']);
      // The endpoint answers 200 with an explanation when it cannot fetch a log: the task's own output line and the
      // remote reader's marker show the log came from CloudWatch, its worker's disk being gone.
      const text = JSON.stringify((JSON.parse(await a.taskLog('example_platform', runId, 'total', total.try_number)) as { content: unknown }).content);
      expect({ output: text.includes('Done. Returned value was: 52'), remote: text.includes('Reading remote log from Cloudwatch') }).toEqual({ output: true, remote: true });
    });
  }, 30 * MIN);

  /**
   * Per worker pod: seconds from its worker container's start to Celery's "ready." line (the scale-out delay),
   * and to the pod's Ready condition (its startup probe's first success).
   */
  async function celeryStartSeconds(): Promise<string[]> {
    type P = {
      metadata: { name: string };
      status: { conditions?: { type: string; status: string; lastTransitionTime: string }[]; containerStatuses?: { name: string; state?: { running?: { startedAt: string } } }[] };
    };
    const pods = kubectlJson<{ items: P[] }>(['-n', NS, 'get', 'pods', '-l', `app.kubernetes.io/name=${POD_PEERS.worker}`]).items;
    return Promise.all(pods.map(async (p) => {
      const started = p.status.containerStatuses?.find((c) => c.name === 'worker')?.state?.running?.startedAt;
      const logs = await kubectlAsync(['-n', NS, 'logs', p.metadata.name, '-c', 'worker', '--timestamps']).catch(() => '');
      const readyAt = /^(\S+) .*celery@\S+ ready\./m.exec(logs)?.[1];
      const podReady = p.status.conditions?.find((c) => c.type === 'Ready' && c.status === 'True')?.lastTransitionTime;
      const since = (t: string) => ((Date.parse(t) - Date.parse(started!)) / 1000).toFixed(1);
      return started && readyAt && podReady ? `${since(readyAt)} (pod Ready ${since(podReady)})` : `${p.metadata.name}: not ready`;
    }));
  }

  distTest('3. KEDA: a queue below the cap scales the workers to ceil(queued / concurrency) and no further; 40 tasks stop at max; back to minimum after the cooldown; a drain of the workers\' node mid-run loses no task; Argo CD stays Synced', async () => {
    await needAirflowSynced();
    await phase('3 KEDA scaling', async () => {
      const so = scaledObject();
      const replicas = () => kubectlJson<{ spec: { replicas?: number } }>(['-n', NS, 'get', 'deployment', POD_PEERS.worker]).spec.replicas ?? 0;
      // After the target is reached, KEDA and the HPA get this long (three polls) to go past it: a count that
      // overshoots shows within it.
      const holdMs = 3 * so.pollingInterval * 1000;
      const workersNode = NODES.find((n) => n.pool === 'workers')!.name;
      const outOfSync: string[] = [];
      const watch = setInterval(() => {
        try {
          for (const a of applications()) if (a.sync !== 'Synced') outOfSync.push(`${a.name}=${a.sync}`);
        } catch (e) {
          outOfSync.push(`read failed: ${(e as Error).message.slice(0, 200)}`);
        }
      }, 5000);
      const a = api();
      try {
        // The formula below the cap: a queue of (max - 2) x concurrency + 1 tasks needs max - 1 workers, never max.
        const below = queueBelowMax(so);
        const belowRun = await a.trigger('platform_workload', { tasks: below.queued, seconds: 120 });
        const small = new PeakSampler(replicas, 2000);
        try {
          await until(`worker Deployment at ${below.workers} replicas for ${below.queued} tasks`, () => small.sample() >= below.workers, 5 * MIN, 2000);
          await sleep(holdMs);
        } finally {
          small.stop();
        }
        const queued = (await a.taskInstances('platform_workload', belowRun)).filter((t) => ['queued', 'running'].includes(t.state)).length;
        log(`  ${below.queued} tasks (${queued} still queued or running after the hold): peak ${small.peak} workers`);
        expect({ peak: small.peak, stillQueuedOrRunning: queued, readErrors: small.errors }).toEqual({ peak: below.workers, stillQueuedOrRunning: below.queued, readErrors: [] });
        await until(`the ${below.queued} tasks finish`, async () => ['success', 'failed'].includes(await a.runState('platform_workload', belowRun)), 10 * MIN, 2000);
        expect(await a.runState('platform_workload', belowRun)).toBe('success');

        // The cap: 40 tasks need more workers than max.
        const want = workersFor(40, so);
        expect({ formula: Math.ceil(40 / so.concurrency) > so.max, want }).toEqual({ formula: true, want: so.max });
        const runId = await a.trigger('platform_workload', { tasks: 40, seconds: 20 });
        const big = new PeakSampler(replicas, 2000);
        try {
          await until(`worker Deployment at ${want} replicas`, () => big.sample() >= want, 5 * MIN, 2000);
          // The sampler goes on through the drain (no pause here: the 40 tasks would finish before it); the hold is
          // completed after them if they took less.
          const reachedAt = Date.now();
          // The node fault: the workers' node is drained while its workers run tasks, as Karpenter does for a spot
          // interruption or consolidation. Eviction honours the pod's grace period: each worker finishes its tasks warm.
          const running = async () => (await a.taskInstances('platform_workload', runId)).filter((t) => t.state === 'running').length;
          await until(`${so.concurrency} tasks running before the drain`, async () => (await running()) >= so.concurrency, 5 * MIN, 2000);
          // Every worker KEDA started is Ready (Celery answers its startup probe) before the drain: this test is about
          // a warm drain of running workers; a stop at any moment of a worker's start is test/cluster/images.test.ts's.
          await until('every worker pod Ready before the drain', () => ready(NS, `app.kubernetes.io/name=${POD_PEERS.worker}`, replicas())(), 5 * MIN, 2000);
          log(`  worker container start -> Celery ready, s (pod Ready): ${(await celeryStartSeconds()).join(', ')}`);
          const drained = Date.now();
          try {
            await kubectlAsync(['drain', workersNode, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=10m'], 11 * MIN);
          } finally {
            kubectl(['uncordon', workersNode]);
          }
          log(`  drain of ${workersNode} (every worker evicted, warm): ${((Date.now() - drained) / 1000).toFixed(1)} s`);
          await until('the 40 tasks finish', async () => ['success', 'failed'].includes(await a.runState('platform_workload', runId)), 20 * MIN, 2000);
          await sleep(Math.max(0, reachedAt + holdMs - Date.now()));
          log(`  40 tasks: peak ${big.peak} workers over ${((Date.now() - reachedAt) / 1000).toFixed(0)} s after reaching ${want}`);
        } finally {
          big.stop();
        }
        expect(await a.runState('platform_workload', runId)).toBe('success');
        const tries = (await a.taskInstances('platform_workload', runId)).filter((t) => t.task_id === 'work');
        expect({ tasks: tries.length, retried: tries.filter((t) => t.try_number !== 1).map((t) => `work[${t.map_index}] try ${t.try_number}`) }).toEqual({ tasks: 40, retried: [] });
        expect({ peak: big.peak, readErrors: big.errors }).toEqual({ peak: so.max, readErrors: [] });
        await until(`workers back to ${so.min} after the ${so.cooldown} s cooldown`, () => replicas() === so.min, (so.cooldown + 180) * 1000, 5000);
      } finally {
        clearInterval(watch);
      }
      expect(outOfSync).toEqual([]);
    });
  }, 40 * MIN);

  distTest('4. drift and GitOps: self-heal, prune, git revert, a broken migration fails visibly while Airflow keeps serving', async () => {
    await needAirflowSynced();
    await phase('4 drift and GitOps', async () => {
      const app = expectedApplications(env).find((a) => a.group === 'airflow')!.name;
      const cm = 'airflow-config';
      const key = 'AIRFLOW__CORE__PARALLELISM';
      const original = kubectlJson<{ data: Record<string, string> }>(['-n', NS, 'get', 'configmap', cm]).data[key];
      // Hand edit -> self-heal restores the committed value.
      // The API server's answer to the patch shows the edit landed (a re-read could already see self-heal's undo);
      // self-heal is then a later write that brings the committed value back.
      type Cm = { metadata: { resourceVersion: string }; data: Record<string, string> };
      const handEdit = String(Number(original) + 7);
      const edited = JSON.parse(kubectl(['-n', NS, 'patch', 'configmap', cm, '--type=merge', '-o', 'json', '-p', JSON.stringify({ data: { [key]: handEdit } })])) as Cm;
      expect({ value: edited.data[key], differs: handEdit !== original }).toEqual({ value: handEdit, differs: true });
      await until('self-heal restores the hand-edited ConfigMap', () => {
        const now = kubectlJson<Cm>(['-n', NS, 'get', 'configmap', cm]);
        return now.data[key] === original && Number(now.metadata.resourceVersion) > Number(edited.metadata.resourceVersion);
      }, 3 * MIN, 1000);

      const repo = gitopsClone();
      const base = git(repo, 'rev-parse', 'HEAD');
      let brokenJob = '';
      try {
        // A commit removing objects (the Karpenter NodePools, in the platform Application: its syncs run no
        // migration hook, so the prune is Argo CD's own time) -> pruned.
        const platformApp = expectedApplications(env).find((a) => a.group === 'platform')!.name;
        const file = path.join('dist', env.name, 'platform', 'karpenter.yaml');
        const removed = [...fs.readFileSync(path.join(repo, file), 'utf8').matchAll(/^kind: NodePool\n(?:.*\n)*?  name: (\S+)$/gm)].map((m) => m[1]);
        expect(removed.length).toBeGreaterThan(0);
        git(repo, 'rm', '--quiet', file);
        commitAndPush(repo, `remove ${file}`);
        refresh(platformApp);
        const nodePools = () => removed.filter((n) => kubectl(['get', 'nodepools.karpenter.sh', n, '--ignore-not-found', '-o', 'name']) !== '');
        await until(`NodePools ${removed.join(', ')} pruned`, () => nodePools().length === 0, 5 * MIN, 2000);
        // git revert of that change -> restored.
        git(repo, 'revert', '--no-edit', 'HEAD');
        pushHead(repo);
        refresh(platformApp);
        await until(`NodePools ${removed.join(', ')} restored by the revert`, () => nodePools().length === removed.length, 5 * MIN, 2000);
        // A commit that breaks the migration -> sync fails visibly, running Airflow keeps serving. Argo CD leaves
        // hooks out of the diff, so the commit also changes a tracked object, as an upgrade would (the config);
        // the failed PreSync hook keeps that change from being applied.
        const jobFile = path.join(repo, 'dist', env.name, 'airflow', 'migrate-job.yaml');
        brokenJob = breakMigration(jobFile);
        const configFile = path.join(repo, 'dist', env.name, 'airflow', 'airflow-config.yaml');
        fs.writeFileSync(configFile, fs.readFileSync(configFile, 'utf8').replace(new RegExp(`(${key}: )"?\\d+"?`), `$1"${Number(original) + 1}"`));
        commitAndPush(repo, 'upgrade whose migration fails');
        refresh(app);
        // Visible at once: with retries configured, the operation stays Running and says a task failed until the
        // retry limit turns it Failed.
        const failedVisibly = (x: AppState) => ['Failed', 'Error'].includes(x.operation) || (x.operation === 'Running' && /completed unsuccessfully/.test(x.message));
        await until('the airflow Application reports the failed sync', () => applications().some((x) => x.name === app && failedVisibly(x)), 10 * MIN, 3000);
        const h = await api().health();
        expect(h?.metadatabase?.status).toBe('healthy');
        expect(h?.scheduler?.status).toBe('healthy');
        // Nothing of the failed sync was applied past its PreSync hook.
        expect(kubectlJson<{ data: Record<string, string> }>(['-n', NS, 'get', 'configmap', cm]).data[key]).toBe(original);
      } finally {
        // The failed sync waits to retry its broken revision: end it first, or it goes on creating migration
        // Jobs under the tests after this one. The terminate is repeated until it holds, as the controller may
        // write the operation state back at the moment of the first one.
        await until(`the ${app} sync of the broken revision ended`, () => !terminateOperation(app), 5 * MIN, 3000);
        const ended = applications().find((x) => x.name === app);
        log(`  the broken sync: ${ended?.operation} (${ended?.message.slice(0, 200)})`);
        git(repo, 'reset', '--hard', base);
        pushHead(repo, true);
        publishGitops(env, upResult!.services);
        if (brokenJob) kubectl(['-n', NS, 'delete', 'job', brokenJob, '--ignore-not-found', '--cascade=foreground']);
        refresh(app);
      }
      const idle = (x: AppState) => x.name === app && settled(x) && !['Running', 'Terminating'].includes(x.operation);
      await until('airflow Application Synced + Healthy again, no sync running', () => applications().some(idle), 10 * MIN, 3000);
    });
  }, 40 * MIN);

  distTest('6. NetworkPolicies of dist/: every flow of the flow table works; the same probe pod reaches PgBouncer and DNS under a permitted peer\'s name, and under a name outside the table none of PgBouncer, Redis, the api-server or DNS', async () => {
    await needAirflowSynced();
    await phase('6 NetworkPolicies of dist/', async () => {
      // dev's workers scale to zero when idle (KEDA undoes a manual scale): tasks that run while the flows are
      // tried make KEDA start the worker pods, as in production.
      const a = api();
      const runId = await a.trigger('platform_workload', { tasks: 2, seconds: 60 });
      await until('a platform_workload task running on a worker pod', async () => (await a.taskInstances('platform_workload', runId)).some((t) => t.task_id === 'work' && t.state === 'running'), 5 * MIN, 2000);
      const deployed = deployedPeers();
      const results: string[] = [];
      for (const f of allowedFlows(env).filter((x) => tcpBetweenPods(x) && deployed.has(x.from) && deployed.has(x.to))) {
        const src = anyPod(POD_PEERS[f.from as keyof typeof POD_PEERS]);
        const dst = anyPod(POD_PEERS[f.to as keyof typeof POD_PEERS]);
        if (!src || !dst) {
          results.push(`${f.from} -> ${f.to}:${f.port}: no running ${!src ? f.from : f.to} pod`);
          continue;
        }
        if (!(await canConnect(NS, src.name, dst.ip, f.port))) results.push(`${f.from} -> ${f.to}:${f.port} refused`);
      }
      expect(results).toEqual([]);
      // The control: the probe pod first carries the scheduler's name (the table lets it reach PgBouncer; no Service
      // selects it, so no traffic is sent to the probe), and must reach PgBouncer and the cluster DNS; then only its
      // label changes, to a name no policy admits. A denial is then the policy's.
      const peer = 'scheduler' as const;
      expect(allowedFlows(env).some((f) => f.from === peer && f.to === 'pgbouncer' && f.port === env.pgbouncer.port)).toBe(true);
      apply(probePod(NS, 'outsider', { 'app.kubernetes.io/name': POD_PEERS[peer] }));
      await until('probe pod Ready', () => kubectlJson<{ status: { conditions?: { type: string; status: string }[] } }>(['-n', NS, 'get', 'pod', 'outsider']).status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false, 2 * MIN);
      const pgb = anyPod(POD_PEERS.pgbouncer)!;
      const apiPod = anyPod(POD_PEERS['api-server'])!;
      const dnsName = `kubernetes.default.svc.${NET.clusterDomain}`;
      const dnsIp = kubectlJson<{ spec: { clusterIP: string } }>(['-n', 'default', 'get', 'svc', 'kubernetes']).spec.clusterIP;
      await until(`the probe pod labelled ${POD_PEERS[peer]} reaches PgBouncer and resolves ${dnsName}`, async () => (await connectOutcome(NS, 'outsider', pgb.ip, env.pgbouncer.port)) === 'open' && (await resolveInPod(NS, 'outsider', dnsName)).join() === dnsIp, 60_000);
      kubectl(['-n', NS, 'label', 'pod', 'outsider', 'app.kubernetes.io/name=outsider', '--overwrite']);
      await until('the same pod labelled outsider is no longer admitted by PgBouncer', async () => (await connectOutcome(NS, 'outsider', pgb.ip, env.pgbouncer.port)) !== 'open', 60_000);
      // connectOutcome throws on anything but open, refused or no answer: each denial below is a policy's.
      const outsider = {
        pgbouncer: await connectOutcome(NS, 'outsider', pgb.ip, env.pgbouncer.port),
        redis: await connectOutcome(NS, 'outsider', upResult!.services.host, PORTS.redis),
        apiServer: await connectOutcome(NS, 'outsider', apiPod.ip, PORTS.apiServer),
        dns: (await resolveInPod(NS, 'outsider', dnsName)).join(),
      };
      log(`  the outsider: ${JSON.stringify(outsider)}`);
      expect({ ...outsider, dns: outsider.dns === dnsIp ? 'resolved' : 'not resolved' }).toEqual({
        pgbouncer: expect.stringMatching(/^(refused|timeout)$/),
        redis: expect.stringMatching(/^(refused|timeout)$/),
        apiServer: expect.stringMatching(/^(refused|timeout)$/),
        dns: 'not resolved',
      });
      kubectl(['-n', NS, 'delete', 'pod', 'outsider', '--wait=false']);
    });
  }, 10 * MIN);

  distTest('7. scale-in: a worker pod deleted mid-task shuts down warm; the task succeeds on try 1', async () => {
    await needAirflowSynced();
    await phase('7 warm shutdown', async () => {
      const a = api();
      let victimName = '';
      await runDag('platform_workload', { tasks: 1, seconds: 20 }, 15 * MIN, async (runId) => {
        let host = '';
        await until('the task is running', async () => {
          const t = (await a.taskInstances('platform_workload', runId)).find((x) => x.task_id === 'work' && x.state === 'running');
          host = t?.hostname ?? '';
          return !!t;
        }, 10 * MIN, 2000);
        const victim = kubectlJson<{ items: { metadata: { name: string }; status: { podIP: string } }[] }>(['-n', NS, 'get', 'pods', '-l', `app.kubernetes.io/name=${POD_PEERS.worker}`]).items.find((p) => p.status.podIP === host || p.metadata.name === host);
        expect(victim).toBeDefined();
        victimName = victim!.metadata.name;
        kubectl(['-n', NS, 'delete', 'pod', victimName, '--wait=false']);
      });
      const runs = await a.call<{ dag_runs: { dag_run_id: string }[] }>('GET', '/api/v2/dags/platform_workload/dagRuns?order_by=-start_date&limit=1');
      const tis = await a.taskInstances('platform_workload', runs.dag_runs[0].dag_run_id);
      expect(tis.filter((t) => t.task_id === 'work').map((t) => t.try_number)).toEqual([1]);
      // Warm shutdown ends when the task does: a worker still alive well after its last task would hold a node
      // for its whole hour of grace (Karpenter could not consolidate it).
      const podGone = () => kubectl(['-n', NS, 'get', 'pod', victimName, '--ignore-not-found', '-o', 'name']).trim() === '';
      try {
        await until(`the deleted worker ${victimName} to exit after its task`, podGone, VICTIM_EXIT_SECONDS * 1000);
      } catch (e) {
        const tail = await kubectlAsync(['-n', NS, 'logs', victimName, '-c', 'worker', '--tail=40']).catch((l: Error) => l.message);
        log(`  ${victimName} is still there: ${stuckPods(NS).filter((p) => p.includes(victimName)).join('; ')}\n${tail}`);
        throw e;
      }
    });
  }, 20 * MIN);

  distTest('5. pod contract over the whole suite: every pod that existed (watched from the start) had no unexpected restart, OOM kill, eviction, back-off, probe failure or KEDA scaler error; peak memory and volume use per container', async () => {
    await needAirflowSynced();
    await phase('5 pod contract', async () => {
      const problems: string[] = [];
      for (const ns of [NS, 'airflow-logging']) {
        for (const p of kubectlJson<{ items: PodMeta[] }>(['-n', ns, 'get', 'pods']).items) {
          if (p.metadata.name === 'outsider') continue;
          // A pod KEDA is scaling in is on its way out: its process may be gone.
          const leaving = !!p.metadata.deletionTimestamp;
          for (const c of p.status?.containerStatuses ?? []) {
            if (!c.containerID || !c.state?.running || leaving) continue;
            const facts = factsUnlessGone(ns, p.metadata.name, c.name);
            if (!facts) continue;
            const spec = p.spec.containers.find((x) => x.name === c.name)!;
            const uid = spec.securityContext?.runAsUser ?? p.spec.securityContext?.runAsUser;
            if (uid !== undefined && facts.uid !== uid) problems.push(`${p.metadata.name}/${c.name} runs as ${facts.uid}, declared ${uid}`);
            if (spec.securityContext?.readOnlyRootFilesystem && !facts.rootReadOnly) problems.push(`${p.metadata.name}/${c.name} root is writable`);
            log(`  ${p.metadata.name}/${c.name}: peak memory ${(facts.memoryPeakBytes / 2 ** 20).toFixed(0)} MiB of limit ${(facts.memoryLimitBytes / 2 ** 20).toFixed(0)} MiB`);
          }
          for (const v of p.spec.volumes ?? []) {
            if (!v.emptyDir) continue;
            const dir = path.join(nodeNamed(p.spec.nodeName).kubeletDir, 'pods', p.metadata.uid, 'volumes', 'kubernetes.io~empty-dir', v.name);
            const used = fs.existsSync(dir) ? Number(sh('du', ['-sb', dir]).split('\t')[0]) : 0;
            log(`  ${p.metadata.name} emptyDir ${v.name}: ${(used / 2 ** 20).toFixed(1)} MiB of sizeLimit ${v.emptyDir.sizeLimit ?? 'none'}`);
          }
        }
      }
      // Every pod of every namespace since the cluster came up, and every event: restarts, OOM kills, evictions,
      // back-offs, probe failures, KEDA scaler errors. Only what the suite does on purpose is excused, by name.
      const history = await podHistory.stop();
      const live = new Set(kubectlJson<{ items: PodMeta[] }>(['-n', NS, 'get', 'pods']).items.filter((p) => !p.metadata.deletionTimestamp).map((p) => p.metadata.name));
      const isWorker = (f: Finding) => f.ns === NS && f.pod.startsWith(`${POD_PEERS.worker}-`);
      const expectedFindings: Expected[] = [
        { why: 'workers are stopped on purpose: deleted by tests 2 and 7, evicted by the drain of test 3, scaled in by KEDA', matches: (f) => f.what === 'Killing' && isWorker(f) },
        { why: "test 4's broken migration Job is ended with its sync", matches: (f) => f.what === 'Killing' && f.ns === NS && f.pod.startsWith(`${POD_PEERS.migrate}${BROKEN_JOB_SUFFIX}-`) },
        {
          why: "test 4's broken migration exits 1 on purpose; its Job's pod restarts it once (restartPolicy OnFailure) before the Job fails",
          matches: (f) => f.what === 'restart' && f.ns === NS && f.pod.startsWith(`${POD_PEERS.migrate}${BROKEN_JOB_SUFFIX}-`) && /^restarted \d+x, last ended Error \(exit 1\)$/.test(f.detail),
        },
        {
          why: "the kubelet's back-off between the restarts of test 4's broken migration (its events and CrashLoopBackOff; how many fit before its sync is ended depends on the machine's load)",
          matches: (f) =>
            f.ns === NS && f.pod.startsWith(`${POD_PEERS.migrate}${BROKEN_JOB_SUFFIX}-`) && f.container === 'migrate' &&
            ((f.what === 'BackOff' && f.detail.startsWith('Back-off restarting failed container migrate')) || (f.what === 'waiting' && f.detail.startsWith('CrashLoopBackOff '))),
        },
        KEDA_CERT_STARTUP,
        KEDA_METRICS_SERVER_BEFORE_CERTS,
        READINESS_WHILE_STARTING,
        { why: 'the node checks delete their namespace; test 6 deletes its probe pod', matches: (f) => f.what === 'Killing' && (f.ns === TEST_NS || (f.ns === NS && f.pod === 'outsider')) },
        { why: 'a probe cancelled by the stop of a worker that is gone (a cancelled probe in a pod that still runs is a hung probe)', matches: (f) => f.what === 'Unhealthy' && isWorker(f) && f.detail.includes('context canceled') && !live.has(f.pod) },
        {
          why: 'a startup probe fails until its container listens: below its failureThreshold, with no restart, that is the probe working',
          matches: (f, h) => {
            if (f.what !== 'Unhealthy' || !f.detail.startsWith('Startup probe failed') || !f.container) return false;
            const c = containerOf(h, f);
            return !!c?.startupFailureThreshold && c.restarts === 0 && startupProbeFailures(h, f.ns, f.pod, f.container) < c.startupFailureThreshold;
          },
        },
        {
          why: 'its image is named in CANNOT_BUILD (cluster/images/catalog.ts) with the reason it cannot be built here',
          matches: (f) => upResult!.unbuildable.some((ref) => f.detail.includes(ref.split('/').pop()!)) && ((f.what === 'waiting' && /ErrImageNeverPull|ImagePullBackOff|ErrImagePull/.test(f.detail)) || (f.what === 'BackOff' && f.detail.startsWith('Back-off pulling image'))),
        },
      ];
      const { unexpected, excused } = judge(history, expectedFindings);
      log(`  ${history.pods.size} pods watched, ${history.events.length} events; excused:\n${excused.map((e) => `    ${describeFinding(e.finding)} -- ${e.why}`).join('\n') || '    none'}`);
      expect([...problems, ...unexpected.map(describeFinding), ...podHistory.watchErrors.map((e) => `pod watch: ${e}`)]).toEqual([]);
    });
  }, 10 * MIN);

  // ---------- issue 22 scenarios (test/cluster/scenarios), after test 5: they restart pods on purpose ----------

  const scenario = (): ScenarioContext => ({ env, services: upResult!.services, log, until });
  let restart: RestartOutcome | undefined;

  distTest('22.1 no Application of argocd/dev (app of apps and children) has an OutOfSync object after its sync', async () => {
    await needAirflowSynced();
    await phase('22.1 no OutOfSync object', () => expect(outOfSyncResources(scenario())).toEqual([]));
  }, 5 * MIN);

  distTest('24.1 every Airflow metric the alarms and dashboard of cdk.out read is exported by the StatsD exporter under that name (after tasks that succeeded and one that failed)', async () => {
    await needAirflowSynced();
    await phase('24.1 alarm metrics exported', () => alarmMetricsAreExported(scenario(), api(), PROJECT_ROOT));
  }, 10 * MIN);

  distTest('22.2 a rollout restart of the api-server: a client loop through its Service sees 0 errors', async () => {
    await needAirflowSynced();
    await phase('22.2 api-server rollout', () => apiServerRolloutWithoutErrors(scenario()));
  }, 15 * MIN);

  distTest('22.8 a Secrets Manager secret gone: the secrets wave is Degraded with the reason and no pod of a later wave is created; back, all syncs', async () => {
    await needAirflowSynced();
    await phase('22.8 secrets wave gate', () => missingSecretHoldsTheSecretsWave(scenario()));
  }, 25 * MIN);

  distTest('24.2 FluentBit (built from the source its pinned image bundles) runs the committed configuration: scheduler and PgBouncer lines reach the stack\'s CloudWatch Logs group with their Kubernetes metadata; a traceback is one event; a FluentBit restart mid-stream duplicates nothing', async () => {
    await needAirflowSynced();
    restart = await phase('24.2 container logs', () => containerLogsReachCloudWatch(scenario(), upResult!.unbuildable));
  }, 15 * MIN);

  // A known defect (issue 24): the line FluentBit has read when SIGTERM comes can be lost (2 of 3 runs, 2026-12-07).
  // Held to that bound, not skipped: any further loss fails. Tighten to none once it is fixed.
  distTest('24.2b a FluentBit restart in the middle of a container\'s output loses at most the one line read at SIGTERM (known defect: the goal is none)', () => {
    expect(restart).toBeDefined();
    expect(restart!.lost.length).toBeLessThanOrEqual(1);
  });

  distTest('24.3 the metrics agent of dist/ delivers every Airflow and PgBouncer metric the alarms and dashboard of cdk.out read, with their namespace and dimensions, as EMF to the stack\'s metrics log group; every alarm on them, evaluated on that data, is OK', async () => {
    await needAirflowSynced();
    await phase('24.3 alarm metrics in CloudWatch', () => alarmMetricsReachCloudWatch(scenario(), PROJECT_ROOT));
  }, 30 * MIN);

  test('down: every process, shim, mount, link, namespace and KUBE-* chain is gone', async () => {
    downRan = true;
    const left = await phase('cluster down', () => down(log));
    expect(left).toEqual([]);
  }, 10 * MIN);
});

function needCluster(): void {
  if (!upResult) throw new Error('prerequisite missing: the cluster did not come up (see the first failure)');
}

interface PodMeta {
  metadata: { name: string; uid: string; creationTimestamp: string; deletionTimestamp?: string };
  spec: {
    nodeName: string;
    securityContext?: { runAsUser?: number };
    containers: { name: string; securityContext?: { runAsUser?: number; readOnlyRootFilesystem?: boolean }; env?: { valueFrom?: { secretKeyRef?: { name: string } } }[]; envFrom?: { secretRef?: { name: string } }[] }[];
    initContainers?: PodMeta['spec']['containers'];
    volumes?: { name: string; secret?: { secretName: string }; emptyDir?: { sizeLimit?: string }; projected?: { sources: { secret?: { name: string } }[] } }[];
  };
  status?: { reason?: string; containerStatuses?: { name: string; restartCount: number; containerID?: string; state?: { running?: unknown } }[] };
}

function secretsOf(p: PodMeta): string[] {
  const out = new Set<string>();
  for (const c of [...p.spec.containers, ...(p.spec.initContainers ?? [])]) {
    for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef) out.add(e.valueFrom.secretKeyRef.name);
    for (const e of c.envFrom ?? []) if (e.secretRef) out.add(e.secretRef.name);
  }
  for (const v of p.spec.volumes ?? []) {
    if (v.secret) out.add(v.secret.secretName);
    for (const s of v.projected?.sources ?? []) if (s.secret) out.add(s.secret.name);
  }
  return [...out];
}

function tcpBetweenPods(f: Flow): boolean {
  return f.protocol === 'TCP' && f.from in POD_PEERS && f.to in POD_PEERS && f.from !== 'migrate';
}

/** The container's facts, or undefined when its pod was deleted since it was listed (KEDA scale-in). */
function factsUnlessGone(ns: string, pod: string, container: string): ReturnType<typeof containerFacts> | undefined {
  try {
    return containerFacts(containerPid(ns, pod, container));
  } catch (e) {
    if (kubectl(['-n', ns, 'get', 'pod', pod, '--ignore-not-found', '-o', 'name']) === '') return undefined;
    throw e;
  }
}

/** The pod peers dist/<env> runs (a Deployment, StatefulSet or Job template labelled with the peer's name). */
function deployedPeers(): Set<string> {
  const names = new Set(distWorkloadNames(path.join(PROJECT_ROOT, 'dist', env.name), ['Deployment', 'StatefulSet', 'Job']));
  return new Set(Object.entries(POD_PEERS).filter(([, workload]) => names.has(workload)).map(([peer]) => peer));
}

function anyPod(appName: string): { name: string; ip: string } | undefined {
  const p = kubectlJson<{ items: { metadata: { name: string }; status: { podIP?: string; phase: string } }[] }>(['-n', NS, 'get', 'pods', '-l', `app.kubernetes.io/name=${appName}`]).items.find((x) => x.status.phase === 'Running' && x.status.podIP);
  return p ? { name: p.metadata.name, ip: p.status.podIP! } : undefined;
}

/** The worker ScaledObject dist/dev ships: bounds, timings and the concurrency its query divides by. */
function scaledObject(): WorkerScaling {
  for (const doc of parseAllDocuments(fs.readFileSync(path.join(PROJECT_ROOT, 'dist', env.name, 'airflow', 'worker.yaml'), 'utf8'))) {
    type Spec = { minReplicaCount: number; maxReplicaCount: number; cooldownPeriod: number; pollingInterval: number; triggers: { metadata: { query?: string } }[] };
    const o = doc.toJS() as { kind?: string; spec?: Spec };
    if (o?.kind !== 'ScaledObject') continue;
    const s = o.spec!;
    return { min: s.minReplicaCount, max: s.maxReplicaCount, cooldown: s.cooldownPeriod, pollingInterval: s.pollingInterval, concurrency: queryDivisor(s.triggers[0].metadata.query ?? '') };
  }
  throw new Error('dist/dev/airflow/worker.yaml has no ScaledObject');
}

const git = (cwd: string, ...args: string[]) => sh('git', ['-C', cwd, '-c', 'user.name=cluster test', '-c', 'user.email=test@localhost', ...args]);

function gitopsClone(): string {
  const dir = path.join(STATE_DIR, 'gitops-work');
  fs.rmSync(dir, { recursive: true, force: true });
  sh('git', ['clone', '--quiet', '--branch', env.gitops.targetRevision, path.join(GIT_ROOT, upResult!.services.git.gitopsRepo), dir]);
  return dir;
}

function pushHead(repo: string, force = false): void {
  git(repo, 'push', '--quiet', ...(force ? ['--force'] : []), 'origin', `HEAD:refs/heads/${env.gitops.targetRevision}`);
}

function commitAndPush(repo: string, message: string): void {
  git(repo, 'commit', '--quiet', '-am', message);
  pushHead(repo);
}

const BROKEN_JOB_SUFFIX = '-broken';

/**
 * Makes the PreSync migration Job exit 1 before it migrates, on its first try (no pod retries, so the sync fails
 * within seconds). The Job is renamed `<name>-broken`, so its pods say what they are in test 5's events; returns
 * that name.
 */
function breakMigration(file: string): string {
  const docs = parseAllDocuments(fs.readFileSync(file, 'utf8'));
  let name = '';
  for (const d of docs) {
    const o = d.toJS() as { kind?: string; metadata: { name: string }; spec?: { backoffLimit?: number; template: { spec: { containers: { command?: string[]; args?: string[] }[] } } } };
    if (o?.kind !== 'Job') continue;
    name = o.metadata.name = `${o.metadata.name}${BROKEN_JOB_SUFFIX}`;
    o.spec!.backoffLimit = 0;
    const c = o.spec!.template.spec.containers[0];
    c.command = ['sh', '-c', 'echo "migration broken on purpose" >&2; exit 1'];
    delete c.args;
    d.contents = d.createNode(o) as typeof d.contents;
  }
  fs.writeFileSync(file, docs.map((d) => d.toString()).join('---\n'));
  if (!name) throw new Error(`${file} holds no Job to break`);
  return name;
}
