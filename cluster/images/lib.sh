#!/usr/bin/env bash
# Shared steps of the image recipes (sourced). Podman runs with runc and cgroupfs (crun fails on
# this kernel's hybrid cgroups) and no default ulimits (raising rlimits is refused without
# CAP_SYS_RESOURCE), from a containers.conf of our own so the machine's config is left alone.
images_cache=${XDG_CACHE_HOME:-$HOME/.cache}/airflow-eks/images
export CONTAINERS_CONF=$images_cache/containers.conf
mkdir -p "$images_cache"
if [ ! -f "$CONTAINERS_CONF" ]; then
  printf '%s\n' '[containers]' 'default_ulimits = []' '[engine]' 'runtime = "runc"' \
    'cgroup_manager = "cgroupfs"' 'events_logger = "file"' > "$CONTAINERS_CONF.tmp"
  mv "$CONTAINERS_CONF.tmp" "$CONTAINERS_CONF"
fi

# import_rootfs DIR REF [--change INSTRUCTION]...: the folder becomes a one-layer image named REF.
import_rootfs() {
  local dir=$1 ref=$2
  shift 2
  tar -C "$dir" --numeric-owner -c . | podman import --quiet "$@" - "$ref" >/dev/null
}

# save_archive REF ARCHIVE: a docker-archive (what `ctr images import` reads), written atomically.
save_archive() {
  local ref=$1 archive=$2
  rm -f "$archive.tmp"
  podman save --quiet --format docker-archive -o "$archive.tmp" "$ref" >/dev/null
  mv "$archive.tmp" "$archive"
}

# Host architecture in Go/OCI terms (amd64, arm64): images are built for the machine they run on.
host_arch() { dpkg --print-architecture; }

# work_dir NAME: a fresh scratch folder, in memory when /dev/shm has room (a root filesystem is tens of
# thousands of small files: extracting and deleting them on disk took minutes here).
work_dir() {
  local parent=$images_cache
  if [ -w /dev/shm ] && [ "$(df -Pk /dev/shm | awk 'NR==2 {print $4}')" -gt 4194304 ]; then parent=/dev/shm; fi
  mktemp -d "$parent/airflow-eks-$1.XXXXXX"
}
