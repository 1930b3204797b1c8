#!/usr/bin/env bash
# Node mode: the platform under the application, proved with throwaway manifests (after app.sh,
# before e2e.sh; the add-ons stay for e2e.sh):
#
#   1. NetworkPolicy enforcement (kube-network-policies, started by node.sh): in a throwaway
#      namespace a server answers three client pods before any policy, through its Service and
#      at its pod address; then a default-deny with one allowance (pods labelled role=client,
#      port 8080): the allowed client still gets its answer, the other client's packets (routed
#      and bridged) and those of a role=client pod in another namespace are dropped (their
#      connections time out: dropped, not refused);
#   2. Gateway API: the standard-channel CRDs (schemas/crds/gateway-api-v1.4.1/) and Traefik with
#      its kubernetesGateway provider (addons/traefik-gateway.yaml: GatewayClass traefik, Gateway
#      traefik/gateway); an HTTPRoute in a throwaway namespace reaches its backend through the
#      Gateway's `http` listener;
#   3. certificates over ACME: cert-manager's CRDs (schemas/crds/cert-manager-v1.21.1/), Pebble
#      and cert-manager (addons/pebble.yaml, addons/cert-manager.yaml); the ClusterIssuer pebble
#      registers its account; the Gateway's https-probe listener gets its certificate over
#      HTTP-01 through the Gateway; HTTPS through the Gateway serves the throwaway backend with a
#      certificate that verifies against Pebble's root and names the host (and does not verify
#      against another CA); plain HTTP answers 301 to the same URL over https.
#
# Usage: test/cluster/platform.sh ENV_FILE [NETNS]   (run by scripts/ci/cluster.sh in node mode)
# Prints one `ok`/`FAIL` line per check and `platform: N passed, M failed`; outputs in
# .logs/cluster/logs/checks/platform/. Appends to ENV_FILE: CLUSTER_GATEWAY (namespace/name),
# CLUSTER_GATEWAY_ADDRESS, CLUSTER_ACME_ROOT (Pebble's root certificate, PEM file).
# Env: CLUSTER_PLATFORM_TIMEOUT (s, each wait; default 120).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$CLUSTER_HERE/suite-lib.sh" platform "$@"
[[ -n "${KUBE_BIN:-}" ]] || die "KUBE_BIN is not set (the folder of build.sh's binaries)"
wait_s="${CLUSTER_PLATFORM_TIMEOUT:-120}"
gateway_ip=10.96.0.80 host=probe.gateway.test # addons/traefik-gateway.yaml, coredns/coredns.yaml
apply() { k apply --server-side --field-manager=cluster-test "$@"; }

cleanup() { k delete namespace netpol-probe netpol-other gateway-probe --wait=false >/dev/null 2>&1; }
trap cleanup EXIT
trap 'exit 143' TERM INT
finish() {
  echo "platform: $passed passed, $failed failed"
  ((failed == 0))
  exit
}

# --- 1. NetworkPolicy enforcement --------------------------------------------------------------
# hello_spec INDENT: the spec of a pod running todo.test/hello:1 (restricted), each line indented
# by INDENT spaces. It serves on 8080 and is a client through `hello get URL` (kubectl exec).
hello_spec() {
  sed "s/^/$(printf '%*s' "$1" '')/" <<EOF
automountServiceAccountToken: false
securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: RuntimeDefault } }
containers:
  - name: hello
    image: todo.test/hello:1
    imagePullPolicy: Never
    readinessProbe: { httpGet: { path: /, port: 8080 }, periodSeconds: 1 }
    resources: { requests: { cpu: 10m, memory: 16Mi }, limits: { memory: 32Mi } }
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: [ALL] } }
EOF
}
hello_pod() { # NAMESPACE NAME LABEL=VALUE
  printf -- '---\napiVersion: v1\nkind: Pod\nmetadata: { name: %s, namespace: %s, labels: { %s } }\nspec:\n' "$2" "$1" "$3"
  hello_spec 2
}
{
  for n in netpol-probe netpol-other; do
    printf -- '---\napiVersion: v1\nkind: Namespace\nmetadata: { name: %s, labels: { pod-security.kubernetes.io/enforce: restricted } }\n' "$n"
  done
  hello_pod netpol-probe server "app: server"
  hello_pod netpol-probe client "role: client"
  hello_pod netpol-probe other "role: other"
  hello_pod netpol-other client "role: client"
  cat <<EOF
---
apiVersion: v1
kind: Service
metadata: { name: server, namespace: netpol-probe }
spec: { selector: { app: server }, ports: [{ port: 80, targetPort: 8080 }] }
EOF
} >"$o/netpol-pods.yaml"
cat >"$o/netpol-policies.yaml" <<EOF
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: default-deny, namespace: netpol-probe }
spec: { podSelector: {}, policyTypes: [Ingress] }
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-client, namespace: netpol-probe }
spec:
  podSelector: { matchLabels: { app: server } }
  policyTypes: [Ingress]
  ingress: [{ from: [{ podSelector: { matchLabels: { role: client } } }], ports: [{ protocol: TCP, port: 8080 }] }]
