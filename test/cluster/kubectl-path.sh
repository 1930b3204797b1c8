#!/usr/bin/env bash
# Node mode: the plain kubectl path (no ops tool), as README.md and docs/infrastructure.md print it,
# on the synthesized e2e environment renamed into a namespace of its own (todo-kpath, host
# todo-kpath.gateway.test; a consistent rename of todo-e2e, so it runs beside the other suites). Its
# HTTPRoute, Certificate and ReferenceGrant need their CRDs (schemas/crds/, installed here as the
# docs say; nothing routes to this copy):
#
#   1. apply on an empty cluster: `kubectl apply -f DIR/` alone is refused (no Namespace yet, a
#      clear NotFound); the documented first install works: `kubectl apply -f DIR/00-namespace/`,
#      the Secret created by hand, then `kubectl apply -f DIR/`; every rollout completes;
#   2. a repeated client-side apply writes nothing (kubectl's managedFields times unchanged) and reports
#      every object `unchanged` (the StatefulSet too: its claim template is written in its stored form;
#      the custom resources with their defaults written out) but the PodDisruptionBudgets, whose
#      selector kubectl re-sends by design (docs/infrastructure.md) (both forms: the two folders, and
#      `kubectl apply -R -f DIR/`);
#   3. `kubectl delete -f DIR/` deletes the application and keeps the Namespace, the database's PVC
#      (with a row written before) and the Secret; `kubectl apply -R -f DIR/` reinstalls on them and
#      the row is still there; negative control: `kubectl delete -R -f DIR/` takes the Namespace and
#      the data with it.
#
# Usage: test/cluster/kubectl-path.sh ENV_FILE [NETNS]
# Prints one `ok`/`FAIL` line per check and `kubectl-path: N passed, M failed`.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

source "$CLUSTER_HERE/app-lib.sh" kubectl-path kpath "$@"
src=e2e
dir="$REPO_ROOT/dist/$env" # database_pv (app-lib.sh) reads the StatefulSet's claim from dist/$env
selector="app.kubernetes.io/instance=todo-$env"

