// @ts-check
/**
 * `npm test`'s skip guard (scripts/test.sh runs it after jest): a test that did not run fails the run unless it
 * is declared in test/support/declared-skips.js with its reason. The declared ones are printed every run, so an
 * exception is never silent. Reads the whole run's test-artifacts/suite-times.json (both jest projects).
 */
const fs = require('node:fs');
const path = require('node:path');

/**
 * @param {{ suites: Array<{ file: string; skipped?: Array<{ test: string; status: string }> }> }} times
 * @param {ReadonlyArray<{ file: string; test: string; reason: string }>} declared
 */
function checkSkips(times, declared) {
  const skipped = times.suites.flatMap((s) => (s.skipped ?? []).map((t) => ({ file: s.file, ...t })));
  const isDeclared = (/** @type {{ file: string; test: string }} */ t) => declared.some((d) => d.file === t.file && d.test === t.test);
  return {
    undeclared: skipped.filter((t) => !isDeclared(t)),
    excused: skipped.filter(isDeclared).map((t) => ({ ...t, reason: declared.find((d) => d.file === t.file && d.test === t.test).reason })),
  };
}

/** The guard's report; `ok` is false when a test was skipped without a declared reason. */
function skipReport(/** @type {Parameters<typeof checkSkips>[0]} */ times, /** @type {Parameters<typeof checkSkips>[1]} */ declared, env = process.env) {
  const { undeclared, excused } = checkSkips(times, declared);
  const lines = [`declared skips (test/support/declared-skips.js): ${declared.length ? '' : 'none'}`, ...declared.map((d) => `  - ${d.file}: ${d.test} -- ${d.reason}`)];
  if (excused.length) lines.push(`skipped this run, as declared: ${excused.length}`);
  if (undeclared.length) {
    lines.push(`${undeclared.length} test(s) did not run and are not declared exceptions: npm test runs every test`);
    for (const t of undeclared) lines.push(`  - ${t.file}: ${t.test} (${t.status})`);
    if (env.CLUSTER_SUITE) lines.push(`  CLUSTER_SUITE=${env.CLUSTER_SUITE} is set: it runs the cluster suite's node checks only; unset it for npm test`);
    lines.push('  Run them, or declare one in test/support/declared-skips.js with its reason.');
  }
  return { ok: undeclared.length === 0, text: lines.join('\n') };
}

module.exports = { checkSkips, skipReport };

if (require.main === module) {
  const root = path.resolve(__dirname, '..', '..');
  const times = JSON.parse(fs.readFileSync(path.join(root, 'test-artifacts', 'suite-times.json'), 'utf8'));
  const report = skipReport(times, require('./declared-skips.js'));
  (report.ok ? console.log : console.error)(report.text);
  process.exit(report.ok ? 0 : 1);
}
