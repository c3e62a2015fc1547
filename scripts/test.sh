#!/usr/bin/env bash
# `npm test`: installs what the tests need, then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-node-deps.sh
# Debian packages, the locked Python env for Airflow, git-sync: idempotent and fast when present.
if [ -f local/install.sh ]; then bash local/install.sh; fi
echo "==> type-check"
npx tsc --noEmit -p .
echo "==> jest"
npx jest --ci "$@"
