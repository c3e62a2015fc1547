#!/usr/bin/env bash
# Builds the Fluent Bit image dist/'s logging DaemonSet runs, laid out like aws-for-fluent-bit (the image the
# config pins): /fluent-bit/bin/fluent-bit, the upstream parsers in /fluent-bit/etc/, and an entrypoint that runs
# /fluent-bit/etc/fluent-bit.conf (the file dist/ mounts). The Fluent Bit inside is the version the pinned
# aws-for-fluent-bit release bundles, built from source (cluster/build/fluent-bit.sh); the AWS image's Go output
# plugins (cloudwatch, firehose, kinesis) are not: the committed configuration uses the core cloudwatch_logs.
# The local CA joins the trust store, as the root of the emulated AWS endpoints.
#   usage: build.sh REF ARCHIVE FLUENT_BIT_VERSION LOCAL_CA_PEM
set -euo pipefail
ref=$1 archive=$2 version=$3 local_ca=$4
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=cluster/images/lib.sh
. "$here/../lib.sh"

bin=$(bash "$here/../../build/fluent-bit.sh" "$version" | tail -1)

work=$(work_dir fluent-bit)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
# The shared libraries the build links (Debian's, as on the build machine) and the CA store.
bash "$here/../rootfs.sh" "$root" libssl3,libyaml-0-2,libsqlite3-0,zlib1g,ca-certificates,tzdata
install -D -m 0755 "$bin/fluent-bit" "$root/fluent-bit/bin/fluent-bit"
install -d "$root/fluent-bit/etc" "$root/fluent-bit/parsers"
for f in "$bin"/parsers*.conf; do
  install -m 0644 "$f" "$root/fluent-bit/etc/"
  install -m 0644 "$f" "$root/fluent-bit/parsers/"
done
missing=$(chroot "$root" ldd /fluent-bit/bin/fluent-bit | grep 'not found' || true)
if [ -n "$missing" ]; then echo "fluent-bit/build.sh: libraries missing in the image: $missing" >&2; exit 1; fi
printf '%s\n' "$version" > "$root/FLUENT_BIT_VERSION"
printf '%s\n' '#!/bin/sh' 'exec /fluent-bit/bin/fluent-bit -c /fluent-bit/etc/fluent-bit.conf "$@"' > "$root/entrypoint.sh"
chmod 0755 "$root/entrypoint.sh"
install -m 0644 "$local_ca" "$root/usr/local/share/ca-certificates/airflow-eks-local-ca.crt"
chroot "$root" update-ca-certificates >/dev/null
import_rootfs "$root" "$ref" --change "ENV PATH=/fluent-bit/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --change "EXPOSE 2020" --change 'ENTRYPOINT ["/entrypoint.sh"]' --change 'CMD []'
save_archive "$ref" "$archive"
