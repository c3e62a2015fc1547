import * as fs from 'node:fs';
import * as path from 'node:path';
import { FAULT_BEGIN, FAULT_END, RELIABILITY_DOC, faultRun, renderFaultTable } from '../../scripts/fault-table';

const doc = fs.readFileSync(path.resolve(__dirname, '../..', RELIABILITY_DOC), 'utf8');

describe('the fault table of docs/reliability.md comes from test-artifacts/faults.json', () => {
  test('the doc has exactly one generated fault table', () => {
    expect(doc.split(FAULT_BEGIN)).toHaveLength(2);
    expect(doc.split(FAULT_END)).toHaveLength(2);
  });

  test('rendering a fault run replaces only the table, with every measured row and the run\'s conditions', () => {
    const run = faultRun(
      [
        { fault: 'kill -9 a worker', recovery: '61.2 s', affected: 2, lost: 0 },
        { fault: 'restart a | piped server', recovery: '0.3 s', affected: 0, lost: 1 },
      ],
      { environment: 'dev', workers: 2, schedulers: 2, seconds: 600 },
    );
    const out = renderFaultTable(doc, run);
    const [before] = doc.split(FAULT_BEGIN);
    const [, after] = doc.split(FAULT_END);
    expect(out.startsWith(before + FAULT_BEGIN)).toBe(true);
    expect(out.endsWith(FAULT_END + after)).toBe(true);
    expect(out).toContain('| kill -9 a worker | 61.2 s | 2 | 0 |');
    expect(out).toContain('| restart a \\| piped server | 0.3 s | 0 | 1 |');
    expect(out).toContain(`on a ${run.cpus}-CPU machine: \`dev\` configuration, 2 workers, 2 schedulers; the fault file took 10 min`);
    expect(renderFaultTable(out, run)).toBe(out);
  });
});