EOF
# probe NAMESPACE/POD [URL]: one request from that pod, to the server's Service by default;
# prints hello's output. probe_all: one line per probe, "NAMESPACE/POD[@ip] OUTPUT": the three
# clients through the Service (routed through the node), and two straight to the server's pod
# address (bridged from pod to pod on cni0).
probe() { k exec -n "${1%/*}" "${1#*/}" -- /hello get "${2:-http://server.netpol-probe.svc.cluster.local/}" 2>&1 | grep -v '^command terminated with exit code'; }
probe_all() {
  local p ip
  ip="$(k get pod -n netpol-probe server -o jsonpath='{.status.podIP}')"
  for p in netpol-probe/client netpol-probe/other netpol-other/client; do echo "$p $(probe "$p" | head -n 1)"; done
  for p in netpol-probe/client netpol-probe/other; do echo "$p@ip $(probe "$p" "http://$ip:8080/" | head -n 1)"; done
}
reached() { grep -q "^$1 200 ok server" "$2"; }
dropped() { grep -q "^$1 error: .*Client.Timeout exceeded" "$2"; } # no answer at all: dropped, not refused

all_reached() {
  reached netpol-probe/client "$1" && reached netpol-probe/other "$1" && reached netpol-other/client "$1" &&
    reached netpol-probe/client@ip "$1" && reached netpol-probe/other@ip "$1"
}
if apply -f "$o/netpol-pods.yaml" >"$o/netpol-setup.out" 2>&1 &&
  k wait --for=condition=Ready pod --all -n netpol-probe --timeout="${wait_s}s" >>"$o/netpol-setup.out" 2>&1 &&
  k wait --for=condition=Ready pod --all -n netpol-other --timeout="${wait_s}s" >>"$o/netpol-setup.out" 2>&1; then
  # kube-proxy routes the new Service within a few seconds (until then: connection refused)
  t0=$SECONDS
  until probe_all >"$o/netpol-before.out" 2>&1; all_reached "$o/netpol-before.out" || ((SECONDS - t0 >= 30)); do sleep 1; done
fi
if all_reached "$o/netpol-before.out"; then
  pass "netpol: without a policy the server answers all three clients (netpol-probe/client, netpol-probe/other, netpol-other/client) through its Service, and two at its pod address"
else
  cat "$o/netpol-before.out" >>"$o/netpol-setup.out" 2>/dev/null
  fail "netpol: the throwaway server answers its clients before any policy" "$o/netpol-setup.out"
fi

# With the policies: wait (up to 30 s) for the engine to drop the first probe, then take the
# verdicts of one round.
apply -f "$o/netpol-policies.yaml" >"$o/netpol.out" 2>&1
t1=$SECONDS
while out="$(probe netpol-probe/other)"; echo "$(date +%T.%N | cut -c1-12) netpol-probe/other $out" >>"$o/netpol-wait.out"; do
  [[ "$out" != *'Client.Timeout exceeded'* ]] && ((SECONDS - t1 < 30)) || break
  sleep 1
