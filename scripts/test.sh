#!/usr/bin/env bash
# `npm test`: installs what the tests need, then runs every test (jest arguments pass through, e.g. a folder).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-node-deps.sh
# Debian packages, the locked Python env for Airflow: idempotent and fast when present.
bash local/install.sh
bash security/install.sh
bash cluster/install.sh # the local cluster: Debian packages and Go builds, cached outside the clone
echo "==> type-check"
npx tsc --noEmit -p .
# The CloudFormation templates the infra and security tests read are built, never committed.
echo "==> CDK synth (cdk.out/)"
npx tsx infra/bin/synth.ts
echo "==> jest"
# One test file at a time: the local-stack suites each run a whole Airflow installation.
npx jest --ci --runInBand "$@"
