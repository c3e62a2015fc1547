#!/usr/bin/env bash
# Builds docker/airflow for linux/arm64 (Graviton) and linux/amd64 with buildx and pushes it to the
# environment's ECR registry (images.mirrorRegistry, else <account>.dkr.ecr.<region>.amazonaws.com[.cn]).
# Tags: <images.airflow.tag> (what dist/ references) and <images.airflow.tag>-g<git sha>.
#
#   docker/build.sh <env> [--config FILE] [--dry-run]
#
# DAGs are never baked in: pods clone them from the DAG repository (GitDagBundle).
# --dry-run prints the commands without running them.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=docker/ecr.sh
. docker/ecr.sh

parse_env_args "docker/build.sh <env> [--config FILE] [--dry-run]" "$@"
registry=$(setting REGISTRY "$settings")
repository=$(setting REPOSITORY "$settings")
tag=$(setting IMAGE_TAG "$settings")
airflow_version=$(setting AIRFLOW_VERSION "$settings")
python_version=$(setting PYTHON_VERSION "$settings")
region=$(setting AWS_REGION "$settings")
partition=$(setting AWS_PARTITION "$settings")

sha=$(git rev-parse --short=12 HEAD)
image="$registry/$repository"
build_args=(
  --platform "linux/arm64,linux/amd64"
  --file docker/airflow/Dockerfile
  --build-arg "AIRFLOW_VERSION=$airflow_version"
  --build-arg "PYTHON_VERSION=$python_version"
  --label "org.opencontainers.image.revision=$sha"
  --tag "$image:$tag"
  --tag "$image:$tag-g$sha"
  --provenance=true
  --sbom=true
  --push
)

echo "==> $env_name ($partition): Airflow $airflow_version -> $image:{$tag,$tag-g$sha}"
ecr_ensure_repository "$repository" "$region"
ecr_login "$registry" "$region"
run docker buildx build "${build_args[@]}" .
