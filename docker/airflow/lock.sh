#!/usr/bin/env bash
# Regenerates docker/airflow/requirements.lock (linux aarch64, Graviton) from requirements/airflow.in,
# with the same --exclude-newer cut-off as the x86_64 lock so both resolve the same versions.
set -euo pipefail
cd "$(dirname "$0")/../.."
uv=$(bash scripts/uv.sh)
cutoff=$(sed -n 's/.*--exclude-newer \([^ ]*\).*/\1/p' requirements/airflow.lock | head -1)
"$uv" pip compile requirements/airflow.in --python-version 3.11 \
  --python-platform aarch64-unknown-linux-gnu --generate-hashes \
  ${cutoff:+--exclude-newer "$cutoff"} --quiet -o docker/airflow/requirements.lock
echo "wrote docker/airflow/requirements.lock${cutoff:+ (packages published before $cutoff)}"
