#!/usr/bin/env bash
# Builds Go commands of one module at a pinned version into the cache outside the clone:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/airflow-eks/bin/<name>-<version>/<binary>
# A no-op when every binary exists; a flock per output makes parallel callers build once.
#
# usage: build-go-module.sh --name NAME --module PATH@VERSION [--toolchain goX.Y.Z]
#          [--drop-replace MODULE]... [--placeholder DIR]... [--add DIR=FOLDER]... BINARY=PACKAGE...
#   --drop-replace  delete a `replace MODULE => ./local` line (nested modules are cut out of downloads)
#   --placeholder   create DIR/placeholder.txt in the source (e.g. an embedded UI that is not built here)
#   --add           copy FOLDER (of this repository) to DIR in the source: a command of ours built against the
#                   module's own packages and pinned dependencies
set -euo pipefail

name='' module='' toolchain='' drops=() placeholders=() adds=() targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --name) name=$2; shift 2 ;;
    --module) module=$2; shift 2 ;;
    --toolchain) toolchain=$2; shift 2 ;;
    --drop-replace) drops+=("$2"); shift 2 ;;
    --placeholder) placeholders+=("$2"); shift 2 ;;
    --add) adds+=("$2"); shift 2 ;;
    *=*) targets+=("$1"); shift ;;
    *) echo "build-go-module: unknown argument '$1' (expected --name/--module/--toolchain/--drop-replace/--placeholder/--add or BINARY=PACKAGE)" >&2; exit 2 ;;
  esac
done
[ -n "$name" ] && [ -n "$module" ] && [ ${#targets[@]} -gt 0 ] || {
  echo "build-go-module: --name, --module MODULE@VERSION and at least one BINARY=PACKAGE are required" >&2; exit 2; }
version=${module##*@}

cache=${XDG_CACHE_HOME:-$HOME/.cache}/airflow-eks
out=$cache/bin/$name-$version
mkdir -p "$cache/bin" "$cache/src"

all_built() { for t in "${targets[@]}"; do [ -x "$out/${t%%=*}" ] || return 1; done; }
all_built && exit 0

exec 9>"$out.lock"
flock 9
all_built && exit 0

export GOWORK=off GOFLAGS=-mod=mod
[ -n "$toolchain" ] && export GOTOOLCHAIN=$toolchain

started=$(date +%s)
dir=$(go mod download -json "$module" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
[ -d "$dir" ] || { echo "build-go-module: go mod download $module gave no source folder" >&2; exit 1; }

# The module cache is read-only: build from a writable copy.
src=$cache/src/$name-$version
rm -rf "$src" && cp -r "$dir" "$src" && chmod -R u+w "$src"
for m in "${drops[@]}"; do
  sed -i "\\#^[[:space:]]*\\(replace[[:space:]]\\+\\)\\?${m//./\\.}[[:space:]]*=>[[:space:]]*\\./#d" "$src/go.mod"
  if grep -q "^[[:space:]]*\\(replace[[:space:]]\\+\\)\\?${m//./\\.}[[:space:]]*=>" "$src/go.mod"; then
    echo "build-go-module: could not drop the replace of $m in go.mod" >&2; exit 1
  fi
done
for p in "${placeholders[@]}"; do mkdir -p "$src/$p" && echo placeholder >"$src/$p/placeholder.txt"; done
for a in "${adds[@]}"; do mkdir -p "$src/${a%%=*}" && cp -r "${a#*=}/." "$src/${a%%=*}/"; done

tmp=$out.tmp
rm -rf "$tmp" && mkdir -p "$tmp"
for t in "${targets[@]}"; do
  bin=${t%%=*} pkg=${t#*=}
  echo "build-go-module: $name $version: go build $pkg -> $bin" >&2
  (cd "$src" && CGO_ENABLED=0 nice -n 10 go build -trimpath -ldflags='-s -w' -o "$tmp/$bin" "$pkg")
done
rm -rf "$out" && mv "$tmp" "$out"
rm -rf "$src"
echo "build-go-module: $name $version built in $(( $(date +%s) - started )) s" >&2
