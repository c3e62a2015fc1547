#!/usr/bin/env bash
# What a fresh machine spends: a clean clone of the committed HEAD, with every cache this project fills pointed
# at one empty folder (the build cache of binaries and images, Go's module and build caches and downloaded
# toolchains, uv's and npm's caches, podman's image store), then
#   default: the install phase of `npm test` and the cluster suite, builds included;
#   --all:   the whole `npm test`, as CI runs it.
# Debian packages already installed stay installed, so their download and unpack are not in the figure.
# Needs about 45 GB free: the folder peaked at 37 GB here, after Go's caches (21 GB) were removed once the
# builds were done (in both modes). The folder is removed afterwards unless --keep.
set -euo pipefail
all=0
keep=0
for a in "$@"; do
  case "$a" in
    --all) all=1 ;;
    --keep) keep=1 ;;
    *) echo "usage: scripts/cold-start.sh [--all] [--keep]" >&2; exit 2 ;;
  esac
done
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/cold-start.XXXXXX")
# The run's test artifacts (suite, phase and fault figures) outlive the folder, beside this clone's own.
# shellcheck disable=SC2329 # called from the EXIT trap
keep_artifacts() {
  local dest
  dest="$root/test-artifacts/cold-start-$(date -u +%Y%m%dT%H%M)"
  if [ -d "$work/clone/test-artifacts" ]; then mkdir -p "$dest" && cp -r "$work/clone/test-artifacts/." "$dest/" && echo "artifacts: $dest"; fi
}
if [ "$keep" = 1 ]; then trap 'keep_artifacts; echo "kept: $work"' EXIT; else trap 'keep_artifacts; rm -rf "$work"' EXIT; fi

chmod 755 "$work" # a clone's folder, as anywhere the servers' user may enter (mktemp makes it 0700)
git clone --quiet "$root" "$work/clone"
mkdir -p "$work/podman"
printf '[storage]\ndriver = "overlay"\ngraphroot = "%s/podman/root"\nrunroot = "%s/podman/run"\n' "$work" "$work" >"$work/podman/storage.conf"
export CONTAINERS_STORAGE_CONF=$work/podman/storage.conf
export XDG_CACHE_HOME=$work/cache GOPATH=$work/go GOMODCACHE=$work/go/pkg/mod GOCACHE=$work/cache/go-build
export npm_config_cache=$work/npm UV_CACHE_DIR=$work/cache/uv

cd "$work/clone"
echo "==> cold start of $(git rev-parse --short HEAD) on $(nproc) vCPU, $(free -g | awk '/^Mem:/ {print $2}') GiB, load $(cut -d' ' -f1 /proc/loadavg)"
start=$SECONDS
status=0
drop_go_caches() {
  echo "==> removing Go's caches after the builds: $(du -sh "$GOPATH" "$GOCACHE" 2>/dev/null | cut -f1 | paste -sd' ')"
  chmod -R u+w "$GOPATH" 2>/dev/null || true # the module cache is read-only
  rm -rf "$GOPATH" "$GOCACHE"
}
if [ "$all" = 1 ]; then
  # The suite runs the built binaries only: once npm test's background builds are done, Go's caches go, so the
  # cluster suite's images fit beside them on a machine with 45 GB free.
  (until grep -qs '^==> Go builds done' .state/go-builds.log; do sleep 10; done; drop_go_caches) &
  dropper=$!
  bash scripts/test.sh || status=$?
  kill "$dropper" 2>/dev/null || true
  echo "==> cold start total (npm test): $((SECONDS - start)) s, exit $status"
else
  bash scripts/test.sh --install-only || status=$?
  installed=$((SECONDS - start))
  # The suite runs the built binaries only: Go's module and build caches go, so the images fit beside them.
  drop_go_caches
  if [ "$status" = 0 ]; then npx jest --ci --selectProjects live --runInBand test/cluster/cluster.test.ts || status=$?; fi
  echo "==> cold start total (install + cluster suite): $((SECONDS - start)) s (install $installed s, cluster suite $((SECONDS - start - installed)) s), exit $status"
fi
exit "$status"
