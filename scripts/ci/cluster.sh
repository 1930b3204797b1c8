#!/usr/bin/env bash
# Cluster tests: the synthesized manifests against a real kube-apiserver 1.33.
#   1. prerequisites: apt packages (openssl, curl), Go >= 1.24, kubectl, node;
#   2. builds (first run) or reuses (cached, keyed by version + go.mod/go.sum hash)
#      etcd and kube-apiserver from the Go module proxy: test/cluster/build.sh;
#   3. npm run synth;
#   4. test/cluster/up.sh -> test/cluster/check.sh -> test/cluster/down.sh
#      (down runs on any exit);
#   5. optional node (TODO_CLUSTER_NODE=1): controller-manager, scheduler, containerd, kubelet,
#      kube-proxy, CoreDNS, kube-network-policies in a network namespace of its own; see
#      test/cluster/node.sh; then the node-mode suites, each adding its count to the summary:
#        app           the application deployed with the ops tool (test/cluster/app.sh);
#        kubectl-path  the application with plain kubectl: apply on an empty cluster, re-apply
#                      unchanged, delete keeps the data (test/cluster/kubectl-path.sh);
#        platform      NetworkPolicy enforcement, Gateway API on Traefik, cert-manager and Pebble,
#                      proved with throwaway manifests (test/cluster/platform.sh);
#        e2e           step 3 (test/cluster/e2e.sh): the `e2e` environment on the platform's Gateway
#                      with its certificate issued over ACME HTTP-01, HTTPS end to end, HPAs fed by
#                      metrics-server, drain vs PDB, rolling update, rollback and certificate
#                      renewal under load (runs the platform suite first if it was not named);
#        netpol        e2e's NetworkPolicies probed allowed and denied, a table derived from the
#                      synthesized policies (test/cluster/netpol.sh; needs e2e before it);
#        helm          the dev chart (npm run helm-chart) installed, tested, upgraded, rolled back
#                      and uninstalled by Helm (test/cluster/helm.sh; Helm from scripts/ci/helm.sh).
#      The add-ons only platform and e2e need (Traefik, metrics-server, cert-manager, Pebble) are
#      built in the background while the control plane, the node and the first suites run.
# Prints the time of each phase and closes with `cluster: N passed, M failed`.
# Usage: bash scripts/ci/cluster.sh
# Env: TODO_CACHE (cache root, default ~/.cache/todo-cdk8s), TODO_CLUSTER_NODE=1 (the node and
#      its suites), TODO_CLUSTER_SUITES (node-mode suites, default "app kubectl-path platform e2e netpol helm"),
#      TODO_CLUSTER_E2E=0 (the same without e2e), CLUSTER_NETPOL=0 (no NetworkPolicy engine),
#      CLUSTER_BUILD_TIMEOUT (s, default 2400), CLUSTER_READY_TIMEOUT (s, default 180),
#      CLUSTER_CHECK_TIMEOUT (s, default 600), CLUSTER_APP_TIMEOUT (s, default 900),
#      CLUSTER_PLATFORM_TIMEOUT_TOTAL (s, default 900), CLUSTER_E2E_TIMEOUT (s, default 900),
#      CLUSTER_NETPOL_TIMEOUT (s, default 300),
#      CLUSTER_HELM_TIMEOUT (s, default 900).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
T=test/cluster

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }
die() { echo "cluster: $*" >&2; echo "cluster: 0 passed, 1 failed"; exit 1; }
timings=()
timed() { timings+=("$(printf '%-28s %s' "$1" "$2")"); echo "cluster: $1: $2"; }

node=false
if [ "${TODO_CLUSTER_NODE:-0}" = 1 ]; then
  node=true
else
  echo "cluster: node checks skipped (control plane only; TODO_CLUSTER_NODE=1 adds a node: docs/testing.md)"
fi

