#!/usr/bin/env bash
# Shared by build.sh and mirror.sh: command line, dry-run aware command runner, ECR login and repository creation.
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

# parse_env_args USAGE ARGS...: sets env_name, config_args (--config FILE) and DRY_RUN (--dry-run) for the
# scripts' common command line `<env> [--config FILE] [--dry-run]`, then reads the build settings into `settings`.
parse_env_args() {
  local usage=$1
  shift
  env_name=${1:?usage: $usage}
  shift
  config_args=()
  while [ "$#" -gt 0 ]; do
    case "$1" in
      --config) config_args=(--config "${2:?--config needs a file}"); shift 2 ;;
      --dry-run) DRY_RUN=1; shift ;;
      *) echo "unknown option: $1" >&2; exit 2 ;;
    esac
  done
  # shellcheck disable=SC2034 # read by the sourcing script
  settings=$(image_config build "$env_name" "${config_args[@]}")
}

# Reads settings for an environment from the typed config (docker/image-config.ts).
image_config() {
  npx --no-install tsx docker/image-config.ts "$@"
}

# setting KEY SETTINGS: the value of KEY='value' in the output of `image_config build` (no eval).
setting() {
  sed -n "s/^$1='\(.*\)'\$/\1/p" <<<"$2"
}
