// eslint-disable-next-line @typescript-eslint/no-require-imports
const { skipReport } = require('./skip-guard.js') as {
  skipReport: (times: unknown, declared: { file: string; test: string; reason: string }[], env?: Record<string, string>) => { ok: boolean; text: string };
};

/** Issue 23 item 3: in `npm test` a test that did not run fails the run unless it is a declared, printed exception. */
describe('skip guard', () => {
  const times = (skipped: { test: string; status: string }[]) => ({ suites: [{ file: 'test/cluster/cluster.test.ts', skipped }, { file: 'test/a.test.ts' }] });

  test('a run without skipped tests passes and prints that nothing is declared', () => {
    expect(skipReport(times([]), [])).toEqual({ ok: true, text: 'declared skips (test/support/declared-skips.js): none' });
  });

  test('a skipped test that is not declared fails the run, naming it (and CLUSTER_SUITE when set)', () => {
    const r = skipReport(times([{ test: 'local cluster 1. first sync', status: 'pending' }]), [], { CLUSTER_SUITE: 'node' });
    expect(r.ok).toBe(false);
    expect(r.text).toContain('  - test/cluster/cluster.test.ts: local cluster 1. first sync (pending)');
    expect(r.text).toContain('CLUSTER_SUITE=node is set');
  });

  test('a declared exception passes and is printed with its reason', () => {
    const declared = [{ file: 'test/cluster/cluster.test.ts', test: 'local cluster 1. first sync', reason: 'why it cannot run' }];
    const r = skipReport(times([{ test: 'local cluster 1. first sync', status: 'pending' }]), declared);
    expect(r.ok).toBe(true);
    expect(r.text).toContain('  - test/cluster/cluster.test.ts: local cluster 1. first sync -- why it cannot run');
    expect(r.text).toContain('skipped this run, as declared: 1');
  });
});
