#!/usr/bin/env bash
# Installs the pinned security scanners into a project-local venv; a no-op when the lock is unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/python-venv.sh .cache/security-venv security/requirements.lock pip-no-deps
