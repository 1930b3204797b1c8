#!/usr/bin/env bash
# Step 3: production's shape on the one-node cluster (after app.sh, which imported the images, and
# platform.sh, which left Traefik's Gateway, cert-manager with the ClusterIssuer pebble, and Pebble
# running). Deploys the `e2e` environment (an HTTPRoute on the shared Gateway traefik/gateway, TLS
# from the ClusterIssuer pebble, HPA 2-4, PDB maxUnavailable 1, in-cluster PostgreSQL) with the ops
# tool, with its NetworkPolicies enforced, and real metrics:
#
#   1. add-ons: metrics-server (addons/metrics-server.yaml, behind the API server's aggregation layer);
#      the platform gives the environment's host a listener on its Gateway (the HTTPRoute's
#      sectionName, with the Secret the Certificate fills in todo-e2e), derived from dist/e2e;
#   2. secrets -> deploy (the ops tool's smoke test includes its checks through the Gateway);
#   3. the certificate: cert-manager issues it from Pebble over ACME HTTP-01 through the Gateway,
#      the solver pods admitted by the application's policy allow-acme-http01-solver;
#   4. HTTPS through the Gateway, as a client outside the cluster: `/` is the web app, /api the API
#      (sign up, create, list), the certificate verifies against Pebble's root and names the host
#      (traffic.ts flow); plain HTTP answers 301 to https;
#   5. both HPAs report CPU and memory utilization from metrics-server (ScalingActive);
#   6. (under the load of 7) `kubectl drain` of the node (the app pods of e2e) respects the PDBs: one pod per tier is
#      evicted, the next eviction is refused, each tier keeps a Ready pod throughout; uncordon;
#   7. one production-shaped HTTPS load through the Gateway for the rest (traffic.ts load: log-ins,
#      list, create, update, delete, idle clients) and a watcher of the pods (limits.ts), in phases:
#      steady; idle (nothing sent for longer than the servers' keep-alive timeout); resumed; the
#      drain of step 6 and uncordon; a rolling update of the backend (deploy of a new image
#      reference); a rollback; a renewal of the certificate (triggered as `cmctl renew` does: the
#      Certificate's Issuing condition: a new certificate in the Secret, served by the Gateway, after
#      a new HTTP-01 validation). Per phase: zero failed requests, zero container restarts, zero OOM
#      kills; each container's memory peak (its cgroup on the node) against its limit.
#
# Usage: test/cluster/e2e.sh ENV_FILE [NETNS]   (run by scripts/ci/cluster.sh in node mode)
# Prints one `ok`/`FAIL` line per check and `e2e: N passed, M failed`; outputs in
# .logs/cluster/logs/checks/e2e/. Env: CLUSTER_APP_ROLLOUT_TIMEOUT (default 180s),
# CLUSTER_E2E_LOAD_CONCURRENCY (the load's readers, default 4), CLUSTER_E2E_LOAD_RATE (their
# requests a second together, default 200; 0: as fast as answers come), CLUSTER_E2E_LOAD_USERS (the
# users who log in and write, default 6), CLUSTER_E2E_CERT_TIMEOUT (s, default 180).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

source "$CLUSTER_HERE/app-lib.sh" e2e e2e "$@"
[[ -n "${KUBE_BIN:-}" ]] || die "KUBE_BIN is not set (the folder of build.sh's binaries)"
concurrency="${CLUSTER_E2E_LOAD_CONCURRENCY:-4}"
cert_timeout="${CLUSTER_E2E_CERT_TIMEOUT:-180}"
load_users="${CLUSTER_E2E_LOAD_USERS:-6}"
load_rate="${CLUSTER_E2E_LOAD_RATE:-200}"
tier_selector() { echo "app.kubernetes.io/instance=todo-$env,app.kubernetes.io/component=$1"; }

load_pid="" watch_pid="" limits_pid=""
cleanup() {
  [[ -n "$load_pid" ]] && kill -TERM "$load_pid" 2>/dev/null
  [[ -n "$limits_pid" ]] && kill -TERM "$limits_pid" 2>/dev/null
  [[ -n "$watch_pid" ]] && kill "$watch_pid" 2>/dev/null
  k uncordon "$CLUSTER_NODE" >/dev/null 2>&1
}
trap cleanup EXIT
trap 'exit 143' TERM INT
finish() {
  ((failed == 0)) || diagnostics
  echo "e2e: $passed passed, $failed failed"
  ((failed == 0))
  exit
}

