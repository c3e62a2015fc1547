#!/usr/bin/env bash
# npm run deploy -- <env> [--dry-run] [--config FILE] [-- <cdk deploy options>]
# Refuses example values, checks the account and region with the AWS CLI, then deploys the registries stack, the
# mirror step (aws-cn) and the environment stack. Nothing is created until every check passed. See docs/runbook.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec npx --no-install tsx infra/deploy/cli.ts "$@"
