#!/usr/bin/env bash
# Checks the synthesized manifests in dist/<env>/ against the running throwaway
# cluster (test/cluster/up.sh). Run `npm run synth` first.
#
# Once: crds         the CRDs the manifests' custom resources need (schemas/crds/: Gateway API,
#                     cert-manager, Prometheus Operator) are installed and Established, so the
#                     dry-runs below validate HTTPRoutes, Certificates ... against their schemas
#                     (structural and CEL rules) as a cluster with them would
# For every dist/<env>/:
#   namespaces        its Namespace and ServiceAccount objects are applied for real
#                     (a server dry-run of namespaced objects needs the namespace,
#                     and Pods need their ServiceAccount to pass admission)
#   dry-run           kubectl apply --server-side --dry-run=server --validate=strict
#                     of the whole directory succeeds, with no warning (Pod Security
#                     warn=restricted, deprecated APIs)
#   pod-security      every workload pod template, as a Pod, passes a server dry-run
#                     in its namespace: Pod Security *enforcement* (Pods only)
#   psa-rejects       a privileged, root pod is REJECTED by PodSecurity in the
#                     namespace (so the positive result above means something)
#   strict-rejects    the same apply with an unknown field added is REJECTED
# Once: psa-control   the same bad pod is accepted in a namespace labelled
#                     enforce=privileged (the rejection comes from PodSecurity,
#                     not from another admission step)
#
# Usage: test/cluster/check.sh [ENV_FILE]  (default .logs/cluster/state/env)
# Prints `cluster: N passed, M failed`; exits non-zero if any check failed.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

env_file="${1:-$STATE_DIR/env}"
[[ -f "$env_file" ]] || die "no running cluster ($env_file missing): run test/cluster/up.sh"
# shellcheck disable=SC1090
source "$env_file"

dist="${DIST_DIR:-$REPO_ROOT/dist}"
out="$LOG_DIR/checks"
mkdir -p "$out"
passed=0 failed=0

pass() { passed=$((passed + 1)); printf 'ok   %s\n' "$1"; }
fail() {
  failed=$((failed + 1)); printf 'FAIL %s\n' "$1"
  [[ -n "${2:-}" && -s "$2" ]] && sed 's/^/       /' "$2" | head -n 30
}
k() { kubectl --request-timeout=60s "$@"; }

select_json() { node "$CLUSTER_HERE/select.mjs" "$@"; }

# A pod that breaks restricted (and baseline): privileged, root allowed,
# privilege escalation, no seccomp profile, capabilities not dropped.
bad_pod() {
  cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: psa-must-reject
  namespace: $1
spec:
  automountServiceAccountToken: false
  containers:
    - name: c
      image: registry.invalid/nothing:1
      securityContext:
        privileged: true
        allowPrivilegeEscalation: true
EOF
}

# ensure_default_sa NS: what kube-controller-manager's serviceaccount controller
# would do; the ServiceAccount admission plugin refuses pods whose
# ServiceAccount does not exist.
ensure_default_sa() {
  k -n "$1" get serviceaccount default >/dev/null 2>&1 ||
    k -n "$1" create serviceaccount default >/dev/null
}

