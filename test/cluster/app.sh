#!/usr/bin/env bash
# Node mode, last phase: the application itself on the one-node cluster of node.sh, deployed
# with the project's own ops tool (npm run secrets|deploy|status|history|uninstall).
#
#   1. the images that dist/dev names (todo-backend:<rev>, todo-frontend:<rev>,
#      postgres:17.11-trixie) exist in the local Docker engine (started with
#      scripts/images/ensure-dockerd.sh if none answers, stopped again only if started here;
#      built as scripts/ci/images.sh builds them when the app images are missing), and are
#      imported into the node's containerd (docker save | ctr import), where kubelet finds
#      them under docker.io/library/... (IfNotPresent: nothing is pulled);
#   2. a hostPath PersistentVolume (no provisioner here), pre-bound to the StatefulSet's
#      claim, without the release labels (prune and uninstall never see it);
#   3. secrets -> deploy (PostgreSQL, migrations, rollouts, smoke test) -> diff (clean) -> status, history
#      -> deploy again (idempotent: nothing pruned, no pod replaced) -> deploy after two
#      release-labelled strays were added (exactly those are pruned) -> uninstall (PVC,
#      Secret and namespace kept; objects without the release labels untouched) -> deploy
#      once more (the kept database is reused: migrations find the schema up to date).
#
# Runs in the host's network namespace (Docker, and a build, need it); every kubectl and ops
# call enters the cluster's namespace (NETNS) with nsenter --net. ctr talks to containerd
# over its unix socket, which works from either side.
#
# Usage: test/cluster/app.sh ENV_FILE [NETNS]
# Prints one `ok`/`FAIL` line per check and `app: N passed, M failed`; on failure the ops
# tool's output, pods, descriptions of pods that are not ready and the kubelet/containerd logs.
# Env: CLUSTER_APP_ROLLOUT_TIMEOUT (ops --timeout, default 180s).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

source "$CLUSTER_HERE/app-lib.sh" app dev "$@"

dockerd_started=""
stop_dockerd() { # only an engine this script started; also when killed (cluster.sh's timeout)
  if [[ -n "$dockerd_started" ]]; then
    dockerd_started=""
    scripts/images/ensure-dockerd.sh --stop >>"$o/images.out" 2>&1
  fi
}
trap stop_dockerd EXIT
trap 'exit 143' TERM INT
finish() {
  ((failed == 0)) || diagnostics
  stop_dockerd
  echo "app: $passed passed, $failed failed"
  ((failed == 0))
  exit
}

# --- 1. images ---------------------------------------------------------------------------
# The references dist/dev names (cluster.sh synthesized it just before); their tag is the
# revision the ops tool must synthesize too (TODO_IMAGE_TAG), even if HEAD moves meanwhile.
mapfile -t images < <(sed -n 's/^ *image: *//p' "$REPO_ROOT/dist/$env"/*.yaml | tr -d '"' | sort -u)
tag="$(printf '%s\n' "${images[@]}" | sed -n 's/^todo-backend://p' | head -n 1)"
if ((${#images[@]} == 0)) || [[ -z "$tag" ]]; then
  echo "dist/$env names no todo-backend image: ${images[*]:-none}" >"$o/images.out"
  fail "app: images of dist/$env in containerd" "$o/images.out"
  finish
fi
import_images() {
  docker info >/dev/null 2>&1 || dockerd_started=1
  scripts/images/ensure-dockerd.sh || return 1
  local missing=() i
  for i in "${images[@]}"; do docker image inspect "$i" >/dev/null 2>&1 || missing+=("$i"); done
  if ((${#missing[@]})); then
    echo "missing in Docker: ${missing[*]}: building them as scripts/ci/images.sh does"
    scripts/images/build-standins.sh all || return 1
    [[ "$tag" == "$(git rev-parse --short=12 HEAD)" ]] || echo "note: HEAD moved since synth; building $tag from the working tree"
    scripts/build-images --quiet --base-image node:24-bookworm-slim --tag "$tag" || return 1
  fi
  for i in "${images[@]}"; do
    echo "import $i"
    docker save "$i" | ctr_k8s images import - || return 1
  done
  local have
  have="$(ctr_k8s images ls -q)"
  for i in "${images[@]}"; do
    local ref="docker.io/library/$i" first="${i%%/*}"
    if [[ "$i" == */* ]]; then
      if [[ "$first" == *.* || "$first" == *:* || "$first" == localhost ]]; then ref="$i"; else ref="docker.io/$i"; fi
    fi
    grep -qxF "$ref" <<<"$have" || { echo "$ref is not in containerd after the import"; return 1; }
  done
}
t0=$SECONDS
if import_images >"$o/images.out" 2>&1; then
  pass "app: ${images[*]} imported into the node's containerd ($((SECONDS - t0)) s)"
