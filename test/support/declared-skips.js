// @ts-check
/**
 * The only tests `npm test` may skip: each by file and full test name, with the reason, printed at the end of
 * every run by test/support/skip-guard.js. Any other skipped, todo or filtered-out test fails the run.
 * @type {ReadonlyArray<{ file: string; test: string; reason: string }>}
 */
module.exports = [
  {
    file: 'test/cluster/cluster.test.ts',
    test: "local cluster: dist/dev on a real single-node Kubernetes 24.2b a FluentBit restart in the middle of a container's output loses no line",
    reason:
      'known defect (issue 24), open: the line FluentBit has read when its pod is deleted never reaches CloudWatch Logs ' +
      '(line 56 of 150 in 2 of 3 runs on 2026-12-07; the multiline filter holds it when SIGTERM comes); the emitter on ' +
      "the node's disk and Grace 15 did not fix it. 24.2 prints the lost lines every run; remove this entry once it passes.",
  },
];
