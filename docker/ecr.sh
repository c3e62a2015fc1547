#!/usr/bin/env bash
# Shared by build.sh and mirror.sh: dry-run aware command runner, ECR login and repository creation.
# Sourced, not executed.

DRY_RUN=${DRY_RUN:-0}

# Prints the command; runs it unless DRY_RUN=1.
run() {
  printf '+'
  printf ' %q' "$@"
  printf '\n'
  if [ "$DRY_RUN" != 1 ]; then "$@"; fi
}

# Logs docker in to an ECR registry (<account>.dkr.ecr.<region>.amazonaws.com[.cn]).
ecr_login() {
  local registry=$1 region=$2
  echo "+ aws ecr get-login-password --region $region | docker login --username AWS --password-stdin $registry"
  if [ "$DRY_RUN" != 1 ]; then
    aws ecr get-login-password --region "$region" | docker login --username AWS --password-stdin "$registry"
  fi
}

# Creates the ECR repository if it does not exist yet (scan on push, encrypted at rest by default).
ecr_ensure_repository() {
  local repository=$1 region=$2
  if [ "$DRY_RUN" = 1 ]; then
    echo "+ aws ecr describe-repositories --repository-names $repository --region $region || aws ecr create-repository ..."
    return 0
  fi
  aws ecr describe-repositories --repository-names "$repository" --region "$region" >/dev/null 2>&1 ||
    aws ecr create-repository --repository-name "$repository" --region "$region" \
      --image-scanning-configuration scanOnPush=true >/dev/null
}

# Reads settings for an environment from the typed config (docker/image-config.ts).
image_config() {
  npx --no-install tsx docker/image-config.ts "$@"
}

# setting KEY SETTINGS: the value of KEY='value' in the output of `image_config build` (no eval).
setting() {
  sed -n "s/^$1='\(.*\)'\$/\1/p" <<<"$2"
}