# The platform (platform.sh) must have left its Gateway, cert-manager and Pebble running.
if [[ -z "${CLUSTER_GATEWAY:-}" || -z "${CLUSTER_GATEWAY_ADDRESS:-}" || ! -s "${CLUSTER_ACME_ROOT:-}" ]]; then
  echo "CLUSTER_GATEWAY, CLUSTER_GATEWAY_ADDRESS or CLUSTER_ACME_ROOT missing in $env_file: the platform suite runs first" >"$o/platform.out"
  fail "e2e: the platform (Gateway, cert-manager, Pebble) is up" "$o/platform.out"
  finish
fi
gateway_ip="$CLUSTER_GATEWAY_ADDRESS" acme_root="$CLUSTER_ACME_ROOT"

# The images of dist/e2e: the app's are in containerd already (app.sh imported dist/dev's, the same references).
mapfile -t images < <(sed -n 's/^ *image: *//p' "dist/$env"/*.yaml | tr -d '"' | sort -u)
tag="$(printf '%s\n' "${images[@]}" | sed -n 's/^todo-backend://p' | head -n 1)"
have="$(ctr_k8s images ls -q 2>&1)"
missing=()
for i in "${images[@]}"; do grep -qxF "docker.io/library/$i" <<<"$have" || missing+=("$i"); done
if [[ -z "$tag" ]] || ((${#missing[@]})); then
  echo "not in the node's containerd: ${missing[*]:-todo-backend (dist/$env names none)}; app.sh imports them" >"$o/images.out"
  fail "e2e: the images of dist/$env are on the node" "$o/images.out"
  finish
fi

# What dist/e2e asks of the platform: the Gateway and listener of its HTTPRoute, its host, the Secret
# its Certificate fills.
read -r gw_ns gw_name listener host cert secret < <(node -e '
  const { parseAllDocuments } = require("yaml");
  const objs = parseAllDocuments(require("fs").readFileSync(process.argv[1], "utf8")).map((d) => d.toJS()).filter(Boolean);
  const route = objs.find((o) => o.kind === "HTTPRoute"), cert = objs.find((o) => o.kind === "Certificate");
  const p = route.spec.parentRefs[0];
  console.log(p.namespace, p.name, p.sectionName, route.spec.hostnames[0], cert.metadata.name, cert.spec.secretName);
' "dist/$env/20-workloads.k8s.yaml")
if [[ "$gw_ns/$gw_name" != "$CLUSTER_GATEWAY" || -z "${secret:-}" ]]; then
  echo "dist/$env routes through '$gw_ns/$gw_name' listener '$listener' (host '$host', Certificate '${cert:-}'); the cluster's Gateway is $CLUSTER_GATEWAY" >"$o/route.out"
  fail "e2e: dist/$env attaches to the cluster's Gateway with a Certificate" "$o/route.out"
  finish
fi

# --- 1. add-ons and the listener ----------------------------------------------------------------
# The platform's side of onboarding the environment: a listener for its host on the shared Gateway,
# HTTPS with the Secret its Certificate fills (the ReferenceGrant in todo-e2e allows the reference),
# routes from its namespace only. Server-side apply with a field manager of its own merges it into the
# Gateway's listeners (a list keyed by name); platform.sh's listeners stay as they are.
cat >"$o/listener.yaml" <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: $gw_name, namespace: $gw_ns }
spec:
  gatewayClassName: traefik
  listeners:
    - name: $listener
      hostname: $host
      port: 443
      protocol: HTTPS
      tls: { mode: Terminate, certificateRefs: [{ group: "", kind: Secret, name: $secret, namespace: $ns }] }
      allowedRoutes: { namespaces: { from: Selector, selector: { matchLabels: { kubernetes.io/metadata.name: $ns } } } }
YAML
t0=$SECONDS
addons() {
  import_images metrics-server &&
    k apply --server-side --field-manager=cluster-test -f "$CLUSTER_HERE/addons/metrics-server.yaml" &&
    k apply --server-side --field-manager=cluster-test-e2e-listener -f "$o/listener.yaml" &&
    echo "listeners: $(k get gateway -n "$gw_ns" "$gw_name" -o jsonpath='{.spec.listeners[*].name}')" &&
    k rollout status -n kube-system deployment/metrics-server --timeout=120s &&
    k wait apiservice/v1beta1.metrics.k8s.io --for=condition=Available --timeout=120s &&
    for d in traefik/traefik cert-manager/cert-manager pebble/pebble; do k rollout status -n "${d%/*}" "deployment/${d#*/}" --timeout=60s || return 1; done
}
if addons >"$o/addons.out" 2>&1 && grep -q "^listeners: .*\b$listener\b" "$o/addons.out"; then
  pass "e2e: metrics-server ready (metrics.k8s.io Available); Gateway $gw_ns/$gw_name has a listener $listener for $host; Traefik, cert-manager and Pebble up ($((SECONDS - t0)) s)"
