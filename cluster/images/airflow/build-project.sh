#!/usr/bin/env bash
# Builds docker/airflow/Dockerfile (the image the product ships) with podman on top of a local base
# image, passed as the BASE_IMAGE build argument; the build context holds only what the Dockerfile copies.
#   usage: build-project.sh BASE_REF REF ARCHIVE   (BASE_REF must already be in podman's store)
set -euo pipefail
base_ref=$1 ref=$2 archive=$3
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
# shellcheck source=cluster/images/lib.sh
. "$here/../lib.sh"

context=$(work_dir airflow-context)
trap 'rm -rf "$context"' EXIT
mkdir -p "$context/docker/airflow" "$context/requirements"
cp "$repo/docker/airflow/Dockerfile" "$repo/docker/airflow/requirements.lock" "$context/docker/airflow/"
cp "$repo/requirements/airflow.lock" "$context/requirements/"
# TARGETARCH is set by podman to the host architecture, selecting the matching lock.
nice -n 10 podman build --quiet --pull=never --network host --build-arg "BASE_IMAGE=$base_ref" \
  -f "$context/docker/airflow/Dockerfile" -t "$ref" "$context" >/dev/null
save_archive "$ref" "$archive"
