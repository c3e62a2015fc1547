import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PORTS } from '../../../manifests-src/config';
import { POD_PEERS } from '../../../manifests-src/platform/network-flows';
import { SERVICE_NAMES } from '../../../manifests-src/airflow/airflow-settings';
import { API_SERVER_HEALTH_PATH } from '../../../manifests-src/airflow/api-server';
import { kubectl, kubectlJson } from '../../../cluster/node/kubectl';
import { inPodNetwork } from '../pod-probe';
import { MIN, type ScenarioContext } from './context';

/**
 * Issue 22 item 2 on the running cluster: a client calls the api-server through its Service, one new connection per
 * request, from a pod the NetworkPolicies let in (the dag-processor), while the api-server Deployment is restarted as
 * a config change or a secret rotation restarts it. Every request must succeed. What holds it here is the pods'
 * preStop delay (kube-proxy drops a terminating pod before it stops serving); the ALB's readiness gate and target
 * draining only AWS can show.
 */

interface Pod {
  metadata: { name: string; deletionTimestamp?: string };
  status: { phase: string; podIP?: string; conditions?: { type: string; status: string }[] };
}

const pods = (ns: string, app: string) => kubectlJson<{ items: Pod[] }>(['-n', ns, 'get', 'pods', '-l', `app.kubernetes.io/name=${app}`]).items;

/**
 * Node.js run in the client pod's network: GETs `url` until `stopFile` exists, prints {ok, errors[]} as JSON; the
 * count of answers so far goes to `progressFile`.
 */
const clientLoop = (url: string, stopFile: string, progressFile: string) => `
const http = require('http'); const fs = require('fs');
let ok = 0; const errors = [];
const once = () => new Promise((done) => {
  const req = http.get(${JSON.stringify(url)}, { agent: false, timeout: 5000 }, (res) => {
    res.resume();
    res.on('end', () => { if (res.statusCode === 200) fs.writeFileSync(${JSON.stringify(progressFile)}, String(++ok)); else errors.push(new Date().toISOString() + ' HTTP ' + res.statusCode); done(); });
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', (e) => { errors.push(new Date().toISOString() + ' ' + (e.code || e.message)); done(); });
});
(async () => {
  while (!fs.existsSync(${JSON.stringify(stopFile)})) { await once(); await new Promise((r) => setTimeout(r, 50)); }
  console.log(JSON.stringify({ ok, errors }));
})();`;

export async function apiServerRolloutWithoutErrors(ctx: ScenarioContext): Promise<void> {
  const { env, log, until } = ctx;
  const ns = env.namespace;
  const deployment = POD_PEERS['api-server'];
  const client = pods(ns, POD_PEERS['dag-processor']).find((p) => p.status.phase === 'Running' && !p.metadata.deletionTimestamp);
  if (!client) throw new Error(`no running ${POD_PEERS['dag-processor']} pod to call the api-server from`);
  const clusterIp = kubectlJson<{ spec: { clusterIP: string } }>(['-n', ns, 'get', 'service', SERVICE_NAMES.apiServer]).spec.clusterIP;
  const url = `http://${clusterIp}:${PORTS.apiServer}${API_SERVER_HEALTH_PATH}`;
  const before = pods(ns, deployment).map((p) => p.metadata.name);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rollout-'));
  const stopFile = path.join(dir, 'stop');
  const progressFile = path.join(dir, 'answered');
  const answered = () => (fs.existsSync(progressFile) ? Number(fs.readFileSync(progressFile, 'utf8')) : 0);

  const started = Date.now();
  const loop = inPodNetwork(ns, client.metadata.name, clientLoop(url, stopFile, progressFile), 20 * MIN);
  try {
    await until('the client loop to get its first answers', () => answered() >= 5, MIN, 200);
    kubectl(['-n', ns, 'rollout', 'restart', 'deployment', deployment]);
    // Done when none of the old pods is left (each has served its preStop delay and stopped) and the new ones are Ready.
    await until(`${deployment} restarted: old pods ${before.join(', ')} gone, new ones Ready`, () => {
      const now = pods(ns, deployment);
      const ready = now.filter((p) => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      return now.every((p) => !before.includes(p.metadata.name)) && ready.length === now.length && now.length >= env.components.apiServer.replicas;
    }, 10 * MIN, 2000);
  } finally {
    fs.writeFileSync(stopFile, '');
  }
  const result = JSON.parse(await loop) as { ok: number; errors: string[] };
  const seconds = (Date.now() - started) / 1000;
  log(`  rollout restart of ${deployment}: ${result.ok} requests answered 200, ${result.errors.length} failed, in ${seconds.toFixed(0)} s`);
  // The loop ran through the whole rollout (about 10 requests a second), not a moment of it.
  expect(result.ok).toBeGreaterThan(seconds * 2);
  expect(result.errors).toEqual([]);
}
