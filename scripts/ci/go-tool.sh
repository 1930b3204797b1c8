# go_tool NAME MODULE/PKG VERSION: prints the path of the program NAME, built once per version
# with `go install PKG@VERSION` (nice'd) into $TODO_CACHE/bin/NAME-VERSION (default cache
# ~/.cache/todo-cdk8s) and reused afterwards. Says on stderr how long a build took. Sourced by
# scripts/ci/validate-manifests.sh and scripts/ci/helm.sh.
# shellcheck shell=bash
go_tool() {
  local name=$1 pkg=$2 version=$3
  local dir="${TODO_CACHE:-$HOME/.cache/todo-cdk8s}/bin/$name-$version"
  if [ ! -x "$dir/$name" ]; then
    command -v go >/dev/null || { echo "Go is needed to install $name $version (go install $pkg@$version)" >&2; return 1; }
    local tmp="$dir.tmp.$$" t0
    local log="$tmp.log"
    t0=$(date +%s.%N)
    rm -rf "$tmp" && mkdir -p "$tmp"
    if ! GOBIN="$tmp" nice -n 10 go install "$pkg@$version" >"$log" 2>&1; then
      cat "$log" >&2
      rm -rf "$tmp" "$log"
      echo "go install $pkg@$version failed" >&2
      return 1
    fi
    rm -rf "$dir" "$log" && mv "$tmp" "$dir"
    echo "installed $name $version in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f s", b - a }') (go install, cached in $dir)" >&2
  fi
  echo "$dir/$name"
}
