#!/usr/bin/env bash
# Starts a throwaway Kubernetes control plane on 127.0.0.1: etcd + kube-apiserver,
# with fresh PKI, and writes a kubeconfig. Stop it with test/cluster/down.sh.
#
# Environment:
#   KUBE_BIN          directory with kube-apiserver (default: output of test/cluster/build.sh)
#   ETCD              etcd binary (default: $KUBE_BIN/etcd, else etcd on PATH)
#   ETCD_PORT, APISERVER_PORT   fixed ports (default: free ports picked at random)
#   TODO_CLUSTER_DIR  run directory (default: .logs/cluster); state/ is removed by
#                     down.sh, logs/ is kept
#   CLUSTER_READY_TIMEOUT  seconds to wait for each component (default 180)
#   CLUSTER_BIND_ADDRESS, CLUSTER_ADVERTISE_ADDRESS  the apiserver's (default 127.0.0.1);
#                     only node mode changes them, inside its own network namespace, so
#                     that pods reach the apiserver through the `kubernetes` Service
#
# On success prints, as its last stdout line, the path of an env file to source
# (KUBECONFIG, CLUSTER_SERVER, ...). On any failure stops what it started,
# removes the run state, and exits non-zero.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

timeout_s="${CLUSTER_READY_TIMEOUT:-180}"
bind_address="${CLUSTER_BIND_ADDRESS:-127.0.0.1}"
advertise_address="${CLUSTER_ADVERTISE_ADDRESS:-127.0.0.1}"
san_extra=""; [[ "$advertise_address" != 127.0.0.1 ]] && san_extra="IP:$advertise_address,"

if [[ -f "$PIDS_FILE" ]]; then
  while read -r name pid bin; do
    pid_matches "$pid" "$bin" && die "a cluster is already running from $RUN_DIR ($name, pid $pid): run test/cluster/down.sh first"
  done <"$PIDS_FILE"
fi

for tool in openssl curl kubectl; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done

if [[ -z "${KUBE_BIN:-}" ]]; then
  KUBE_BIN="$("$CLUSTER_HERE/build.sh" | tail -n 1)"
fi
apiserver="$KUBE_BIN/kube-apiserver"
etcd="${ETCD:-}"
if [[ -z "$etcd" ]]; then
  if [[ -x "$KUBE_BIN/etcd" ]]; then etcd="$KUBE_BIN/etcd"; else etcd="$(command -v etcd || true)"; fi
fi
[[ -x "$apiserver" ]] || die "kube-apiserver not found at $apiserver (run test/cluster/build.sh)"
[[ -n "$etcd" && -x "$etcd" ]] || die "etcd not found (set ETCD, build it with test/cluster/build.sh etcd, or apt-get install etcd-server)"

# From here on, any failure tears down what was started and removes the state.
cleanup_on_failure() {
  local rc=$?
  if ((rc != 0)); then
    log "start-up failed (exit $rc): stopping what was started; logs kept in $LOG_DIR"
    stop_recorded
    rm -rf "$STATE_DIR"
  fi
  exit "$rc"
}
trap cleanup_on_failure EXIT
trap 'log "failed at up.sh line $LINENO: $BASH_COMMAND"' ERR
trap 'exit 130' INT
trap 'exit 143' TERM

rm -rf "$STATE_DIR" "$LOG_DIR"
mkdir -p "$STATE_DIR/pki" "$LOG_DIR"
chmod 700 "$STATE_DIR"

pick_port() { # pick_port VAR: the port from $VAR if set (must be free), else a free one
  local fixed="${!1:-}"
  if [[ -n "$fixed" ]]; then
    port_in_use "$fixed" && die "port 127.0.0.1:$fixed ($1) is already in use"
    echo "$fixed" >>"$STATE_DIR/ports"
    echo "$fixed"
  else
    free_port
  fi
}
etcd_port="$(pick_port ETCD_PORT)"
etcd_peer_port="$(pick_port ETCD_PEER_PORT)"
apiserver_port="$(pick_port APISERVER_PORT)"

# --- PKI -------------------------------------------------------------------
log "generating PKI in $STATE_DIR/pki"
pki="$STATE_DIR/pki"
(
  cd "$pki"
  exec 2>"$LOG_DIR/openssl.log"
  ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }
  ec ca.key
  openssl req -x509 -new -key ca.key -sha256 -days 2 -subj "/CN=todo-cdk8s-test-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.crt
  # sign NAME SUBJECT EXTENSIONS: key + certificate signed by the CA
  sign() {
    ec "$1.key"
    openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"
    printf '%b\n' "$3" >"$1.ext"
    openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 -days 2 \
      -extfile "$1.ext" -out "$1.crt"
    rm -f "$1.csr" "$1.ext"
  }
  sign apiserver "/CN=kube-apiserver" \
    "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,IP:10.96.0.1,${san_extra}DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  sign admin "/O=system:masters/CN=cluster-test-admin" \
    "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth"
  # The apiserver's client identity towards kubelets (used when a node runs).
  sign apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" \
    "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth"
  # The aggregation layer (metrics-server's metrics.k8s.io, step 3): a CA of its own for the
  # front proxy, so a client certificate from the cluster CA can never pass as the proxy.
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout front-proxy-ca.key \
    -sha256 -days 2 -subj "/CN=todo-cdk8s-test-front-proxy-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out front-proxy-ca.crt
  ec front-proxy-client.key
  openssl req -new -key front-proxy-client.key -subj "/CN=front-proxy-client" -out front-proxy-client.csr
  printf '%b\n' "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth" >front-proxy-client.ext
  openssl x509 -req -in front-proxy-client.csr -CA front-proxy-ca.crt -CAkey front-proxy-ca.key -CAcreateserial \
    -sha256 -days 2 -extfile front-proxy-client.ext -out front-proxy-client.crt
  rm -f front-proxy-client.csr front-proxy-client.ext
  # Service-account token signing key pair.
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out sa.key
  openssl pkey -in sa.key -pubout -out sa.pub
) || die "PKI generation failed (see $LOG_DIR/openssl.log)"

