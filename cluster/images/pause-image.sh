#!/usr/bin/env bash
# The sandbox image: the Kubernetes module's own pause binary (cluster/build/pause.sh), packed by the same
# static-image builder the cluster's add-ons use, and copied to ARCHIVE.
#   pause-image.sh REF ARCHIVE
set -euo pipefail
ref=$1 archive=$2
here=$(cd "$(dirname "$0")" && pwd)
version=${KUBERNETES_VERSION:?set by cluster/images/catalog.ts}
bash "$here/../build/pause.sh" >&2
binary="${XDG_CACHE_HOME:-$HOME/.cache}/airflow-eks/bin/pause-$version/pause"
image=$(bash "$here/../node/static-image.sh" "$ref" '["/usr/local/bin/pause"]' "$binary" | tail -1)
cp "$image" "$archive.tmp" && mv "$archive.tmp" "$archive"