done
t1=$((SECONDS - t1))
probe_all >"$o/netpol-after.out" 2>&1
{ echo "CLUSTER_NETPOL=$CLUSTER_NETPOL"; echo "--- the first drop, probing every second"; cat "$o/netpol-wait.out"
  echo "--- one round"; cat "$o/netpol-after.out"; echo "--- kube-network-policies verdicts (its /metrics on the node)"
  inns curl -fsS --max-time 5 http://127.0.0.1:9080/metrics | grep '^kube_network_policies_packet_count'
  echo "--- kube-network-policies (restarts: $(k get pods -n kube-system -l app=kube-network-policies -o jsonpath='{.items[*].status.containerStatuses[0].restartCount}'))"
  k logs -n kube-system daemonset/kube-network-policies --timestamps --tail=40; } >>"$o/netpol.out" 2>&1
if dropped netpol-probe/other "$o/netpol-after.out" && dropped netpol-other/client "$o/netpol-after.out" &&
  dropped netpol-probe/other@ip "$o/netpol-after.out"; then
  pass "netpol: default-deny drops the packets of netpol-probe/other (through the Service and bridged to the pod address) and of netpol-other/client (role=client, but another namespace): connections time out (first drop within $t1 s of the apply, 3 s of it the probe's timeout; enforcement: $CLUSTER_NETPOL)"
else
  fail "netpol: a default-deny drops packets (enforcement: $CLUSTER_NETPOL)" "$o/netpol.out"
fi
if reached netpol-probe/client "$o/netpol-after.out" && reached netpol-probe/client@ip "$o/netpol-after.out"; then
  pass "netpol: the allowance (podSelector role=client, port 8080) admits netpol-probe/client (200, through the Service and at the pod address)"
else
  fail "netpol: the allowance admits netpol-probe/client" "$o/netpol.out"
fi

# --- 2. Gateway API --------------------------------------------------------------------------------
t0=$SECONDS
# Pebble's own TLS certificate, from a throwaway CA that the ClusterIssuer trusts (caBundle)
pebble_tls() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$o/pebble-ca.key" -out "$o/pebble-ca.crt" \
    -days 2 -subj "/CN=todo-cdk8s test Pebble server CA" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" &&
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$o/pebble.key" -out "$o/pebble.crt" \
      -days 2 -subj "/CN=pebble.pebble.svc" -CA "$o/pebble-ca.crt" -CAkey "$o/pebble-ca.key" \
      -addext "basicConstraints=critical,CA:FALSE" -addext "extendedKeyUsage=serverAuth" \
      -addext "subjectAltName=DNS:pebble.pebble.svc.cluster.local,DNS:pebble.pebble.svc,DNS:pebble.pebble" &&
    k create secret tls pebble-tls -n pebble --cert="$o/pebble.crt" --key="$o/pebble.key" --dry-run=client -o yaml >"$o/pebble-tls.yaml"
}
platform() {
  import_images traefik cert-manager-controller cert-manager-acmesolver pebble &&
    apply -f schemas/crds/gateway-api-v1.4.1/ -f schemas/crds/cert-manager-v1.21.1/ &&
    k wait --for=condition=Established --timeout=60s -f schemas/crds/gateway-api-v1.4.1/ -f schemas/crds/cert-manager-v1.21.1/ &&
    pebble_tls &&
    sed "s|__PEBBLE_CA_BUNDLE__|$(base64 -w0 "$o/pebble-ca.crt")|" "$CLUSTER_HERE/addons/pebble.yaml" >"$o/pebble.yaml" &&
    apply -f "$o/pebble.yaml" -f "$CLUSTER_HERE/addons/cert-manager.yaml" -f "$CLUSTER_HERE/addons/traefik-gateway.yaml" &&
    apply -f "$o/pebble-tls.yaml" &&
    k rollout status -n traefik deployment/traefik --timeout="${wait_s}s" &&
    k rollout status -n pebble deployment/pebble --timeout="${wait_s}s" &&
    k rollout status -n cert-manager deployment/cert-manager --timeout="${wait_s}s"
}
if platform >"$o/platform.out" 2>&1; then
  pass "platform: Gateway API and cert-manager CRDs established; Traefik (Gateway provider), Pebble and cert-manager rolled out ($((SECONDS - t0)) s)"
else
  fail "platform: CRDs, Traefik (Gateway provider), Pebble and cert-manager ready" "$o/platform.out"
  finish
fi

