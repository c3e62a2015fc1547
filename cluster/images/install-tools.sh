#!/usr/bin/env bash
# Installs the Debian tools the image builds need; a no-op when they are all present.
#   debootstrap builds the root filesystems, podman + runc run and save images (crun fails on this
#   kernel's hybrid cgroups), containerd brings ctr for the loader. Go (for the exporters) is the machine toolchain.
set -euo pipefail

bash "$(dirname "$0")/../../scripts/apt-install.sh" cluster/images/install-tools.sh debootstrap podman runc containerd
