#!/usr/bin/env bash
# Builds commands of one pinned Go module into the cache outside the clone:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/airflow-eks/bin/<name>-<version>/
# Usage: go-module.sh <name> <module> <version> [<binary>=]<pkg>... (pkg relative to the module root, e.g.
# ./cmd/kubelet; the binary is named after the package folder unless given)
# A no-op when every binary exists; a flock per output keeps two processes from building it twice.
# Nested modules replaced by local folders (not part of a module download) are rewritten to the
# published module at the matching version (REPLACE_SED), or dropped (DROP_REPLACE). LDFLAGS_EXTRA adds
# linker flags (e.g. the version a binary reports).
set -euo pipefail
name=$1 module=$2 version=$3; shift 3
cache="${XDG_CACHE_HOME:-$HOME/.cache}/airflow-eks"
out="$cache/bin/$name-$version"
mkdir -p "$out" "$cache/src"
exec 9>"$out.lock"
flock 9
bin_of() { if [[ $1 == *=* ]]; then echo "${1%%=*}"; else basename "$1"; fi; }
pkg_of() { echo "${1#*=}"; }
missing=()
# FORCE=1 rebuilds (replacing each binary atomically, so running users are not disturbed).
for spec in "$@"; do [[ -x "$out/$(bin_of "$spec")" && -z "${FORCE:-}" ]] || missing+=("$spec"); done
if [[ ${#missing[@]} -eq 0 ]]; then echo "cached: $out"; exit 0; fi

export GOWORK=off GOFLAGS=-mod=mod
dir=$(go mod download -json "$module@$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
[[ -n "$dir" ]] || { echo "go mod download $module@$version gave no source folder" >&2; exit 1; }
src="$cache/src/$name-$version"
if [[ ! -f "$src/.copied" ]]; then
  rm -rf "$src"; cp -r "$dir" "$src"; chmod -R u+w "$src"
  rm -f "$src/go.work" "$src/go.work.sum"
  [[ -z "${REPLACE_SED:-}" ]] || sed -E -i "$REPLACE_SED" "$src/go.mod"
  [[ -z "${DROP_REPLACE:-}" ]] || sed -E -i "\\#${DROP_REPLACE}#d" "$src/go.mod"
  touch "$src/.copied"
fi
cd "$src"
for spec in "${missing[@]}"; do
  start=$(date +%s) bin=$(bin_of "$spec")
  nice -n 10 go build -trimpath -ldflags="-s -w ${LDFLAGS_EXTRA:-}" -o "$out/$bin.tmp" "$(pkg_of "$spec")"
  mv "$out/$bin.tmp" "$out/$bin"
  echo "built $name $bin in $(( $(date +%s) - start )) s"
done