else
  fail "e2e: metrics-server ready, and the listener for $host on the Gateway" "$o/addons.out"
  finish
fi

# --- 2. deploy -------------------------------------------------------------------------------
database_pv || finish
if ! ops secrets "$o/secrets.out"; then
  fail "e2e: npm run secrets -- --env $env" "$o/secrets.out"
  finish
fi
t_deploy=$SECONDS
if ops deploy "$o/deploy-1.out" --timeout "$rollout_timeout" && grep -q '^smoke test passed' "$o/deploy-1.out" &&
  grep -q 'revision 1 deployed' "$o/deploy-1.out" && grep -q '^PASS Gateway .* API ' "$o/deploy-1.out"; then
  pass "e2e: npm run deploy -- --env $env: rolled out, smoke test passed including its checks through the Gateway ($((SECONDS - t_deploy)) s)"
else
  fail "e2e: npm run deploy -- --env $env (with the smoke test's checks through the Gateway)" "$o/deploy-1.out"
  finish
fi

# --- 3. the certificate, over ACME HTTP-01 through the Gateway, the app's policies in force ---------------
cert_field() { k get certificate -n "$ns" "$cert" -o jsonpath="$1"; }
cert_ready() { [[ "$(cert_field '{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" == True ]]; }
deadline=$((SECONDS + cert_timeout))
until cert_ready || ((SECONDS >= deadline)); do sleep 2; done
validations() { k logs -n pebble deployment/pebble 2>/dev/null | grep -c "Attempting to validate w/ HTTP: http://$host:80/.well-known/acme-challenge/"; }
{
  k get certificate,certificaterequest,order,challenge -n "$ns" -o wide
  echo "--- the application's policies"; k get networkpolicy -n "$ns" -o name
  k get networkpolicy -n "$ns" allow-acme-http01-solver -o jsonpath='{.spec}{"\n"}'
  # only what Pebble logged since the Certificate was created (the platform suite's validations came before)
  echo "--- Pebble's log (validations of $host)"; k logs -n pebble deployment/pebble --since-time="$(cert_field '{.metadata.creationTimestamp}')" | grep -E "$host|set (IN)?VALID|Skipping real validation"
} >"$o/certificate.out" 2>&1
# issuance time: from the Certificate's creation to its Ready condition
issued_in="$(node -e 'const c = JSON.parse(require("fs").readFileSync(0, "utf8")); const r = c.status.conditions.find((x) => x.type === "Ready");
  console.log(Math.round((Date.parse(r.lastTransitionTime) - Date.parse(c.metadata.creationTimestamp)) / 1000))' < <(k get certificate -n "$ns" "$cert" -o json) 2>/dev/null)"
if cert_ready && grep -q "Attempting to validate w/ HTTP: http://$host:80/.well-known/acme-challenge/" "$o/certificate.out" &&
  grep -q 'set VALID by completed challenge' "$o/certificate.out" && ! grep -q 'Skipping real validation' "$o/certificate.out" &&
  grep -q 'networkpolicy.networking.k8s.io/default-deny' "$o/certificate.out" && grep -q 'acme.cert-manager.io/http01-solver' "$o/certificate.out"; then
  pass "e2e: Certificate $ns/$cert Ready: issued by the ClusterIssuer pebble after HTTP-01 through the Gateway (Pebble validated http://$host/.well-known/acme-challenge/...), solver admitted by allow-acme-http01-solver under default-deny; issued ${issued_in:-?} s after the Certificate was created"
