#!/usr/bin/env bash
# Builds a Debian root filesystem (bookworm unless SUITE says otherwise) with debootstrap into DEST, with
# the given extra packages (`name=version` pins one).
#   usage: rootfs.sh DEST PKG[,PKG...] [SUITE]
# The mirror is the one this machine's apt already uses for bookworm (read from its sources at run time;
# the same archive serves every suite), so nothing about the build host is written into the repository. Downloaded .debs are kept in the
# image cache so a second build downloads nothing.
# Needs root (debootstrap, chroot, mounts).
set -euo pipefail
dest=$1
packages=$2
suite=${3:-bookworm}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/airflow-eks/images/debs
mkdir -p "$cache"

# The first URI that serves SUITE main, from deb822 .sources files or one-line sources.list.
apt_uri() {
  local suite=$1 f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v suite="$suite" 'BEGIN{RS=""} {
        if (!match($0, /Suites:[^\n]*/)) next; suites = " " substr($0, RSTART + 7, RLENGTH - 7) " "
        if (index(suites, " " suite " ") == 0 || $0 !~ /Components:[^\n]*main/) next
        if (match($0, /URIs:[ \t]*[^ \t\n]+/)) { s = substr($0, RSTART, RLENGTH); sub(/URIs:[ \t]*/, "", s); print s; exit } }' "$f"
  done
  { cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true; } |
    awk -v suite="$suite" '$1=="deb" && $0 ~ (" " suite " ") && $0 ~ / main/ { for (i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }'
}
mirror=$(apt_uri bookworm | head -1 || true)
security=$(apt_uri bookworm-security | head -1 || true)
case $suite in bookworm | trixie) ;; *) echo "rootfs.sh: suite '$suite' not supported (bookworm or trixie)" >&2; exit 1 ;; esac
if [ -z "$mirror" ]; then
  echo "rootfs.sh: no apt source for bookworm main in /etc/apt/sources.list*; add one (the image build uses the same mirror)" >&2
  exit 1
fi
IFS=, read -ra package_list <<< "$packages"

rm -rf "$dest"
mkdir -p "$dest"
log=$dest.log
fail() {
  cp "$dest/debootstrap/debootstrap.log" "$log.debootstrap" 2>/dev/null || true
  tail -20 "$log" >&2
  echo "rootfs.sh: $1 failed (log: $log)" >&2
  exit 1
}
# minbase (essential packages + apt), built once and kept as a tarball (keyed by this script), then apt
# installs the image's packages in a copy: debootstrap's own --include resolves dependencies only partly.
minbase=$cache/../$suite-minbase-$(sha256sum "$0" | cut -c1-16).tar
if [ ! -f "$minbase" ]; then
  (
    flock 9
    if [ ! -f "$minbase" ]; then
      nice -n 10 debootstrap --variant=minbase --cache-dir="$cache" "$suite" "$dest" "$mirror" >"$log" 2>&1 || fail debootstrap
      rm -rf "$dest/debootstrap"
      tar -C "$dest" --numeric-owner -cf "$minbase.tmp" . && mv "$minbase.tmp" "$minbase"
      rm -rf "$dest" && mkdir -p "$dest"
    fi
  ) 9>"$minbase.lock"
fi
tar -C "$dest" --numeric-owner -xpf "$minbase"

umount_all() { for m in proc var/cache/apt/archives; do mountpoint -q "$dest/$m" && umount "$dest/$m"; done; return 0; }
trap umount_all EXIT
mkdir -p "$cache/partial"
mount --bind "$cache" "$dest/var/cache/apt/archives"
mount -t proc proc "$dest/proc"
cp /etc/resolv.conf "$dest/etc/resolv.conf"
# Point releases and security updates too, from the same sources as this machine.
{
  echo "deb $mirror $suite main"
  echo "deb $mirror $suite-updates main"
  if [ -n "$security" ]; then echo "deb $security $suite-security main"; fi
} > "$dest/etc/apt/sources.list"
apt_in() { chroot "$dest" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3 -qq "$@"; }
{ apt_in update && apt_in upgrade -y && apt_in install -y --no-install-recommends "${package_list[@]}"; } >>"$log" 2>&1 \
  || fail "apt-get install $packages"
umount_all
trap - EXIT

# Images carry no package lists, caches or the build host's resolver.
rm -rf "$dest"/var/lib/apt/lists/* "$dest"/var/cache/apt/*.bin "$dest"/var/log/* "$dest/debootstrap"
: > "$dest/etc/resolv.conf"
rm -f "$log"
