#!/usr/bin/env bash
# CoreDNS (the cluster DNS add-on) from its Go module, static so it runs in a one-file image.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export CGO_ENABLED=0
exec "$here/go-module.sh" coredns github.com/coredns/coredns "${COREDNS_VERSION:-v1.15.0}" coredns=.
