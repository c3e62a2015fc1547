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
    // The unit files' wall-clock: before, summed (one at a time); after, their sum over the unit project's
    // concurrency (its files' sum 7 s in 8 s of wall: 0.875).
    expect(lines.find((l) => l.startsWith('| the unit files above'))).toMatch(/concurrency, 0\.88 .*\| 10\.0 \| 4\.6 \|$/);
    expect(lines.find((l) => l.startsWith('| unit project wall'))).toMatch(/2 files\) \| \| \| 8\.0 \|$/);
  });

  test('a file that failed in either run is named and left out of the rows and sums', () => {
    const before = run([['test/a.test.ts', '', 1], ['test/b.test.ts', '', 2]], [[[''], 3]]);
    const after = run([['test/a.test.ts', 'unit', 1], ['test/b.test.ts', 'unit', 5]], [[['unit'], 6]]);
    after.suites[1].failed = 1;
    const md = suiteTimeTable(before, after);
    expect(md).toMatch(/not compared, failed in one of the runs: test\/b\.test\.ts/);
    expect(md).not.toMatch(/^\| test\/b\.test\.ts/m);
    expect(md).toContain('| **sum of the 1 files** | | **1.0** | **1.0** |');
  });
});
