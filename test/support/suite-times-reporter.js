// @ts-check
/**
 * Jest reporter: how long each test file took, printed as a table at the end of a run and written to
 * test-artifacts/suite-times.json. scripts/test.sh runs jest twice (unit, then live) with one SUITE_TIMES_RUN
 * id, so the second invocation adds its rows to the first's and the last table covers the whole `npm test`.
 * The failed tests follow the table, each with the head of its error: a log cut to its last lines still says
 * what failed. Tests that did not run are recorded per file (`skipped`) for scripts/test.sh's skip guard.
 */
const fs = require('node:fs');
const path = require('node:path');

/** @typedef {{ test: string; error: string }} Failure */
/** @typedef {{ test: string; status: string }} Skipped */
/** @typedef {{ file: string; project: string; seconds: number; tests: number; failed: number; failures?: Failure[]; skipped?: Skipped[] }} SuiteTime */
/** @typedef {{ run: string; invocations: Array<{ projects: string[]; wallSeconds: number }>; suites: SuiteTime[] }} SuiteTimes */

class SuiteTimesReporter {
  /** @param {{ rootDir: string }} globalConfig */
  constructor(globalConfig) {
    this.root = globalConfig.rootDir;
    this.started = Date.now();
    /** @type {SuiteTime[]} */
    this.suites = [];
  }

  /**
   * @param {{ path: string; context: { config: { displayName?: { name: string } } } }} test
   * @param {{ perfStats: { start: number; end: number }; numPassingTests: number; numFailingTests: number; numPendingTests: number; testExecError?: { message?: string }; testResults: Array<{ fullName: string; status: string; failureMessages: string[] }> }} result
   */
  onTestResult(test, result) {
    /** @type {Failure[]} */
    const failures = result.testResults.filter((t) => t.status === 'failed').map((t) => ({ test: t.fullName, error: errorHead(t.failureMessages.join('\n')) }));
    if (result.testExecError) failures.push({ test: '(the file itself)', error: errorHead(String(result.testExecError.message ?? result.testExecError)) });
    // Every test that did not run (skip, todo, filtered out): scripts/test.sh fails the run on any that is not a
    // declared exception (test/support/skip-guard.js).
    /** @type {Skipped[]} */
    const skipped = result.testResults.filter((t) => t.status !== 'passed' && t.status !== 'failed').map((t) => ({ test: t.fullName, status: t.status }));
    this.suites.push({
      file: path.relative(this.root, test.path),
      project: test.context.config.displayName?.name ?? '',
      seconds: Math.max(0, (result.perfStats.end - result.perfStats.start) / 1000),
      tests: result.numPassingTests + result.numFailingTests + result.numPendingTests,
      failed: result.numFailingTests + (result.testExecError ? 1 : 0),
      ...(failures.length ? { failures } : {}),
      ...(skipped.length ? { skipped } : {}),
    });
  }

  onRunComplete() {
    const file = path.join(this.root, 'test-artifacts', 'suite-times.json');
    const run = process.env.SUITE_TIMES_RUN ?? `jest-${this.started}`;
    /** @type {SuiteTimes} */
    let times = { run, invocations: [], suites: [] };
    if (fs.existsSync(file)) {
      const previous = /** @type {SuiteTimes} */ (JSON.parse(fs.readFileSync(file, 'utf8')));
      if (previous.run === run) times = previous;
    }
    const projects = [...new Set(this.suites.map((s) => s.project))];
    times.invocations.push({ projects, wallSeconds: (Date.now() - this.started) / 1000 });
    times.suites.push(...this.suites);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify(times, null, 2)}\n`);
    process.stdout.write(`\n${formatSuiteTimes(times)}\n`);
  }
}

/** The table: slowest file first, then per-project sums and wall times (parallel projects sum above their wall). */
function formatSuiteTimes(/** @type {SuiteTimes} */ times) {
  const rows = [...times.suites].sort((a, b) => b.seconds - a.seconds).map((r) => ({ ...r, file: r.failed ? `${r.file} (FAILED)` : r.file }));
  const width = Math.max(30, ...rows.map((r) => r.file.length));
  const line = (/** @type {string} */ a, /** @type {string} */ b, /** @type {string} */ c, /** @type {string} */ d) => `${a.padEnd(width)}  ${b.padEnd(7)}  ${c.padStart(9)}  ${d.padStart(6)}`;
  const out = ['suite times (test-artifacts/suite-times.json)', line('file', 'project', 'seconds', 'tests'), ...rows.map((r) => line(r.file, r.project, r.seconds.toFixed(1), String(r.tests)))];
  for (const project of [...new Set(rows.map((r) => r.project))]) {
    const sum = rows.filter((r) => r.project === project).reduce((n, r) => n + r.seconds, 0);
    out.push(line(`sum of ${project} files`, project, sum.toFixed(1), ''));
  }
  for (const inv of times.invocations) out.push(line(`jest wall time (${inv.projects.join(', ') || 'no files'})`, '', inv.wallSeconds.toFixed(1), ''));
  const failed = times.suites.flatMap((s) => (s.failures ?? []).map((f) => ({ file: s.file, ...f })));
  if (failed.length) out.push('', `failed tests (${failed.length}):`, ...failed.flatMap((f) => [`- ${f.file}: ${f.test}`, ...f.error.split('\n').map((l) => `    ${l}`)]));
  return out.join('\n');
}

/** The first lines of a failure, without colour codes or jest's stack frames. */
function errorHead(/** @type {string} */ message, lines = 12) {
  // eslint-disable-next-line no-control-regex
  const plain = message.replace(/\u001b\[[0-9;]*m/g, '');
  return plain.split('\n').filter((l) => l.trim() !== '' && !/^\s+at /.test(l)).slice(0, lines).join('\n');
}

module.exports = SuiteTimesReporter;
module.exports.formatSuiteTimes = formatSuiteTimes;
module.exports.errorHead = errorHead;
