#!/usr/bin/env bash
# `npm test`: installs what the tests need, then runs every test (jest arguments pass through, e.g. a folder).
# `npm run test:unit` (= scripts/test.sh --unit): the same without the live-stack suites (no Airflow start-up,
# no cluster). Projects are defined in jest.config.js; the per-file time table ends the run.
set -euo pipefail
cd "$(dirname "$0")/.."
unit_only=0
install_only=0
case "${1:-}" in
  --unit) unit_only=1; shift ;;
  --install-only) install_only=1; shift ;; # what a fresh machine spends before the first test (scripts/cold-start.sh)
esac
phase() { printf '%s %ss' "$1" "$((SECONDS - $2))"; }
steps=""
step() { # step <label> <command...>: runs it and records its time
  local label=$1 s=$SECONDS
  shift
  "$@"
  steps="${steps:+$steps, }$label $((SECONDS - s))s"
}

t=$SECONDS
step node-deps bash scripts/ensure-node-deps.sh
# Debian packages, the locked Python envs: idempotent and fast when present.
step local-stack bash local/install.sh
step security-tools bash security/install.sh
step cluster-packages bash cluster/install.sh --packages-only # the local cluster's Debian packages
step image-tools bash cluster/images/install-tools.sh # its images: debootstrap, podman, runc, containerd (ctr)
# The Go builds (Kubernetes, CoreDNS, kube-router; Argo CD, KEDA, External Secrets: cached outside the clone, a
# no-op when there) take most of a new machine's first run. They run at the lowest CPU priority beside the unit
# suites and the live suites that need no cluster (those mostly wait on Airflow), and the cluster suites wait for them.
mkdir -p .state
builds_log=.state/go-builds.log
builds_pid=
if [ "$unit_only" = 0 ]; then
  builds_start=$SECONDS
  (nice -n 19 bash cluster/install.sh && nice -n 19 npx tsx cluster/operators/cli.ts build && echo "==> Go builds done in $((SECONDS - builds_start)) s") >"$builds_log" 2>&1 &
  builds_pid=$!
fi
wait_builds() { # wait_builds: 0 when the Go builds succeeded, else their log's tail and 1
  if wait "$builds_pid"; then tail -1 "$builds_log"; return 0; fi
  echo "the Go builds failed (log: $builds_log):" >&2
  tail -40 "$builds_log" >&2
  return 1
}
phases=$(phase install "$t")
echo "==> install steps: $steps; Go builds in the background (log: $builds_log)"
if [ "$install_only" = 1 ]; then
  t=$SECONDS
  wait_builds || exit 1
  echo "==> phases: $phases, go builds (waited for) $((SECONDS - t))s"
  exit 0
fi

# The type-check and the one CDK synth of the run share the two cores. The infra and security tests read
# the templates from cdk.out/; a cdk.out/ built from the same inputs (digest in cdk.out/inputs.sha256) is reused.
echo "==> type-check and CDK synth (cdk.out/)"
t=$SECONDS
npx tsc --noEmit -p . &
tsc_pid=$!
if npx tsx infra/bin/cdk-out-current.ts; then echo "cdk.out/ is current: not synthesizing again"; else npx tsx infra/bin/synth.ts; fi
wait "$tsc_pid"
phases="$phases, $(phase 'type-check + synth' "$t")"

SUITE_TIMES_RUN="npm-test-$(date +%s)-$$"
export SUITE_TIMES_RUN
status=0
echo "==> jest: unit suites, in parallel"
t=$SECONDS
npx jest --ci --selectProjects unit --maxWorkers=2 --passWithNoTests "$@" || status=$?
phases="$phases, $(phase unit "$t")"
if [ "$unit_only" = 0 ]; then
  # Suites that run the cluster's or the operators' builds: test/cluster/, and the stack test's KEDA scaler probe.
  # With arguments (a folder, a file) the live suites run in one go once the builds are done.
  needs_builds='/test/cluster/|/test/local/stack\.integration'
  if [ $# -eq 0 ]; then
    echo "==> jest: live-stack suites that need no Go build (each runs a whole Airflow installation), one at a time"
    t=$SECONDS
    npx jest --ci --selectProjects live --runInBand --passWithNoTests "--testPathIgnorePatterns=$needs_builds" || status=$?
    phases="$phases, $(phase 'live (no cluster)' "$t")"
  fi
  echo "==> waiting for the Go builds"
  t=$SECONDS
  if wait_builds; then
    phases="$phases, $(phase 'waiting for the builds' "$t")"
    echo "==> jest: the live suites that need the builds, one at a time"
    t=$SECONDS
    if [ $# -eq 0 ]; then set -- test/cluster/ test/local/stack.integration; fi
    npx jest --ci --selectProjects live --runInBand --passWithNoTests "$@" || status=$?
    phases="$phases, $(phase 'live (cluster)' "$t")"
  else
    status=1
  fi
fi
echo "==> phases: $phases"
# Both projects tolerate "no tests" (arguments may select one project only), but together they must run some.
node -e 'const t = require("./test-artifacts/suite-times.json"); if (t.run !== process.env.SUITE_TIMES_RUN || t.suites.length === 0) { console.error("no test file matched the arguments"); process.exit(1); }' || status=1
# And every test of those files ran: a skipped, todo or filtered-out test fails the run unless it is a declared
# exception, printed with its reason (test/support/declared-skips.js).
node test/support/skip-guard.js || status=1
exit "$status"
