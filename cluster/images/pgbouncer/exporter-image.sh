#!/usr/bin/env bash
# Builds the PgBouncer exporter image dist/ runs: github.com/jbub/pgbouncer_exporter at the version the pinned tag
# names, from its public source (the module proxy refuses its module path; its dependencies are served), a static
# binary as upstream's image has it (ENTRYPOINT the binary; dist/ passes its flags and `server`).
#   usage: exporter-image.sh REF ARCHIVE VERSION
set -euo pipefail
ref=$1 archive=$2 version=$3
here=$(cd "$(dirname "$0")" && pwd)
src=$(bash "$here/../../build/git-source.sh" pgbouncer_exporter https://github.com/jbub/pgbouncer_exporter "v$version" | tail -1)
exec bash "$here/../go-image.sh" "$ref" "$archive" pgbouncer_exporter 65534 "$src"
