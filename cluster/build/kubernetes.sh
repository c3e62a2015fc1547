#!/usr/bin/env bash
# Kubernetes binaries from the Go module k8s.io/kubernetes. Its go.mod replaces each k8s.io/<x> with
# ./staging/src/k8s.io/<x>, which the module download does not contain: point them at the published
# k8s.io/<x> v0.<minor>.<patch> instead.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
version=${KUBERNETES_VERSION:-v1.36.3}
export REPLACE_SED="s#(k8s.io/[a-z0-9-]+) => ./staging/src/k8s.io/[a-z0-9-]+#\\1 => \\1 v0.${version#v1.}#"
# The version the binaries report (what `make` stamps; without it they say v0.0.0-master).
minor=${version#v1.}; minor=${minor%%.*}
stamp=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  stamp+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
export LDFLAGS_EXTRA="$stamp"
exec "$here/go-module.sh" kubernetes k8s.io/kubernetes "$version" \
  ./cmd/kube-apiserver ./cmd/kubelet ./cmd/kube-controller-manager ./cmd/kube-scheduler ./cmd/kube-proxy ./cmd/kubectl
