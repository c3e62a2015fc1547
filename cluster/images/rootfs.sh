#!/usr/bin/env bash
# Builds a Debian bookworm root filesystem with debootstrap into DEST, with the given extra packages.
#   usage: rootfs.sh DEST PKG[,PKG...]
# The mirror is the one this machine's apt already uses (read from its sources at run time), so
# nothing about the build host is written into the repository. Downloaded .debs are kept in the
# image cache so a second build downloads nothing.
set -euo pipefail
dest=$1
packages=$2
cache=${XDG_CACHE_HOME:-$HOME/.cache}/airflow-eks/images/debs
mkdir -p "$cache"

# The first URI that serves bookworm main, from deb822 .sources files or one-line sources.list.
apt_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'BEGIN{RS=""} /Suites:[^\n]*bookworm([ \n]|$)/ && /Components:[^\n]*main/ {
           if (match($0, /URIs:[ \t]*[^ \t\n]+/)) { s=substr($0, RSTART, RLENGTH); sub(/URIs:[ \t]*/, "", s); print s; exit } }' "$f"
  done
  { cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true; } |
    awk '$1=="deb" && $0 ~ / bookworm / && $0 ~ / main/ { for (i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }'
}
mirror=$(apt_mirror | head -1 || true)
if [ -z "$mirror" ]; then
  echo "rootfs.sh: no apt source for bookworm main in /etc/apt/sources.list*; add one (the image build uses the same mirror)" >&2
  exit 1
fi

rm -rf "$dest"
mkdir -p "$dest"
# minbase: essential packages + apt only; --include adds what the image runs.
nice -n 10 debootstrap --variant=minbase --cache-dir="$cache" --include="$packages" bookworm "$dest" "$mirror" >"$dest.log" 2>&1 || {
  tail -20 "$dest.log" >&2
  echo "rootfs.sh: debootstrap failed (full log: $dest.log)" >&2
  exit 1
}
# Images carry no package lists or caches; apt inside them is not used at run time.
rm -rf "$dest"/var/lib/apt/lists/* "$dest"/var/cache/apt/*.bin "$dest"/var/cache/apt/archives/*.deb "$dest"/var/log/*
rm -f "$dest.log"
