#!/usr/bin/env bash
# `npm run lint:images`: hadolint on every Dockerfile and shellcheck on every shell script of the
# repository. With arguments, lints just those files (Dockerfiles by name, the rest as shell).
# Installs the pinned linters into .cache/lint-venv first (a no-op when already installed).
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.cache/lint-venv
bash scripts/python-venv.sh "$venv" docker/lint-requirements.txt pip

dockerfiles=()
scripts=()
if [ "$#" -gt 0 ]; then
  for f in "$@"; do
    case "$(basename "$f")" in
      Dockerfile | Dockerfile.* | *.Dockerfile) dockerfiles+=("$f") ;;
      *) scripts+=("$f") ;;
    esac
  done
else
  mapfile -t dockerfiles < <(find docker -type f \( -name Dockerfile -o -name 'Dockerfile.*' \) | sort)
  dirs=()
  for d in docker infra/scripts local scripts security cluster/images cluster/operators; do [ -d "$d" ] && dirs+=("$d"); done
  mapfile -t scripts < <(find "${dirs[@]}" -type f -name '*.sh' -not -path '*/node_modules/*' | sort)
fi

status=0
if [ "${#dockerfiles[@]}" -gt 0 ]; then
  echo "==> hadolint ${#dockerfiles[@]} Dockerfile(s)"
  "$venv/bin/hadolint" --no-color --config docker/.hadolint.yaml "${dockerfiles[@]}" || status=1
fi
if [ "${#scripts[@]}" -gt 0 ]; then
  echo "==> shellcheck ${#scripts[@]} script(s)"
  "$venv/bin/shellcheck" --external-sources --severity=style "${scripts[@]}" || status=1
fi
if [ "$status" -eq 0 ]; then echo "lint: ok"; else echo "lint: FAILED"; fi
exit "$status"
