// eslint-disable-next-line @typescript-eslint/no-require-imports
const { formatSuiteTimes, errorHead } = require('./suite-times-reporter.js') as {
  formatSuiteTimes: (t: unknown) => string;
  errorHead: (m: string, lines?: number) => string;
};

describe('suite times reporter', () => {
  test("a failure's head: no colour codes, no stack frames, at most the first lines", () => {
    const message = '\u001b[31mError: expect(received).toBeLessThanOrEqual(expected)\u001b[39m\n\nExpected: <= 1\nReceived:    2\n    at Object.<anonymous> (test/x.test.ts:3:4)\n    at run (node_modules/jest/a.js:1:1)';
    expect(errorHead(message)).toBe('Error: expect(received).toBeLessThanOrEqual(expected)\nExpected: <= 1\nReceived:    2');
    expect(errorHead('a\nb\nc', 2)).toBe('a\nb');
  });

  test('the table ends with every failed test, its file and its error, so the last lines of a log say what failed', () => {
    const out = formatSuiteTimes({
      run: 'r',
      invocations: [{ projects: ['live'], wallSeconds: 10 }],
      suites: [
        { file: 'test/a.test.ts', project: 'live', seconds: 9, tests: 2, failed: 1, failures: [{ test: 'cluster 1. first sync', error: 'Expected: <= 1\nReceived:    2' }] },
        { file: 'test/b.test.ts', project: 'live', seconds: 1, tests: 1, failed: 0 },
      ],
    });
    const tail = out.split('\n').slice(-4);
    expect(tail).toEqual(['failed tests (1):', '- test/a.test.ts: cluster 1. first sync', '    Expected: <= 1', '    Received:    2']);
    expect(formatSuiteTimes({ run: 'r', invocations: [], suites: [{ file: 'test/b.test.ts', project: 'unit', seconds: 1, tests: 1, failed: 0 }] })).not.toMatch(/failed tests/);
  });
});
