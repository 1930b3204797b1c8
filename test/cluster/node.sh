#!/usr/bin/env bash
# Step 2 (optional): turns the control plane of test/cluster/up.sh into a one-node
# cluster: kube-controller-manager, kube-scheduler, containerd (Debian's, CRI plugin)
# + runc + CNI bridge/host-local/loopback, kubelet, kube-proxy (iptables mode), CoreDNS,
# and NetworkPolicy enforcement by kube-network-policies (addons/kube-network-policies.yaml;
# CLUSTER_NETPOL=0 leaves it out, for the negative control of test/cluster/platform.sh).
# The env file gets CLUSTER_NETPOL=enforced, or off, or `failed: <why>`.
#
# Must run inside a network namespace of its own (scripts/ci/cluster.sh creates one
# with TODO_CLUSTER_NODE=1), so the CNI bridge, pod addresses and kube-proxy's
# iptables rules never touch the host's network. Refuses to run in the host's.
#
# Images cannot be pulled here: the pod sandbox ("pause") and the test workload
# ("hello") are static Go programs from test/cluster/k8s/cmd, packed into images by
# cmd/mkimage and imported with ctr.
#
# Usage: test/cluster/node.sh [ENV_FILE]   Stopped by test/cluster/down.sh (node-down.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

env_file="${1:-$STATE_DIR/env}"
[[ -f "$env_file" ]] || die "no running control plane ($env_file missing): run test/cluster/up.sh"
# shellcheck disable=SC1090
source "$env_file"
timeout_s="${CLUSTER_READY_TIMEOUT:-180}"
node_name=todo-node
node_ip="${CLUSTER_ADVERTISE_ADDRESS:-10.200.0.1}" # the apiserver's advertised address; on a veth pair inside our network namespace only
pod_cidr=10.244.0.0/24   # on the cni0 bridge inside our network namespace only
S="$STATE_DIR/node"
pki="$CLUSTER_PKI"

# --- probes: say exactly what is missing -----------------------------------------
probe_fail() { log "node probe failed: $*"; echo "$*" >"$LOG_DIR/node-probe.txt"; exit 3; }
[[ "$(id -u)" == 0 ]] || probe_fail "must run as root (kubelet, containerd, mounts, cgroups)"
[[ "$(readlink /proc/self/ns/net)" != "$(readlink /proc/1/ns/net)" ]] ||
  probe_fail "not inside a network namespace of our own (run through scripts/ci/cluster.sh with TODO_CLUSTER_NODE=1)"
for b in containerd containerd-shim-runc-v2 ctr runc iptables ip mount; do
  command -v "$b" >/dev/null || probe_fail "$b not installed (apt-get install containerd runc iptables iproute2)"
done
for p in bridge host-local loopback portmap; do
  [[ -x "/usr/lib/cni/$p" ]] || probe_fail "CNI plugin /usr/lib/cni/$p missing (apt-get install containernetworking-plugins)"
done
for c in kube-controller-manager kube-scheduler kubelet kube-proxy pause hello mkimage coredns kube-network-policies; do
  [[ -x "$KUBE_BIN/$c" ]] || probe_fail "$KUBE_BIN/$c missing (build it: test/cluster/build.sh $c)"
