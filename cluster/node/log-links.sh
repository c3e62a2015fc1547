#!/usr/bin/env bash
# Relays the container log symlinks the kubelets keep in LINKS (/var/log/containers, the same fixed folder for
# every kubelet of the machine) into the node folder each one's target lies in (NODES/<node>/var/log/pods/...),
# as NODES/<node>/var/log/containers/<name> -> /var/log/pods/...: the path it has on that node's own disk.
# A relayed link whose kubelet link is gone is removed. Polls every second (Fluent Bit rescans every 10 s).
#   usage: log-links.sh LINKS NODES
set -uo pipefail
links=$1 nodes=$2
while :; do
  for l in "$links"/*.log; do
    [ -L "$l" ] || continue
    t=$(readlink "$l") || continue
    case $t in "$nodes"/*/var/log/pods/*) ;; *) continue ;; esac
    rest=${t#"$nodes"/}
    node=${rest%%/*}
    relayed=$nodes/$node/var/log/containers/${l##*/}
    [ -L "$relayed" ] || ln -s "/var/log/${rest#"$node"/var/log/}" "$relayed" 2>/dev/null
  done
  for r in "$nodes"/*/var/log/containers/*.log; do
    [ -L "$r" ] || continue
    [ -L "$links/${r##*/}" ] || rm -f "$r"
  done
  sleep 1
done
