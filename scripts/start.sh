#!/usr/bin/env bash
# `npm start`: installs what it needs, then synthesizes, validates and previews the default config.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-node-deps.sh
exec npx tsx scripts/start.ts "$@"
