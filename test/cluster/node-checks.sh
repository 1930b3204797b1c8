# Node checks, sourced by check.sh when test/cluster/node.sh brought a node up
# (CLUSTER_NODE set). Uses check.sh's pass/fail/k helpers and counters.
# shellcheck shell=bash

node_checks() {
  local ns="$1" o="$out/node"
  mkdir -p "$o"
  # A workload that complies with Pod Security `restricted`, in a namespace from
  # dist/ that enforces it: it must really run (controller-manager, scheduler,
  # kubelet, containerd, runc, CNI) and answer on its pod IP and its Service.
  cat >"$o/hello.yaml" <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: { name: cluster-test-hello, namespace: $ns }
spec:
  replicas: 2
  selector: { matchLabels: { app: cluster-test-hello } }
  template:
    metadata: { labels: { app: cluster-test-hello } }
    spec:
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        runAsUser: 65532
        seccompProfile: { type: RuntimeDefault }
      containers:
        - name: hello
          image: todo.test/hello:1
          imagePullPolicy: Never
          ports: [{ containerPort: 8080 }]
          readinessProbe: { httpGet: { path: /, port: 8080 }, periodSeconds: 2 }
          resources:
            requests: { cpu: 10m, memory: 16Mi, ephemeral-storage: 10Mi }
            limits: { cpu: 100m, memory: 32Mi, ephemeral-storage: 10Mi }
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: { drop: [ALL] }
---
apiVersion: v1
kind: Service
metadata: { name: cluster-test-hello, namespace: $ns }
spec:
  selector: { app: cluster-test-hello }
  ports: [{ port: 80, targetPort: 8080 }]
EOF
  if k apply --server-side --field-manager=cluster-test -f "$o/hello.yaml" >"$o/hello.out" 2>&1 &&
    k -n "$ns" rollout status deployment/cluster-test-hello --timeout=180s >>"$o/hello.out" 2>&1; then
    pass "node: a restricted-compliant Deployment runs in $ns (2/2 pods Ready)"
  else
    { k -n "$ns" get pods -o wide; k -n "$ns" get events --sort-by=.lastTimestamp | tail -n 20; } >>"$o/hello.out" 2>&1
    fail "node: a restricted-compliant Deployment runs in $ns" "$o/hello.out"
    return
  fi

  local ip
  ip="$(k -n "$ns" get pods -l app=cluster-test-hello -o jsonpath='{.items[0].status.podIP}')"
  if curl -fsS --max-time 5 "http://$ip:8080/" >"$o/pod-ip.out" 2>&1; then
    pass "node: pod answers on its pod IP $ip (CNI bridge)"
  else
    fail "node: pod answers on its pod IP $ip (CNI bridge)" "$o/pod-ip.out"
  fi

  local cip seen="" i
  cip="$(k -n "$ns" get service cluster-test-hello -o jsonpath='{.spec.clusterIP}')"
  # both replicas answer through the ClusterIP (kube-proxy's iptables rules)
  for i in $(seq 1 30); do
    seen+="$(curl -fsS --max-time 2 "http://$cip/" 2>>"$o/service.out" | awk '{print $2}')"$'\n'
    (($(sort -u <<<"$seen" | grep -c .) >= 2)) && break
    sleep 0.5
  done
  if (($(sort -u <<<"$seen" | grep -c .) >= 2)); then
    pass "node: Service ClusterIP $cip reaches both pods (kube-proxy)"
  else
    echo "pods seen through $cip: $(sort -u <<<"$seen" | tr '\n' ' ')" >>"$o/service.out"
    fail "node: Service ClusterIP $cip reaches both pods (kube-proxy)" "$o/service.out"
  fi

  # CoreDNS (node.sh) answers for Services, through its own ClusterIP 10.96.0.10
  if node -e '
      const r = new (require("dns").promises.Resolver)({ timeout: 2000, tries: 3 });
      r.setServers(["10.96.0.10"]);
      (async () => {
        for (const n of process.argv.slice(1)) console.log(n, (await r.resolve4(n)).join(","));
      })().catch((e) => { console.error(e.message); process.exit(1); });'       kubernetes.default.svc.cluster.local "cluster-test-hello.$ns.svc.cluster.local" >"$o/dns.out" 2>&1 &&
    grep -qx "kubernetes.default.svc.cluster.local 10.96.0.1" "$o/dns.out" &&
    grep -qx "cluster-test-hello.$ns.svc.cluster.local $cip" "$o/dns.out"; then
    pass "node: CoreDNS resolves kubernetes.default and cluster-test-hello.$ns to their ClusterIPs"
  else
    fail "node: CoreDNS resolves kubernetes.default and cluster-test-hello.$ns to their ClusterIPs" "$o/dns.out"
  fi

  # negative: enforcement also holds for real pods created by a controller: a
  # Deployment whose pods break `restricted` is accepted (with a warning) but the
  # ReplicaSet controller cannot create its pods.
  sed -e 's/cluster-test-hello/cluster-test-bad/g' -e 's/runAsNonRoot: true/runAsNonRoot: false/' \
    "$o/hello.yaml" | awk '/^---/ { exit } { print }' >"$o/bad.yaml"
  k apply --server-side --field-manager=cluster-test -f "$o/bad.yaml" >"$o/bad.out" 2>&1
  local msg=""
  for i in $(seq 1 30); do
    msg="$(k -n "$ns" get events --field-selector reason=FailedCreate -o jsonpath='{range .items[*]}{.message}{"\n"}{end}' 2>/dev/null | grep 'cluster-test-bad' | grep -m1 'violates PodSecurity' || true)"
    [[ -n "$msg" ]] && break
    sleep 1
  done
  if [[ -n "$msg" ]] && [[ "$(k -n "$ns" get pods -l app=cluster-test-bad -o name | wc -l)" == 0 ]]; then
    pass "node: ReplicaSet controller is refused non-compliant pods in $ns (PodSecurity)"
  else
    { echo "FailedCreate event: ${msg:-none}"; k -n "$ns" get pods -l app=cluster-test-bad; } >>"$o/bad.out" 2>&1
    fail "node: ReplicaSet controller is refused non-compliant pods in $ns" "$o/bad.out"
  fi
  k -n "$ns" delete deployment cluster-test-bad --wait=false >/dev/null 2>&1 || true
}