done
if [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
  cgroup_mode=v2
else
  cgroup_mode=v1
  for c in cpu cpuacct cpuset memory pids devices freezer; do
    [[ -d "/sys/fs/cgroup/$c" ]] || probe_fail "cgroup v1 controller $c not mounted at /sys/fs/cgroup/$c"
    mkdir "/sys/fs/cgroup/$c/todo-probe.$$" 2>/dev/null && rmdir "/sys/fs/cgroup/$c/todo-probe.$$" ||
      probe_fail "cannot create cgroups under /sys/fs/cgroup/$c (read-only cgroupfs?)"
  done
fi
grep -qw overlay /proc/filesystems || probe_fail "kernel has no overlay filesystem (containerd's overlayfs snapshotter)"
[[ -e /dev/kmsg ]] || probe_fail "/dev/kmsg missing (kubelet's OOM watcher)"
grep -q '^/dev/' /proc/swaps && log "swap is on: kubelet runs with failSwapOn=false"
log "node probes passed (cgroup $cgroup_mode, $(containerd --version | awk '{print $3}'), runc $(runc --version | awk 'NR==1 {print $3}'))"

mkdir -p "$S"/{containerd,cni/net.d,cni/ipam,kubelet,pod-logs,images}
touch "$S/cleanup"   # tells down.sh to run node-down.sh
# On failure, take the node down again (the control plane stays up for the checks).
trap 'rc=$?; if ((rc != 0)); then log "node start-up failed (exit $rc): stopping the node"; "$CLUSTER_HERE/node-down.sh"; fi; exit $rc' EXIT
trap 'log "failed at node.sh line $LINENO: $BASH_COMMAND"; echo "node.sh line $LINENO failed: $BASH_COMMAND" >"$LOG_DIR/node-probe.txt"' ERR

# --- network inside our namespace --------------------------------------------------
# The node's address (kubelet refuses a loopback node IP) on a veth pair whose both
# ends stay in this namespace (a dummy interface needs a kernel module that may be
# missing); the default route points at it, so nothing can leave the namespace.
ip link show todo-node0 >/dev/null 2>&1 || ip link add todo-node0 type veth peer name todo-node1
ip addr replace "$node_ip/32" dev todo-node0
ip link set todo-node1 up
ip link set todo-node0 up
ip link set lo up
ip route replace default dev todo-node0
sysctl -q -w net.ipv4.ip_forward=1 || true
sysctl -q -w net.bridge.bridge-nf-call-iptables=1 2>/dev/null || log "br_netfilter sysctl not available (Service traffic between pods on the bridge may bypass kube-proxy)"

# --- certificates ------------------------------------------------------------------
sign() { # sign NAME SUBJECT EXTENSIONS
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$pki/$1.key" 2>/dev/null
  openssl req -new -key "$pki/$1.key" -subj "$2" -out "$pki/$1.csr" 2>/dev/null
  printf '%b\n' "$3" >"$pki/$1.ext"
  openssl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -sha256 -days 2 \
    -extfile "$pki/$1.ext" -out "$pki/$1.crt" 2>/dev/null
  rm -f "$pki/$1.csr" "$pki/$1.ext"
}
sign kubelet-client "/O=system:nodes/CN=system:node:$node_name" \
  "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth"
sign kubelet-serving "/O=system:nodes/CN=system:node:$node_name" \
  "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:$node_ip,IP:127.0.0.1,DNS:$node_name"
kubeconfig_for() { # kubeconfig_for FILE CERT_NAME
  kubectl config --kubeconfig="$1" set-cluster c --server="$CLUSTER_SERVER" --certificate-authority="$pki/ca.crt" --embed-certs=true >/dev/null
  kubectl config --kubeconfig="$1" set-credentials u --client-certificate="$pki/$2.crt" --client-key="$pki/$2.key" --embed-certs=true >/dev/null
  kubectl config --kubeconfig="$1" set-context c --cluster=c --user=u >/dev/null
  kubectl config --kubeconfig="$1" use-context c >/dev/null
}
kubeconfig_for "$S/kubelet.kubeconfig" kubelet-client

# --- controller-manager and scheduler ---------------------------------------------
kcm_port="$(free_port)"; sched_port="$(free_port)"
start kube-controller-manager "$KUBE_BIN/kube-controller-manager" \
  --kubeconfig="$KUBECONFIG" --authentication-kubeconfig="$KUBECONFIG" --authorization-kubeconfig="$KUBECONFIG" \
  --bind-address=127.0.0.1 --secure-port="$kcm_port" --cert-dir="$S/kcm-certs" \
  --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
  --use-service-account-credentials=true --leader-elect=false \
  --service-cluster-ip-range=10.96.0.0/16 --cluster-name=todo-test --v=2
start kube-scheduler "$KUBE_BIN/kube-scheduler" \
  --kubeconfig="$KUBECONFIG" --authentication-kubeconfig="$KUBECONFIG" --authorization-kubeconfig="$KUBECONFIG" \
  --bind-address=127.0.0.1 --secure-port="$sched_port" --leader-elect=false --v=2
wait_for kube-controller-manager "$timeout_s" curl -fsk --max-time 2 "https://127.0.0.1:$kcm_port/healthz"
wait_for kube-scheduler "$timeout_s" curl -fsk --max-time 2 "https://127.0.0.1:$sched_port/healthz"
log "kube-controller-manager and kube-scheduler healthy"

# --- containerd ----------------------------------------------------------------------
sock="$S/containerd/containerd.sock"
cat >"$S/containerd/config.toml" <<EOF
version = 2
root = "$S/containerd/root"
state = "$S/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "$sock"
[ttrpc]
  address = "$sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$S/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:3.10"
  # kubelet asks for negative oom_score_adj (-998 for the sandbox); lowering it needs
  # CAP_SYS_RESOURCE, which this sandbox's root lacks: clamp to containerd's own value.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "$(command -v runc)"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$S/cni/net.d"
EOF
cat >"$S/cni/net.d/10-todo-test.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "todo-test",
  "plugins": [
    {
      "type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": { "type": "host-local", "ranges": [[{ "subnet": "$pod_cidr" }]], "dataDir": "$S/cni/ipam",
                "routes": [{ "dst": "0.0.0.0/0" }] }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
start containerd "$(command -v containerd)" --config "$S/containerd/config.toml" --log-level info
wait_for containerd "$timeout_s" ctr --address "$sock" version
log "containerd up ($sock)"

# --- images ------------------------------------------------------------------------
ctr_k8s() { ctr --address "$sock" --namespace k8s.io "$@"; }
"$KUBE_BIN/mkimage" -o "$S/images/pause.tar" -name registry.k8s.io/pause:3.10 -user 65535:65535 "$KUBE_BIN/pause" /pause
"$KUBE_BIN/mkimage" -o "$S/images/hello.tar" -name todo.test/hello:1 -user 65532:65532 "$KUBE_BIN/hello" /hello
ctr_k8s images import "$S/images/pause.tar" >"$LOG_DIR/node-images.log" 2>&1 &&
  ctr_k8s images import "$S/images/hello.tar" >>"$LOG_DIR/node-images.log" 2>&1 &&
  "$KUBE_BIN/mkimage" -o "$S/images/coredns.tar" -name todo.test/coredns:1 -user 65532:65532 "$KUBE_BIN/coredns" /coredns &&
  ctr_k8s images import "$S/images/coredns.tar" >>"$LOG_DIR/node-images.log" 2>&1 ||
  { cat "$LOG_DIR/node-images.log" >&2; die "importing the pause/hello images into containerd failed"; }
log "images imported: $(ctr_k8s images ls -q | tr '\n' ' ')"

# --- kubelet -------------------------------------------------------------------------
# Our own cgroup root (kubelet requires it to exist), removed by node-down.sh.
cgroup_root=/todo-cluster-test
if [[ "$cgroup_mode" == v1 ]]; then
  for c in /sys/fs/cgroup/*/; do
    [[ "$c" == */unified/ ]] && continue
    mkdir -p "$c${cgroup_root#/}"
    if [[ -f "$c/cpuset.cpus" ]]; then # a new cpuset cgroup starts empty
      cat "$c/cpuset.cpus" >"$c${cgroup_root#/}/cpuset.cpus"
      cat "$c/cpuset.mems" >"$c${cgroup_root#/}/cpuset.mems"
    fi
  done
else
  mkdir -p "/sys/fs/cgroup$cgroup_root"
fi
kubelet_port="$(free_port)"; kubelet_healthz="$(free_port)"
cat >"$S/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $node_ip
port: $kubelet_port
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $kubelet_healthz
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true }
  x509: { clientCAFile: "$pki/ca.crt" }
