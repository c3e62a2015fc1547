#!/usr/bin/env bash
# Builds Fluent Bit (the C program inside the aws-for-fluent-bit image dist/ pins) from its public source at
# one tag, into the cache outside the clone:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/airflow-eks/bin/fluent-bit-<version>-<options hash>/{fluent-bit,parsers*.conf}
# No package registry serves Fluent Bit: its source is the public github.com/fluent/fluent-bit at tag v<VERSION>,
# found by cluster/build/git-source.sh ($FLUENT_BIT_SOURCE, else the cache's src/fluent-bit.git, else a clone).
# Debian's libsqlite3 replaces the vendored SQLite amalgamation (some source snapshots lack sqlite3.c).
# Only the plugins a committed configuration of this project may use are built (FLB_MINIMAL + the list below):
# a configuration naming another plugin fails here, first, rather than on EKS.
#   usage: fluent-bit.sh [--check] VERSION   (e.g. 4.2.2, the tag without its v)
#   --check: exit 0 when the binary is cached or its source is at hand, else 3 saying what is missing.
set -euo pipefail
check=0
if [[ $1 == --check ]]; then check=1; shift; fi
version=$1
# What the committed configurations use (dist/'s fluent-bit.conf and fluent-bit.yaml), and what they need to run:
# the emitter (the multiline filter's) and the storage backlog (chunks kept on the node's disk across a restart).
plugins=(
  IN_TAIL IN_EMITTER IN_STORAGE_BACKLOG IN_PROMETHEUS_SCRAPE
  FILTER_KUBERNETES FILTER_MULTILINE
  OUT_CLOUDWATCH_LOGS
  PROCESSOR_LABELS PROCESSOR_METRICS_SELECTOR
)
options=(-DCMAKE_BUILD_TYPE=Release -DFLB_RELEASE=On -DFLB_DEBUG=Off -DFLB_MINIMAL=On -DFLB_CONFIG_YAML=On
  -DFLB_SHARED_LIB=Off -DFLB_EXAMPLES=Off -DFLB_LUAJIT=Off -DFLB_WASM=Off -DFLB_KAFKA=Off -DFLB_ZIG=Off
  -DFLB_PROXY_GO=Off -DFLB_CUSTOM_CALYPTIA=Off -DFLB_STREAM_PROCESSOR=Off -DFLB_BACKTRACE=Off -DFLB_PROFILES=Off
  -DFLB_USE_SIMDUTF=Off -DFLB_UNICODE_ENCODER=Off -DFLB_PREFER_SYSTEM_LIB_SQLITE=On)
for p in "${plugins[@]}"; do options+=("-DFLB_$p=On"); done
# The cache folder is keyed by the version and the build options: a new plugin is a new build.
cache="${XDG_CACHE_HOME:-$HOME/.cache}/airflow-eks"
out="$cache/bin/fluent-bit-$version-$(printf '%s\n' "${options[@]}" | sha256sum | cut -c1-8)"
# Prints the folder (last line of stdout) for the image recipe; progress goes to stderr.
done_with() { echo "$1" >&2; echo "$out"; exit 0; }
if [[ -x "$out/fluent-bit" && -z "${FORCE:-}" ]]; then done_with "cached: $out"; fi
here=$(cd "$(dirname "$0")" && pwd)
# The vendored SQLite amalgamation is left out: Debian's library is linked instead.
export EXCLUDE='lib/sqlite-amalgamation-[^/]*/sqlite3\.c'
if [[ $check == 1 ]]; then
  bash "$here/git-source.sh" --check fluent-bit https://github.com/fluent/fluent-bit "v$version" >/dev/null
  done_with "Fluent Bit $version can be built"
fi
src=$(bash "$here/git-source.sh" fluent-bit https://github.com/fluent/fluent-bit "v$version" | tail -1)
mkdir -p "$out"
exec 9>"$out.lock"
flock 9
if [[ -x "$out/fluent-bit" && -z "${FORCE:-}" ]]; then done_with "cached: $out"; fi

bash "$here/../../scripts/apt-install.sh" cluster/build/fluent-bit.sh \
  cmake make gcc g++ flex bison pkg-config libssl-dev libyaml-dev libsqlite3-dev zlib1g-dev git

work=$(mktemp -d "${XDG_CACHE_HOME:-$HOME/.cache}/airflow-eks/src/fluent-bit-$version-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -r "$src/." "$work/"
start=$(date +%s)
cmake -S "$work" -B "$work/build" "${options[@]}" >"$work/cmake.log" 2>&1 || { tail -40 "$work/cmake.log" >&2; exit 1; }
nice -n 10 make -C "$work/build" -j "$(nproc)" fluent-bit-bin >"$work/make.log" 2>&1 || { tail -60 "$work/make.log" >&2; exit 1; }
cp "$work"/conf/parsers*.conf "$out/"
install -m 0755 "$work/build/bin/fluent-bit" "$out/fluent-bit.tmp"
mv "$out/fluent-bit.tmp" "$out/fluent-bit"
done_with "built fluent-bit $version in $(( $(date +%s) - start )) s"