cleanup() {
  k delete namespace "$ns" --ignore-not-found --wait=true --timeout=120s >/dev/null 2>&1
  k delete pv "cluster-test-$ns-postgres" --ignore-not-found >/dev/null 2>&1
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 143' TERM INT
finish() {
  ((failed == 0)) || diagnostics
  echo "kubectl-path: $passed passed, $failed failed"
  ((failed == 0))
  exit
}

# The images are dist/e2e's (app.sh imported them into containerd).
mapfile -t images < <(sed -n 's/^ *image: *//p' "dist/$src"/*.yaml | tr -d '"' | sort -u)
tag="$(printf '%s\n' "${images[@]}" | sed -n 's/^todo-backend://p' | head -n 1)"
[[ -n "$tag" ]] || { echo "dist/$src names no todo-backend image" >"$o/images.out"; fail "kubectl-path: images of dist/$src" "$o/images.out"; finish; }

rm -rf "$dir"
cp -r "dist/$src" "$dir"
find "$dir" -name '*.yaml' -exec sed -i -e "s/todo-$src/todo-$env/g" {} +
[[ -f "$dir/00-namespace/namespace.k8s.yaml" ]] || { fail "kubectl-path: dist/$src has 00-namespace/namespace.k8s.yaml"; finish; }

# Every line of a kubectl apply says "unchanged", except for the PodDisruptionBudgets (their selector
# has the patch strategy `replace`): kubectl re-sends it, a no-op the API server does not store. So
# the time of kubectl's own managedFields entry must stay the same on every object (a write by
# kubectl would update it; controllers' status writes do not touch it).
all_unchanged() { ! grep -v ' unchanged$' "$1" | grep -v -E '^poddisruptionbudget\.policy/[a-z0-9-]* configured$' | grep -q .; }
versions() { k get -f "$dir/00-namespace/" -f "$dir/" -o jsonpath='{range .items[*]}{.kind}/{.metadata.name}{range .metadata.managedFields[?(@.manager=="kubectl-client-side-apply")]} {.time}{end}{"\n"}{end}'; }
reapply() { # reapply OUT ARGS...: apply again; nothing may change
  local out="$1" before after; shift
  before="$(versions 2>&1)"
  k apply "$@" >"$out" 2>&1 || return 1
  after="$(versions 2>&1)"
  [[ "$before" == "$after" ]] || { diff <(echo "$before") <(echo "$after") >>"$out"; return 1; }
  all_unchanged "$out"
}
rollouts() {
  local w
  for w in statefulset/todo-postgres deployment/todo-backend deployment/todo-frontend; do
    k rollout status "$w" -n "$ns" --timeout="$rollout_timeout" || return 1
  done
}

# --- 1. apply on an empty cluster -------------------------------------------------------------
if k get namespace "$ns" >/dev/null 2>&1; then fail "kubectl-path: namespace $ns is absent before the test"; finish; fi
crds=(-f schemas/crds/gateway-api-v1.4.1/ -f schemas/crds/cert-manager-v1.21.1/ -f schemas/crds/prometheus-operator-v0.93.0/)
if ! { k apply --server-side --field-manager=cluster-test "${crds[@]}" && k wait --for=condition=Established --timeout=60s "${crds[@]}"; } >"$o/crds.out" 2>&1; then
  fail "kubectl-path: the CRDs of schemas/crds/ installed" "$o/crds.out"
  finish
fi
if k apply -f "$dir/" >"$o/apply-alone.out" 2>&1; then
  fail "kubectl-path: kubectl apply -f DIR/ before its Namespace was accepted" "$o/apply-alone.out"
elif grep -q "namespaces \"$ns\" not found" "$o/apply-alone.out"; then
  pass "kubectl-path: on an empty cluster, kubectl apply -f DIR/ alone is refused: namespaces \"$ns\" not found"
else
  fail "kubectl-path: kubectl apply -f DIR/ without its Namespace fails for another reason" "$o/apply-alone.out"
fi
k delete -f "$dir/" --ignore-not-found >/dev/null 2>&1 # whatever the refused apply may have left (nothing)

password="$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')"
if k apply -f "$dir/00-namespace/" >"$o/install.out" 2>&1 &&
  k create secret generic todo-secrets -n "$ns" \
    --from-literal=jwt-secret="$(head -c 48 /dev/urandom | base64 | tr -d '\n')" \
    --from-literal=postgres-password="$password" \
    --from-literal=database-url="postgres://todo:$password@todo-postgres.$ns.svc.cluster.local:5432/todo" \
    --from-literal=migration-database-url="postgres://todo:$password@todo-postgres.$ns.svc.cluster.local:5432/todo" >>"$o/install.out" 2>&1 &&
  database_pv &&
  k apply -f "$dir/" >>"$o/install.out" 2>&1 && rollouts >>"$o/install.out" 2>&1; then
  pass "kubectl-path: first install: kubectl apply -f DIR/00-namespace/, the Secret by hand, kubectl apply -f DIR/: $(grep -c ' created$' "$o/install.out") objects created, every rollout complete"
else
  fail "kubectl-path: first install on an empty cluster" "$o/install.out"
  finish
fi

# --- 2. a repeated apply changes nothing ------------------------------------------------------
if reapply "$o/reapply.out" -f "$dir/00-namespace/" -f "$dir/"; then
  pass "kubectl-path: repeated client-side apply: $(grep -c ' unchanged$' "$o/reapply.out") objects unchanged (the StatefulSet $(grep -o '^statefulset.apps/todo-postgres [a-z]*' "$o/reapply.out" | cut -d' ' -f2), the HTTPRoute $(grep -o '^httproute.gateway.networking.k8s.io/todo [a-z]*' "$o/reapply.out" | cut -d' ' -f2)), $(grep -c ' configured$' "$o/reapply.out") re-sent by kubectl (the PDBs); nothing written"
else
  fail "kubectl-path: repeated client-side apply changes nothing" "$o/reapply.out"
fi

# negative control: the same check sees a real change (a ConfigMap value), then the manifests are restored
sed 's/^  LOG_LEVEL: .*/  LOG_LEVEL: trace/' "$dir/10-config.k8s.yaml" >"$o/changed-config.k8s.yaml"
if grep -q 'LOG_LEVEL: trace' "$o/changed-config.k8s.yaml" && ! reapply "$o/reapply-changed.out" -f "$o/changed-config.k8s.yaml" &&
  k apply -f "$dir/" >>"$o/reapply-changed.out" 2>&1; then
  pass "kubectl-path: negative control: the same check reports a changed ConfigMap value as a write"
else
  fail "kubectl-path: negative control: a real change is seen by the re-apply check" "$o/reapply-changed.out"
fi

# --- 3. delete keeps the data -------------------------------------------------------------------
psql() { k exec -n "$ns" todo-postgres-0 -c postgres -- psql -v ON_ERROR_STOP=1 -tA -U todo -d todo -c "$1"; }
marker="kept-$RANDOM"
if ! psql "CREATE TABLE IF NOT EXISTS kubectl_path_marker (v text); INSERT INTO kubectl_path_marker VALUES ('$marker');" >"$o/marker.out" 2>&1; then
  fail "kubectl-path: a row written to the database" "$o/marker.out"
  finish
fi
if k delete -f "$dir/" --wait=true --timeout=180s >"$o/delete.out" 2>&1; then
  {
    echo "left with the release labels: $(k get deployments,statefulsets,services,configmaps,networkpolicies,serviceaccounts,horizontalpodautoscalers,poddisruptionbudgets,httproutes,referencegrants,certificates -n "$ns" -l "$selector" -o name | tr '\n' ' ')"
    echo "namespace: $(k get namespace "$ns" -o jsonpath='{.status.phase}')"
    echo "pvc: $(k get pvc -n "$ns" "$claim" -o jsonpath='{.status.phase}')"
    echo "secret: $(k get secret -n "$ns" todo-secrets -o jsonpath='{.metadata.name}')"
  } >"$o/after-delete.out" 2>&1
  if grep -qx 'left with the release labels: ' "$o/after-delete.out" && grep -qx 'namespace: Active' "$o/after-delete.out" &&
    grep -qx 'pvc: Bound' "$o/after-delete.out" && grep -qx 'secret: todo-secrets' "$o/after-delete.out"; then
    pass "kubectl-path: kubectl delete -f DIR/ deleted $(grep -c ' deleted' "$o/delete.out") objects; kept the Namespace (Active), the PVC (Bound) and the Secret"
  else
    cat "$o/after-delete.out" >>"$o/delete.out"
    fail "kubectl-path: kubectl delete -f DIR/ keeps the Namespace, the PVC and the Secret" "$o/delete.out"
  fi
else
  fail "kubectl-path: kubectl delete -f DIR/" "$o/delete.out"
fi

if k apply -R -f "$dir/" >"$o/reinstall.out" 2>&1 && rollouts >>"$o/reinstall.out" 2>&1 &&
  [[ "$(psql "SELECT v FROM kubectl_path_marker WHERE v = '$marker'" 2>>"$o/reinstall.out")" == "$marker" ]]; then
  pass "kubectl-path: kubectl apply -R -f DIR/ reinstalls on the kept PVC and Secret: the row written before the delete is there"
else
  fail "kubectl-path: reinstall after delete finds the database as it was" "$o/reinstall.out"
fi
if reapply "$o/reapply-r.out" -R -f "$dir/"; then
  pass "kubectl-path: repeated kubectl apply -R -f DIR/: nothing changed ($(grep -c ' unchanged$' "$o/reapply-r.out") unchanged)"
else
  fail "kubectl-path: repeated kubectl apply -R changes nothing" "$o/reapply-r.out"
fi

# negative control (and clean-up): with the Namespace's folder in the set (-R), the same delete takes
# the Namespace and with it the PVC and the Secret: keeping them depends on the layout
if k delete -R -f "$dir/" --wait=true --timeout=180s >"$o/delete-r.out" 2>&1 &&
  ! k get namespace "$ns" >>"$o/delete-r.out" 2>&1 && ! k get pvc -n "$ns" "$claim" >>"$o/delete-r.out" 2>&1; then
  pass "kubectl-path: negative control: kubectl delete -R -f DIR/ (the Namespace's folder too) deletes the Namespace, the PVC and the Secret"
else
  fail "kubectl-path: negative control: kubectl delete -R -f DIR/ deletes the Namespace and its data" "$o/delete-r.out"
fi

finish
