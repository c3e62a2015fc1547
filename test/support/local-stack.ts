import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { loadEnvironments, type EnvironmentConfig } from '../../manifests-src/config';
import { LocalStack, PROJECT_ROOT, type LocalStackOptions } from '../../local/stack';

/** The environment the local tests run: `dev` from the committed config, as dist/dev ships it. */
export function devEnvironment(): EnvironmentConfig {
  const env = loadEnvironments().find((e) => e.name === 'dev');
  if (!env) throw new Error('the committed config has no dev environment');
  return env;
}

/** A fresh stack in its own state folder (new PostgreSQL cluster, new DAG repo), so test files never share state. */
export async function startTestStack(name: string, opts: Partial<LocalStackOptions> = {}): Promise<LocalStack> {
  const stateDir = path.join(PROJECT_ROOT, '.state', 'test', name);
  fs.rmSync(stateDir, { recursive: true, force: true });
  const lines: string[] = [];
  const stack = new LocalStack({ env: devEnvironment(), stateDir, workerGraceMs: 120_000, onEvent: (l) => lines.push(l), ...opts });
  try {
    await stack.start();
  } catch (e) {
    await stack.stop();
    throw new Error(`${(e as Error).message}\n${lines.join('\n')}`);
  }
  return stack;
}

export interface DagRun {
  dag_run_id: string;
  state: string;
}
export interface TaskInstance {
  task_id: string;
  map_index: number;
  state: string | null;
  hostname: string | null;
  try_number: number;
  queue: string | null;
  start_date: string | null;
  end_date: string | null;
  queued_when: string | null;
}

export async function unpause(stack: LocalStack, dagId: string): Promise<void> {
  await stack.waitFor(`DAG ${dagId} parsed`, async () => {
    try {
      await stack.api('GET', `/api/v2/dags/${dagId}`);
      return true;
    } catch {
      return false;
    }
  }, 180_000, 1000);
  await stack.api('PATCH', `/api/v2/dags/${dagId}`, { is_paused: false });
}

export async function trigger(stack: LocalStack, dagId: string, conf: Record<string, unknown> = {}): Promise<string> {
  const run = await stack.api<DagRun>('POST', `/api/v2/dags/${dagId}/dagRuns`, { logical_date: null, conf });
  return run.dag_run_id;
}

export async function runState(stack: LocalStack, dagId: string, runId: string): Promise<string> {
  return (await stack.api<DagRun>('GET', `/api/v2/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}`)).state;
}

/** Waits until every run is finished; returns the final states. */
export async function waitRuns(stack: LocalStack, dagId: string, runIds: string[], timeoutMs: number): Promise<string[]> {
  let states: string[] = [];
  await stack.waitFor(`${runIds.length} runs of ${dagId} to finish`, async () => {
    states = await Promise.all(runIds.map((r) => runState(stack, dagId, r)));
    return states.every((s) => s === 'success' || s === 'failed');
  }, timeoutMs, 2000);
  return states;
}

export async function taskInstances(stack: LocalStack, dagId: string, runId: string): Promise<TaskInstance[]> {
  const r = await stack.api<{ task_instances: TaskInstance[] }>('GET', `/api/v2/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}/taskInstances?limit=1000`);
  return r.task_instances;
}

/** The KEDA query exactly as the committed dist/ ships it. */
export function kedaQueryFromDist(envName: string): string {
  const dir = path.join(PROJECT_ROOT, 'dist', envName);
  for (const f of fs.readdirSync(dir, { recursive: true }) as string[]) {
    if (!f.endsWith('.yaml')) continue;
    for (const doc of parseAllDocuments(fs.readFileSync(path.join(dir, f), 'utf8'))) {
      const o = doc.toJSON() as { kind?: string; spec?: { triggers?: { type: string; metadata: { query: string } }[] } } | null;
      const t = o?.kind === 'ScaledObject' ? o.spec?.triggers?.find((x) => x.type === 'postgresql') : undefined;
      if (t) return t.metadata.query;
    }
  }
  throw new Error(`no ScaledObject with a postgresql trigger in dist/${envName}`);
}
