#!/usr/bin/env bash
# npm run destroy -- <env> [--config FILE] [-- <cdk destroy options>]
# Lists what survives the delete (and how to remove it), asks for the stack name (or CONFIRM=<stack name>), then
# runs cdk destroy on the environment stack with the same config. See infra/deploy/destroy.ts and docs/runbook.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec npx --no-install tsx infra/deploy/destroy.ts "$@"
