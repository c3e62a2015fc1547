#!/usr/bin/env bash
# Installs the Debian tools the image builds need; a no-op when they are all present.
#   debootstrap builds the root filesystems, podman + runc run and save images (crun fails on this
#   kernel's hybrid cgroups), containerd brings ctr for the loader. Go (for the exporters) is the machine toolchain.
set -euo pipefail

debs=(debootstrap podman runc containerd)
missing=()
for p in "${debs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then echo "cluster/images/install-tools.sh: need root to apt-get install ${missing[*]}" >&2; exit 1; fi
  echo "==> apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