gateway_state() { # GatewayClass Accepted, listener http Programmed, the address
  k get gatewayclass traefik -o jsonpath='{.status.conditions[?(@.type=="Accepted")].status} ' &&
    k get gateway -n traefik gateway -o jsonpath='{.status.listeners[?(@.name=="http")].conditions[?(@.type=="Programmed")].status} {.status.addresses[0].value}'
}
deadline=$((SECONDS + wait_s))
until [[ "$(gateway_state 2>/dev/null)" == "True True $gateway_ip" ]] || ((SECONDS >= deadline)); do sleep 1; done
if [[ "$(gateway_state 2>&1 | tee "$o/gateway.out")" == "True True $gateway_ip" ]]; then
  pass "gateway: GatewayClass traefik Accepted; Gateway traefik/gateway listener http Programmed at $gateway_ip"
else
  k get gatewayclass,gateway -A -o yaml >>"$o/gateway.out" 2>&1
  fail "gateway: GatewayClass traefik Accepted, Gateway traefik/gateway Programmed at $gateway_ip" "$o/gateway.out"
fi

# A throwaway backend with two routes: plain.gateway.test over plain HTTP (listener http),
# probe.gateway.test over HTTPS (listener https-probe, certificate from cert-manager below).
cat >"$o/gateway-probe.yaml" <<EOF
apiVersion: v1
kind: Namespace
metadata: { name: gateway-probe, labels: { pod-security.kubernetes.io/enforce: restricted } }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: gateway-probe }
spec:
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
$(hello_spec 6)
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: gateway-probe }
spec: { selector: { app: web }, ports: [{ name: http, port: 80, targetPort: 8080 }] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: plain, namespace: gateway-probe }
spec:
  parentRefs: [{ name: gateway, namespace: traefik, sectionName: http }]
  hostnames: [plain.gateway.test]
  rules: [{ backendRefs: [{ name: web, port: 80 }] }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: secure, namespace: gateway-probe }
spec:
  parentRefs: [{ name: gateway, namespace: traefik, sectionName: https-probe }]
  hostnames: [$host]
  rules: [{ backendRefs: [{ name: web, port: 80 }] }]
EOF
plain() { inns curl -sS --max-time 5 -H 'Host: plain.gateway.test' "http://$gateway_ip/" 2>&1; }
t0=$SECONDS
if apply -f "$o/gateway-probe.yaml" >"$o/route.out" 2>&1 && k rollout status -n gateway-probe deployment/web --timeout="${wait_s}s" >>"$o/route.out" 2>&1; then
  deadline=$((SECONDS + wait_s))
  until plain | grep -q '^ok web-' || ((SECONDS >= deadline)); do sleep 1; done
fi
{ echo "--- GET http://$gateway_ip/ (Host: plain.gateway.test)"; plain; echo "--- HTTPRoute status"
  k get httproute -n gateway-probe plain -o jsonpath='{range .status.parents[*]}{.parentRef.name}/{.parentRef.sectionName}: {range .conditions[*]}{.type}={.status} {end}{"\n"}{end}'; } >>"$o/route.out" 2>&1
if grep -q '^ok web-' "$o/route.out" && grep -q 'gateway/http: Accepted=True ResolvedRefs=True' "$o/route.out"; then
  pass "gateway: HTTPRoute gateway-probe/plain (Accepted, ResolvedRefs) reaches its backend through the Gateway: $(grep -m1 '^ok web-' "$o/route.out") ($((SECONDS - t0)) s)"
else
  fail "gateway: an HTTPRoute reaches its backend through the Gateway's http listener" "$o/route.out"
fi

# --- 3. certificates over ACME ----------------------------------------------------------------------
issuer_ready() { k get clusterissuer pebble -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}'; }
deadline=$((SECONDS + wait_s))
until [[ "$(issuer_ready 2>/dev/null)" == True ]] || ((SECONDS >= deadline)); do sleep 1; done
k get clusterissuer pebble -o jsonpath='{range .status.conditions[*]}{.type}={.status} {.reason}: {.message}{"\n"}{end}{.status.acme.uri}{"\n"}' >"$o/issuer.out" 2>&1
if [[ "$(issuer_ready 2>/dev/null)" == True ]]; then
  pass "cert-manager: ClusterIssuer pebble Ready (ACME account registered with Pebble over TLS verified by its caBundle)"
