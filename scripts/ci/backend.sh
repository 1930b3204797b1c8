#!/usr/bin/env bash
# Backend suite against a real PostgreSQL: builds the backend, creates a throwaway PostgreSQL
# cluster (Debian's postgresql, installed with apt when missing) in a temporary directory, listening
# on 127.0.0.1 only, and
#   1. runs `node dist/migrate.js` twice at once (both exit 0, each migration applied once);
#   2. runs the integration suite (backend/jest.integration.config.js): migrations (bounded lock
#      wait, "too many connections" retried, separate DDL and DML roles), the API on PostgreSQL
#      (If-Match races, Idempotency-Key retries, quota and rate limits under concurrency), the built
#      server's start-up errors and SIGTERM drain, and the faults: a SIGSTOP-stalled database, keep-alive
#      clients through a drain, and a local nginx (Debian's nginx-light, installed when missing) with a
#      60 s upstream keep-alive in front of two replicas during a drain;
#   3. runs schemathesis (PyPI, pinned, in a venv cached under $TODO_CACHE) against the served OpenAPI
#      document with every check, authenticated and not, on PGlite and on PostgreSQL: 0 failures;
#   4. runs the benchmark (backend/scripts/bench.mjs): figures printed, only sanity-checked.
# The cluster and every process it started are stopped and removed on exit, whatever happens.
# Works as root with CI=true and no standard input. Closing line: `backend-integration: N passed, M failed`.
# Env: PG_PORT (first port tried, default 55432), BENCH=0 to skip the benchmark, SCHEMATHESIS=0 to skip
# schemathesis, TODO_CACHE (cache root, default ~/.cache/todo-cdk8s).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
CACHE=${TODO_CACHE:-$HOME/.cache/todo-cdk8s}
SCHEMATHESIS_VERSION=4.32.5

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
say() { echo "backend-integration: $*"; }

# ---- PostgreSQL binaries ------------------------------------------------------------------------
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
if [ -z "$(pg_bin)" ] || [ ! -x "$(pg_bin)/initdb" ]; then
  say "installing Debian's postgresql…"
  export DEBIAN_FRONTEND=noninteractive
  # Only our throwaway cluster: no "main" cluster started as a system service by the package.
  mkdir -p /etc/postgresql-common
  if [ ! -f /etc/postgresql-common/createcluster.conf ]; then echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.conf; fi
  log=$(mktemp)
  if ! { apt-get update -q && apt-get install -y -q --no-install-recommends postgresql; } >"$log" 2>&1 </dev/null; then
    cat "$log"; rm -f "$log"; echo "backend-integration: cannot install postgresql"; exit 1
  fi
  rm -f "$log"
fi
# nginx for the drain-through-a-proxy test (Debian's nginx-light; its package does not start a service here).
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  say "installing Debian's nginx-light…"
  log=$(mktemp)
  if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nginx-light; } >"$log" 2>&1 </dev/null; then
    cat "$log"; rm -f "$log"; echo "backend-integration: cannot install nginx-light"; exit 1
  fi
  rm -f "$log"
fi
export PATH="$PATH:/usr/sbin"
PG=$(pg_bin)
say "PostgreSQL $("$PG/postgres" --version | awk '{print $3}') from $PG"
id postgres >/dev/null 2>&1 || { echo "backend-integration: no postgres user (the postgresql package creates it)"; exit 1; }
as_pg() { runuser -u postgres -- "$@"; }

# ---- a throwaway cluster ------------------------------------------------------------------------
work=$(mktemp -d /tmp/backend-pg.XXXXXX)
chmod 755 "$work"
mkdir -p "$work/data" "$work/sock"
chown -R postgres:postgres "$work"
started_pg=0
st_pids=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  # schemathesis's servers, if a run was interrupted: by their pids.
  for p in $st_pids; do kill -9 "$p" 2>/dev/null || true; done
  if [ "$started_pg" = 1 ]; then as_pg "$PG/pg_ctl" -D "$work/data" -m immediate -w stop >/dev/null 2>&1 || true; fi
  # Anything still running from the data directory (should be nothing): by its postmaster pid.
  if [ -f "$work/data/postmaster.pid" ]; then kill -9 "$(head -n 1 "$work/data/postmaster.pid")" 2>/dev/null || true; fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=${PG_PORT:-55432}
while ! port_free "$port"; do port=$((port + 1)); done

admin_pw=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
app_pw=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
printf '%s\n' "$admin_pw" >"$work/pwfile"
chown postgres:postgres "$work/pwfile"
if ! as_pg "$PG/initdb" -D "$work/data" -U postgres --pwfile="$work/pwfile" --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$work/initdb.log" 2>&1; then
  cat "$work/initdb.log"; echo "backend-integration: initdb failed"; exit 1
