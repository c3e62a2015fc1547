#!/usr/bin/env bash
# Builds the PgBouncer image and the PgBouncer exporter image from one Debian bookworm root filesystem
# (pgbouncer + prometheus-pgbouncer-exporter packages); the two images share their only layer.
#   PgBouncer: dist/ runs `pgbouncer /etc/pgbouncer/pgbouncer.ini` as uid 65534 with the ini and the
#   secret mounted read-only, so the image only needs the binary on PATH.
#   usage: build.sh PGBOUNCER_REF PGBOUNCER_ARCHIVE EXPORTER_REF EXPORTER_ARCHIVE
set -euo pipefail
pgbouncer_ref=$1 pgbouncer_archive=$2 exporter_ref=$3 exporter_archive=$4
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=cluster/images/lib.sh
. "$here/../lib.sh"

work=$(mktemp -d "$images_cache/pgbouncer.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
bash "$here/../rootfs.sh" "$root" pgbouncer,prometheus-pgbouncer-exporter
install -m 0755 "$here/exporter-entrypoint.sh" "$root/usr/local/bin/pgbouncer-exporter-entrypoint"

path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
import_rootfs "$root" "$pgbouncer_ref" --change "ENV PATH=$path" --change "USER 65534" \
  --change "EXPOSE 6432" --change 'CMD ["pgbouncer", "/etc/pgbouncer/pgbouncer.ini"]'
import_rootfs "$root" "$exporter_ref" --change "ENV PATH=$path" --change "USER 65534" \
  --change "EXPOSE 9127" --change 'ENTRYPOINT ["/usr/local/bin/pgbouncer-exporter-entrypoint"]' --change 'CMD []'
save_archive "$pgbouncer_ref" "$pgbouncer_archive"
save_archive "$exporter_ref" "$exporter_archive"
