import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterPhaseMarkdown, PHASES_JSON, recordClusterRun, RUNS_KEPT, type ClusterRun } from '../../scripts/cluster-phase-table';

const run = (phases: [string, number][], failed: string[] = []): ClusterRun => ({ finishedAt: '2026-11-26T07:00:00.000Z', machine: '2 vCPU', failed, phases });

describe('cluster phase table (docs/local-cluster.md)', () => {
  test('one column per run, the median and the spread; a phase missing from a run stays empty', () => {
    const md = clusterPhaseMarkdown([run([['up', 70], ['3 KEDA', 450]]), run([['up', 90], ['3 KEDA', 480]], ['3 KEDA']), run([['up', 80]])]);
    const lines = md.split('\n');
    expect(lines).toContain('| up | 70.0 | 90.0 | 80.0 | 80.0 | 70.0-90.0 |');
    expect(lines).toContain('| 3 KEDA | 450.0 | 480.0 |  | 465.0 | 450.0-480.0 |');
    expect(lines).toContain('| **whole suite** | **520.0** | **570.0** | **80.0** | 520.0 | 80.0-570.0 |');
    expect(md).toMatch(/run 2: .*failed: 3 KEDA/);
    expect(md).toMatch(/run 1: .*every test passed/);
  });

  test('the artifact keeps the last runs only', () => {
    const root = mkdtempSync(join(tmpdir(), 'phases-'));
    try {
      for (let i = 0; i < RUNS_KEPT + 2; i++) recordClusterRun(root, run([['up', i]]));
      const kept = JSON.parse(readFileSync(join(root, PHASES_JSON), 'utf8')) as ClusterRun[];
      expect(kept.map((r) => r.phases[0][1])).toEqual(Array.from({ length: RUNS_KEPT }, (_, i) => i + 2));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