fi
rm -f "$work/pwfile"
# fsync off: a throwaway cluster (faster tests; the benchmark says so).
if ! as_pg "$PG/pg_ctl" -D "$work/data" -l "$work/postgres.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $work/sock -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null; then
  cat "$work/postgres.log"; echo "backend-integration: PostgreSQL did not start"; exit 1
fi
started_pg=1
psql_admin() { as_pg psql -X -q -v ON_ERROR_STOP=1 -h "$work/sock" -p "$port" -U postgres "$@"; }
psql_admin -d postgres -c "create role todo login createdb createrole password '$app_pw'" -c "create database todo owner todo" >/dev/null
export DATABASE_URL="postgres://todo:$app_pw@127.0.0.1:$port/todo"
export ADMIN_DATABASE_URL="postgres://todo:$app_pw@127.0.0.1:$port/postgres"
# The faults suite stalls the cluster with SIGSTOP (and resumes it): its postmaster's pid file.
export PG_PIDFILE="$work/data/postmaster.pid"
say "throwaway cluster on 127.0.0.1:$port ($work)"

# ---- build --------------------------------------------------------------------------------------
npm run build -w backend --silent

# ---- 1. two migrations at once ------------------------------------------------------------------
(cd backend && node dist/migrate.js >"$work/migrate-1.log" 2>&1) &
m1=$!
(cd backend && node dist/migrate.js >"$work/migrate-2.log" 2>&1) &
m2=$!
rc1=0; rc2=0
wait "$m1" || rc1=$?
wait "$m2" || rc2=$?
versions=$(psql_admin -d todo -At -c "select count(*) || ' row(s), versions ' || string_agg(version::text, ',' order by version) from schema_migrations")
expected=$(node_modules/.bin/tsx -e "import { MIGRATIONS } from './backend/src/db/migrations.ts'; console.log(MIGRATIONS.length + ' row(s), versions ' + MIGRATIONS.map((m) => m.version).join(','))")
if [ "$rc1" = 0 ] && [ "$rc2" = 0 ] && [ "$versions" = "$expected" ]; then
  ok "two concurrent 'node dist/migrate.js' runs exited 0 and 0; schema_migrations: $versions"
else
  bad "concurrent migrations: exit codes $rc1 and $rc2, schema_migrations: $versions (expected $expected)"
  cat "$work/migrate-1.log" "$work/migrate-2.log"
fi
applied=$(cat "$work/migrate-1.log" "$work/migrate-2.log" | grep -c '"msg":"migrations: applied"' || true)
uptodate=$(cat "$work/migrate-1.log" "$work/migrate-2.log" | grep -c 'the schema is up to date' || true)
if [ "$applied" = "$(echo "$expected" | cut -d' ' -f1)" ] && [ "$uptodate" = 1 ]; then
  ok "one run applied the migrations, the other waited on the advisory lock and found the schema up to date"
else
  bad "migration logs: $applied applied line(s), $uptodate up-to-date line(s)"
  cat "$work/migrate-1.log" "$work/migrate-2.log"
fi

# ---- 2. integration suite -----------------------------------------------------------------------
if CI=true node_modules/.bin/jest -c backend/jest.integration.config.js --json --outputFile="$work/jest.json" </dev/null; then :; fi
if [ -f "$work/jest.json" ]; then
  read -r jp jf < <(node -e "const r=require('$work/jest.json'); console.log(r.numPassedTests, r.numFailedTests + r.numRuntimeErrorTestSuites)")
  passed=$((passed + jp)); failed=$((failed + jf))
  say "integration suite: $jp passed, $jf failed"
else
  bad "the integration suite did not run"
fi

