# Shared helpers for test/cluster/*.sh (sourced, not executed).
# shellcheck shell=bash

CLUSTER_HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$CLUSTER_HERE/../.." && pwd)"
# Run state (PKI, etcd data, kubeconfig, PIDs) and component logs. .logs/ is git-ignored.
RUN_DIR="${TODO_CLUSTER_DIR:-$REPO_ROOT/.logs/cluster}"
STATE_DIR="$RUN_DIR/state"   # removed by down.sh
LOG_DIR="$RUN_DIR/logs"      # kept for reading after down.sh
PIDS_FILE="$STATE_DIR/pids"  # lines: "<name> <pid> <binary path>"

log() { printf '[cluster %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# port_in_use PORT: true if something accepts connections on 127.0.0.1:PORT.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port: a port on 127.0.0.1 nothing listens on, from a range the kernel
# does not hand out as ephemeral ports by default (32768-60999).
free_port() {
  local p i
  for i in $(seq 1 200); do
    p=$((20000 + RANDOM % 12000))
    if ! port_in_use "$p" && ! grep -qw "$p" "$STATE_DIR/ports" 2>/dev/null; then
      echo "$p" >>"$STATE_DIR/ports"
      echo "$p"
      return 0
    fi
  done
  die "no free port found on 127.0.0.1"
}

# pid_matches PID BINARY: the process PID is alive and still runs BINARY (guards
# against a recycled PID).
pid_matches() {
  local exe
  kill -0 "$1" 2>/dev/null || return 1
  exe="$(readlink "/proc/$1/exe" 2>/dev/null || true)"
  [[ "$exe" == "$2" || "$exe" == "$2 (deleted)" ]]
}

# stop_recorded [NAME...]: stops the processes in $PIDS_FILE (all of them, or only
# those named), last started first: SIGTERM, then SIGKILL after a grace period.
stop_recorded() {
  [[ -f "$PIDS_FILE" ]] || return 0
  local name pid bin i only=" $* "
  while read -r name pid bin; do
    [[ "$only" == "  " || "$only" == *" $name "* ]] || continue
    pid_matches "$pid" "$bin" || continue
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do pid_matches "$pid" "$bin" || break; sleep 0.2; done
    if pid_matches "$pid" "$bin"; then
      log "$name did not stop in 10s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done < <(tac "$PIDS_FILE")
  (($#)) || rm -f "$PIDS_FILE"
}

# start NAME BINARY ARGS...: starts a component in the background, detached from
# our stdin/stdout (so callers capturing output do not hang), logging to
# $LOG_DIR/NAME.log, and records its PID.
start() {
  local name="$1" bin="$2"; shift 2
  [[ -x "$bin" ]] || die "$name: binary $bin not found or not executable"
  "$bin" "$@" </dev/null >"$LOG_DIR/$name.log" 2>&1 &
  echo "$name $! $(readlink -f "$bin")" >>"$PIDS_FILE"
  log "started $name (pid $!), log: $LOG_DIR/$name.log"
}

# alive NAME: the recorded process NAME is still running.
alive() {
  local name pid bin
  while read -r name pid bin; do
    [[ "$name" == "$1" ]] && { pid_matches "$pid" "$bin"; return; }
  done <"$PIDS_FILE"
  return 1
}

# wait_for NAME TIMEOUT_S CMD...: polls CMD until it succeeds; fails early, with
# the end of NAME's log, if NAME exits; fails after TIMEOUT_S seconds.
wait_for() {
  local name="$1" timeout="$2"; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ! alive "$name"; then
      log "$name exited during start-up; last lines of $LOG_DIR/$name.log:"
      tail -n 25 "$LOG_DIR/$name.log" | sed 's/^/    /' >&2
      die "$name failed to start"
    fi
    if ((SECONDS >= deadline)); then
      log "$name not ready after ${timeout}s; last lines of $LOG_DIR/$name.log:"
      tail -n 25 "$LOG_DIR/$name.log" | sed 's/^/    /' >&2
      die "$name not ready after ${timeout}s"
    fi
    sleep 1
  done
}
