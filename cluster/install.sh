#!/usr/bin/env bash
# Everything the local cluster needs, each step a no-op when already there:
#   Debian: etcd-server, containerd, runc, CNI plugins, podman (image import), iptables, conntrack;
#   Go builds (cached outside the clone): Kubernetes, CoreDNS, kube-router (NetworkPolicy enforcer), pause.
set -euo pipefail
cd "$(dirname "$0")/.."
debs=(etcd-server containerd runc containernetworking-plugins podman iptables ipset nftables conntrack openssl git gcc libc6-dev)
missing=()
for p in "${debs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "==> apt-get install ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then echo "cluster/install.sh: need root to apt-get install ${missing[*]}" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The cluster runs its own etcd and containerd: the Debian services must not hold their ports or sockets.
  for s in etcd containerd; do systemctl disable --now "$s" >/dev/null 2>&1 || true; done
fi
bash cluster/build/kubernetes.sh
bash cluster/build/coredns.sh
bash cluster/build/kube-router.sh
bash cluster/build/pause.sh