# --- 1. prerequisites ------------------------------------------------------------------
t0=$(now)
missing=()
needs=(openssl:openssl curl:curl)
$node && needs+=(containerd:containerd runc:runc /usr/lib/cni/bridge:containernetworking-plugins
  iptables:iptables nft:nftables conntrack:conntrack ip:iproute2 nsenter:util-linux)
for p in "${needs[@]}"; do
  command -v "${p%%:*}" >/dev/null || missing+=("${p#*:}")
done
if ((${#missing[@]})); then
  [ "$(id -u)" = 0 ] || die "missing ${missing[*]} (apt-get install ${missing[*]})"
  echo "cluster: apt-get install ${missing[*]}"
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; } \
    >/tmp/cluster-apt.log 2>&1 || { cat /tmp/cluster-apt.log >&2; die "apt-get install ${missing[*]} failed"; }
fi
command -v go >/dev/null || die "Go >= 1.24 is needed to build kube-apiserver"
command -v kubectl >/dev/null || die "kubectl is needed"
command -v node >/dev/null || die "node is needed"
timed "prerequisites" "$(since "$t0")"

# --- 2. binaries -----------------------------------------------------------------------
components=(etcd kube-apiserver)
$node && components+=(kube-controller-manager kube-scheduler kubelet kube-proxy pause hello mkimage coredns kube-network-policies)
suites=()
addons=()
if $node; then
  for s in ${TODO_CLUSTER_SUITES:-app kubectl-path platform e2e netpol helm}; do
    case "$s" in
      app | kubectl-path | helm) suites+=("$s") ;;
      platform) [[ " ${suites[*]} " == *" platform "* ]] || suites+=(platform); addons+=(traefik cert-manager-controller cert-manager-acmesolver pebble) ;;
      e2e)
        if [ "${TODO_CLUSTER_E2E:-1}" != 0 ]; then
          # e2e deploys behind the platform's Gateway, with its certificate from the platform's cert-manager and Pebble
          if [[ " ${suites[*]} " != *" platform "* ]]; then
            echo "cluster: e2e needs the platform suite (Gateway, cert-manager, Pebble): running platform first"
            suites+=(platform)
          fi
          suites+=(e2e); addons+=(metrics-server traefik cert-manager-controller cert-manager-acmesolver pebble)
        fi ;;
      # probes the environment e2e deployed: only after it
      netpol) if [[ " ${suites[*]} " == *" e2e "* ]]; then suites+=(netpol)
        elif [ "${TODO_CLUSTER_E2E:-1}" != 0 ]; then die "suite netpol probes the environment that e2e deploys: list e2e before it in TODO_CLUSTER_SUITES"; fi ;;
      *) die "unknown suite '$s' in TODO_CLUSTER_SUITES (known: app kubectl-path platform e2e netpol helm)" ;;
    esac
  done
  [[ " ${suites[*]} " == *" e2e "* ]] ||
    echo "cluster: step 3 skipped (TODO_CLUSTER_E2E=0 or TODO_CLUSTER_SUITES): no Gateway/TLS end to end, metrics-server, drain or rolling-update checks"
  mapfile -t addons < <(printf '%s\n' "${addons[@]}" | awk 'NF && !seen[$0]++')
fi
t0=$(now)
mkdir -p .logs/cluster
# nice: other builds share the 2 cores; timeout: a cold build is ~15 min on 2 cores.
build() { timeout "${CLUSTER_BUILD_TIMEOUT:-2400}" nice -n 10 bash "$T/build.sh" "$@"; }
if ! KUBE_BIN=$(build "${components[@]}" 2> >(tee .logs/cluster/build.log >&2) | tail -n 1); then
  die "building ${components[*]} failed (log: .logs/cluster/build.log)"
fi
export KUBE_BIN
if grep -q 'compiling' .logs/cluster/build.log; then
  timed "build (cold)" "$(since "$t0")"
else
  timed "build (cached)" "$(since "$t0")"
