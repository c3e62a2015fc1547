#!/usr/bin/env bash
# Everything the local cluster needs, each step a no-op when already there:
#   Debian: etcd-server, containerd, runc, CNI plugins, podman (image import), iptables, conntrack, and Lua 5.1
#   (the interpreter of Argo CD's health checks: a unit test runs ours);
#   Go builds (cached outside the clone): Kubernetes, CoreDNS, kube-router (NetworkPolicy enforcer), pause;
#   Fluent Bit (C, from its public source) at the version the pinned aws-for-fluent-bit bundles.
#   cluster/install.sh [--packages-only]
set -euo pipefail
cd "$(dirname "$0")/.."
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
fresh=0
installed etcd-server && installed containerd || fresh=1
bash scripts/apt-install.sh cluster/install.sh etcd-server containerd runc containernetworking-plugins podman iptables ipset nftables conntrack openssl git gcc libc6-dev lua5.1
# The cluster runs its own etcd and containerd: the Debian services, just installed, must not hold their ports or sockets.
if [ "$fresh" = 1 ]; then for s in etcd containerd; do systemctl disable --now "$s" >/dev/null 2>&1 || true; done; fi
# --packages-only: the Debian part alone (npm test runs the Go builds beside the suites that need no cluster).
if [ "${1:-}" = --packages-only ]; then exit 0; fi
bash cluster/build/kubernetes.sh
bash cluster/build/coredns.sh
bash cluster/build/kube-router.sh
bash cluster/build/pause.sh
# A Fluent Bit source that is not at hand (exit 3, saying how to get it) leaves the log shipper's image unbuilt:
# the cluster suite names it and its log tests fail; nothing else needs it.
for v in $(npx --no-install tsx cluster/images/fluent-bit/version.ts); do
  bash cluster/build/fluent-bit.sh "$v" || { rc=$?; [ "$rc" = 3 ] || exit "$rc"; }
done