# --- etcd ------------------------------------------------------------------
etcd_url="http://127.0.0.1:$etcd_port"
etcd_version="$( ("$etcd" --version 2>/dev/null || true) | awk '/etcd Version/ { print $3 }')"
log "starting etcd $etcd_version on $etcd_url"
etcd_args=(
  --name=cluster-test
  --data-dir="$STATE_DIR/etcd"
  --listen-client-urls="$etcd_url" --advertise-client-urls="$etcd_url"
  --listen-peer-urls="http://127.0.0.1:$etcd_peer_port"
  --initial-advertise-peer-urls="http://127.0.0.1:$etcd_peer_port"
  --initial-cluster="cluster-test=http://127.0.0.1:$etcd_peer_port"
  --quota-backend-bytes=$((512 * 1024 * 1024))
)
# Throwaway data: skip fsync where the etcd version supports it (3.5+).
"$etcd" --help 2>&1 | grep -q -- '--unsafe-no-fsync' && etcd_args+=(--unsafe-no-fsync)
start etcd "$etcd" "${etcd_args[@]}"
t0=$SECONDS
wait_for etcd "$timeout_s" curl -fsS --max-time 2 "$etcd_url/health"
log "etcd healthy after $((SECONDS - t0))s"

# --- kube-apiserver --------------------------------------------------------
server="https://127.0.0.1:$apiserver_port"
log "starting kube-apiserver on $server"
start kube-apiserver "$apiserver" \
  --bind-address="$bind_address" --advertise-address="$advertise_address" --secure-port="$apiserver_port" \
  --cert-dir="$STATE_DIR/apiserver" \
  --etcd-servers="$etcd_url" \
  --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
  --client-ca-file="$pki/ca.crt" \
  --kubelet-client-certificate="$pki/apiserver-kubelet-client.crt" \
  --kubelet-client-key="$pki/apiserver-kubelet-client.key" \
  --kubelet-certificate-authority="$pki/ca.crt" \
  --kubelet-preferred-address-types=InternalIP \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$pki/sa.pub" \
  --service-account-signing-key-file="$pki/sa.key" \
  --service-cluster-ip-range=10.96.0.0/16 \
  --requestheader-client-ca-file="$pki/front-proxy-ca.crt" --requestheader-allowed-names=front-proxy-client \
  --requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group \
  --requestheader-extra-headers-prefix=X-Remote-Extra- \
  --proxy-client-cert-file="$pki/front-proxy-client.crt" --proxy-client-key-file="$pki/front-proxy-client.key" \
  --enable-aggregator-routing=true \
  --authorization-mode=Node,RBAC \
  --enable-admission-plugins=NamespaceLifecycle,LimitRanger,ServiceAccount,PodSecurity,ResourceQuota,DefaultStorageClass,DefaultTolerationSeconds,NodeRestriction,Priority,RuntimeClass,MutatingAdmissionWebhook,ValidatingAdmissionPolicy,ValidatingAdmissionWebhook \
  --allow-privileged=true \
  --anonymous-auth=false \
  --profiling=false \
  --v=2
# --kubelet-preferred-address-types=InternalIP: logs/exec reach the kubelet at its node
# address (10.200.0.1, in its serving certificate), not its name, which no DNS resolves.
# --allow-privileged=true: privileged pods are then refused by PodSecurity, not by
# the apiserver's own validation, so the negative check in check.sh tests PodSecurity.
curl_admin() {
  curl -fsS --max-time 5 --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" "$@"
}
t0=$SECONDS
wait_for kube-apiserver "$timeout_s" curl_admin "$server/readyz"
log "kube-apiserver ready after $((SECONDS - t0))s ($(curl_admin "$server/version" | awk -F'"' '/gitVersion/ { print $4 }'))"

# --- kubeconfig --------------------------------------------------------------
kubeconfig="$STATE_DIR/kubeconfig"
{
  kubectl config --kubeconfig="$kubeconfig" set-cluster cluster-test --server="$server" \
    --certificate-authority="$pki/ca.crt" --embed-certs=true
  kubectl config --kubeconfig="$kubeconfig" set-credentials cluster-test-admin \
    --client-certificate="$pki/admin.crt" --client-key="$pki/admin.key" --embed-certs=true
  kubectl config --kubeconfig="$kubeconfig" set-context cluster-test --cluster=cluster-test --user=cluster-test-admin
  kubectl config --kubeconfig="$kubeconfig" use-context cluster-test
} >/dev/null

cat >"$STATE_DIR/env" <<EOF
export KUBECONFIG="$kubeconfig"
export CLUSTER_SERVER="$server"
export CLUSTER_PKI="$pki"
export CLUSTER_ETCD_URL="$etcd_url"
export KUBE_BIN="$KUBE_BIN"
EOF
log "cluster up: KUBECONFIG=$kubeconfig"
echo "$STATE_DIR/env"
