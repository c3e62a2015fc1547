#!/usr/bin/env bash
# Builds docker/airflow/Dockerfile (the image the product ships) with podman on top of a local base
# image, passed as the BASE_IMAGE build argument; the build context holds only what the Dockerfile copies.
# Then one layer more, the only difference from what ships: the local CA joins the trust store, as the root
# of the emulated AWS endpoints (real ones carry public certificates the image already trusts).
#   usage: build-project.sh BASE_REF REF ARCHIVE LOCAL_CA_PEM   (BASE_REF must already be in podman's store)
set -euo pipefail
base_ref=$1 ref=$2 archive=$3 local_ca=$4
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

trust=$(work_dir airflow-trust)
trap 'rm -rf "$context" "$trust"' EXIT
cp "$local_ca" "$trust/airflow-eks-local-ca.crt"
# botocore and requests read certifi's bundle unless told otherwise: point them at the system store.
cat > "$trust/Containerfile" <<EOF
FROM $ref
USER 0
COPY airflow-eks-local-ca.crt /usr/local/share/ca-certificates/
RUN update-ca-certificates >/dev/null
ENV AWS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
USER 50000
EOF
nice -n 10 podman build --quiet --pull=never --network none -f "$trust/Containerfile" -t "$ref" "$trust" >/dev/null
save_archive "$ref" "$archive"
