#!/usr/bin/env bash
# Backend suite against a real PostgreSQL: builds the backend, creates a throwaway PostgreSQL
# cluster (Debian's postgresql, installed with apt when missing) in a temporary directory, listening
# on 127.0.0.1 only, and
#   1. runs `node dist/migrate.js` twice at once (both exit 0, each migration applied once);
#   2. runs the integration suite (backend/jest.integration.config.js): migrations, the API on
#      PostgreSQL, the built server's start-up errors and its SIGTERM drain;
#   3. runs the benchmark (backend/scripts/bench.mjs): figures printed, only sanity-checked.
# The cluster and every process it started are stopped and removed on exit, whatever happens.
# Works as root with CI=true and no standard input. Closing line: `backend-integration: N passed, M failed`.
# Env: PG_PORT (first port tried, default 55432), BENCH=0 to skip the benchmark.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)

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
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
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
psql_admin -d postgres -c "create role todo login createdb password '$app_pw'" -c "create database todo owner todo" >/dev/null
export DATABASE_URL="postgres://todo:$app_pw@127.0.0.1:$port/todo"
export ADMIN_DATABASE_URL="postgres://todo:$app_pw@127.0.0.1:$port/postgres"
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

# ---- 3. benchmark -------------------------------------------------------------------------------
if [ "${BENCH:-1}" != 0 ]; then
  if node backend/scripts/bench.mjs </dev/null; then ok "benchmark ran (figures above)"; else bad "benchmark failed"; fi
fi

echo "backend-integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