else
  { k describe certificate -n "$ns" "$cert" | tail -n 20; k describe challenge -n "$ns" | tail -n 30; k logs -n cert-manager deployment/cert-manager --tail=40; } >>"$o/certificate.out" 2>&1
  fail "e2e: the Certificate is issued over ACME HTTP-01 through the Gateway with the application's policies in force" "$o/certificate.out"
  finish
fi

# --- 4. HTTPS through the Gateway, from outside the cluster -------------------------------------------
served_cert() { # the certificate the Gateway serves for the host: serial, subject, SANs, issuer
  inns openssl s_client -connect "$gateway_ip:443" -servername "$host" </dev/null 2>/dev/null | openssl x509 -noout -serial -subject -ext subjectAltName -issuer 2>&1
}
secret_serial() { k get secret -n "$ns" "$secret" -o jsonpath='{.data.tls\.crt}' | base64 -d | openssl x509 -noout -serial 2>&1; }
traffic() { inns node --import tsx "$CLUSTER_HERE/traffic.ts" "$@" --url "https://$gateway_ip" --host "$host" --ca "$acme_root"; } # MODE [--token-file F]
deadline=$((SECONDS + 30)) # Traefik loads the new Secret within a few seconds
until [[ "$(served_cert | grep '^serial=')" == "$(secret_serial)" ]] || ((SECONDS >= deadline)); do sleep 1; done
served="$(served_cert)" stored="$(secret_serial)"
{ echo "--- the certificate served for $host"; echo "$served"; echo "--- the Secret's: $stored"; } >"$o/flow.out" 2>&1
if traffic flow --token-file "$o/token" >>"$o/flow.out" 2>&1 && grep -q "DNS:$host" <<<"$served" && [[ "$(grep '^serial=' <<<"$served")" == "$stored" ]]; then
  pass "e2e: HTTPS through the Gateway at $gateway_ip: / -> frontend, /api -> backend (sign-up, create, list), other hosts not served; the certificate (that of the Secret) verifies against Pebble's root and names $host ($(grep -c '^ok' "$o/flow.out") checks)"
else
  fail "e2e: HTTPS through the Gateway serves / and /api with a certificate for $host from Pebble" "$o/flow.out"
  finish
fi
https_redirect "$host" "$gateway_ip" "/api/tasks?x=1"

# --- 5. HPA metrics ----------------------------------------------------------------------------
hpa_metrics() { # one line per HPA: name cpu% memory% ScalingActive
  k get hpa -n "$ns" -o jsonpath='{range .items[*]}{.metadata.name} {.status.currentMetrics[?(@.resource.name=="cpu")].resource.current.averageUtilization} {.status.currentMetrics[?(@.resource.name=="memory")].resource.current.averageUtilization} {.status.conditions[?(@.type=="ScalingActive")].status}{"\n"}{end}'
}
deadline=$((SECONDS + 180)); t0=$SECONDS
until hpa_metrics >"$o/hpa.out" 2>&1 && (($(awk 'NF == 4 && $4 == "True"' "$o/hpa.out" | wc -l) == 2)); do
  ((SECONDS < deadline)) || break
  sleep 5
done
{ echo "--- kubectl top pods"; k top pods -n "$ns"; echo "--- kubectl get hpa"; k get hpa -n "$ns"; } >>"$o/hpa.out" 2>&1
if (($(awk 'NF == 4 && $4 == "True"' "$o/hpa.out" | wc -l) == 2)); then
  pass "e2e: both HPAs report metrics from metrics-server after $((SECONDS - t0)) s: $(awk 'NF == 4 && $4 == "True" { printf "%s cpu %s%% memory %s%%; ", $1, $2, $3 }' "$o/hpa.out")"
else
  fail "e2e: both HPAs report CPU and memory utilization (ScalingActive)" "$o/hpa.out"
fi