authorization: { mode: Webhook }
tlsCertFile: "$pki/kubelet-serving.crt"
tlsPrivateKeyFile: "$pki/kubelet-serving.key"
containerRuntimeEndpoint: "unix://$sock"
cgroupDriver: cgroupfs
cgroupRoot: $cgroup_root
failCgroupV1: false
failSwapOn: false
podCIDR: $pod_cidr
clusterDomain: cluster.local
clusterDNS: [10.96.0.10]
podLogsDir: "$S/pod-logs"
maxPods: 30
serializeImagePulls: false
evictionHard: { memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1% }
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
EOF
start kubelet "$KUBE_BIN/kubelet" --config="$S/kubelet.yaml" --kubeconfig="$S/kubelet.kubeconfig" \
  --root-dir="$S/kubelet" --hostname-override="$node_name" --node-ip="$node_ip" --v=2
wait_for kubelet "$timeout_s" curl -fs --max-time 2 "http://127.0.0.1:$kubelet_healthz/healthz"
wait_for kubelet "$timeout_s" kubectl wait --for=condition=Ready "node/$node_name" --timeout=5s
log "node $node_name Ready"

# --- kube-proxy ------------------------------------------------------------------------
proxy_healthz="$(free_port)"; proxy_metrics="$(free_port)"
cat >"$S/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection: { kubeconfig: "$KUBECONFIG" }
hostnameOverride: $node_name
clusterCIDR: 10.244.0.0/16
healthzBindAddress: 127.0.0.1:$proxy_healthz
metricsBindAddress: 127.0.0.1:$proxy_metrics
conntrack: { maxPerCore: 0 }
EOF
start kube-proxy "$KUBE_BIN/kube-proxy" --config="$S/kube-proxy.yaml" --v=2
wait_for kube-proxy "$timeout_s" curl -fs --max-time 2 "http://127.0.0.1:$proxy_healthz/healthz"
log "kube-proxy healthy"

