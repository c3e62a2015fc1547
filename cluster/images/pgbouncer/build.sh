#!/usr/bin/env bash
# Builds the PgBouncer image: Debian's pgbouncer at exactly the version images.pgbouncer pins, from a root of the
# suite it names: the package docker/pgbouncer/Dockerfile installs, so the cluster runs the version dist/ ships.
# dist/ runs `pgbouncer /etc/pgbouncer/pgbouncer.ini` as uid 65534 with the ini and the secret mounted read-only,
# so the image only needs the binary on PATH. (The exporter beside it: exporter-image.sh.)
#   usage: build.sh PGBOUNCER_REF PGBOUNCER_ARCHIVE SUITE PACKAGE_VERSION
set -euo pipefail
pgbouncer_ref=$1 pgbouncer_archive=$2 suite=$3 version=$4
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
save_archive "$pgbouncer_ref" "$pgbouncer_archive"
