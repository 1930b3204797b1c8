# Helpers shared by test/cluster/app.sh (dev) and test/cluster/e2e.sh (e2e), sourced after lib.sh
# as `source app-lib.sh SUITE ENV ENV_FILE [NETNS]`: suite-lib.sh's (SUITE, ENV_FILE, NETNS), and
# env and ns (the environment and its namespace), rollout_timeout, ops, diagnostics, database_pv.
# The caller sets tag (the image tag of dist/ENV).
# shellcheck shell=bash

env="$2"
ns="todo-$env"
source "$CLUSTER_HERE/suite-lib.sh" "$1" "${3:-}" "${4:-}"
rollout_timeout="${CLUSTER_APP_ROLLOUT_TIMEOUT:-180s}"

ops() { # ops COMMAND OUT_FILE [ARGS...]
  local cmd="$1" out="$2"; shift 2
  inns env TODO_IMAGE_TAG="$tag" npm run --silent ops -- "$cmd" --env "$env" --context cluster-test \
    --kubeconfig "$KUBECONFIG" "$@" >"$out" 2>&1
}

diagnostics() {
  {
    echo "--- kubectl get pods -A -o wide"
    k get pods -A -o wide
    echo "--- kubectl get pvc,pv -A"
    k get pvc,pv -A
    local p
    for p in $(k get pods -A -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name} {range .status.conditions[?(@.type=="Ready")]}{.status}{end}{"\n"}{end}' | awk '$2 != "True" { print $1 }'); do
      echo "--- kubectl describe pod $p"
      k describe pod -n "${p%%/*}" "${p#*/}" | tail -n 40
      echo "--- kubectl logs $p (last 20 lines; of the previous attempt if it restarted)"
      k logs -n "${p%%/*}" "${p#*/}" --all-containers --tail=20 --previous 2>/dev/null || k logs -n "${p%%/*}" "${p#*/}" --all-containers --tail=20
    done
    echo "--- kubectl get events -n $ns"
    k get events -n "$ns" --sort-by=.lastTimestamp | tail -n 30
    echo "--- kubelet.log (last 40 lines)"
    tail -n 40 "$LOG_DIR/kubelet.log"
    echo "--- containerd.log (last 40 lines)"
    tail -n 40 "$LOG_DIR/containerd.log"
  } >"$o/diagnostics.out" 2>&1
  echo "$suite: diagnostics (also in $o/diagnostics.out):"
  sed 's/^/       /' "$o/diagnostics.out"
}

# database_pv: a hostPath PersistentVolume pre-bound to the StatefulSet's claim of dist/$env
# (there is no provisioner here; the claim has no storageClassName and no StorageClass
# exists, so it binds to a class-less PV). No release labels: prune and uninstall never list
# it. Owned by the postgres uid (fsGroup is not applied to hostPath volumes). Sets `claim`.
database_pv() {
  local pv_dir="$STATE_DIR/node/pv/$ns-postgres" size storage_class
  read -r claim size storage_class < <(node -e '
    const { parseAllDocuments } = require("yaml");
    for (const d of parseAllDocuments(require("fs").readFileSync(process.argv[1], "utf8"))) {
      const o = d.toJS();
      if (o?.kind === "StatefulSet") for (const t of o.spec.volumeClaimTemplates ?? []) console.log(`${t.metadata.name}-${o.metadata.name}-0 ${t.spec.resources.requests.storage} ${t.spec.storageClassName ?? ""}`);
    }' "$REPO_ROOT/dist/$env/20-workloads.k8s.yaml" | head -n 1)
  mkdir -p "$pv_dir" && chown 999:999 "$pv_dir" && chmod 700 "$pv_dir"
  cat >"$o/pv.yaml" <<PV
apiVersion: v1
kind: PersistentVolume
metadata:
  name: cluster-test-$ns-postgres
  labels: { app.kubernetes.io/managed-by: cluster-test }
spec:
  capacity: { storage: ${size:-1Gi} }
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: "${storage_class:-}"
  hostPath: { path: "$pv_dir", type: Directory }
  claimRef: { namespace: $ns, name: ${claim:-data-todo-postgres-0} }
PV
  if [[ -n "$claim" ]] && k apply --server-side --field-manager=cluster-test -f "$o/pv.yaml" >"$o/pv.out" 2>&1; then
    pass "$suite: hostPath PersistentVolume for claim $ns/$claim (${size:-1Gi})"
  else
    echo "claim name from dist/$env: '${claim}'" >>"$o/pv.out"
    fail "$suite: hostPath PersistentVolume for the database claim" "$o/pv.out"
    return 1
  fi
}
