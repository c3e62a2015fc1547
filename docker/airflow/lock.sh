#!/usr/bin/env bash
# Regenerates docker/airflow/requirements.lock (linux aarch64, Graviton) from requirements/airflow.in,
# with the same --exclude-newer cut-off as the x86_64 lock so both resolve the same versions.
set -euo pipefail
cd "$(dirname "$0")/../.."
uv_version=0.13.9
venv=.cache/uv-venv
if [ ! -x "$venv/bin/uv" ] || [ "$("$venv/bin/uv" --version | cut -d' ' -f2)" != "$uv_version" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "uv==$uv_version"
fi
cutoff=$(sed -n 's/.*--exclude-newer \([^ ]*\).*/\1/p' requirements/airflow.lock | head -1)
"$venv/bin/uv" pip compile requirements/airflow.in --python-version 3.11 \
  --python-platform aarch64-unknown-linux-gnu --generate-hashes \
  ${cutoff:+--exclude-newer "$cutoff"} --quiet -o docker/airflow/requirements.lock
echo "wrote docker/airflow/requirements.lock${cutoff:+ (packages published before $cutoff)}"
