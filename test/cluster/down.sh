#!/usr/bin/env bash
# Stops every process test/cluster/up.sh (and node.sh) started, by recorded PID,
# and removes the run state (PKI, etcd data, kubeconfig). Component logs stay in
# .logs/cluster/logs/ for reading. Safe to run when nothing is running.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ -x "$CLUSTER_HERE/node-down.sh" && -f "$STATE_DIR/node/cleanup" ]] && "$CLUSTER_HERE/node-down.sh" || true
stop_recorded
rm -rf "$STATE_DIR"
log "cluster down (logs kept in $LOG_DIR)"
