import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PORTS } from '../manifests-src/config';
import { kubectlJson } from './node/kubectl';
import { NET } from './node/layout';

/**
 * The Airflow REST API as a client behind the load balancer reaches it: from an address in the VPC
 * (the managed-services namespace), to an api-server pod's IP, which dist/'s policy admits from the VPC CIDR.
 */

const run = promisify(execFile);

export function apiServerPodIp(ns: string): string {
  const pods = kubectlJson<{ items: { status: { podIP?: string; conditions?: { type: string; status: string }[] } }[] }>(['-n', ns, 'get', 'pods', '-l', 'app.kubernetes.io/name=airflow-api-server']).items;
  const ready = pods.find((p) => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  if (!ready?.status.podIP) throw new Error(`no Ready airflow-api-server pod in ${ns}`);
  return ready.status.podIP;
}

export class AirflowApi {
  private token?: string;
  constructor(readonly ns: string, readonly username: string, readonly password: string) {}

  private async curl(method: string, p: string, body?: unknown, auth = true): Promise<{ status: number; text: string }> {
    const url = `http://${apiServerPodIp(this.ns)}:${PORTS.apiServer}${p}`;
    const args = ['netns', 'exec', NET.vpcNetns, 'curl', '-sS', '-m', '30', '-X', method, '-H', 'content-type: application/json', '-w', '\n%{http_code}'];
    if (auth) args.push('-H', `authorization: Bearer ${await this.login()}`);
    if (body !== undefined) args.push('--data', JSON.stringify(body));
    const { stdout } = await run('ip', [...args, url], { maxBuffer: 64 << 20 });
    const i = stdout.lastIndexOf('\n');
    return { status: Number(stdout.slice(i + 1)), text: stdout.slice(0, i) };
  }

  async login(): Promise<string> {
    if (this.token) return this.token;
    const r = await this.curl('POST', '/auth/token', { username: this.username, password: this.password }, false);
    if (r.status !== 200 && r.status !== 201) throw new Error(`login as ${this.username}: HTTP ${r.status} ${r.text}`);
    this.token = (JSON.parse(r.text) as { access_token: string }).access_token;
    return this.token;
  }

  async call<T = Record<string, unknown>>(method: string, p: string, body?: unknown): Promise<T> {
    const r = await this.curl(method, p, body);
    if (r.status >= 300) throw new Error(`${method} ${p}: HTTP ${r.status} ${r.text.slice(0, 500)}`);
    return (r.text ? JSON.parse(r.text) : {}) as T;
  }

  async health(): Promise<Record<string, { status?: string }> | undefined> {
    try {
      const r = await this.curl('GET', '/api/v2/monitor/health', undefined, false);
      return r.status === 200 ? (JSON.parse(r.text) as Record<string, { status?: string }>) : undefined;
    } catch {
      return undefined;
    }
  }

  async trigger(dagId: string, conf: Record<string, unknown> = {}): Promise<string> {
    await this.call('PATCH', `/api/v2/dags/${dagId}`, { is_paused: false });
    const r = await this.call<{ dag_run_id: string }>('POST', `/api/v2/dags/${dagId}/dagRuns`, { logical_date: null, conf });
    return r.dag_run_id;
  }

  async runState(dagId: string, runId: string): Promise<string> {
    return (await this.call<{ state: string }>('GET', `/api/v2/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}`)).state;
  }

  async taskInstances(dagId: string, runId: string): Promise<{ task_id: string; map_index: number; state: string; try_number: number; hostname: string }[]> {
    return (await this.call<{ task_instances: { task_id: string; map_index: number; state: string; try_number: number; hostname: string }[] }>('GET', `/api/v2/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}/taskInstances?limit=1000`)).task_instances;
  }

  async taskLog(dagId: string, runId: string, taskId: string, tryNumber: number, mapIndex = -1): Promise<string> {
    const r = await this.curl('GET', `/api/v2/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}/taskInstances/${taskId}/logs/${tryNumber}?map_index=${mapIndex}&full_content=true`);
    if (r.status !== 200) throw new Error(`task log ${taskId} try ${tryNumber}: HTTP ${r.status} ${r.text.slice(0, 300)}`);
    return r.text;
  }
}