fi
# The suites' add-ons, in the background (their own log); waited for before the first suite
# that needs them. Nothing else writes their binaries, so the two builds never collide.
addons_pid=""
if ((${#addons[@]})); then
  # not through build(): $! must be timeout's pid, which passes a TERM on to the whole build
  timeout "${CLUSTER_BUILD_TIMEOUT:-2400}" nice -n 10 bash "$T/build.sh" "${addons[@]}" >/dev/null 2>.logs/cluster/build-addons.log &
  addons_pid=$!
  echo "cluster: building ${addons[*]} in the background (log: .logs/cluster/build-addons.log)"
fi
stop_addons() { if [ -n "$addons_pid" ]; then kill -TERM "$addons_pid" 2>/dev/null; wait "$addons_pid" 2>/dev/null; addons_pid=""; fi; }
trap stop_addons EXIT
addons_built() { # waits for the background build once; true if it succeeded
  if [ -n "$addons_pid" ]; then
    local t0 rc=0
    t0=$(now)
    wait "$addons_pid" || rc=$?
    addons_pid=""
    addons_rc=$rc
    if grep -q 'compiling' .logs/cluster/build-addons.log; then
      timed "add-ons build (background)" "$(awk '/ built in [0-9]+s$/ { s += $NF } END { print s + 0 }' .logs/cluster/build-addons.log) s, waited $(since "$t0")"
    else
      timed "add-ons build (cached)" "0 s"
    fi
    ((rc == 0)) || { echo "cluster: building ${addons[*]} failed (log: .logs/cluster/build-addons.log)"; tail -n 20 .logs/cluster/build-addons.log; }
  fi
  return "${addons_rc:-0}"
}
# Helm for test/cluster/helm.sh (its own Go module, cached like the validators); a failure here
# fails only that suite.
if [[ " ${suites[*]} " == *" helm "* ]]; then
  t0=$(now)
  HELM_BIN=$(timeout "${CLUSTER_BUILD_TIMEOUT:-2400}" bash scripts/ci/helm.sh --print-helm 2>>.logs/cluster/build.log) || HELM_BIN=""
  export HELM_BIN
  timed "helm" "$(since "$t0")"
fi

# --- 3. manifests ----------------------------------------------------------------------
t0=$(now)
npm run --silent synth >.logs/cluster/synth.log 2>&1 || { cat .logs/cluster/synth.log >&2; die "npm run synth failed"; }
timed "synth" "$(since "$t0")"

# --- 4. up -> checks -> down -------------------------------------------------------------
# With a node, everything from here runs in a network namespace of our own: the CNI
# bridge, pod addresses and kube-proxy's iptables rules never touch the host's network.
netns=""
inns() { if [ -n "$netns" ]; then nsenter --net="/run/netns/$netns" "$@"; else "$@"; fi; }
if $node; then
  if [ "$(id -u)" = 0 ] && ip netns add "todo-cluster-$$" 2>/tmp/cluster-netns.log; then
    netns="todo-cluster-$$"
    ip -n "$netns" link set lo up
  else
    echo "cluster: cannot create a network namespace ($(cat /tmp/cluster-netns.log)): node skipped"
    node=false
  fi
fi
cleanup() {
  stop_addons
  inns bash "$T/down.sh" || true
  if [ -n "$netns" ]; then ip netns del "$netns" || true; fi
}
trap cleanup EXIT
if [ -n "$netns" ]; then
  # inside our namespace only: pods reach the apiserver at the node's address (node.sh)
  export CLUSTER_BIND_ADDRESS=0.0.0.0 CLUSTER_ADVERTISE_ADDRESS=10.200.0.1
fi
t0=$(now)
env_file=$(inns bash "$T/up.sh" | tail -n 1) || die "the control plane did not start (logs: .logs/cluster/logs/)"
timed "start-up" "$(since "$t0")"

rc=0
node_up=false
if $node; then
  t0=$(now)
  if inns bash "$T/node.sh" "$env_file"; then
    node_up=true
    timed "node start-up" "$(since "$t0")"
  else
    echo "cluster: the node could not start here: node checks skipped (probe: $(cat .logs/cluster/logs/node-probe.txt 2>/dev/null || echo 'see .logs/cluster/logs/'))"
    timed "node start-up (failed)" "$(since "$t0")"
  fi
fi

t0=$(now)
# check.sh reads each dist/<env>/ flat; the Namespace is in dist/<env>/00-namespace/ (what
# `kubectl delete -f dist/<env>/` must not touch), so it gets a flat view of the same files
flat=.logs/cluster/dist-flat
rm -rf "$flat"
for d in dist/*/; do mkdir -p "$flat/$(basename "$d")" && cp "$d"*.yaml "$d"*/*.yaml "$flat/$(basename "$d")/"; done
DIST_DIR="$ROOT/$flat" inns timeout "${CLUSTER_CHECK_TIMEOUT:-600}" bash "$T/check.sh" "$env_file" | tee .logs/cluster/check.log || rc=$?
summary=$(grep -E '^cluster: [0-9]+ passed, [0-9]+ failed' .logs/cluster/check.log | tail -n 1 || true)
timed "checks" "$(since "$t0")"

# suite NAME SCRIPT TIMEOUT LABEL: runs test/cluster/SCRIPT (in the host's namespace: Docker;
# it enters ours for kubectl), adds its closing line `NAME: N passed, M failed` to $results.
results=""
suite() {
  local name="$1" script="$2" limit="$3" label="$4" line t0
  t0=$(now)
  timeout "$limit" bash "$T/$script" "$env_file" "$netns" | tee ".logs/cluster/$name.log" || rc=1
  line=$(grep -E "^$name: [0-9]+ passed, [0-9]+ failed" ".logs/cluster/$name.log" | tail -n 1 || true)
  results+="${line:-$name: 0 passed, 1 failed}"$'\n'
  timed "$label" "$(since "$t0")"
}
# With a node: the suites (TODO_CLUSTER_SUITES), in order; their counts join the summary.
if $node_up; then
  for s in "${suites[@]}"; do
    if { [ "$s" = platform ] || [ "$s" = e2e ]; } && ! addons_built; then
      results+="$s: 0 passed, 1 failed"$'\n'; rc=1
      continue
    fi
    case "$s" in
      app) suite app app.sh "${CLUSTER_APP_TIMEOUT:-900}" "app (images, deploy, lifecycle)" ;;
      kubectl-path) suite kubectl-path kubectl-path.sh "${CLUSTER_APP_TIMEOUT:-900}" "kubectl path (apply, re-apply, delete)" ;;
      platform) suite platform platform.sh "${CLUSTER_PLATFORM_TIMEOUT_TOTAL:-900}" "platform (netpol, gateway, acme)" ;;
      e2e) suite e2e e2e.sh "${CLUSTER_E2E_TIMEOUT:-900}" "e2e (gateway, TLS, HPA, PDB, load)" ;;
      netpol) suite netpol netpol.sh "${CLUSTER_NETPOL_TIMEOUT:-300}" "netpol (policy table on e2e)" ;;
      helm) suite helm helm.sh "${CLUSTER_HELM_TIMEOUT:-900}" "helm (install, test, upgrade, rollback, uninstall)" ;;
    esac
  done
  if [ -n "$summary" ]; then
    summary=$(printf '%s\n%s' "$summary" "$results" | awk 'NF { split($0, x, /[ ,]+/); p += x[2]; f += x[4] }
      END { printf "cluster: %d passed, %d failed", p, f }')
  fi
fi
# the background build ends before the cluster goes down (it is stopped if no suite could use it)
if $node_up; then addons_built || true; else stop_addons; fi

t0=$(now)
cleanup
trap - EXIT
timed "shut-down" "$(since "$t0")"

echo
echo "cluster timings:"
printf '  %s\n' "${timings[@]}"
# repeat the closing line last, so it is the one a reader (or CI) sees
if [ -n "$summary" ]; then echo "$summary"; else echo "cluster: 0 passed, 1 failed"; rc=1; fi
exit "$rc"
