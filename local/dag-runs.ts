import type { LocalStack } from './stack';

/** REST helpers to drive DAG runs on the local stack (tests, benchmark, fault runs). */

/** The mapped task of the platform_workload DAG in dags/: `tasks` instances that each sleep `seconds`. */
export const WORKLOAD_TASK = 'work';

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

/**
 * Waits until every run is finished; returns the final states. An API error (a 5xx while the database
 * fails over) is retried like any client would; if it persists, the timeout message carries it.
 */
export async function waitRuns(stack: LocalStack, dagId: string, runIds: string[], timeoutMs: number): Promise<string[]> {
  let states: string[] = [];
  let lastError = '';
  await stack
    .waitFor(`${runIds.length} runs of ${dagId} to finish`, async () => {
      try {
        states = await Promise.all(runIds.map((r) => runState(stack, dagId, r)));
      } catch (e) {
        lastError = (e as Error).message;
        return false;
      }
      return states.every((s) => s === 'success' || s === 'failed');
    }, timeoutMs, 2000)
    .catch((e: Error) => {
      throw new Error(`${e.message}${lastError ? `; last API error: ${lastError}` : ''}`);
    });
  return states;
}

export async function taskInstances(stack: LocalStack, dagId: string, runId: string): Promise<TaskInstance[]> {
  const r = await stack.api<{ task_instances: TaskInstance[] }>('GET', `/api/v2/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}/taskInstances?limit=1000`);
  return r.task_instances;
}


/** Samples PostgreSQL's own connection count for the metadata database until stopped; `stop()` gives the peak. */
export function samplePeakConnections(stack: LocalStack, intervalMs = 200): { stop(): Promise<number> } {
  let peak = 0;
  let done = false;
  const loop = (async () => {
    while (!done) {
      peak = Math.max(peak, (await stack.metadataBackendPorts()).length);
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    stop: async () => {
      done = true;
      await loop;
      return peak;
    },
  };
}
