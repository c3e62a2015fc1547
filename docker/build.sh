#!/usr/bin/env bash
# Builds our images for linux/arm64 (Graviton) and linux/amd64 with buildx and pushes them to the
# environment's ECR registry (images.mirrorRegistry, else <account>.dkr.ecr.<region>.amazonaws.com[.cn]):
#   docker/airflow    tags <images.airflow.tag> (what dist/ references) and <images.airflow.tag>-g<git sha>;
#   docker/pgbouncer  tag <images.pgbouncer.packageVersion, `+:~` as `_`>: Debian's pgbouncer at that version.
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

pgbouncer_repository=$(setting PGBOUNCER_REPOSITORY "$settings")
pgbouncer_tag=$(setting PGBOUNCER_TAG "$settings")
pgbouncer_version=$(setting PGBOUNCER_VERSION "$settings")
pgbouncer_image="$registry/$pgbouncer_repository:$pgbouncer_tag"
pgbouncer_args=(
  --platform "linux/arm64,linux/amd64"
  --file docker/pgbouncer/Dockerfile
  --build-arg "DEBIAN_SUITE=$(setting PGBOUNCER_DEBIAN_SUITE "$settings")"
  --build-arg "PGBOUNCER_VERSION=$pgbouncer_version"
  --label "org.opencontainers.image.revision=$sha"
  --tag "$pgbouncer_image"
  --provenance=true
  --sbom=true
  --push
)

ecr_login "$registry" "$region"
echo "==> $env_name ($partition): Airflow $airflow_version -> $image:{$tag,$tag-g$sha}"
ecr_ensure_repository "$repository" "$region"
run docker buildx build "${build_args[@]}" .
# Tags are immutable in ECR: a pushed PgBouncer version is never rebuilt (a new pin is a new tag).
echo "==> $env_name ($partition): PgBouncer $pgbouncer_version -> $pgbouncer_image"
ecr_ensure_repository "$pgbouncer_repository" "$region"
if [ "$DRY_RUN" != 1 ] && aws ecr describe-images --repository-name "$pgbouncer_repository" --image-ids "imageTag=$pgbouncer_tag" --region "$region" >/dev/null 2>&1; then
  echo "    already in ECR"
else
  run docker buildx build "${pgbouncer_args[@]}" .
fi