# --- 6./7. production-shaped load through an idle gap, the drain, a rolling update, a rollback and a renewal
# One load for the whole step (traffic.ts load: readers, users who log in and out, list, create,
# update and delete, idle clients) and one watcher of the namespace's pods (limits.ts: restarts, OOM
# kills, each container's memory peak from its cgroup on the node). e2e.sh marks the phases:
#   steady    the load alone;
#   idle      readers and users send nothing for longer than the servers' keep-alive timeout;
#   resumed   the same connections again (the client's to Traefik and Traefik's to the pods idled);
#   drain     `kubectl drain` of e2e's app pods against the PDBs, then uncordon;
#   update    a rolling update of the backend (ops deploy of a new image reference);
#   rollback  ops rollback to revision 1's manifests;
#   renewal   a renewal of the certificate (step 8 below).
# After the load: per phase, zero failed requests, zero restarts, zero OOM kills, and the peaks.
marks="$o/phases"
mark() { echo "$(date +%s%3N) $1" >>"$marks"; }
start_load() {
  local enter=()
  [[ -n "$netns" ]] && enter=(nsenter --net="/run/netns/$netns") # commands, not functions: $! is node's pid
  : >"$marks"
  "${enter[@]}" node --import tsx "$CLUSTER_HERE/limits.ts" watch --namespace "$ns" --kubeconfig "$KUBECONFIG" \
    --containerd "$CLUSTER_CONTAINERD_SOCK" --marks "$marks" --out "$o/limits.json" >"$o/limits.out" 2>&1 &
  limits_pid=$!
  "${enter[@]}" node --import tsx "$CLUSTER_HERE/traffic.ts" load --url "https://$gateway_ip" --host "$host" --ca "$acme_root" --token-file "$o/token" \
    --readers "$concurrency" --rate "$load_rate" --users "$load_users" --marks "$marks" --out "$o/load.json" >"$o/load.out" 2>&1 &
  load_pid=$!
}
stop_load() {
  kill -TERM "$load_pid" 2>/dev/null; wait "$load_pid"; load_pid=""
  kill -TERM "$limits_pid" 2>/dev/null; wait "$limits_pid"; limits_pid=""
}
keepalive_s="$(node --import tsx -e "console.log(require('@todo/contract').HTTP_TIMEOUTS.keepAliveSeconds)")"
[[ "$keepalive_s" =~ ^[0-9]+$ ]] || die "cannot read HTTP_TIMEOUTS.keepAliveSeconds from @todo/contract"
start_load
mark steady
sleep 15
mark idle
sleep $((keepalive_s + 10))
mark resumed
sleep 10

# Drain: only the app pods of e2e are drained (--pod-selector): the database, DNS and the add-ons
# stay. Meanwhile a watcher samples the Ready pods of each tier.
mark drain
ready_pods() { # TIER: Ready pods of the tier that are not being deleted
  k get pods -n "$ns" -l "$(tier_selector "$1")" -o jsonpath='{range .items[*]}{.metadata.name} {.status.conditions[?(@.type=="Ready")].status} {.metadata.deletionTimestamp}{"\n"}{end}' |
    awk 'NF == 2 && $2 == "True"' | wc -l
}
(while :; do echo "$(date +%s.%N) backend $(ready_pods backend) frontend $(ready_pods frontend)"; sleep 0.5; done) >"$o/drain-watch.out" 2>&1 &
watch_pid=$!
k get pods -n "$ns" -o wide >"$o/drain.out" 2>&1
# pods already being deleted (the HPA scaling down after the idle phase) are "evicted" at once: not counted
terminating="$(k get pods -n "$ns" -o jsonpath='{range .items[?(@.metadata.deletionTimestamp)]}{.metadata.name}{"\n"}{end}')"
inns timeout 120 kubectl drain "$CLUSTER_NODE" --pod-selector="app.kubernetes.io/instance=todo-$env,app.kubernetes.io/component in (backend,frontend)" \
  --ignore-daemonsets --delete-emptydir-data --timeout=40s >>"$o/drain.out" 2>&1
drain_rc=$?
pdb_allowed="$(k get pdb -n "$ns" -o jsonpath='{range .items[*]}{.metadata.name}={.status.disruptionsAllowed} {end}')"
kill "$watch_pid" 2>/dev/null; wait "$watch_pid" 2>/dev/null; watch_pid=""
evicted() { grep "^pod/todo-$1-.* evicted" "$o/drain.out" | awk '{ sub("^pod/", "", $1); print $1 }' | grep -vxF -f <(echo "${terminating:-none}") | wc -l; }
evicted_backend="$(evicted backend)" evicted_frontend="$(evicted frontend)"
min_ready="$(awk '$1 ~ /^[0-9.]+$/ && NF == 5 { if (b == "" || $3 < b) b = $3; if (f == "" || $5 < f) f = $5 } END { print b + 0, f + 0 }' "$o/drain-watch.out")"
{ echo "drain exit $drain_rc; evicted backend $evicted_backend, frontend $evicted_frontend (not counted, terminating before: ${terminating:-none}); min Ready (backend frontend): $min_ready; PDBs: $pdb_allowed"; } >>"$o/drain.out"
if ((drain_rc != 0)) && grep -q "violate the pod's disruption budget" "$o/drain.out" &&
  ((evicted_backend == 1 && evicted_frontend == 1)) && [[ "$min_ready" =~ ^[1-9][0-9]*\ [1-9][0-9]*$ ]] &&
  [[ "$pdb_allowed" == *"todo-backend=0"* && "$pdb_allowed" == *"todo-frontend=0"* ]]; then
  pass "e2e: kubectl drain under load respects the PDBs: 1 pod per tier evicted, further evictions refused (429), Ready pods never below $min_ready (backend frontend)"
