#!/usr/bin/env bash
# Stops what test/cluster/node.sh started, in an order that leaves nothing behind:
# kubelet and the controllers first, then every container through containerd (its
# shims outlive containerd otherwise), then containerd; unmounts what is left under
# the node's state dir and removes the node's cgroups. Called by down.sh.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
S="$STATE_DIR/node"
sock="$S/containerd/containerd.sock"

stop_recorded kube-proxy kubelet kube-scheduler kube-controller-manager

if alive containerd; then
  ctr_k8s() { timeout 30 ctr --address "$sock" --namespace k8s.io "$@"; }
  # pod network namespaces (/run/netns/cni-...) that CRI would remove on StopPodSandbox
  netns_paths="$(for c in $(ctr_k8s containers ls -q 2>/dev/null); do
    ctr_k8s containers info "$c" 2>/dev/null | node -e '
      const s = JSON.parse(require("fs").readFileSync(0, "utf8")).Spec;
      for (const n of s?.linux?.namespaces ?? []) if (n.type === "network" && n.path) console.log(n.path)'
  done | sort -u)"
  tasks="$(ctr_k8s tasks ls -q 2>/dev/null || true)"
  for t in $tasks; do ctr_k8s tasks kill -s SIGKILL "$t" >/dev/null 2>&1 || true; done
  # containerd's CRI plugin deletes exited tasks itself; delete what is left (10 s at most)
  for i in $(seq 1 40); do
    left="$(ctr_k8s tasks ls -q 2>/dev/null || true)"
    [[ -z "$left" ]] && break
    for t in $left; do ctr_k8s tasks delete -f "$t" >/dev/null 2>&1 || true; done
    sleep 0.25
  done
  for c in $(ctr_k8s containers ls -q 2>/dev/null || true); do ctr_k8s containers delete "$c" >/dev/null 2>&1 || true; done
  [[ -n "$tasks" ]] && log "removed $(wc -w <<<"$tasks") containers"
  for n in $netns_paths; do
    [[ "$n" == /var/run/netns/cni-* || "$n" == /run/netns/cni-* ]] || continue
    umount "$n" 2>/dev/null; rm -f "$n"
  done
fi
stop_recorded containerd

# Shims whose task could not be deleted (containerd already gone): find them by
# our own containerd address on their command line, stop them by PID.
for d in /proc/[0-9]*; do
  [[ "$(readlink "$d/exe" 2>/dev/null)" == */containerd-shim-runc-v2 ]] || continue
  tr '\0' '\n' <"$d/cmdline" 2>/dev/null | grep -qxF "$sock" || continue
  log "killing leftover shim (pid ${d#/proc/})"
  kill -KILL "${d#/proc/}" 2>/dev/null || true
done

# Mounts under the node's state (container rootfs, /dev/shm, volumes), deepest first.
awk -v s="$S" '$5 == s || index($5, s "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
  while read -r m; do umount -l "$m" 2>/dev/null || log "could not unmount $m"; done

# cgroups under our cgroup root, deepest first (empty once the containers are gone).
for c in /sys/fs/cgroup/*/todo-cluster-test /sys/fs/cgroup/todo-cluster-test; do
  [[ -d "$c" ]] && find "$c" -depth -type d -exec rmdir {} + 2>/dev/null
  [[ -d "$c" ]] && log "cgroup $c not removed (processes left?)"
done
# kubelet's symlinks to container logs (/var/log/containers is fixed in kubelet).
for l in /var/log/containers/*; do
  [[ -L "$l" && "$(readlink "$l")" == "$S/"* ]] && rm -f "$l"
done
rmdir /var/log/containers 2>/dev/null # only if empty
rm -f "$S/cleanup"
true
