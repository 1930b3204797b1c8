#!/usr/bin/env bash
# Node mode, after e2e.sh (its environment still deployed): the environment's NetworkPolicies,
# probed allowed and denied with real connections. The table comes from the synthesized policies
# (test/cluster/netpol.ts, oracle test/cluster/netpol-policy.ts): every source (a pod of each
# workload; a probe pod for every peer the policies name; pods with the wrong labels or in the
# wrong namespace) against every destination (each Service port, each advertised metrics endpoint,
# DNS over UDP and TCP, the public entry point, a server in another namespace). Each source runs
# its probes at once (test/cluster/netpol-probe.sh through kubectl exec, each bounded by
# NETPOL_PROBE_TIMEOUT seconds): an allowed cell needs a real answer, a denied one a connection
# that is dropped or refused.
#
# Usage: test/cluster/netpol.sh ENV_FILE [NETNS]   (run by scripts/ci/cluster.sh in node mode)
# Prints the table, one `ok`/`FAIL` line per source and `netpol: N passed, M failed` (one per
# cell, plus the probe pods); outputs in .logs/cluster/logs/checks/netpol/.
# Env: NETPOL_ENV (default e2e), NETPOL_DIST (the manifests the table is derived from; default
# dist/$NETPOL_ENV), NETPOL_PROBE_TIMEOUT (s, default 4), CLUSTER_PLATFORM_TIMEOUT (s, each wait; 120).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$CLUSTER_HERE/suite-lib.sh" netpol "$@"
env="${NETPOL_ENV:-e2e}"
dist="${NETPOL_DIST:-$REPO_ROOT/dist/$env}"
timeout_s="${NETPOL_PROBE_TIMEOUT:-4}"
wait_s="${CLUSTER_PLATFORM_TIMEOUT:-120}"
probe_label=netpol.todo.test/probe created_label=netpol.todo.test/created # netpol.ts
tsx() { inns node --import tsx "$CLUSTER_HERE/netpol.ts" "$@"; }

cleanup() {
  k delete pods -A -l "$probe_label" --wait=false >/dev/null 2>&1
  k delete namespaces -l "$created_label=true" --wait=false >/dev/null 2>&1
}
trap cleanup EXIT
trap 'exit 143' TERM INT
finish() {
  echo "netpol: $passed passed, $failed failed"
  ((failed == 0))
  exit
}
snapshot() { # FILE: what the table is derived from, besides the manifests
  k get namespaces,pods,services,endpointslices.discovery.k8s.io,networkpolicies,ingresses -A -o json >"$1" &&
    { k get gateways.gateway.networking.k8s.io,httproutes.gateway.networking.k8s.io -A -o json 2>/dev/null || echo '{"items":[]}'; } >"${1%.json}-gateway.json"
}

# The probe pods run the environment's backend image (bash, coreutils, getent); the server in
# another namespace is the node's hello image.
probe_image="$(sed -n 's/^ *image: *"\{0,1\}\(todo-backend:[^"]*\)"\{0,1\}$/\1/p' "$dist"/*.yaml | head -n 1)"
t0=$SECONDS
# a clean slate: probe pods and namespaces of an earlier run gone (a namespace being deleted cannot be re-created)
k delete pods -A -l "$probe_label" --wait=true --timeout="${wait_s}s" >"$o/probes.out" 2>&1
k delete namespaces -l "$created_label=true" --wait=true --timeout="${wait_s}s" >>"$o/probes.out" 2>&1
if [[ -n "$probe_image" ]] && snapshot "$o/cluster-0.json" &&
  tsx pods --dist "$dist" --cluster "$o/cluster-0.json" --cluster "$o/cluster-0-gateway.json" \
    --probe-image "$probe_image" --server-image todo.test/hello:1 >"$o/probes.yaml" 2>>"$o/probes.out" &&
  k apply --server-side --field-manager=cluster-test -f "$o/probes.yaml" >>"$o/probes.out" 2>&1 &&
  k wait --for=condition=ContainersReady pod -A -l "$probe_label" --timeout="${wait_s}s" >>"$o/probes.out" 2>&1; then
  pass "netpol: $(grep -c '^kind: Pod' "$o/probes.yaml") probe pods running ($probe_image, readiness gate never set: in no Service) in $(grep -h '^  namespace: ' "$o/probes.yaml" | sort -u | awk '{ printf "%s%s", sep, $2; sep = ", " }') ($((SECONDS - t0)) s)"
else
  echo "probe image from $dist: '${probe_image}'" >>"$o/probes.out"
  fail "netpol: the probe pods run (is the $env environment deployed? it is e2e.sh's)" "$o/probes.out"
  finish
fi

t0=$SECONDS
if ! { snapshot "$o/cluster.json" && tsx plan --dist "$dist" --cluster "$o/cluster.json" --cluster "$o/cluster-gateway.json" --out "$o/plan.json" >"$o/sources.txt" 2>"$o/plan.out"; }; then
  fail "netpol: the table derived from $dist" "$o/plan.out"
  finish
fi
# every source at once; each prints one line per destination
mkdir -p "$o/results"
while read -r id namespace pod container probes; do
  # shellcheck disable=SC2086 # the probes are separate words
  k exec -i -n "$namespace" "$pod" -c "$container" -- bash -s -- "$timeout_s" $probes <"$CLUSTER_HERE/netpol-probe.sh" >"$o/results/$id.out" 2>&1 &
done <"$o/sources.txt"
wait
tsx judge --plan "$o/plan.json" --results "$o/results" >"$o/table.out" 2>&1
sed -n '1,/^netpol-table: /p' "$o/table.out" | grep -v '^netpol-table: '
read -r cells_passed cells_failed < <(sed -n 's/^netpol-table: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$o/table.out")
if [[ -z "${cells_passed:-}" ]]; then
  fail "netpol: judging the table" "$o/table.out"
  finish
fi
passed=$((passed + cells_passed)) failed=$((failed + cells_failed))
echo "netpol: $((cells_passed + cells_failed)) cells probed in $((SECONDS - t0)) s ($(wc -l <"$o/sources.txt") sources at once, each probe bounded by ${timeout_s} s; enforcement: $CLUSTER_NETPOL)"
finish