else
  fail "e2e: kubectl drain respects the PDBs" "$o/drain.out"
fi
if k uncordon "$CLUSTER_NODE" >"$o/uncordon.out" 2>&1 &&
  k rollout status -n "$ns" deployment/todo-backend --timeout="$rollout_timeout" >>"$o/uncordon.out" 2>&1 &&
  k rollout status -n "$ns" deployment/todo-frontend --timeout="$rollout_timeout" >>"$o/uncordon.out" 2>&1; then
  pass "e2e: after uncordon the evicted pods' replacements are scheduled and Ready"
else
  fail "e2e: after uncordon every pod is Ready again" "$o/uncordon.out"
fi

backend_pods() { # the backend's pods that are not terminating
  k get pods -n "$ns" -l "$(tier_selector backend)" -o jsonpath='{range .items[*]}{.metadata.name} {.metadata.deletionTimestamp}{"\n"}{end}' |
    awk 'NF == 1' | sort
}
backend_image() { k get deployment -n "$ns" todo-backend -o jsonpath='{.spec.template.spec.containers[0].image}'; }

# rollout_under_load NAME REVISION IMAGE WHAT OPS-ARGS...: phase NAME: runs `ops OPS-ARGS` (its
# output in $o/NAME.out); passes if the tool deployed REVISION, the Deployment runs IMAGE and no
# pod from before is left (but terminating). The load's verdict comes with the phase checks below.
rollout_under_load() {
  local name="$1" revision="$2" image="$3" what="$4" before after; shift 4
  mark "$name"
  before="$(backend_pods)"
  if ! ops "$1" "$o/$name.out" "${@:2}" --timeout "$rollout_timeout"; then
    fail "e2e: $what under load: npm run $1 failed" "$o/$name.out"
    sleep 3
    return
  fi
  after="$(backend_pods)"
  sleep 3
  if grep -q "revision $revision deployed" "$o/$name.out" && [[ "$(backend_image)" == "$image" ]] &&
    [[ -z "$(comm -12 <(echo "$before") <(echo "$after"))" ]]; then
    pass "e2e: $what under load: every backend pod replaced ($(echo "$before" | wc -l) before, $(echo "$after" | wc -l) after)"
  else
    { echo "pods before: $before"; echo "pods after: $after"; echo "image: $(backend_image)"; } >>"$o/$name.out" 2>&1
    fail "e2e: $what under load" "$o/$name.out"
  fi
}

# A new revision: the same backend under a second image reference, deployed by the ops tool;
# then back with the ops tool's rollback to revision 1.
rolled="todo-backend:$tag-rolled"
if ctr_k8s images tag --force "docker.io/library/todo-backend:$tag" "docker.io/library/$rolled" >"$o/tag.out" 2>&1; then
  TODO_BACKEND_IMAGE="$rolled" rollout_under_load update 2 "$rolled" "rolling update of the backend (revision 2, $rolled)" deploy
  rollout_under_load rollback 3 "todo-backend:$tag" "npm run rollback (revision 3 = revision 1's manifests)" rollback
else
  fail "e2e: a second reference to the backend image in containerd" "$o/tag.out"
fi

