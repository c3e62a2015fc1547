#!/usr/bin/env bash
# Installs the named Debian packages that are missing; a no-op when all are present. Several installers may run at
# once (parallel jest workers, two install scripts): apt waits for dpkg's lock instead of failing.
#   usage: bash scripts/apt-install.sh <caller> <package>...
set -euo pipefail
caller=$1
shift
missing=()
for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
[ "${#missing[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then echo "$caller: need root to apt-get install ${missing[*]}" >&2; exit 1; fi
echo "==> apt-get install ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
