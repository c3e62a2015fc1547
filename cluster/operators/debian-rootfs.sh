#!/usr/bin/env bash
# A minimal Debian root filesystem (debootstrap minbase + packages) as a tarball, for the operator images
# that need Debian programs (Argo CD: git, ssh, tini; its Redis: redis-server).
#   usage: debian-rootfs.sh OUT.tar SUITE PACKAGE...
# A no-op when OUT.tar exists; a flock keeps two callers from building it twice; written atomically.
# The Debian mirror is the machine's own apt source (override with DEBIAN_MIRROR).
set -euo pipefail
out=$1 suite=$2; shift 2
[ -s "$out" ] && exit 0
mkdir -p "$(dirname "$out")"
exec 9>"$out.lock"
flock 9
[ -s "$out" ] && exit 0

if ! command -v debootstrap >/dev/null; then
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends debootstrap >/dev/null
fi
mirror=${DEBIAN_MIRROR:-$(sed -n 's/^URIs: *\(.*\/debian\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)}
mirror=${mirror:-http://deb.debian.org/debian}

root=$(mktemp -d "${out%.tar}.root.XXXX")
trap 'rm -rf "$root"' EXIT
started=$(date +%s)
nice -n 10 debootstrap --variant=minbase --include="$(IFS=,; echo "$*")" "$suite" "$root" "$mirror" >&2
# Smaller and reproducible enough: no package lists, caches, docs or logs.
rm -rf "${root:?}"/var/lib/apt/lists/* "${root:?}"/var/cache/apt/* "${root:?}"/usr/share/doc/* "${root:?}"/usr/share/man/* \
  "${root:?}"/var/log/* "${root:?}"/tmp/* "${root:?}"/dev/*
tar -C "$root" --numeric-owner -cf "$out.tmp" .
mv "$out.tmp" "$out"
echo "debian-rootfs: $suite + $* in $(( $(date +%s) - started )) s -> $out" >&2