# ---- 3. schemathesis ---------------------------------------------------------------------------
schemathesis_tool() {
  local dir="$CACHE/schemathesis-$SCHEMATHESIS_VERSION"
  if [ ! -f "$dir/.complete" ]; then
    # a venv cannot be moved after creation, so a marker file says the install finished
    command -v python3 >/dev/null || { echo "backend-integration: python3 is needed for schemathesis" >&2; return 1; }
    local log="$CACHE/schemathesis-$SCHEMATHESIS_VERSION.log"
    rm -rf "$dir" && mkdir -p "$CACHE"
    { python3 -m venv "$dir" && nice -n 10 "$dir/bin/pip" install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"; } >"$log" 2>&1 \
      || { cat "$log" >&2; echo "backend-integration: pip install schemathesis==$SCHEMATHESIS_VERSION failed (python3 -m venv needs python3-venv)" >&2; return 1; }
    rm -f "$log"
    touch "$dir/.complete"
  fi
  echo "$dir/bin/schemathesis"
}

# One server (PGlite when DATABASE_URL is empty), two runs: authenticated (a fresh account's token; log-out
# is left out there, as it would end that session for the rest of the run) and anonymous (every route).
st_total_generated=0; st_total_passed=0; st_total_failures=0
st_server() { # st_server LABEL DATABASE_URL
  local label=$1 url=$2 sport=$((port + 100)) pid tok attempt
  # A free port can be taken between the check and the listen (this range is also the kernel's
  # ephemeral one): on EADDRINUSE the server exits and the next port is tried.
  for attempt in 1 2 3 4 5; do
    while ! port_free "$sport"; do sport=$((sport + 1)); done
    st_start "$label" "$url" "$sport"
    if [ -z "$tok" ] && grep -q EADDRINUSE "$work/st-server-$label.log"; then
      wait "$pid" 2>/dev/null || true
      st_pids=${st_pids/ $pid/}
      say "schemathesis ($label): port $sport was taken meanwhile, trying the next"
      sport=$((sport + 1))
      continue
    fi
    break
  done
  if [ -z "$tok" ]; then bad "schemathesis ($label): the server did not start"; tail -n 20 "$work/st-server-$label.log"; kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; return; fi
  st_run "$label, authenticated" "$sport" -H "Authorization: Bearer $tok" --exclude-path /api/auth/logout
  st_run "$label, anonymous" "$sport"
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  st_pids=${st_pids/ $pid/}
}
st_start() { # st_start LABEL DATABASE_URL PORT: the server in the background (pid), and a fresh account's token (tok) once it is ready, or empty
  local label=$1 url=$2 sport=$3
  env DATABASE_URL="$url" PORT=$sport HOST=127.0.0.1 LOG_LEVEL=warn JWT_SECRET="$(head -c 32 /dev/urandom | base64)" \
    LOGIN_RATE_LIMIT_PER_MINUTE=100000 LOGIN_ACCOUNT_RATE_LIMIT_PER_MINUTE=100000 WRITE_RATE_LIMIT_PER_MINUTE=1000000 \
    node backend/dist/server.js >"$work/st-server-$label.log" 2>&1 &
  pid=$!
  st_pids="$st_pids $pid"
  # Ready, then a fresh account's token (node: curl may not be installed).
  tok=$(node -e '
    const base = process.argv[1];
    (async () => {
      for (let i = 0; i < 240; i++) {
        try { process.kill(Number(process.argv[2]), 0); } catch { return; } // the server exited
        if ((await fetch(base + "/readyz").catch(() => ({ status: 0 }))).status === 200) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      const r = await fetch(base + "/api/auth/signup", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: "schemathesis@example.test", password: "schemathesis passphrase" }) });
      process.stdout.write((await r.json()).token ?? "");
    })().catch(() => {});' "http://127.0.0.1:$sport" "$pid") || tok=""
}
st_run() { # st_run LABEL PORT [schemathesis arguments]
  local label=$1 sport=$2 out rc=0 generated passed failures
  shift 2
  out="$work/st-${label//[^a-z]/-}.txt"
  # --generation-codec utf-8: JSON text is UTF-8 (RFC 8259); strings it cannot carry are not generated
  # (the server's refusal of unpaired surrogates is tested in the unit suite).
  (cd "$work" && "$st" --config-file "$repo/backend/test/schemathesis.toml" run "http://127.0.0.1:$sport/api/openapi.json" \
    --checks all --generation-codec utf-8 --no-color "$@" </dev/null >"$out" 2>&1) || rc=$?
  generated=$(grep -Eo '[0-9]+ generated' "$out" | tail -n 1 | cut -d' ' -f1 || true); generated=${generated:-0}
  passed=$(grep -Eo '[0-9]+ passed' "$out" | tail -n 1 | cut -d' ' -f1 || true); passed=${passed:-0}
  failures=$(grep -Eo '[0-9]+ unique failures?' "$out" | tail -n 1 | cut -d' ' -f1 || true); failures=${failures:-0}
  st_total_generated=$((st_total_generated + generated)); st_total_passed=$((st_total_passed + passed)); st_total_failures=$((st_total_failures + failures))
  if [ "$rc" = 0 ] && [ "$failures" = 0 ] && [ "$generated" -gt 0 ]; then
    ok "schemathesis ($label): $generated test cases, $passed passed, 0 failures, every check"
  else
    bad "schemathesis ($label): exit $rc, $generated test cases, $failures failure(s)"; sed -n '/FAILURES/,$p' "$out" | head -n 80
  fi
}
if [ "${SCHEMATHESIS:-1}" != 0 ]; then
  if st=$(schemathesis_tool); then
    say "schemathesis $("$st" --version | awk '{print $NF}')"
    st_server pglite ""
    st_server postgres "$DATABASE_URL"
    say "schemathesis totals: $st_total_generated test cases, $st_total_passed passed, $st_total_failures failures (4 runs)"
  else
    bad "schemathesis could not be installed"
  fi
fi

# ---- 4. benchmark -------------------------------------------------------------------------------
if [ "${BENCH:-1}" != 0 ]; then
  if node backend/scripts/bench.mjs </dev/null; then ok "benchmark ran (figures above)"; else bad "benchmark failed"; fi
fi

echo "backend-integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