shopt -s nullglob
o="$out/crds"; mkdir -p "$o"
crd_dirs=("$REPO_ROOT"/schemas/crds/*/)
crd_args=()
for d in "${crd_dirs[@]}"; do crd_args+=(-f "$d"); done
if k apply --server-side --field-manager=cluster-test "${crd_args[@]}" >"$o/apply.out" 2>&1 &&
  k wait --for=condition=Established --timeout=60s "${crd_args[@]}" >>"$o/apply.out" 2>&1; then
  pass "crds: $(grep -c 'serverside-applied' "$o/apply.out") CRDs of ${#crd_dirs[@]} projects (schemas/crds/) Established"
else
  fail "crds: the CRDs of schemas/crds/ installed and Established" "$o/apply.out"
fi

envs=()
for d in "$dist"/*/; do envs+=("$(basename "$d")"); done
((${#envs[@]})) || die "no environments under $dist: run npm run synth"

for env in "${envs[@]}"; do
  dir="$dist/$env"
  o="$out/$env"; mkdir -p "$o"

  # namespaces (+ service accounts), for real
  if select_json "$dir" kinds Namespace >"$o/namespaces.json" &&
    select_json "$dir" kinds ServiceAccount >"$o/serviceaccounts.json" &&
    k apply --server-side --field-manager=cluster-test -f "$o/namespaces.json" >"$o/namespaces.out" 2>&1 &&
    k apply --server-side --field-manager=cluster-test -f "$o/serviceaccounts.json" >>"$o/namespaces.out" 2>&1; then
    pass "$env: namespaces and service accounts created"
  else
    fail "$env: namespaces and service accounts created" "$o/namespaces.out"
    continue
  fi
  mapfile -t namespaces < <(node -e 'for (const i of JSON.parse(require("fs").readFileSync(0, "utf8")).items) console.log(i.metadata.name)' <"$o/namespaces.json")

  # the whole directory, server-side dry-run, strict validation, no warnings
  if k apply --server-side --dry-run=server --validate=strict --field-manager=cluster-test \
    -f "$dir/" >"$o/dry-run.out" 2>&1; then
    if grep -qi '^warning' "$o/dry-run.out"; then
      grep -i '^warning' "$o/dry-run.out" >"$o/dry-run.warnings"
      fail "$env: apply --server-side --dry-run=server --validate=strict (warnings)" "$o/dry-run.warnings"
    else
      pass "$env: apply --server-side --dry-run=server --validate=strict ($(grep -c 'serverside-applied' "$o/dry-run.out") objects)"
    fi
  else
    fail "$env: apply --server-side --dry-run=server --validate=strict" "$o/dry-run.out"
  fi

  # pod templates as Pods: Pod Security enforcement
  select_json "$dir" pod-templates >"$o/pods.json"
  n_pods="$(grep -c '"kind": "Pod"' "$o/pods.json")"
  if ((n_pods == 0)); then
    pass "$env: pod-security: no pod templates to check"
  elif k apply --server-side --dry-run=server --validate=strict --field-manager=cluster-test \
    -f "$o/pods.json" >"$o/pods.out" 2>&1 && ! grep -qi '^warning' "$o/pods.out"; then
    pass "$env: pod-security: $n_pods pod templates admitted as Pods (enforce: $(k get ns "${namespaces[0]}" -o jsonpath='{.metadata.labels.pod-security\.kubernetes\.io/enforce}'))"
  else
    fail "$env: pod-security: pod templates admitted as Pods" "$o/pods.out"
  fi

  # negative: PodSecurity rejects a non-compliant pod in each namespace that enforces a level
  for ns in "${namespaces[@]}"; do
    level="$(k get ns "$ns" -o jsonpath='{.metadata.labels.pod-security\.kubernetes\.io/enforce}')"
    if [[ "$level" != restricted && "$level" != baseline ]]; then
      fail "$env: namespace $ns does not enforce Pod Security restricted/baseline (enforce='$level')"
      continue
    fi
    ensure_default_sa "$ns"
    if bad_pod "$ns" | k apply --server-side --dry-run=server --field-manager=cluster-test -f - >"$o/psa-reject-$ns.out" 2>&1; then
      fail "$env: psa-rejects: a privileged root pod was ACCEPTED in $ns" "$o/psa-reject-$ns.out"
    elif grep -q "violates PodSecurity \"$level:" "$o/psa-reject-$ns.out"; then
      pass "$env: psa-rejects: privileged root pod rejected in $ns by PodSecurity $level"
    else
      fail "$env: psa-rejects: pod refused in $ns, but not by PodSecurity" "$o/psa-reject-$ns.out"
    fi
  done

  # negative: strict field validation rejects an unknown field
  select_json "$dir" unknown-field >"$o/unknown-field.json"
  if k apply --server-side --dry-run=server --validate=strict --field-manager=cluster-test \
    -f "$o/unknown-field.json" >"$o/unknown-field.out" 2>&1; then
    fail "$env: strict-rejects: an unknown field was ACCEPTED" "$o/unknown-field.out"
  elif grep -q 'unknown field' "$o/unknown-field.out"; then
    pass "$env: strict-rejects: unknown field rejected ($(grep -o 'unknown field "[^"]*"' "$o/unknown-field.out" | head -n 1))"
  else
    fail "$env: strict-rejects: apply failed, but not for the unknown field" "$o/unknown-field.out"
  fi
done

# control: the bad pod is admitted where Pod Security enforces `privileged`
ctl=cluster-test-privileged
o="$out/control"; mkdir -p "$o"
if printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n  labels:\n    pod-security.kubernetes.io/enforce: privileged\n' "$ctl" |
  k apply --server-side --field-manager=cluster-test -f - >"$o/psa-control.out" 2>&1 &&
  ensure_default_sa "$ctl" >>"$o/psa-control.out" 2>&1 &&
  bad_pod "$ctl" | k apply --server-side --dry-run=server --field-manager=cluster-test -f - >>"$o/psa-control.out" 2>&1; then
  pass "psa-control: the same pod is admitted in a namespace enforcing privileged"
else
  fail "psa-control: the same pod is admitted in a namespace enforcing privileged" "$o/psa-control.out"
fi
# (not deleted: without kube-controller-manager a namespace never finishes terminating;
# the whole cluster is thrown away by down.sh)

# with a node (test/cluster/node.sh): workloads really run
if [[ -n "${CLUSTER_NODE:-}" ]]; then
  source "$CLUSTER_HERE/node-checks.sh"
  node_checks "$(node "$CLUSTER_HERE/select.mjs" "$dist/${envs[0]}" kinds Namespace |
    node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).items[0].metadata.name)')"
fi

echo "cluster: $passed passed, $failed failed"
((failed == 0))
