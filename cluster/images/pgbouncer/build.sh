#!/usr/bin/env bash
# Builds the PgBouncer image and the PgBouncer exporter image.
#   PgBouncer: Debian's pgbouncer at exactly the version images.pgbouncer pins, from a root of the suite it
#   names: the package docker/pgbouncer/Dockerfile installs, so the cluster runs the version dist/ ships.
#   dist/ runs `pgbouncer /etc/pgbouncer/pgbouncer.ini` as uid 65534 with the ini and the secret mounted
#   read-only, so the image only needs the binary on PATH.
#   Exporter: a stand-in (dist/ ships the Airflow project's Go exporter, whose modules the proxy refuses
#   here): prometheus-pgbouncer-exporter from PyPI by exporter.lock, in a venv on a bookworm root that sees
#   Debian's psycopg2/prometheus-client/yaml/json-logger, behind an entrypoint taking the Go exporter's flags.
#   usage: build.sh PGBOUNCER_REF PGBOUNCER_ARCHIVE EXPORTER_REF EXPORTER_ARCHIVE SUITE PACKAGE_VERSION
set -euo pipefail
pgbouncer_ref=$1 pgbouncer_archive=$2 exporter_ref=$3 exporter_archive=$4 suite=$5 version=$6
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=cluster/images/lib.sh
. "$here/../lib.sh"

work=$(work_dir pgbouncer)
trap 'rm -rf "$work"' EXIT
path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

pgb_root=$work/pgbouncer-rootfs
bash "$here/../rootfs.sh" "$pgb_root" "pgbouncer=$version" "$suite"
# shellcheck disable=SC2016 # dpkg-query's own format string, not a shell expansion
installed=$(chroot "$pgb_root" dpkg-query -W -f '${Version}' pgbouncer)
if [ "$installed" != "$version" ]; then
  echo "pgbouncer/build.sh: the root has pgbouncer $installed, images.pgbouncer pins $version" >&2
  exit 1
fi
import_rootfs "$pgb_root" "$pgbouncer_ref" --change "ENV PATH=$path" --change "USER 65534" \
  --change "EXPOSE 6432" --change 'CMD ["pgbouncer", "/etc/pgbouncer/pgbouncer.ini"]'
rm -rf "$pgb_root"

root=$work/rootfs
bash "$here/../rootfs.sh" "$root" python3-venv,python3-setuptools,python3-wheel,python3-psycopg2,python3-prometheus-client,python3-pythonjsonlogger,python3-yaml
# The exporter's source archive, fetched and hash-checked on this machine, then built inside the tree
# without network or build isolation (setuptools and wheel come from Debian).
mkdir -p "$work/dist"
pip download --quiet --no-deps --require-hashes --no-binary :all: -r "$here/exporter.lock" -d "$work/dist"
cp "$work"/dist/*.tar.gz "$root/tmp/"
chroot "$root" python3 -m venv --system-site-packages /opt/pgbouncer-exporter
chroot "$root" sh -c '/opt/pgbouncer-exporter/bin/pip install --quiet --no-deps --no-index --no-build-isolation --no-cache-dir /tmp/*.tar.gz && rm -f /tmp/*.tar.gz'
install -D -m 0644 "$here/exporter-config.yml" "$root/etc/pgbouncer-exporter/config.yml"
install -m 0755 "$here/exporter-entrypoint.sh" "$root/usr/local/bin/pgbouncer-exporter-entrypoint"

import_rootfs "$root" "$exporter_ref" --change "ENV PATH=$path" --change "USER 65534" \
  --change "EXPOSE 9127" --change 'ENTRYPOINT ["/usr/local/bin/pgbouncer-exporter-entrypoint"]' --change 'CMD []'
save_archive "$pgbouncer_ref" "$pgbouncer_archive"
save_archive "$exporter_ref" "$exporter_archive"
