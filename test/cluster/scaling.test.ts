import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { loadEnvironments } from '../../manifests-src/config';
import { queryDivisor, queueBelowMax, workersFor, type WorkerScaling } from './scaling';

/** What cluster test 3 expects of KEDA, from dist/dev's ScaledObject (no cluster needed). */
describe('worker scaling expectations (cluster test 3)', () => {
  const env = loadEnvironments().find((e) => e.name === 'dev')!;
  const so = parseAllDocuments(fs.readFileSync(path.join(__dirname, '..', '..', 'dist', 'dev', 'airflow', 'worker.yaml'), 'utf8'))
    .map((d) => d.toJS() as { kind?: string; spec?: { minReplicaCount: number; maxReplicaCount: number; triggers: { metadata: { query: string } }[] } })
    .find((o) => o?.kind === 'ScaledObject')!.spec!;
  const s: WorkerScaling = { min: so.minReplicaCount, max: so.maxReplicaCount, cooldown: 60, pollingInterval: 15, concurrency: queryDivisor(so.triggers[0].metadata.query) };

  test("the query's divisor is the workers' Celery concurrency of the config", () => {
    expect(s.concurrency).toBe(env.workers.concurrency);
  });

  test('the queue below the cap needs max - 1 workers by the formula; one task fewer needs one worker fewer', () => {
    const b = queueBelowMax(s);
    expect(workersFor(b.queued, s)).toBe(s.max - 1);
    expect(b.workers).toBe(s.max - 1);
    expect(workersFor(b.queued - 1, s)).toBe(Math.max(s.min, s.max - 2));
  });

  test('40 tasks are capped at max; bounds too narrow for a below-the-cap case are an error', () => {
    expect(workersFor(40, s)).toBe(Math.min(s.max, Math.ceil(40 / s.concurrency)));
    expect(() => queueBelowMax({ ...s, min: 1, max: 2 })).toThrow(/leave no worker count below max/);
  });
});
