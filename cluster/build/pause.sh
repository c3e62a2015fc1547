#!/usr/bin/env bash
# The sandbox ("pause") binary from the Kubernetes module's own source (build/pause/linux/pause.c), static.
set -euo pipefail
version=${KUBERNETES_VERSION:-v1.36.3}
out="${XDG_CACHE_HOME:-$HOME/.cache}/airflow-eks/bin/pause-$version"
[[ -x "$out/pause" ]] && { echo "cached: $out"; exit 0; }
mkdir -p "$out"
src=$(GOWORK=off go mod download -json "k8s.io/kubernetes@$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
gcc -Os -static -o "$out/pause.tmp" "$src/build/pause/linux/pause.c" -DVERSION="$version"
strip "$out/pause.tmp"; mv "$out/pause.tmp" "$out/pause"
echo "built $out/pause"
