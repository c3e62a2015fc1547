#!/usr/bin/env bash
# Installs the OCI registry the Helm rehearsal runs on loopback in place of ECR (Debian's docker-registry,
# the CNCF distribution server), and openssl for its self-signed certificate. Idempotent.
set -euo pipefail
if command -v docker-registry >/dev/null && command -v openssl >/dev/null; then exit 0; fi
SUDO=""
[[ "$(id -u)" == 0 ]] || SUDO="sudo"
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends docker-registry openssl >/dev/null
# The package starts a system service on :5000; the rehearsal runs its own instance on another port.
$SUDO systemctl disable --now docker-registry >/dev/null 2>&1 || true
