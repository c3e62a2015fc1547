#!/usr/bin/env bash
# The NetworkPolicy enforcer: kube-router's firewall (iptables + ipset), from its Go module. Used instead of
# sigs.k8s.io/kube-network-policies, which needs the nftables `queue` expression this kernel lacks.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export CGO_ENABLED=0
exec "$here/go-module.sh" kube-router github.com/cloudnativelabs/kube-router/v2 "${KUBE_ROUTER_VERSION:-v2.1.0}" kube-router=./cmd/kube-router
