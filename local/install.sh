#!/usr/bin/env bash
# Installs what the local runner needs; each step is a no-op when already satisfied, so re-runs take about a second.
#   Debian: postgresql, pgbouncer, redis-server (servers run as our own processes, not the system services), chromium (UI test).
#   Python: a venv with Apache Airflow and its providers from requirements/airflow.lock (exact pins and hashes, uv pip sync),
#   and one with the AWS API emulator (CloudWatch Logs for remote task logs) from requirements/local-tools.lock.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/apt-install.sh local/install.sh postgresql pgbouncer redis-server chromium git

# uv resolves nothing here: it installs exactly the locked set, verifying every hash.
uv_venv=.cache/uv
uv_version=0.13.9
if [ ! -x "$uv_venv/bin/uv" ] || [ "$("$uv_venv/bin/uv" --version | cut -d' ' -f2)" != "$uv_version" ]; then
  echo "==> installing uv $uv_version"
  rm -rf "$uv_venv"
  python3 -m venv "$uv_venv"
  "$uv_venv/bin/pip" install --quiet --disable-pip-version-check "uv==$uv_version"
fi

# One venv per lock, re-created only when its lock changes.
sync_venv() {
  local venv=$1 lock=$2 want
  want=$(sha256sum "$lock" | cut -d' ' -f1)
  if [ -f "$venv/.lock-sha256" ] && [ "$(cat "$venv/.lock-sha256")" = "$want" ]; then return 0; fi
  echo "==> installing $lock into $venv"
  rm -rf "$venv"
  "$uv_venv/bin/uv" venv --quiet --python "$(command -v python3)" "$venv"
  VIRTUAL_ENV="$venv" "$uv_venv/bin/uv" pip sync --quiet --require-hashes "$lock"
  echo "$want" > "$venv/.lock-sha256"
}
sync_venv .venv/airflow requirements/airflow.lock
sync_venv .venv/local-tools requirements/local-tools.lock
