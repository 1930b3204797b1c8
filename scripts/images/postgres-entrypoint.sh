#!/usr/bin/env bash
# Entrypoint of the postgres stand-in image (scripts/images/build-standins.sh). It does what the
# official image's docker-entrypoint.sh does for the settings this project's manifests use:
# - POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE), POSTGRES_USER (default postgres),
#   POSTGRES_DB (default: POSTGRES_USER), PGDATA (default /var/lib/postgresql/data),
#   POSTGRES_INITDB_ARGS, POSTGRES_HOST_AUTH_METHOD (default scram-sha-256);
# - on an empty PGDATA: initdb, password authentication for TCP clients from any address, the
#   database POSTGRES_DB, the scripts in /docker-entrypoint-initdb.d (*.sh, *.sql), then the server;
# - listens on 0.0.0.0:5432, with its socket in /var/run/postgresql;
# - runs as the postgres user (uid 999) without root: it needs write access only to PGDATA,
#   /var/run/postgresql and /tmp, so a read-only root filesystem works. Started as root, it drops to
#   uid/gid 999 first (setpriv), after making PGDATA and the socket directory theirs.
set -Eeuo pipefail

file_env() { # file_env VAR [DEFAULT]: VAR or the content of the file named by VAR_FILE
  local var=$1 fvar="${1}_FILE" def=${2:-}
  if [ -n "${!var:-}" ] && [ -n "${!fvar:-}" ]; then echo >&2 "error: both $var and $fvar are set (but are exclusive)"; exit 1; fi
  local val=$def
  if [ -n "${!var:-}" ]; then val=${!var}; elif [ -n "${!fvar:-}" ]; then val=$(< "${!fvar}"); fi
  export "$var"="$val"; unset "$fvar"
}

if [ "${1:0:1}" = '-' ]; then set -- postgres "$@"; fi
export PGDATA=${PGDATA:-/var/lib/postgresql/data}

if [ "$1" = 'postgres' ] && [ "$(id -u)" = '0' ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown -R postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 00700 "$PGDATA"; chmod 03775 /var/run/postgresql
  exec setpriv --reuid=999 --regid=999 --clear-groups "$0" "$@"
fi

if [ "$1" = 'postgres' ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
  file_env POSTGRES_PASSWORD
  file_env POSTGRES_USER postgres
  file_env POSTGRES_DB "$POSTGRES_USER"
  file_env POSTGRES_INITDB_ARGS
  auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
  if [ -z "$POSTGRES_PASSWORD" ] && [ "$auth" != 'trust' ]; then
    cat >&2 <<'MSG'
Error: Database is uninitialized and superuser password is not specified.
       You must specify POSTGRES_PASSWORD to a non-empty value for the
       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".
MSG
    exit 1
  fi
  mkdir -p "$PGDATA"; chmod 00700 "$PGDATA" 2>/dev/null || true
  echo "initializing the database cluster in $PGDATA"
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of words
  initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") $POSTGRES_INITDB_ARGS -D "$PGDATA" >/dev/null
  printf '\nlisten_addresses = '"'"'*'"'"'\n' >> "$PGDATA/postgresql.conf"
  printf '\nhost all all all %s\n' "$auth" >> "$PGDATA/pg_hba.conf"

  # A temporary server on the socket only, for the database and the init scripts.
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w start >/dev/null
  export PGPASSWORD=$POSTGRES_PASSWORD
  psql=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc)
  if [ "$POSTGRES_DB" != 'postgres' ]; then
    exists=$("${psql[@]}" --dbname postgres -tA --set db="$POSTGRES_DB" <<<"SELECT 1 FROM pg_database WHERE datname = :'db'")
    if [ -z "$exists" ]; then
      "${psql[@]}" --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db"' >/dev/null
    fi
  fi
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh) echo "running $f"; . "$f" ;;
      *.sql) echo "running $f"; "${psql[@]}" --dbname "$POSTGRES_DB" -f "$f" ;;
      *) ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  unset PGPASSWORD
  echo "PostgreSQL init process complete; ready for start up."
fi

exec "$@"
