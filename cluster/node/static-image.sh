#!/usr/bin/env bash
# Builds a one-layer image archive (docker-archive format, what `ctr images import` reads) around static
# binaries, cached in the cache folder by a hash of its inputs. Prints the archive path.
# Usage: static-image.sh <ref> <entrypoint-json> <file>...   (each file lands in /usr/local/bin)
set -euo pipefail
ref=$1 entrypoint=$2; shift 2
cache="${XDG_CACHE_HOME:-$HOME/.cache}/airflow-eks/images"
mkdir -p "$cache"
key=$( (echo "$ref $entrypoint"; sha256sum "$@" "$0") | sha256sum | cut -c1-16)
out="$cache/$(echo "${ref##*/}" | tr ':' '-')-$key.tar"
if [[ -f "$out" ]]; then echo "$out"; exit 0; fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p "$work/rootfs/usr/local/bin" "$work/rootfs/etc" "$work/rootfs/tmp" "$work/img"
cp "$@" "$work/rootfs/usr/local/bin/"
printf 'root:x:0:0:root:/:/sbin/nologin\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n' > "$work/rootfs/etc/passwd"
printf 'root:x:0:\nnobody:x:65534:\n' > "$work/rootfs/etc/group"
chmod 1777 "$work/rootfs/tmp"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work/rootfs" -cf "$work/layer.tar" .
layer=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
mkdir -p "$work/img/$layer"; mv "$work/layer.tar" "$work/img/$layer/layer.tar"
cat > "$work/img/config.json" <<JSON
{"architecture":"$(dpkg --print-architecture)","os":"linux","config":{"Entrypoint":$entrypoint,"Env":["PATH=/usr/local/bin"]},"rootfs":{"type":"layers","diff_ids":["sha256:$layer"]}}
JSON
cfg=$(sha256sum "$work/img/config.json" | cut -d' ' -f1)
mv "$work/img/config.json" "$work/img/$cfg.json"
echo "[{\"Config\":\"$cfg.json\",\"RepoTags\":[\"$ref\"],\"Layers\":[\"$layer/layer.tar\"]}]" > "$work/img/manifest.json"
# Entries named as docker save names them (manifest.json, not ./manifest.json): readers look them up by name.
tar -C "$work/img" -cf "$out.tmp" manifest.json "$cfg.json" "$layer" && mv "$out.tmp" "$out"
echo "$out"
