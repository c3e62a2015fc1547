import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FAULT_BEGIN, FAULT_END, FAULTS_JSON, RELIABILITY_DOC, faultRun, faultTableMarkdown, regenerateFaultTable, renderFaultTable, type FaultRun } from '../../scripts/fault-table';

const doc = fs.readFileSync(path.resolve(__dirname, '../..', RELIABILITY_DOC), 'utf8');
const shape = { environment: 'dev', workers: 2, schedulers: 2, seconds: 600 };
const rows = [
  { fault: 'kill -9 a worker', recovery: '61.2 s', affected: 2, lost: 0 },
  { fault: 'restart a | piped server', recovery: '0.3 s', affected: 0, lost: 1 },
];

/** `npm run docs`'s fault step in a scratch copy of the repository holding this faults.json. */
function regenerateWith(run: unknown): { message: string; doc: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fault-table-'));
  try {
    fs.mkdirSync(path.join(root, path.dirname(RELIABILITY_DOC)), { recursive: true });
    fs.mkdirSync(path.join(root, path.dirname(FAULTS_JSON)), { recursive: true });
    fs.writeFileSync(path.join(root, RELIABILITY_DOC), doc);
    fs.writeFileSync(path.join(root, FAULTS_JSON), JSON.stringify(run));
    const message = regenerateFaultTable(root);
    return { message, doc: fs.readFileSync(path.join(root, RELIABILITY_DOC), 'utf8') };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

describe('the fault table of docs/reliability.md comes from test-artifacts/faults.json', () => {
  test('the doc has exactly one generated fault table', () => {
    expect(doc.split(FAULT_BEGIN)).toHaveLength(2);
    expect(doc.split(FAULT_END)).toHaveLength(2);
  });

  test('rendering a passing fault run replaces only the table, with every measured row and the run\'s conditions', () => {
    const run = faultRun(rows, { 'worker kill': 'passed', 'server restart': 'passed' }, shape);
    expect(run.passed).toBe(true);
    const out = renderFaultTable(doc, run);
    const [before] = doc.split(FAULT_BEGIN);
    const [, after] = doc.split(FAULT_END);
    expect(out.startsWith(before + FAULT_BEGIN)).toBe(true);
    expect(out.endsWith(FAULT_END + after)).toBe(true);
    expect(out).toContain('| kill -9 a worker | 61.2 s | 2 | 0 |');
    expect(out).toContain('| restart a \\| piped server | 0.3 s | 0 | 1 |');
    expect(out).toContain(`on a ${run.cpus}-CPU machine: \`dev\` configuration, 2 workers, 2 schedulers; the fault file took 10 min`);
    expect(renderFaultTable(out, run)).toBe(out);
    const regenerated = regenerateWith(run);
    expect(regenerated.message).toBe(`${RELIABILITY_DOC}: fault table regenerated from ${FAULTS_JSON}`);
    expect(regenerated.doc).toBe(out);
  });

  test.each<[string, unknown]>([
    ['a test failed', faultRun(rows, { 'worker kill': 'passed', 'server restart': 'failed' }, shape)],
    ['a test was filtered out (-t)', faultRun(rows, { 'worker kill': 'passed', 'server restart': 'not run' }, shape)],
    ['no test ran', faultRun([], {}, shape)],
    ['the file has no pass/fail record (written before it had one)', (({ passed: _p, tests: _t, ...old }: FaultRun) => old)(faultRun(rows, { a: 'passed' }, shape))],
  ])('a run is never rendered as a result when %s: the doc stays as it was and the reason is printed', (_, run) => {
    const r = run as FaultRun;
    expect(r.passed).not.toBe(true);
    expect(() => renderFaultTable(doc, r)).toThrow(/did not pass/);
    const regenerated = regenerateWith(run);
    expect(regenerated.doc).toBe(doc);
    expect(regenerated.message).toMatch(/fault table unchanged .*did not pass/);
  });

  test('the printed table of a run that did not pass says so and names the test', () => {
    const run = faultRun(rows.slice(0, 1), { 'worker kill': 'passed', 'server restart': 'failed' }, shape);
    expect(run.passed).toBe(false);
    expect(faultTableMarkdown(run)).toMatch(/^NOT A RESULT: the run did not pass \(failed: server restart\)/);
  });
});
