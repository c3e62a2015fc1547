#!/usr/bin/env bash
# Builds an image holding one static Go binary (plus passwd/group entries for its user):
#   go-image.sh REF ARCHIVE BINARY USER SOURCE [ARG...]
#   SOURCE is MODULE/PKG@VERSION (built with `go install` from the module proxy, pinned) or a folder
#   of this repository with a main package. ARGs become the image's CMD after the binary (ENTRYPOINT).
set -euo pipefail
ref=$1 archive=$2 binary=$3 user=$4 source=$5
shift 5
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=cluster/images/lib.sh
. "$here/lib.sh"

work=$(work_dir go-image)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/rootfs/bin" "$work/rootfs/etc" "$work/rootfs/tmp" "$work/gobin"
export GOFLAGS=-mod=mod GOWORK=off CGO_ENABLED=0
if [[ $source == *@* ]]; then
  GOBIN=$work/gobin nice -n 10 go install -trimpath -ldflags='-s -w' "$source"
  mv "$work/gobin/$(basename "${source%@*}")" "$work/rootfs/bin/$binary"
else
  (cd "$source" && nice -n 10 go build -trimpath -ldflags='-s -w' -o "$work/rootfs/bin/$binary" .)
fi
chmod 1777 "$work/rootfs/tmp"
printf 'root:x:0:0:root:/:/bin/false\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$work/rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$work/rootfs/etc/group"

cmd=$(printf '%s\n' "$@" | python3 -c 'import json,sys; print(json.dumps([l for l in sys.stdin.read().splitlines() if l]))')
import_rootfs "$work/rootfs" "$ref" \
  --change "USER $user" \
  --change "ENTRYPOINT [\"/bin/$binary\"]" \
  --change "CMD $cmd"
save_archive "$ref" "$archive"
