#!/usr/bin/env bash
# Node mode, last suite: the dev environment's Helm chart (npm run helm-chart) driven by Helm
# itself on the cluster app.sh used, in the namespace app.sh's ops tool release leaves:
#
#   1. hand-over: `npm run uninstall -- --env dev` (the ops tool keeps the PVC, the Secret and
#      the Namespace), then the chart of dist/dev (the images app.sh imported) and its
#      prerequisites.yaml (the Namespace) applied with kubectl;
#   2. helm install --wait: every rollout complete (kubectl rollout status), 3/3 pods Ready, the
#      kept database reused (migrations: the schema is up to date; the claim Bound to the same
#      PV); the release holds no Namespace, PVC or Secret;
#   3. helm test --logs: the smoke-test hook (the ops tool's smoke Pod) passes and is deleted;
#   4. helm upgrade --set images.backend=<the backend image under a second reference> --wait:
#      revision 2 runs it (both backend containers), helm test passes with it;
#   5. helm rollback --wait: revision 3 runs the first reference again;
#   6. helm uninstall --wait: no release object left, Helm's release records gone; kept: the PVC
#      (Bound), its PV, the Secret todo-secrets, the Namespace.
#
# Helm: $HELM_BIN (cluster.sh builds it: scripts/ci/helm.sh --print-helm), else built here.
# Usage: test/cluster/helm.sh ENV_FILE [NETNS]   (run by scripts/ci/cluster.sh in node mode)
# Prints one `ok`/`FAIL` line per check and `helm: N passed, M failed`; outputs in
# .logs/cluster/logs/checks/helm/. Env: CLUSTER_APP_ROLLOUT_TIMEOUT (Helm's --timeout, default 180s).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

source "$CLUSTER_HERE/app-lib.sh" helm dev "$@"
release="todo-$env"
finish() {
  ((failed == 0)) || diagnostics
  echo "helm: $passed passed, $failed failed"
  ((failed == 0))
  exit
}
HELM="${HELM_BIN:-}"
[[ -x "$HELM" ]] || HELM="$(bash scripts/ci/helm.sh --print-helm 2>"$o/helm-build.out")" || {
  fail "helm: helm built from its Go module (scripts/ci/helm.sh --print-helm)" "$o/helm-build.out"
  finish
}
# Helm's own configuration and cache stay in the suite's folder.
export HELM_CONFIG_HOME="$o/helm-home/config" HELM_CACHE_HOME="$o/helm-home/cache" HELM_DATA_HOME="$o/helm-home/data"
helmk() { inns "$HELM" --kubeconfig "$KUBECONFIG" --kube-context cluster-test "$@"; }