else
  fail "app: images of dist/$env imported into the node's containerd" "$o/images.out"
  finish
fi

# --- 2. storage --------------------------------------------------------------------------
database_pv || finish

# --- 3. the lifecycle ----------------------------------------------------------------------
# Objects in the namespace without the release labels (node-checks.sh's hello Deployment
# and Service, when they ran): deploy and uninstall must leave them alone.
foreign_objects() { k get deployments,services -n "$ns" -o name -l '!app.kubernetes.io/part-of' | grep -v cluster-test-bad | sort | tr '\n' ' '; }
foreign="$(foreign_objects 2>/dev/null)"
pods_of() { k get pods -n "$ns" -l app.kubernetes.io/part-of=todo -o jsonpath='{range .items[*]}{.metadata.name}={.metadata.uid}{"\n"}{end}' | sort; }

if ops secrets "$o/secrets.out"; then
  pass "app: npm run secrets -- --env $env ($(grep -o 'generated: [^;]*' "$o/secrets.out"))"
else
  fail "app: npm run secrets -- --env $env" "$o/secrets.out"
  finish
fi

t0=$SECONDS
if ops deploy "$o/deploy-1.out" --timeout "$rollout_timeout" && grep -q '^smoke test passed' "$o/deploy-1.out" &&
  grep -q 'revision 1 deployed' "$o/deploy-1.out"; then
  pass "app: npm run deploy -- --env $env: PostgreSQL, migrations, backend, frontend rolled out, smoke test passed ($((SECONDS - t0)) s)"
else
  fail "app: npm run deploy -- --env $env" "$o/deploy-1.out"
  finish
fi

# what the deploy proves, checked independently of the tool's own output
{
  k get pvc -n "$ns" "$claim" -o jsonpath='{.status.phase} {.spec.volumeName}{"\n"}'
  k get pods -n "$ns" -l app.kubernetes.io/component=backend -o jsonpath='{range .items[*].status.initContainerStatuses[*]}{.name} exit {.state.terminated.exitCode}{"\n"}{end}'
  k logs -n "$ns" deployment/todo-backend -c migrate --tail=5
  k get pods -n "$ns" -o wide
} >"$o/deployed.out" 2>&1
if grep -qx "Bound cluster-test-$ns-postgres" "$o/deployed.out" && grep -qx 'migrate exit 0' "$o/deployed.out" &&
  [[ "$(k get pods -n "$ns" -l app.kubernetes.io/part-of=todo -o jsonpath='{range .items[*]}{.status.containerStatuses[*].ready}{"\n"}{end}' | grep -c '^true$')" == 3 ]]; then
  pass "app: claim $claim Bound to the hostPath PV, migrate init container exited 0, 3/3 pods Ready"
else
  fail "app: claim Bound, migrate exited 0, 3/3 pods Ready" "$o/deployed.out"
fi

# diff against what was just deployed: nothing differs (each server-side apply would change nothing)
if ops diff "$o/diff.out" && grep -q '^no differences in the applied objects' "$o/diff.out" &&
  grep -q '^deploy would prune nothing' "$o/diff.out"; then
  pass "app: npm run diff after deploy: no differences, nothing to prune"
else
  fail "app: npm run diff after deploy: no differences, nothing to prune" "$o/diff.out"
fi

if ops status "$o/status.out" && grep -q 'revision 1 deployed' "$o/status.out" &&
  (($(grep -cE 'successfully rolled out|roll out complete' "$o/status.out") == 3)); then
  pass "app: npm run status: revision 1 deployed, 3 rollouts complete"
else
  fail "app: npm run status: revision 1 deployed, 3 rollouts complete" "$o/status.out"
fi
if ops history "$o/history.out" && grep -qE '^1 +[^ ]+ +deployed +install ' "$o/history.out"; then
  pass "app: npm run history: revision 1 deployed (install)"
else
  fail "app: npm run history: revision 1 deployed (install)" "$o/history.out"
fi

# deploy again, nothing changed: nothing pruned, no pod replaced, revision 2 supersedes 1
before="$(pods_of)"
t0=$SECONDS
if ops deploy "$o/deploy-2.out" --timeout "$rollout_timeout" && grep -q '^nothing to prune' "$o/deploy-2.out" &&
  ! grep -q '^pruned ' "$o/deploy-2.out" && grep -q 'revision 2 deployed' "$o/deploy-2.out" &&
  [[ "$(pods_of)" == "$before" ]] && ops history "$o/history-2.out" &&
  grep -qE '^1 +[^ ]+ +superseded ' "$o/history-2.out" && grep -qE '^2 +[^ ]+ +deployed +upgrade ' "$o/history-2.out"; then
  pass "app: second deploy is idempotent: nothing pruned, same pods, revision 2 deployed ($((SECONDS - t0)) s)"
