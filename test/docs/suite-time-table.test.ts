import { suiteTimeTable, type SuiteTimes } from '../../scripts/suite-time-table';

const run = (suites: [string, string, number][], walls: [string[], number][]): SuiteTimes => ({
  run: 'r',
  invocations: walls.map(([projects, wallSeconds]) => ({ projects, wallSeconds })),
  suites: suites.map(([file, project, seconds]) => ({ file, project, seconds, tests: 1, failed: 0 })),
});

describe('suite time table (docs/testing.md)', () => {
  test('compares only files in both runs, slowest first, with sums and wall times per project', () => {
    const before = run([['test/a.test.ts', '', 10], ['test/faults.test.ts', '', 900], ['test/gone.test.ts', '', 5]], [[[''], 1000]]);
    const after = run([['test/a.test.ts', 'unit', 4], ['test/faults.test.ts', 'live', 800], ['test/new.test.ts', 'unit', 3]], [[['unit'], 8], [['live'], 801]]);
    const lines = suiteTimeTable(before, after).split('\n');
    const rows = lines.filter((l) => l.startsWith('| test/'));
    expect(rows).toEqual(['| test/faults.test.ts | live | 900.0 | 800.0 |', '| test/a.test.ts | unit | 10.0 | 4.0 |']);
    expect(lines).toContain('| **sum of the 2 files** | | **910.0** | **804.0** |');
    expect(lines.find((l) => l.startsWith('| jest wall time'))).toMatch(/\| 1000\.0 \| 809\.0 \|$/);
    // The unit share: before, the files that are unit now (summed, one at a time); after, the unit project's wall.
    expect(lines.find((l) => l.startsWith('| of which'))).toMatch(/\| 10\.0 \| 8\.0 \|$/);
  });

  test('names a file that failed in either run', () => {
    const before = run([['test/a.test.ts', '', 1]], [[[''], 1]]);
    const after = run([['test/a.test.ts', 'unit', 1]], [[['unit'], 1]]);
    after.suites[0].failed = 1;
    expect(suiteTimeTable(before, after)).toMatch(/failed in one of the runs.*test\/a\.test\.ts/);
  });
});
