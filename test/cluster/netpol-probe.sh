# Runs inside a pod (bash, coreutils and getent: the app images and PostgreSQL's have them), fed on
# stdin by test/cluster/netpol.sh: `kubectl exec -i POD -- bash -s -- TIMEOUT PROBE... <netpol-probe.sh`.
# Each PROBE is ID,KIND,HOST,PORT,PATH,VHOST (from test/cluster/netpol.ts); all run at once. A host
# name is resolved first (getent, as the pod's resolver does it, within DNS_TIMEOUT: one retry of
# glibc's 5 s); a name that does not resolve is an error, never a drop. The connection is bounded by
# TIMEOUT seconds. Each probe prints one line `ID VERDICT DETAIL`:
#   response  the destination answered: HTTP (GET PATH, Host VHOST or HOST): its status line;
#             pg: PostgreSQL's one-byte answer to an SSLRequest; dns-udp: the address getent
#             resolved HOST to; dns-tcp: a DNS answer over TCP from HOST:53; tcp: the connect
#   timeout   no answer at all within TIMEOUT (the SYN, or the UDP query, was dropped)
#   refused   the connection was refused (RST)
#   unreachable, silent (connected, then no answer), error   anything else
# Bash's /dev/tcp, so the probe needs no tool the images lack.
# shellcheck shell=bash
T="$1"
shift
DNS_TIMEOUT=7

# the conversation of one connection, run by `timeout` in a child bash: fd 3 is the socket
converse='
kind=$0 host=$1 port=$2 path=$3 vhost=$4
exec 3<>"/dev/tcp/$host/$port" || exit 3
echo connected
case $kind in
  http)
    printf "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: netpol-probe\r\nConnection: close\r\n\r\n" "$path" "${vhost:-$host}" >&3
    IFS= read -r line <&3 && echo "${line%$'\''\r'\''}" ;;
  pg) # SSLRequest (length 8, code 80877103): the server answers S or N
    printf "\0\0\0\10\4\322\26\57" >&3
    echo "postgres answered $(head -c 1 <&3)" ;;
  dns-tcp) # a query for kubernetes.default.svc.cluster.local, A, recursion desired; 2-byte length first
    name=kubernetes.default.svc.cluster.local
    printf "\\$(printf %03o $(( (12 + ${#name} + 2 + 4) >> 8 )))\\$(printf %03o $(( (12 + ${#name} + 2 + 4) & 255 )))" >&3
    printf "\0\52\1\0\0\1\0\0\0\0\0\0" >&3
    for l in ${name//./ }; do printf "\\$(printf %03o ${#l})%s" "$l" >&3; done
    printf "\0\0\1\0\1" >&3
    read -r -a b <<<"$(head -c 12 <&3 | od -An -tu1)"
    ((${#b[@]} == 12)) && echo "DNS rcode $((b[5] & 15)), $((b[8] * 256 + b[9])) answers" ;;
  tcp) echo "connected" ;;
esac
'

probe() {
  local id kind host port path vhost out rc
  IFS=, read -r id kind host port path vhost <<<"$1"
  if [[ "$kind" == dns-udp ]]; then
    out="$(timeout "$DNS_TIMEOUT" getent ahostsv4 "$host." 2>&1)"; rc=$?
    if ((rc == 0)); then printf '%s response %s\n' "$id" "$(head -n 1 <<<"$out" | cut -d' ' -f1)"
    elif ((rc == 124)); then printf '%s timeout no DNS answer in %ss\n' "$id" "$DNS_TIMEOUT"
    else printf '%s error getent exit %s %s\n' "$id" "$rc" "${out//$'\n'/ }"; fi
    return
  fi
  local addr="$host"
  if [[ ! "$host" =~ ^[0-9.]+$ ]]; then
    addr="$(timeout "$DNS_TIMEOUT" getent ahostsv4 "$host." | head -n 1 | cut -d' ' -f1)"
    [[ -n "$addr" ]] || { printf '%s error %s does not resolve\n' "$id" "$host"; return; }
  fi
  out="$(timeout "$T" bash -c "$converse" "$kind" "$addr" "$port" "$path" "${vhost:-$host}" 2>&1)"; rc=$?
  local answer="${out#*connected}"; answer="${answer#$'\n'}"; answer="${answer%%$'\n'*}"
  if [[ "$out" == *connected* && -n "$answer" ]]; then printf '%s response %s\n' "$id" "$answer"
  elif [[ "$out" == *connected* ]]; then printf '%s silent connected, no answer in %ss (exit %s)\n' "$id" "$T" "$rc"
  elif ((rc == 124)); then printf '%s timeout no answer in %ss\n' "$id" "$T"
  elif [[ "$out" == *"Connection refused"* ]]; then printf '%s refused\n' "$id"
  elif [[ "$out" == *"No route to host"* || "$out" == *"Network is unreachable"* ]]; then printf '%s unreachable %s\n' "$id" "${out//$'\n'/ }"
  else printf '%s error exit %s %s\n' "$id" "$rc" "${out//$'\n'/ }"; fi
}

for p in "$@"; do probe "$p" & done
wait
