#!/usr/bin/env bash
# Installs the pinned security scanners into a project-local venv; a no-op when the lock is unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.cache/security-venv
stamp="$venv/.lock-sha256"
want=$(sha256sum security/requirements.lock | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then exit 0; fi
# Parallel callers (jest workers) wait for one install instead of deleting each other's venv.
mkdir -p .cache
exec 9>.cache/security-venv.lock
flock 9
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then exit 0; fi
echo "==> installing security scanners (checkov, cfn-lint) from security/requirements.lock"
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r security/requirements.lock
echo "$want" > "$stamp"