# The image tag of dist/dev (app.sh imported its images into the node's containerd).
tag="$(sed -n 's/^ *image: *"\{0,1\}todo-backend:\([^"]*\)"\{0,1\}$/\1/p' "dist/$env"/*.yaml | head -n 1)"
if [[ -z "$tag" ]] || ! ctr_k8s images ls -q 2>&1 | grep -qxF "docker.io/library/todo-backend:$tag"; then
  echo "todo-backend:${tag:-?} (dist/$env) is not in the node's containerd: app.sh imports it" >"$o/images.out"
  fail "helm: the images of dist/$env are on the node" "$o/images.out"
  finish
fi
backend_images() { k get deployment -n "$ns" todo-backend -o jsonpath='{.spec.template.spec.initContainers[*].image} {.spec.template.spec.containers[*].image}'; }
release_objects() { k get deployments,statefulsets,services,configmaps,networkpolicies,serviceaccounts -n "$ns" -l "app.kubernetes.io/instance=$release" -o name | tr '\n' ' '; }
# rollouts_ready OUT: every workload of the release rolled out, checked with kubectl
rollouts_ready() {
  local w
  for w in statefulset/todo-postgres deployment/todo-backend deployment/todo-frontend; do
    k rollout status "$w" -n "$ns" --timeout=60s >>"$1" 2>&1 || return 1
  done
}
# smoke_test OUT: helm test passes with the smoke test's own verdict, and its Pod is gone afterwards
smoke_test() {
  helmk test "$release" --namespace "$ns" --logs --timeout "$rollout_timeout" >"$1" 2>&1 &&
    grep -q '^smoke test: all [0-9]* checks passed' "$1" && grep -q 'Phase: *Succeeded' "$1" &&
    [[ -z "$(k get pod "$release-smoke-test" -n "$ns" --ignore-not-found -o name)" ]]
}

# --- 1. hand-over from the ops tool ----------------------------------------------------------
if ops uninstall "$o/ops-uninstall.out" && [[ -z "$(release_objects)" ]] &&
  k get secret -n "$ns" todo-secrets -o name >>"$o/ops-uninstall.out" 2>&1; then
  pass "helm: npm run uninstall -- --env $env: the ops tool's release is gone; Secret and Namespace kept for Helm"
else
  fail "helm: npm run uninstall -- --env $env (hand-over to Helm)" "$o/ops-uninstall.out"
  finish
fi
database_pv || finish
chart="$o/$release"
if npm run --silent helm-chart -- --env "$env" --from "dist/$env" --outdir "$o" >"$o/chart.out" 2>&1 &&
  k apply --server-side -f "$chart/prerequisites.yaml" >>"$o/chart.out" 2>&1; then
  pass "helm: npm run helm-chart -- --env $env --from dist/$env; kubectl apply prerequisites.yaml ($(grep -o 'outside the chart.*' "$o/chart.out" | sed 's/.*: //'))"
else
  fail "helm: npm run helm-chart, kubectl apply prerequisites.yaml" "$o/chart.out"
  finish
fi

# --- 2. install ---------------------------------------------------------------------------------
t0=$SECONDS
if helmk install "$release" "$chart" --namespace "$ns" --wait --timeout "$rollout_timeout" >"$o/install.out" 2>&1 &&
  rollouts_ready "$o/install.out" &&
  [[ "$(k get pods -n "$ns" -l app.kubernetes.io/part-of=todo -o jsonpath='{range .items[*]}{.status.containerStatuses[*].ready}{"\n"}{end}' | grep -c '^true$')" == 3 ]]; then
  pass "helm: helm install --wait: PostgreSQL, migrations, backend, frontend rolled out, 3/3 pods Ready ($((SECONDS - t0)) s)"
else
  fail "helm: helm install --wait, rollouts complete, 3/3 pods Ready" "$o/install.out"
  finish
fi
{
  echo "claim: $(k get pvc -n "$ns" "$claim" -o jsonpath='{.status.phase} {.spec.volumeName}')"
  echo "kinds in the release: $(helmk get manifest "$release" --namespace "$ns" | sed -n 's/^kind: //p' | sort -u | tr '\n' ' ')"
  echo "managed-by: $(k get deployment -n "$ns" todo-backend -o jsonpath='{.metadata.labels.app\.kubernetes\.io/managed-by}')"
  k logs -n "$ns" deployment/todo-backend -c migrate --tail=5
} >"$o/installed.out" 2>&1
if grep -qx "claim: Bound cluster-test-$ns-postgres" "$o/installed.out" && grep -q 'migrations: the schema is up to date' "$o/installed.out" &&
  grep -qx 'managed-by: Helm' "$o/installed.out" && ! grep -qE '^kinds in the release:.*\b(Namespace|PersistentVolumeClaim|Secret)\b' "$o/installed.out"; then
  pass "helm: the kept database reused (claim $claim Bound to the same PV, schema up to date); no Namespace, PVC or Secret in the release"
else
  fail "helm: the kept database reused; no Namespace, PVC or Secret in the release" "$o/installed.out"
fi

# --- 3. helm test -------------------------------------------------------------------------------
if smoke_test "$o/test-1.out"; then
  pass "helm: helm test --logs: the smoke-test hook passed ($(grep -o 'all [0-9]* checks passed' "$o/test-1.out")), its Pod deleted"
else
  fail "helm: helm test --logs (smoke-test hook)" "$o/test-1.out"
fi

# --- 4. upgrade with a new image reference --------------------------------------------------------
second="todo-backend:$tag-helm"
t0=$SECONDS
if ctr_k8s images tag --force "docker.io/library/todo-backend:$tag" "docker.io/library/$second" >"$o/upgrade.out" 2>&1 &&
  helmk upgrade "$release" "$chart" --namespace "$ns" --wait --timeout "$rollout_timeout" --set "images.backend=$second" >>"$o/upgrade.out" 2>&1 &&
  rollouts_ready "$o/upgrade.out" && [[ "$(backend_images)" == "$second $second" ]] &&
  helmk status "$release" --namespace "$ns" -o json | node -e 'process.exit(JSON.parse(require("fs").readFileSync(0, "utf8")).version === 2 ? 0 : 1)'; then
  pass "helm: helm upgrade --set images.backend=$second --wait: revision 2 rolled out, both backend containers run it ($((SECONDS - t0)) s)"
else
  echo "backend images: $(backend_images)" >>"$o/upgrade.out"
  fail "helm: helm upgrade with a new backend image reference" "$o/upgrade.out"
fi
if smoke_test "$o/test-2.out" && helmk get hooks "$release" --namespace "$ns" | grep -qF "image: \"$second\""; then
  pass "helm: helm test after the upgrade: the hook runs $second and passes"
else
  fail "helm: helm test after the upgrade" "$o/test-2.out"
fi

# --- 5. rollback --------------------------------------------------------------------------------
t0=$SECONDS
if helmk rollback "$release" --namespace "$ns" --wait --timeout "$rollout_timeout" >"$o/rollback.out" 2>&1 &&
  rollouts_ready "$o/rollback.out" && [[ "$(backend_images)" == "todo-backend:$tag todo-backend:$tag" ]] &&
  helmk history "$release" --namespace "$ns" -o json >"$o/history.json" 2>>"$o/rollback.out" &&
  node -e 'const h = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); const last = h[h.length - 1];
    process.exit(h.length === 3 && last.revision === 3 && last.status === "deployed" && /Rollback to 1/.test(last.description) ? 0 : 1)' "$o/history.json" &&
  smoke_test "$o/test-3.out"; then
  pass "helm: helm rollback --wait: revision 3 (rollback to 1) rolled out, runs todo-backend:$tag again, helm test passes ($((SECONDS - t0)) s)"
else
  { echo "backend images: $(backend_images)"; cat "$o/history.json" "$o/test-3.out" 2>/dev/null; } >>"$o/rollback.out"
  fail "helm: helm rollback to revision 1" "$o/rollback.out"
fi

# --- 6. uninstall -------------------------------------------------------------------------------
if helmk uninstall "$release" --namespace "$ns" --wait --timeout "$rollout_timeout" >"$o/uninstall.out" 2>&1; then
  {
    echo "left with the release labels: $(release_objects)"
    echo "helm releases: $(k get secrets -n "$ns" -l "owner=helm,name=$release" -o name | tr '\n' ' ')"
    echo "pods: $(k get pods -n "$ns" -l "app.kubernetes.io/instance=$release" -o name | tr '\n' ' ')"
    echo "pvc: $(k get pvc -n "$ns" "$claim" -o jsonpath='{.status.phase}')"
    echo "pv: $(k get pv "cluster-test-$ns-postgres" -o jsonpath='{.status.phase}')"
    echo "secret: $(k get secret -n "$ns" todo-secrets -o jsonpath='{.metadata.name}')"
    echo "namespace: $(k get namespace "$ns" -o jsonpath='{.status.phase}')"
  } >"$o/after-uninstall.out" 2>&1
  if grep -qx 'left with the release labels: ' "$o/after-uninstall.out" && grep -qx 'helm releases: ' "$o/after-uninstall.out" &&
    grep -qx 'pvc: Bound' "$o/after-uninstall.out" && grep -qx 'pv: Bound' "$o/after-uninstall.out" &&
    grep -qx 'secret: todo-secrets' "$o/after-uninstall.out" && grep -qx 'namespace: Active' "$o/after-uninstall.out"; then
    pass "helm: helm uninstall --wait: release objects and records deleted; kept: PVC (Bound), PV, Secret todo-secrets, Namespace"
  else
    cat "$o/after-uninstall.out" >>"$o/uninstall.out"
    fail "helm: helm uninstall keeps the PVC, the Secret and the Namespace" "$o/uninstall.out"
  fi
else
  fail "helm: helm uninstall --wait" "$o/uninstall.out"
fi

finish