# --- CoreDNS ---------------------------------------------------------------------------
kubectl apply --server-side --field-manager=cluster-test -f "$CLUSTER_HERE/coredns/coredns.yaml" >"$LOG_DIR/node-coredns.log" 2>&1 &&
  kubectl -n kube-system rollout status deployment/coredns --timeout="${timeout_s}s" >>"$LOG_DIR/node-coredns.log" 2>&1 ||
  { tail -n 20 "$LOG_DIR/node-coredns.log" >&2; die "CoreDNS did not become ready (log: $LOG_DIR/node-coredns.log)"; }
log "CoreDNS ready at 10.96.0.10"

# --- NetworkPolicy enforcement -----------------------------------------------------------
# kube-network-policies needs nf_tables and NFQUEUE (nfnetlink_queue). It queues packets with
# nftables' queue expression, or (patched, see build.sh) the xtables NFQUEUE target through
# nft_compat where the kernel lacks the former (CONFIG_NFT_QUEUE); the probes say which.
netpol_probe() {
  local t=todo-netpol-probe
  [[ -e /proc/net/netfilter/nfnetlink_queue ]] || { echo "kernel has no NFQUEUE (nfnetlink_queue: CONFIG_NETFILTER_NETLINK_QUEUE)"; return 1; }
  command -v nft >/dev/null || { echo "nft not installed (apt-get install nftables), needed for the probes"; return 1; }
  nft add table inet "$t" 2>/dev/null || { echo "kernel has no nf_tables inet family (CONFIG_NF_TABLES, CONFIG_NF_TABLES_INET)"; return 1; }
  nft add chain inet "$t" post '{ type filter hook postrouting priority 0; }' &&
    if nft add rule inet "$t" post queue num 98 bypass 2>/dev/null; then
      log "netpol probe: nftables queue expression available"
    else
      log "netpol probe: kernel without nftables' queue expression (CONFIG_NFT_QUEUE): the engine queues through the xtables NFQUEUE target (nft_compat)"
    fi
  nft delete table inet "$t"
  iptables -N TODO-NFQ-PROBE 2>/dev/null && iptables -A TODO-NFQ-PROBE -j NFQUEUE --queue-num 98 --queue-bypass 2>/dev/null
  local rc=$?
  iptables -F TODO-NFQ-PROBE 2>/dev/null; iptables -X TODO-NFQ-PROBE 2>/dev/null
  ((rc == 0)) || { echo "kernel has no xtables NFQUEUE target through nft_compat (CONFIG_NFT_COMPAT, CONFIG_NETFILTER_XT_TARGET_NFQUEUE)"; return 1; }
}
netpol=off
if [[ "${CLUSTER_NETPOL:-1}" == 0 ]]; then
  log "NetworkPolicies not enforced (CLUSTER_NETPOL=0)"
elif ! why="$(netpol_probe)"; then
  netpol="failed: $why"
  log "NetworkPolicies not enforced: $why"
else
  # Ready, and its table holds the rules that queue the packets of policy-selected pods
  netpol_ready() {
    kubectl -n kube-system rollout status daemonset/kube-network-policies --timeout=5s &&
      nft list table inet kube-network-policies | grep -q 'queue'
  }
  if "$KUBE_BIN/mkimage" -o "$S/images/knp.tar" -name todo.test/kube-network-policies:1 -user 0:0 "$KUBE_BIN/kube-network-policies" /kube-network-policies &&
    ctr_k8s images import "$S/images/knp.tar" >>"$LOG_DIR/node-images.log" 2>&1 &&
    kubectl apply --server-side --field-manager=cluster-test -f "$CLUSTER_HERE/addons/kube-network-policies.yaml" >"$LOG_DIR/node-netpol.log" 2>&1; then
    deadline=$((SECONDS + 60))
    until netpol_ready >>"$LOG_DIR/node-netpol.log" 2>&1 || ((SECONDS >= deadline)); do sleep 1; done
    if netpol_ready >/dev/null 2>&1; then
      netpol=enforced
      log "kube-network-policies ready: NetworkPolicies enforced (nftables table inet kube-network-policies, NFQUEUE 98)"
    else
      netpol="failed: kube-network-policies not ready with its nftables rules in 60 s (log: $LOG_DIR/node-netpol.log)"
      kubectl -n kube-system logs daemonset/kube-network-policies --tail=30 >>"$LOG_DIR/node-netpol.log" 2>&1
      log "$netpol"
    fi
  else
    netpol="failed: could not import or apply kube-network-policies (log: $LOG_DIR/node-netpol.log)"
    log "$netpol"
  fi
fi

cat >>"$env_file" <<EOF
export CLUSTER_NODE="$node_name"
export CLUSTER_NODE_IP="$node_ip"
export CLUSTER_CONTAINERD_SOCK="$sock"
export CLUSTER_NETPOL="$netpol"
EOF
log "node up"
