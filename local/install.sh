#!/usr/bin/env bash
# Installs what the local runner needs; each step is a no-op when already satisfied, so re-runs take about a second.
#   Debian: postgresql, redis-server (servers run as our own processes, not the system services), chromium (UI test).
#   PgBouncer: Debian's package at the version images.pgbouncer pins, in a root of its suite (local/pgbouncer-root.ts).
#   Python: a venv with Apache Airflow and its providers from requirements/airflow.lock (exact pins and hashes, uv pip sync),
#   and one with the AWS API emulator (CloudWatch Logs for remote task logs) from requirements/local-tools.lock.
set -euo pipefail
cd "$(dirname "$0")/.."

# The uv every uv user of the repository runs (scripts/uv.sh and the Airflow image build read this line).
uv_version=0.13.9
export uv_version

bash scripts/apt-install.sh local/install.sh postgresql redis-server chromium git debootstrap
npx --no-install tsx local/pgbouncer-root.ts
bash scripts/python-venv.sh .venv/airflow requirements/airflow.lock uv-sync
bash scripts/python-venv.sh .venv/local-tools requirements/local-tools.lock uv-sync
