import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterPhaseMarkdown, notAResult, PHASES_JSON, recordClusterRun, RUNS_KEPT, type ClusterRun } from '../../scripts/cluster-phase-table';

const passed = (...names: string[]) => names.map((test) => ({ test, passed: true }));
const run = (phases: [string, number][], tests: ClusterRun['tests'] = passed('a', 'b'), failed: string[] = [], at = '2026-11-26T07:00:00.000Z'): ClusterRun => ({ finishedAt: at, machine: '2 vCPU', failed, phases, tests });

describe('cluster phase table (docs/local-cluster.md)', () => {
  test('one column per passing run, the median and the spread; a phase missing from a run stays empty', () => {
    const md = clusterPhaseMarkdown([run([['up', 70], ['3 KEDA', 450]]), run([['up', 90], ['3 KEDA', 480]]), run([['up', 80]])]);
    const lines = md.split('\n');
    expect(lines).toContain('| up | 70.0 | 90.0 | 80.0 | 80.0 | 70.0-90.0 |');
    expect(lines).toContain('| 3 KEDA | 450.0 | 480.0 |  | 465.0 | 450.0-480.0 |');
    expect(lines).toContain('| **whole suite** | **520.0** | **570.0** | **80.0** | 520.0 | 80.0-570.0 |');
    expect(md).toMatch(/run 1: .*all 2 tests passed/);
  });

  test('a run with a failed, skipped or unrecorded test, or a failed phase, is left out of the table and says why', () => {
    const failedTest = run([['up', 500]], [{ test: 'a', passed: true }, { test: '3. KEDA', passed: false }], [], '2026-11-26T08:00:00.000Z');
    const { tests: _none, ...unrecorded } = run([['up', 600]], [], [], '2026-11-26T09:00:00.000Z');
    const failedPhase = run([['up', 700]], passed('a'), ['3 KEDA'], '2026-11-26T10:00:00.000Z');
    const md = clusterPhaseMarkdown([run([['up', 70]]), failedTest, unrecorded, failedPhase]);
    expect(md.split('\n')).toContain('| up | 70.0 | 70.0 |  |');
    expect(md).not.toMatch(/500\.0|600\.0|700\.0/);
    expect(md).toContain('left out, not a result: the run of 2026-11-26 08:00 UTC (not passed: 3. KEDA)');
    expect(md).toContain('left out, not a result: the run of 2026-11-26 09:00 UTC (no per-test outcome recorded)');
    expect(md).toContain('left out, not a result: the run of 2026-11-26 10:00 UTC (failed phases: 3 KEDA)');
    expect(clusterPhaseMarkdown([failedTest])).toMatch(/^No run in .* passed every test: nothing to show\./);
    expect(notAResult(run([['up', 1]], []))).toBe('no per-test outcome recorded');
  });

  test('the artifact keeps the last passing runs; a failed run never pushes one out', () => {
    const root = mkdtempSync(join(tmpdir(), 'phases-'));
    try {
      for (let i = 0; i < RUNS_KEPT + 2; i++) recordClusterRun(root, run([['up', i]]));
      for (let i = 0; i < RUNS_KEPT + 2; i++) recordClusterRun(root, run([['up', 100 + i]], [{ test: 'a', passed: false }]));
      const kept = JSON.parse(readFileSync(join(root, PHASES_JSON), 'utf8')) as ClusterRun[];
      expect(kept.filter((r) => !notAResult(r)).map((r) => r.phases[0][1])).toEqual(Array.from({ length: RUNS_KEPT }, (_, i) => i + 2));
      expect(kept.filter((r) => notAResult(r)).map((r) => r.phases[0][1])).toEqual(Array.from({ length: RUNS_KEPT }, (_, i) => 102 + i));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
