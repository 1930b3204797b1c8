#!/usr/bin/env bash
# Makes sure a Docker engine answers on the default socket, installing and starting one if needed.
#
#   scripts/images/ensure-dockerd.sh          # start (or reuse) the engine; prints what it did
#   scripts/images/ensure-dockerd.sh --stop   # stop the engine, but only if this script started it
#
# - Reuses an engine that already answers `docker info` (ours from an earlier call, or the user's).
# - Otherwise installs Debian's docker.io when dockerd is missing (as root, quietly) and starts
#   `dockerd` in the background, logging to $TODO_DOCKERD_LOG (default /tmp/todo-dockerd.log), and
#   writes its process id to $TODO_DOCKERD_PIDFILE (default /tmp/todo-dockerd.pid). Only an engine
#   recorded there is ever stopped by --stop, by that process id.
# - Docker's data root (/var/lib/docker) is kept, so images built earlier (the stand-ins) are reused.
# Exit status: 0 when `docker info` answers; 1 with a message (and the log's tail) when it cannot start.
set -euo pipefail

LOG=${TODO_DOCKERD_LOG:-/tmp/todo-dockerd.log}
PIDFILE=${TODO_DOCKERD_PIDFILE:-/tmp/todo-dockerd.pid}
WAIT_SECONDS=${TODO_DOCKERD_WAIT_SECONDS:-60}

say() { echo "ensure-dockerd: $*" >&2; }

if [ "${1:-}" = "--stop" ]; then
  if [ -s "$PIDFILE" ]; then
    pid=$(cat "$PIDFILE")
    if kill -0 "$pid" 2>/dev/null && grep -qa dockerd "/proc/$pid/cmdline" 2>/dev/null; then
      say "stopping dockerd (pid $pid, started by this script)"
      kill -TERM "$pid"
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      if kill -0 "$pid" 2>/dev/null; then say "dockerd $pid did not stop in 30 s; sending SIGKILL"; kill -KILL "$pid" || true; fi
    fi
    rm -f "$PIDFILE"
  else
    say "no dockerd started by this script; nothing to stop"
  fi
  exit 0
fi

if docker info >/dev/null 2>&1; then
  say "reusing the running Docker engine ($(docker version --format '{{.Server.Version}}' 2>/dev/null))"
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then say "dockerd is not installed and this is not root: install docker.io (or Docker Engine) first"; exit 1; fi
  say "installing Debian's docker.io"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null || { say "apt-get update failed"; exit 1; }
  apt-get install -y -q docker.io >/dev/null || { say "apt-get install docker.io failed"; exit 1; }
fi
if ! command -v docker >/dev/null 2>&1; then say "the docker client is missing (install docker.io)"; exit 1; fi
if [ "$(id -u)" -ne 0 ]; then say "no Docker engine answers and starting dockerd needs root"; exit 1; fi

# A stale pid file from a dockerd that died (or a stale socket) would confuse the new one.
if [ -s "$PIDFILE" ] && ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then rm -f "$PIDFILE"; fi
if [ -s /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then rm -f /var/run/docker.pid; fi

say "starting dockerd (log: $LOG)"
# setsid: the engine must not get the terminal's signals, nor be killed with the caller's process group.
setsid dockerd --host unix:///var/run/docker.sock >>"$LOG" 2>&1 < /dev/null &
echo $! > "$PIDFILE"
pid=$!

for _ in $(seq 1 $((WAIT_SECONDS * 2))); do
  if docker info >/dev/null 2>&1; then
    say "dockerd is up (pid $pid, server $(docker version --format '{{.Server.Version}}'), storage driver $(docker info --format '{{.Driver}}'))"
    exit 0
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    say "dockerd exited during start-up; last lines of $LOG:"
    tail -n 25 "$LOG" >&2
    rm -f "$PIDFILE"
    exit 1
  fi
  sleep 0.5
done
say "dockerd did not answer within ${WAIT_SECONDS} s; last lines of $LOG:"
tail -n 25 "$LOG" >&2
exit 1
