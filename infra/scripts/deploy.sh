#!/usr/bin/env bash
# npm run deploy -- <env> [--dry-run] [--config FILE] [-- <cdk deploy options>]
# Refuses example values, checks the account and region with the AWS CLI, then deploys the registries stack, the
# mirror step (aws-cn) and the environment stack. Nothing is created until every check passed. cdk runs in the
# foreground on this terminal without a timeout and asks before it broadens IAM permissions; without a terminal
# (CI) pass `-- --require-approval never` after reviewing the dry run. See infra/deploy/cli.ts and docs/runbook.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec npx --no-install tsx infra/deploy/cli.ts "$@"
