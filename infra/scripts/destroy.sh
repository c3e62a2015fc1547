#!/usr/bin/env bash
# npm run destroy -- <env>   Lists what survives the delete (and how to remove it), asks, then deletes the stack.
set -euo pipefail
cd "$(dirname "$0")/../.."

ENV_NAME="${1:-}"
if [[ -z "$ENV_NAME" ]]; then
  echo "usage: npm run destroy -- <environment> [--config FILE]" >&2
  exit 2
fi
STACK="airflow-eks-${ENV_NAME}"
npx --no-install tsx infra/deploy/retained.ts "$@"

if [[ "${CONFIRM:-}" != "$STACK" ]]; then
  read -r -p "Type the stack name (${STACK}) to continue: " answer
  if [[ "$answer" != "$STACK" ]]; then
    echo "Not confirmed; nothing deleted." >&2
    exit 1
  fi
fi
npx --no-install cdk destroy "$STACK" --force -c airflow-eks:allowExamples=true
