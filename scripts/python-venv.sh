#!/usr/bin/env bash
# The one venv installer: creates <venv> from <requirements>, a no-op while that file is unchanged (its sha256 is
# stamped in the venv). Parallel callers (jest workers, two install scripts) wait on a lock instead of deleting
# each other's venv.
#   usage: bash scripts/python-venv.sh <venv> <requirements> <uv-sync|pip|pip-no-deps>
#   uv-sync: exactly the locked set, every hash verified, nothing resolved; pip: pip install -r (with --no-deps).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$1 requirements=$2 how=$3
case $how in
  uv-sync | pip | pip-no-deps) ;;
  *) echo "python-venv.sh: unknown installer '$how' (use uv-sync, pip or pip-no-deps)" >&2; exit 2 ;;
esac
stamp=$venv/.lock-sha256
want=$(sha256sum "$requirements" | cut -d' ' -f1)
fresh() { [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; }
fresh && exit 0
mkdir -p .cache/locks
exec 9>".cache/locks/$(echo "$venv" | tr '/.' '__').lock"
flock 9
fresh && exit 0
echo "==> installing $requirements into $venv"
rm -rf "$venv"
case $how in
  uv-sync)
    uv=$(bash scripts/uv.sh)
    "$uv" venv --quiet --python "$(command -v python3)" "$venv"
    VIRTUAL_ENV="$venv" "$uv" pip sync --quiet --require-hashes "$requirements" ;;
  pip | pip-no-deps)
    python3 -m venv "$venv"
    nodeps=()
    [ "$how" = pip-no-deps ] && nodeps=(--no-deps)
    "$venv/bin/pip" install --quiet --disable-pip-version-check "${nodeps[@]}" -r "$requirements" ;;
esac
echo "$want" > "$stamp"
