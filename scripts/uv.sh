#!/usr/bin/env bash
# Prints the path of the pinned uv (installing it into .cache/uv first when missing or another version).
# The version is the `uv_version=` line of local/install.sh, which the Airflow image build reads too.
# Parallel callers wait on a lock instead of deleting each other's install.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${uv_version:-$(sed -n 's/^uv_version=//p' local/install.sh)}
venv=.cache/uv
current() { [ -x "$venv/bin/uv" ] && [ "$("$venv/bin/uv" --version | cut -d' ' -f2)" = "$version" ]; }
if ! current; then
  mkdir -p .cache/locks
  exec 9>.cache/locks/uv.lock
  flock 9
  if ! current; then
    echo "==> installing uv $version" >&2
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "uv==$version" >&2
  fi
fi
echo "$PWD/$venv/bin/uv"
