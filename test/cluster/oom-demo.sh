#!/usr/bin/env bash
# By hand, not in CI: shows that the node enforces memory limits, and that limits.ts (the watcher
# behind e2e.sh's "0 OOM kills") sees an OOM kill. On a running node (scripts/ci/cluster.sh's
# state, or test/cluster/up.sh + node.sh):
#
#   test/cluster/oom-demo.sh ENV_FILE [NETNS] [LIMIT_MIB]
#
# Two pods in a throwaway namespace run the backend image's node with a memory limit of LIMIT_MIB
# (default 64); node allocates (and touches) 4 MiB every 100 ms until the kernel kills it: in pod
# `allocate` node is the container's main process, in `allocate-child` a child of bash, which then
# sleeps (the container lives on: the pod status cannot tell, the cgroup can). Meanwhile limits.ts
# reads the pods' memory cgroups every 100 ms and the kernel log. Prints the container statuses
# (reason OOMKilled, exit 137), the surviving container's cgroup files (the OOM-kill counter, the
# peak against the limit) and limits.ts's verdict. The namespace is deleted at the end.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$CLUSTER_HERE/suite-lib.sh" oom-demo "${1:-}" "${2:-}"
limit_mib="${3:-64}"
demo_ns=oom-demo
image="$(ctr_k8s images ls -q | sed -n 's|^docker.io/library/\(todo-backend:[0-9a-f]*\)$|\1|p' | head -n 1)"
[[ -n "$image" ]] || die "no todo-backend image on the node (app.sh imports it)"
watch_pid=""
trap '[[ -n "$watch_pid" ]] && kill -TERM "$watch_pid" 2>/dev/null; k delete namespace "$demo_ns" --wait=false >/dev/null 2>&1' EXIT

k create namespace "$demo_ns" >/dev/null && k label namespace "$demo_ns" pod-security.kubernetes.io/enforce=restricted >/dev/null
enter=()
[[ -n "$netns" ]] && enter=(nsenter --net="/run/netns/$netns")
"${enter[@]}" node --import tsx "$CLUSTER_HERE/limits.ts" watch --namespace "$demo_ns" --kubeconfig "$KUBECONFIG" \
  --containerd "$CLUSTER_CONTAINERD_SOCK" --every-ms 100 --out "$o/limits.json" >"$o/limits.out" 2>&1 &
watch_pid=$!

allocate="const a = []; setInterval(() => { a.push(Buffer.alloc(4 << 20).fill(1)); console.log('allocated', a.length * 4, 'MiB'); }, 100)"
pod() { # NAME COMMAND...: a restricted pod under the limit, as JSON
  node -e '
    const [name, ns, image, mib, ...command] = process.argv.slice(1);
    console.log(JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name, namespace: ns }, spec: {
      restartPolicy: "Never", automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: 1001, seccompProfile: { type: "RuntimeDefault" } },
      containers: [{ name: "allocate", image, imagePullPolicy: "IfNotPresent", command,
        resources: { requests: { cpu: "100m", memory: `${mib}Mi` }, limits: { cpu: "500m", memory: `${mib}Mi` } },
        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } } }] } }));
  ' "$1" "$demo_ns" "$image" "$limit_mib" "${@:2}"
}
{ pod allocate node -e "$allocate"; pod allocate-child bash -c "node -e \"$allocate\"; echo node exit \$?; sleep 600"; } | k apply -f -
k wait pod/allocate -n "$demo_ns" --for=jsonpath='{.status.phase}'=Failed --timeout=120s >/dev/null
for _ in $(seq 60); do k logs -n "$demo_ns" allocate-child 2>/dev/null | grep -q '^node exit' && break; sleep 1; done
sleep 1
kill -TERM "$watch_pid"; wait "$watch_pid"; watch_pid=""

echo "--- pod allocate (node is the container's main process)"
k get pod allocate -n "$demo_ns" -o jsonpath='{range .status.containerStatuses[*]}{.name}: {.state.terminated.reason}, exit {.state.terminated.exitCode}, started {.state.terminated.startedAt}, finished {.state.terminated.finishedAt}{"\n"}{end}'
k logs allocate -n "$demo_ns" | tail -n 1
echo "--- pod allocate-child (node is a child of bash)"
k get pod allocate-child -n "$demo_ns" -o jsonpath='{range .status.containerStatuses[*]}{.name}: {.state}, restarts {.restartCount}{"\n"}{end}'
k logs allocate-child -n "$demo_ns" | tail -n 2
cid="$(k get pod allocate-child -n "$demo_ns" -o jsonpath='{.status.containerStatuses[0].containerID}')"
cg="$(ctr_k8s containers info "${cid#*://}" | node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).Spec.linux.cgroupsPath)')"
for d in "$cg" "$(dirname "$cg")"; do
  if [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
    f="/sys/fs/cgroup$d"
    echo "--- $f: memory.max $(cat "$f/memory.max"), memory.peak $(cat "$f/memory.peak"); memory.events: $(tr '\n' ' ' <"$f/memory.events")"
  else
    f="/sys/fs/cgroup/memory$d"
    echo "--- $f: limit_in_bytes $(cat "$f/memory.limit_in_bytes"), max_usage_in_bytes $(cat "$f/memory.max_usage_in_bytes"), failcnt $(cat "$f/memory.failcnt"); memory.oom_control: $(tr '\n' ' ' <"$f/memory.oom_control")"
  fi
done
echo "--- the kernel log"
dmesg 2>/dev/null | grep -E 'oom-kill:|Memory cgroup out of memory' | grep -F "$(k get pod allocate-child -n "$demo_ns" -o jsonpath='{.metadata.uid}')" | tail -n 1 | cut -c1-400
echo "--- limits.ts (every 100 ms)"
cat "$o/limits.out"
