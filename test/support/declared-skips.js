// @ts-check
/**
 * The only tests `npm test` may skip: each by file and full test name, with the reason, printed at the end of
 * every run by test/support/skip-guard.js. Any other skipped, todo or filtered-out test fails the run.
 * Empty: nothing is excused today.
 * @type {ReadonlyArray<{ file: string; test: string; reason: string }>}
 */
module.exports = [];
