#!/usr/bin/env bash
# Copies every third-party image the manifests use (the `images` section of the config, except the
# Airflow image build.sh makes) into the environment's ECR registry, all architectures at once, with
# `docker buildx imagetools create` (registry to registry: nothing is pulled into a local daemon).
# Run it from a machine that reaches both sides (for aws-cn: outside China, or through a proxy);
# afterwards images.mirrorRegistry makes dist/ pull only from ECR.
#
#   docker/mirror.sh <env> [--config FILE] [--dry-run]
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=docker/ecr.sh
. docker/ecr.sh

parse_env_args "docker/mirror.sh <env> [--config FILE] [--dry-run]" "$@"
registry=$(setting REGISTRY "$settings")
region=$(setting AWS_REGION "$settings")
pairs=$(image_config mirror "$env_name" "${config_args[@]}")

echo "==> mirroring $(echo "$pairs" | wc -l | tr -d ' ') images into $registry"
ecr_login "$registry" "$region"
while read -r source target repository; do
  ecr_ensure_repository "$repository" "$region"
  run docker buildx imagetools create --tag "$target" "$source"
done <<<"$pairs"
