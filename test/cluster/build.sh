#!/usr/bin/env bash
# Builds (or reuses) the Kubernetes server binaries and etcd pinned in
# test/cluster/k8s/go.mod, from the Go module proxy, into a cache outside the
# repository:
#
#   ${TODO_CACHE:-$HOME/.cache/todo-cdk8s}/cluster/
#     go/mod, go/build          Go module and build caches (shared by all keys)
#     k8s-<version>-<hash>/bin/ binaries; <hash> covers go.mod, go.sum and the Go version
#
# Usage: test/cluster/build.sh [component...]   (default: etcd kube-apiserver)
#   components: etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy
#               pause hello mkimage (helpers for node.sh), coredns (test/cluster/coredns),
#               metrics-server (test/cluster/metrics-server), traefik (see build_traefik below)
# Prints the bin directory as the last line of stdout; progress goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mod="$here/k8s"
cache="${TODO_CACHE:-$HOME/.cache/todo-cdk8s}/cluster"

command -v go >/dev/null || { echo "build: go is not installed (need Go >= 1.24)" >&2; exit 1; }

version="$(awk '$1 == "k8s.io/kubernetes" { print $2 }' "$mod/go.mod")"
[[ -n "$version" ]] || { echo "build: no k8s.io/kubernetes requirement in $mod/go.mod" >&2; exit 1; }
# Version stamping as the Kubernetes release build does it (otherwise /version says
# v0.0.0-master). Part of the cache key, with go.mod, go.sum and the Go version.
minor="${version#v1.}"; minor="${minor%%.*}"
k8s_ldflags="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  k8s_ldflags+=" -X $p.gitVersion=$version -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
done
# Traefik is built inside its own module (its go.mod's replace directives apply only there),
# pinned here by version and module hash (the go.sum line) and patched: see build_traefik.
traefik_version=v3.6.12
traefik_sum="h1:6pe4s7aaDTQs+AsF7KP3sM/xnq7zOVvibRQe5tw9eFo="
hash="$( { cat "$mod/go.mod" "$mod/go.sum" "$mod"/cmd/*/*.go "$here"/coredns/go.* "$here"/metrics-server/go.*
  go env GOVERSION; echo "$k8s_ldflags traefik $traefik_version $traefik_sum"; } | sha256sum | cut -c1-12)"
bin="$cache/k8s-$version-$hash/bin"

declare -A pkg=(
  [etcd]=go.etcd.io/etcd/server/v3
  [kube-apiserver]=k8s.io/kubernetes/cmd/kube-apiserver
  [kube-controller-manager]=k8s.io/kubernetes/cmd/kube-controller-manager
  [kube-scheduler]=k8s.io/kubernetes/cmd/kube-scheduler
  [kubelet]=k8s.io/kubernetes/cmd/kubelet
  [kube-proxy]=k8s.io/kubernetes/cmd/kube-proxy
  # helpers for the node (node.sh): pod sandbox, test workload, image packer
  [pause]=./cmd/pause
  [hello]=./cmd/hello
  [mkimage]=./cmd/mkimage
  # cluster DNS for the node, from its own module (test/cluster/coredns)
  [coredns]=github.com/coredns/coredns
  # the node's add-ons for step 3 (test/cluster/e2e.sh)
  [metrics-server]=sigs.k8s.io/metrics-server/cmd/metrics-server
  [traefik]=github.com/traefik/traefik/v3/cmd/traefik
)

components=("$@")
((${#components[@]})) || components=(etcd kube-apiserver)

export GOMODCACHE="$cache/go/mod" GOCACHE="$cache/go/build"
export GOFLAGS=-mod=readonly GOTOOLCHAIN=local CGO_ENABLED=0
mkdir -p "$bin" "$GOMODCACHE" "$GOCACHE"

# build_traefik OUT: Traefik from a copy of its module source, where its own go.mod (and its
# replace directives) apply. One patch: the ACME DNS-01 provider registry is cut out, because
# several of the DNS providers' SDK modules are not on the module proxy here (403), and the
# test cluster asks for no certificates. Everything else is Traefik as released.
build_traefik() {
  local out="$1" info dir src="$cache/src/traefik-$traefik_version" f=pkg/provider/acme/provider.go
  info="$(cd / && go mod download -json "github.com/traefik/traefik/v3@$traefik_version")" ||
    { echo "build: traefik: go mod download failed: $info" >&2; return 1; }
  grep -qF "\"Sum\": \"$traefik_sum\"" <<<"$info" || { echo "build: traefik: module hash is not $traefik_sum: $info" >&2; return 1; }
  dir="$(sed -n 's/.*"Dir": "\(.*\)".*/\1/p' <<<"$info")"
  rm -rf "$src" && mkdir -p "$src" && cp -r "$dir/." "$src/" && chmod -R u+w "$src"
  sed -i -e '/"github.com\/go-acme\/lego\/v4\/providers\/dns"/d' \
    -e 's/provider, err = dns.NewDNSChallengeProviderByName(p.DNSChallenge.Provider)/err = fmt.Errorf("ACME DNS-01 providers are not built into this binary (%s)", p.DNSChallenge.Provider)/' "$src/$f"
  grep -q 'ACME DNS-01 providers are not built' "$src/$f" && ! grep -q 'providers/dns"' "$src/$f" ||
    { echo "build: traefik: the patch of $f no longer applies (Traefik $traefik_version changed?)" >&2; return 1; }
  (cd "$src" && go build -trimpath -ldflags="-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=$traefik_version" -o "$out" ./cmd/traefik)
  rm -rf "$src"
}

for c in "${components[@]}"; do
  [[ -n "${pkg[$c]:-}" ]] || { echo "build: unknown component '$c' (known: ${!pkg[*]})" >&2; exit 2; }
  if [[ -x "$bin/$c" ]]; then
    echo "build: $c: cached ($bin/$c)" >&2
    continue
  fi
  echo "build: $c: compiling ${pkg[$c]} (minutes with a cold Go build cache)..." >&2
  start=$SECONDS
  # Build next to the target and rename, so an interrupted build never leaves
  # a half-written binary that a later run would take as cached.
  ldflags="-s -w"; [[ "$c" == kube* ]] && ldflags="$k8s_ldflags"
  dir="$mod"; [[ "$c" == coredns || "$c" == metrics-server ]] && dir="$here/$c"
  if [[ "$c" == traefik ]]; then
    build_traefik "$bin/.$c.tmp"
  else
    (cd "$dir" && go build -trimpath -ldflags="$ldflags" -o "$bin/.$c.tmp" "${pkg[$c]}")
  fi
  mv -f "$bin/.$c.tmp" "$bin/$c"
  echo "build: $c: built in $((SECONDS - start))s" >&2
done

# Drop binaries of other versions/keys (~130 MB each); the Go caches stay shared.
for d in "$cache"/k8s-*; do
  [[ "$d" == "$cache/k8s-$version-$hash" ]] || rm -rf "$d"
done

echo "$bin"
