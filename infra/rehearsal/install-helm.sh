#!/usr/bin/env bash
# Builds the Helm CLI from its Go module (helm.sh/helm/v3 at HELM_VERSION) into the cache outside the clone, once:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/airflow-eks/bin/helm-<version>/helm
# Prints the binary's path. A second run (or a concurrent one, through the lock) reuses the binary.
set -euo pipefail
HELM_VERSION="${HELM_VERSION:-v3.22.0}"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/airflow-eks/bin"
OUT="$CACHE/helm-$HELM_VERSION"
mkdir -p "$CACHE"
exec 9>"$OUT.lock"
flock 9
if [[ ! -x "$OUT/helm" ]]; then
  command -v go >/dev/null || { echo "go is not installed: install Go >= 1.24 (https://go.dev/dl/)" >&2; exit 1; }
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  # A throwaway module that requires helm at the pinned version, so `go build` resolves its exact dependency set.
  (cd "$tmp" && go mod init helm-build >/dev/null 2>&1 \
    && GOFLAGS=-mod=mod GOWORK=off go get "helm.sh/helm/v3@$HELM_VERSION" >/dev/null 2>&1 \
    && GOFLAGS=-mod=mod GOWORK=off nice -n 10 go build -trimpath -ldflags="-s -w" -o "$tmp/helm" helm.sh/helm/v3/cmd/helm) >&2
  mkdir -p "$OUT"
  mv "$tmp/helm" "$OUT/helm"
fi
echo "$OUT/helm"