else
  { echo "pods before: $before"; echo "pods after: $(pods_of)"; cat "$o/history-2.out" 2>/dev/null; } >>"$o/deploy-2.out"
  fail "app: second deploy is idempotent" "$o/deploy-2.out"
fi

# prune on the real server: a ConfigMap and a Service with the release labels, applied by the
# tool's field manager (as an earlier revision would have left them), are deleted by the next
# deploy (by name and selector); nothing else is
stale() { # stale KIND-ARGS...: a release-labelled object as YAML
  inns kubectl create "$@" -n "$ns" --dry-run=client -o yaml |
    inns kubectl label -f - --local -o yaml app.kubernetes.io/part-of=todo app.kubernetes.io/instance=todo-dev
}
before="$(pods_of)"
if { stale configmap cluster-test-stale --from-literal=a=b; echo ---; stale service clusterip cluster-test-stale --tcp=80:80; } |
  k apply --server-side --field-manager=todo-ops -f - >"$o/deploy-prune.out" 2>&1 &&
  ops deploy "$o/deploy-prune.out.2" --timeout "$rollout_timeout" --skip-smoke; then
  cat "$o/deploy-prune.out.2" >>"$o/deploy-prune.out"
  if [[ "$(grep '^pruned ' "$o/deploy-prune.out" | sort | tr '\n' ' ')" == "pruned ConfigMap/cluster-test-stale pruned Service/cluster-test-stale " ]] &&
    [[ -z "$(k get configmap,service -n "$ns" cluster-test-stale -o name --ignore-not-found)" ]] &&
    [[ "$(pods_of)" == "$before" ]] && [[ "$(foreign_objects)" == "$foreign" ]]; then
    pass "app: deploy prunes exactly the release-labelled objects the synth no longer has (ConfigMap, Service)"
  else
    fail "app: deploy prunes exactly the release-labelled objects the synth no longer has" "$o/deploy-prune.out"
  fi
else
  cat "$o/deploy-prune.out.2" >>"$o/deploy-prune.out" 2>/dev/null
  fail "app: deploy prunes the release-labelled objects the synth no longer has" "$o/deploy-prune.out"
fi
rm -f "$o/deploy-prune.out.2"

# uninstall: the release's objects go; PVC, Secret, namespace and foreign objects stay
if ops uninstall "$o/uninstall.out"; then
  {
    echo "left with the release labels: $(k get deployments,statefulsets,services,configmaps,networkpolicies,serviceaccounts -n "$ns" -l app.kubernetes.io/instance=todo-dev -o name | tr '\n' ' ')"
    echo "pvc: $(k get pvc -n "$ns" "$claim" -o jsonpath='{.status.phase}')"
    echo "secret: $(k get secret -n "$ns" todo-secrets -o jsonpath='{.metadata.name}')"
    echo "namespace: $(k get namespace "$ns" -o jsonpath='{.status.phase}')"
    echo "pv: $(k get pv "cluster-test-$ns-postgres" -o jsonpath='{.status.phase}')"
    echo "foreign: $(foreign_objects)"
  } >"$o/after-uninstall.out" 2>&1
  if grep -qx 'left with the release labels: ' "$o/after-uninstall.out" && grep -qx 'pvc: Bound' "$o/after-uninstall.out" && grep -qx 'pv: Bound' "$o/after-uninstall.out" &&
    grep -qx 'secret: todo-secrets' "$o/after-uninstall.out" && grep -qx 'namespace: Active' "$o/after-uninstall.out" &&
    grep -qxF "foreign: $foreign" "$o/after-uninstall.out"; then
    pass "app: npm run uninstall: release objects deleted; kept: PVC (Bound), PV, Secret, namespace, unlabelled objects (${foreign% })"
  else
    cat "$o/after-uninstall.out" >>"$o/uninstall.out"
    fail "app: npm run uninstall keeps the PVC, the Secret and unlabelled objects" "$o/uninstall.out"
  fi
else
  fail "app: npm run uninstall -- --env $env" "$o/uninstall.out"
fi

# install again: the kept PVC still holds the database (migrations find the schema up to
# date), the kept Secret still matches its password, and the smoke test passes
if ops deploy "$o/deploy-3.out" --timeout "$rollout_timeout" && grep -q '^smoke test passed' "$o/deploy-3.out" &&
  grep -q 'revision 1 deployed' "$o/deploy-3.out" && grep -q 'migrations: the schema is up to date' "$o/deploy-3.out"; then
  pass "app: deploy after uninstall: the database kept on the PVC (schema up to date), smoke test passed"
else
  fail "app: deploy after uninstall reuses the kept database" "$o/deploy-3.out"
fi

finish
