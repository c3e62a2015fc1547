#!/usr/bin/env bash
# The NetworkPolicy enforcer (sigs.k8s.io/kube-network-policies: nftables + nfqueue), static for a one-file image.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export CGO_ENABLED=0
exec "$here/go-module.sh" kube-network-policies sigs.k8s.io/kube-network-policies "${KUBE_NETWORK_POLICIES_VERSION:-v0.8.0}" kube-network-policies=./cmd