# --- 8. certificate renewal under load --------------------------------------------------------------
# Triggered as `cmctl renew` does: the condition Issuing=True (reason ManuallyTriggered) added to the
# Certificate's status. cert-manager then orders a new certificate from Pebble, which validates HTTP-01
# again (it never reuses an authorization), and writes it into the Secret; Traefik serves it.
renew() {
  local before_rev before_serial before_validations now
  before_rev="$(cert_field '{.status.revision}')"
  before_serial="$(secret_serial)"
  before_validations="$(validations)"
  now="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "before: revision $before_rev, Secret $before_serial, $before_validations HTTP-01 validations of $host"
  k patch certificate -n "$ns" "$cert" --subresource=status --type=json \
    -p "[{\"op\":\"add\",\"path\":\"/status/conditions/-\",\"value\":{\"type\":\"Issuing\",\"status\":\"True\",\"reason\":\"ManuallyTriggered\",\"message\":\"Certificate re-issuance manually triggered\",\"lastTransitionTime\":\"$now\"}}]" || return 1
  local deadline=$((SECONDS + cert_timeout)) t0=$SECONDS
  until [[ "$(cert_field '{.status.revision}')" -gt "$before_rev" ]] && cert_ready &&
    [[ "$(secret_serial)" != "$before_serial" && "$(served_cert | grep '^serial=')" == "$(secret_serial)" ]]; do
    ((SECONDS < deadline)) || { echo "no renewal within ${cert_timeout} s"; k describe certificate -n "$ns" "$cert" | tail -n 20; return 1; }
    sleep 1
  done
  renewed_in=$((SECONDS - t0))
  echo "after ${renewed_in} s: revision $(cert_field '{.status.revision}'), Secret $(secret_serial), served $(served_cert | grep '^serial='), $(validations) HTTP-01 validations of $host"
  (($(validations) > before_validations)) || { echo "Pebble did not validate HTTP-01 again"; return 1; }
}
renewed_in=""
mark renewal
if renew >"$o/renewal.out" 2>&1; then
  pass "e2e: certificate renewal under load: revision $(cert_field '{.status.revision}') in ${renewed_in} s after a new HTTP-01 validation through the Gateway, the new certificate in the Secret and served"
else
  fail "e2e: certificate renewal (Issuing condition) replaces the Secret and the served certificate" "$o/renewal.out"
fi
sleep 3
mark end
stop_load

# Per phase: the load's requests and failures (traffic.ts), the pods' restarts, OOM kills and peaks (limits.ts).
phase_checks() {
  local p load lim requests nfailed logins reuses restarts ooms
  for p in steady idle resumed drain update rollback renewal; do
    load="$(grep "^phase $p " "$o/load.out")" lim="$(grep "^phase $p " "$o/limits.out")"
    read -r requests nfailed logins reuses < <(sed -n 's/^phase [^ ]* requests=\([0-9]*\) failed=\([0-9]*\) logins=\([0-9]*\) idle_reuses=\([0-9]*\) .*/\1 \2 \3 \4/p' <<<"$load")
    read -r restarts ooms < <(sed -n 's/^phase [^ ]* restarts=\([0-9]*\) oom_kills=\([0-9]*\) .*/\1 \2/p' <<<"$lim")
    { echo "load:   ${load:-none}"; echo "limits: ${lim:-none}"; } >"$o/phase-$p.out"
    # the idle phase carries the idle clients' few requests only; the others the whole mix, log-ins included
    if [[ -n "$requests" && -n "$restarts" ]] && ((nfailed == 0 && restarts == 0 && ooms == 0)) &&
      { [[ "$p" == idle ]] || ((requests >= 50 && logins >= 1)); } && { [[ "$p" != resumed ]] || ((reuses >= 1)); }; then
      pass "e2e: load $p: ${load#*| }; ${lim#*| }"
    else
      # what the backend's pods that are still there logged above info (a 503's cause: pool, timeout, database)
      { echo "--- the backend's warnings and errors (pods still running)"; k logs -n "$ns" -l "$(tier_selector backend)" --prefix --tail=-1 --max-log-requests=20 2>&1 | grep -E '"level":(40|50|60)|"level":"(warn|error|fatal)"' | tail -n 40; } >>"$o/phase-$p.out"
      fail "e2e: load $p: zero failed requests, restarts and OOM kills$([[ "$p" == resumed ]] && echo ', connections idle past the keep-alive timeout reused')" "$o/phase-$p.out"
    fi
  done
}
phase_checks
{ echo "--- kubectl get hpa"; k get hpa -n "$ns"; echo "--- events"; k get events -n "$ns" --sort-by=.lastTimestamp | tail -n 40; } >"$o/after.out" 2>&1

finish
