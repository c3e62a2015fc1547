#!/usr/bin/env bash
# Builds the Airflow base image: Debian bookworm + its python3.11 + the committed lock, laid out like
# the official apache/airflow image where dist/ depends on it:
#   user airflow uid 50000 gid 0, HOME /home/airflow, AIRFLOW_HOME=/opt/airflow (workdir),
#   the Python environment a venv at /home/airflow/.local (VIRTUAL_ENV, bin first on PATH),
#   ENTRYPOINT dumb-init -> /entrypoint, DUMB_INIT_SETSID=1 by default, git installed.
#   usage: build-base.sh REF ARCHIVE
set -euo pipefail
ref=$1
archive=$2
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
# shellcheck source=cluster/images/lib.sh
. "$here/../lib.sh"

# The lock for this machine's architecture (the same choice docker/airflow/Dockerfile makes by TARGETARCH).
case "$(host_arch)" in
  amd64) lock=$repo/requirements/airflow.lock ;;
  arm64) lock=$repo/docker/airflow/requirements.lock ;;
  *) echo "build-base.sh: no Airflow lock for architecture $(host_arch)" >&2; exit 1 ;;
esac

# uv installs the lock (hash-checked, no resolution); same version as local/install.sh.
uv_version=$(sed -n 's/^uv_version=//p' "$repo/local/install.sh")
uv_venv=$images_cache/tools/uv-$uv_version
if [ ! -x "$uv_venv/bin/uv" ]; then
  rm -rf "$uv_venv"
  python3 -m venv "$uv_venv"
  "$uv_venv/bin/pip" install --quiet --disable-pip-version-check "uv==$uv_version"
fi

work=$(work_dir airflow-base)
root=$work/rootfs
cleanup() {
  for m in tmp/uv-cache tmp/uv etc/ssl/host-certs proc; do mountpoint -q "$root/$m" && umount "$root/$m"; done
  rm -rf "$work"
}
trap cleanup EXIT

bash "$here/../rootfs.sh" "$root" python3.11,python3.11-venv,dumb-init,git,curl,ca-certificates,tzdata,netbase

chroot "$root" useradd --uid 50000 --gid 0 --home-dir /home/airflow --create-home --shell /bin/bash airflow
chroot "$root" python3.11 -m venv /home/airflow/.local
ln -sf python3.11 "$root/home/airflow/.local/bin/python3"

# The install runs inside the root filesystem with uv, uv's cache and the host's CA bundle mounted
# (the host's trust store is what reaches the package index here), then the mounts go away.
mkdir -p "$root/tmp/uv-cache" "$root/tmp/uv" "$root/etc/ssl/host-certs"
uv_cache=${UV_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/uv}
mkdir -p "$uv_cache"
mount --bind "$uv_cache" "$root/tmp/uv-cache"
mount --bind "$uv_venv/bin" "$root/tmp/uv"
mount --bind -o ro /etc/ssl/certs "$root/etc/ssl/host-certs"
mount -t proc proc "$root/proc"
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp "$lock" "$root/tmp/airflow.lock"
chroot "$root" env -i PATH=/usr/bin:/bin HOME=/root VIRTUAL_ENV=/home/airflow/.local UV_CACHE_DIR=/tmp/uv-cache \
  SSL_CERT_FILE=/etc/ssl/host-certs/ca-certificates.crt UV_LINK_MODE=copy UV_NO_PROGRESS=1 \
  nice -n 10 /tmp/uv/uv pip sync --quiet --require-hashes --compile-bytecode /tmp/airflow.lock
cleanup_mounts() { for m in tmp/uv-cache tmp/uv etc/ssl/host-certs proc; do umount "$root/$m"; done; }
cleanup_mounts
rm -rf "$root/tmp/uv-cache" "$root/tmp/uv" "$root/etc/ssl/host-certs" "$root/tmp/airflow.lock"
: > "$root/etc/resolv.conf"

install -m 0755 "$here/entrypoint.sh" "$root/entrypoint"
mkdir -p "$root/opt/airflow/dags" "$root/opt/airflow/logs"
chroot "$root" chown -R 50000:0 /home/airflow /opt/airflow
chmod -R g+rwX "$root/home/airflow" "$root/opt/airflow"
# Like the official image: an arbitrary uid (root group) can add itself to /etc/passwd.
chmod g=u "$root/etc/passwd"

airflow_version=$(chroot "$root" /home/airflow/.local/bin/python -c 'import airflow; print(airflow.__version__)')
python_version=$(chroot "$root" python3.11 -c 'import platform; print(platform.python_version())')
path=/home/airflow/.local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
import_rootfs "$root" "$ref" \
  --change "ENV PATH=$path" \
  --change "ENV VIRTUAL_ENV=/home/airflow/.local" \
  --change "ENV AIRFLOW_HOME=/opt/airflow" \
  --change "ENV AIRFLOW_USER_HOME_DIR=/home/airflow" \
  --change "ENV AIRFLOW_UID=50000" \
  --change "ENV AIRFLOW_VERSION=$airflow_version" \
  --change "ENV AIRFLOW_PYTHON_VERSION=$python_version" \
  --change "ENV AIRFLOW__CORE__LOAD_EXAMPLES=false" \
  --change "ENV DUMB_INIT_SETSID=1" \
  --change "ENV LANG=C.UTF-8" \
  --change "ENV LC_ALL=C.UTF-8" \
  --change "ENV PIP_CACHE_DIR=/tmp/.cache/pip" \
  --change "WORKDIR /opt/airflow" \
  --change "USER 50000" \
  --change "EXPOSE 8080" \
  --change 'ENTRYPOINT ["/usr/bin/dumb-init", "--", "/entrypoint"]' \
  --change 'CMD []' \
  --change "LABEL org.apache.airflow.version=$airflow_version org.apache.airflow.uid=50000"
save_archive "$ref" "$archive"
