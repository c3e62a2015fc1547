#!/usr/bin/env bash
# The operator images' Debian root filesystem as a tarball (Argo CD: git, ssh, tini; its Redis: redis-server),
# built by cluster/images/rootfs.sh, the one Debian builder (also behind the Airflow and PgBouncer images).
#   usage: debian-rootfs.sh OUT.tar PACKAGE...
# A no-op when OUT.tar exists; a flock keeps two callers from building it twice; written atomically.
set -euo pipefail
out=$1; shift
[ -s "$out" ] && exit 0
mkdir -p "$(dirname "$out")"
exec 9>"$out.lock"
flock 9
[ -s "$out" ] && exit 0

work=$(mktemp -d "${out%.tar}.root.XXXX")
trap 'rm -rf "$work"' EXIT
started=$(date +%s)
bash "$(dirname "$0")/../images/rootfs.sh" "$work/root" "$(IFS=,; echo "$*")"
# No device nodes, docs or manuals in the image.
rm -rf "$work"/root/usr/share/doc/* "$work"/root/usr/share/man/* "$work"/root/dev/*
tar -C "$work/root" --numeric-owner -cf "$out.tmp" .
mv "$out.tmp" "$out"
echo "debian-rootfs: $* in $(( $(date +%s) - started )) s -> $out" >&2
