#!/usr/bin/env bash
# podman with this project's settings (runc, cgroupfs, no default ulimits; see lib.sh): podman.sh ARGS...
set -euo pipefail
# shellcheck source=cluster/images/lib.sh
. "$(dirname "$0")/lib.sh"
exec podman "$@"
