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
#               kube-network-policies (see build_module_copy below), metrics-server
#               (test/cluster/metrics-server), traefik (see build_module_copy below),
#               cert-manager-controller cert-manager-acmesolver (test/cluster/cert-manager),
#               pebble (test/cluster/pebble)
# Prints the bin directory as the last line of stdout; progress goes to stderr.
# Two runs with different components may overlap (cluster.sh builds the add-ons in the
# background): each writes only its own binaries, and the Go caches are safe to share.
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
# Traefik and kube-network-policies are built inside their own modules (Traefik's replace
# directives apply only there), pinned here by version and module hash (the go.sum line) and
# patched: see build_module_copy.
traefik_version=v3.6.12
traefik_sum="h1:6pe4s7aaDTQs+AsF7KP3sM/xnq7zOVvibRQe5tw9eFo="
knp_version=v0.8.0
knp_sum="h1:dzecRNzdmg+VmHEQWTIjxnCgf412J+8CKHqbKgCiWkk="
pebble_version="$(awk '$1 == "github.com/letsencrypt/pebble/v2" { print $2 }' "$here/pebble/go.mod")"
hash="$( { cat "$mod/go.mod" "$mod/go.sum" "$mod"/cmd/*/*.go "$here"/coredns/go.* "$here"/metrics-server/go.* \
    "$here"/cert-manager/go.* "$here"/cert-manager/*/*.go "$here"/pebble/go.* "$here"/kube-network-policies/*.go
  go env GOVERSION; echo "$k8s_ldflags traefik $traefik_version $traefik_sum knp $knp_version $knp_sum"; } | sha256sum | cut -c1-12)"
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
  # NetworkPolicy enforcement on the node (node.sh)
  [kube-network-policies]=sigs.k8s.io/kube-network-policies/cmd
  # Gateway API, certificates over ACME (test/cluster/platform.sh): thin mains of our own over
  # cert-manager's library module (test/cluster/cert-manager), Pebble (test/cluster/pebble)
  [cert-manager-controller]=./controller
  [cert-manager-acmesolver]=./acmesolver
  [pebble]=github.com/letsencrypt/pebble/v2/cmd/pebble
)
declare -A moddir=(
  [coredns]="$here/coredns" [metrics-server]="$here/metrics-server" [pebble]="$here/pebble"
  [cert-manager-controller]="$here/cert-manager" [cert-manager-acmesolver]="$here/cert-manager"
)

components=("$@")
((${#components[@]})) || components=(etcd kube-apiserver)

export GOMODCACHE="$cache/go/mod" GOCACHE="$cache/go/build"
export GOFLAGS=-mod=readonly GOTOOLCHAIN=local CGO_ENABLED=0
mkdir -p "$bin" "$GOMODCACHE" "$GOCACHE"

# build_module_copy NAME MODULE VERSION SUM PACKAGE LDFLAGS PATCH: builds PACKAGE into
# $bin/.NAME.tmp from a copy of MODULE@VERSION's own source (its go.mod and replace directives
# apply), after checking the module's hash against SUM and running the function PATCH in the
# copy. Everything else is the project as released.
build_module_copy() {
  local out="$bin/.$1.tmp" module="$2" version="$3" sum="$4" package="$5" ldflags="$6" patch="$7" info dir src
  src="$cache/src/$1-$version"
  info="$(cd / && go mod download -json "$module@$version")" ||
    { echo "build: $module: go mod download failed: $info" >&2; return 1; }
  grep -qF "\"Sum\": \"$sum\"" <<<"$info" || { echo "build: $module: module hash is not $sum: $info" >&2; return 1; }
  dir="$(sed -n 's/.*"Dir": "\(.*\)".*/\1/p' <<<"$info")"
  rm -rf "$src" && mkdir -p "$src" && cp -r "$dir/." "$src/" && chmod -R u+w "$src"
  (cd "$src" && "$patch") || return 1
  (cd "$src" && go build -trimpath -ldflags="$ldflags" -o "$out" "$package")
  rm -rf "$src"
}

# Traefik: the ACME DNS-01 provider registry is cut out, because several of the DNS providers'
# SDK modules are not on the module proxy here (403), and the test cluster asks Traefik for no
# certificates (cert-manager issues them).
patch_traefik() {
  local f=pkg/provider/acme/provider.go
  sed -i -e '/"github.com\/go-acme\/lego\/v4\/providers\/dns"/d' \
    -e 's/provider, err = dns.NewDNSChallengeProviderByName(p.DNSChallenge.Provider)/err = fmt.Errorf("ACME DNS-01 providers are not built into this binary (%s)", p.DNSChallenge.Provider)/' "$f"
  grep -q 'ACME DNS-01 providers are not built' "$f" && ! grep -q 'providers/dns"' "$f" ||
    { echo "build: traefik: the patch of $f no longer applies (Traefik $traefik_version changed?)" >&2; return 1; }
}

# kube-network-policies: its nftables rules send packets to user space with nftables' own queue
# expression, which needs CONFIG_NFT_QUEUE; kernels without it (this sandbox's) still have the
# xtables NFQUEUE target, which nftables runs through nft_compat. xtQueue (kube-network-policies/
# xtqueue.go) gives the same verdict that way; every rule that used the queue uses it instead.
patch_knp() {
  local f=pkg/networkpolicy/controller.go n
  cp "$here/kube-network-policies/xtqueue.go" pkg/networkpolicy/
  sed -i 's/^\(\t*\)queue,$/\1xtQueue(queue),/' "$f"
  n="$(grep -c 'xtQueue(queue),$' "$f")"
  ((n == 10)) && ! grep -qE '^\s*queue,$' "$f" ||
    { echo "build: kube-network-policies: the patch of $f no longer applies ($n of 10 rules; $knp_version changed?)" >&2; return 1; }
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
  ldflags="-s -w"; [[ "$c" == kube-* && "$c" != kube-network-policies ]] && ldflags="$k8s_ldflags"
  [[ "$c" == pebble ]] && ldflags+=" -X main.version=$pebble_version"
  case "$c" in
    traefik) build_module_copy "$c" github.com/traefik/traefik/v3 "$traefik_version" "$traefik_sum" ./cmd/traefik \
      "-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=$traefik_version" patch_traefik ;;
    kube-network-policies) build_module_copy "$c" sigs.k8s.io/kube-network-policies "$knp_version" "$knp_sum" ./cmd \
      "-s -w" patch_knp ;;
    *) (cd "${moddir[$c]:-$mod}" && go build -trimpath -ldflags="$ldflags" -o "$bin/.$c.tmp" "${pkg[$c]}") ;;
  esac
  mv -f "$bin/.$c.tmp" "$bin/$c"
  echo "build: $c: built in $((SECONDS - start))s" >&2
done

# Drop binaries of other versions/keys (~130 MB each); the Go caches stay shared.
for d in "$cache"/k8s-*; do
  [[ "$d" == "$cache/k8s-$version-$hash" ]] || rm -rf "$d"
done

echo "$bin"
