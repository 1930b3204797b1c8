# Helpers shared by the node-mode suites (app.sh, platform.sh, e2e.sh, netpol.sh; oom-demo.sh by
# hand), sourced after lib.sh as `source suite-lib.sh SUITE ENV_FILE [NETNS]`: reads the cluster's
# env file (ENV_FILE, default .logs/cluster/state/env; the node must be up), changes to the
# repository and sets suite (prefix of the closing line), o (output folder, emptied:
# .logs/cluster/logs/checks/SUITE) and netns (the cluster's network namespace, or empty); defines
# pass/fail (counted in passed/failed), inns (run in the cluster's network namespace), k (kubectl
# there) and ctr_k8s (the node's containerd).
# shellcheck shell=bash

suite="$1" env_file="${2:-$STATE_DIR/env}" netns="${3:-}"
[[ -f "$env_file" ]] || die "no running cluster ($env_file missing)"
# shellcheck disable=SC1090
source "$env_file"
[[ -n "${CLUSTER_NODE:-}" && -S "${CLUSTER_CONTAINERD_SOCK:-}" ]] || die "no node (run test/cluster/node.sh first)"
cd "$REPO_ROOT" || exit 1
o="$LOG_DIR/checks/$suite"
rm -rf "$o"; mkdir -p "$o"

passed=0 failed=0
pass() { passed=$((passed + 1)); printf 'ok   %s\n' "$1"; }
fail() {
  failed=$((failed + 1)); printf 'FAIL %s\n' "$1"
  [[ -n "${2:-}" && -s "$2" ]] && tail -n 60 "$2" | sed 's/^/       /'
}
inns() { if [[ -n "$netns" ]]; then nsenter --net="/run/netns/$netns" "$@"; else "$@"; fi; }
k() { inns kubectl --request-timeout=60s "$@"; }
ctr_k8s() { ctr --address "$CLUSTER_CONTAINERD_SOCK" --namespace k8s.io "$@"; }

# import_images NAME...: packs each of $KUBE_BIN/NAME (build.sh) into the image todo.test/NAME:1
# (non-root, uid 65532) and imports it into the node's containerd.
import_images() {
  local c
  for c in "$@"; do
    [[ -x "$KUBE_BIN/$c" ]] || { echo "$KUBE_BIN/$c missing (test/cluster/build.sh $c)"; return 1; }
    "$KUBE_BIN/mkimage" -o "$o/$c.tar" -name "todo.test/$c:1" -user 65532:65532 "$KUBE_BIN/$c" "/$c" &&
      ctr_k8s images import "$o/$c.tar" && rm -f "$o/$c.tar" || return 1
  done
}

# https_redirect HOST ADDRESS PATH [NOTE]: plain HTTP to HOST (at ADDRESS, port 80) must answer 301 to
# the same URL over https; one pass/fail line (output in $o/redirect.out).
https_redirect() {
  local host="$1" addr="$2" path="$3" note="${4:-}"
  inns curl -sS --max-time 5 -o /dev/null -w '%{http_code} %{redirect_url}' --resolve "$host:80:$addr" "http://$host$path" >"$o/redirect.out" 2>&1
  if [[ "$(cat "$o/redirect.out")" == "301 https://$host$path" ]]; then
    pass "$suite: plain HTTP to $host answers 301 to https://$host$path${note:+ ($note)}"
  else
    fail "$suite: plain HTTP to $host redirects to HTTPS" "$o/redirect.out"
  fi
}