else
  { k logs -n cert-manager deployment/cert-manager --tail=30; } >>"$o/issuer.out" 2>&1
  fail "cert-manager: ClusterIssuer pebble Ready" "$o/issuer.out"
fi

# The Gateway's annotation makes cert-manager's gateway-shim create the Certificate of the
# listener https-probe; its HTTP-01 challenge is answered through the Gateway's http listener.
cert_ready() { k get certificate -n traefik probe-gateway-test-tls -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}'; }
t0=$SECONDS deadline=$((SECONDS + wait_s))
until [[ "$(cert_ready 2>/dev/null)" == True ]] || ((SECONDS >= deadline)); do sleep 2; done
{ k get certificate,certificaterequest,order,challenge -n traefik -o wide
  echo "--- Pebble's log (validations)"; k logs -n pebble deployment/pebble | grep -E 'validate w/ HTTP|set (IN)?VALID|Skipping real validation'; } >"$o/certificate.out" 2>&1
if [[ "$(cert_ready 2>/dev/null)" == True ]] && grep -q "Attempting to validate w/ HTTP: http://$host:80/.well-known/acme-challenge/" "$o/certificate.out" &&
  grep -q 'set VALID by completed challenge' "$o/certificate.out" && ! grep -q 'Skipping real validation' "$o/certificate.out"; then
  pass "cert-manager: Certificate traefik/probe-gateway-test-tls (gateway-shim, listener https-probe) issued by Pebble after HTTP-01 through the Gateway in $((SECONDS - t0)) s"
else
  { k describe certificate -n traefik probe-gateway-test-tls | tail -n 20; k get httproute -A; k logs -n cert-manager deployment/cert-manager --tail=40; } >>"$o/certificate.out" 2>&1
  fail "cert-manager: the Gateway listener's certificate is issued over ACME HTTP-01 through the Gateway" "$o/certificate.out"
fi

# Pebble's root (new at every start), from its management interface, verified with our CA
acme_root="$STATE_DIR/pebble-root.pem"
pebble_ip="$(k get service -n pebble pebble -o jsonpath='{.spec.clusterIP}')"
inns curl -fsS --max-time 5 --cacert "$o/pebble-ca.crt" --resolve "pebble.pebble.svc.cluster.local:15000:$pebble_ip" \
  https://pebble.pebble.svc.cluster.local:15000/roots/0 -o "$acme_root" 2>"$o/https.out"
https() { # CA_FILE: GET https://$host/ through the Gateway, verified against CA_FILE
  inns curl -sS --max-time 5 --cacert "$1" --resolve "$host:443:$gateway_ip" "https://$host/" 2>&1
}
deadline=$((SECONDS + 30)) # Traefik loads the new Secret within a few seconds
until https "$acme_root" | grep -q '^ok web-' || ((SECONDS >= deadline)); do sleep 1; done
{ echo "--- GET https://$host/ verified against Pebble's root ($acme_root)"; https "$acme_root"
  echo "--- the certificate served"
  inns openssl s_client -connect "$gateway_ip:443" -servername "$host" </dev/null 2>/dev/null | openssl x509 -noout -subject -issuer -ext subjectAltName -dates
  echo "--- GET https://$host/ verified against the cluster's CA instead (must fail)"; https "$CLUSTER_PKI/ca.crt"; } >>"$o/https.out" 2>&1
if grep -q '^ok web-' "$o/https.out" && grep -q "DNS:$host" "$o/https.out" &&
  grep -q 'SSL certificate problem' "$o/https.out"; then
  pass "gateway: HTTPS https://$host/ through the Gateway serves the backend ($(grep -m1 '^ok web-' "$o/https.out")) with a certificate for $host that verifies against Pebble's root, and not against another CA"
else
  fail "gateway: HTTPS through the Gateway with a certificate verified against Pebble's root" "$o/https.out"
fi

https_redirect "$host" "$gateway_ip" "/some/path?q=1" "HTTPRoute traefik/https-redirect"

cat >>"$env_file" <<EOF
export CLUSTER_GATEWAY=traefik/gateway
export CLUSTER_GATEWAY_ADDRESS=$gateway_ip
export CLUSTER_ACME_ROOT="$acme_root"
EOF
finish
