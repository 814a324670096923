#!/usr/bin/env bash
# Starts a throwaway PostgreSQL on loopback for the state backend tests and prints the URL.
# Installs Debian's postgresql package when it is missing. Usage: URL=$(bash .ci/postgres.sh)
set -euo pipefail
PORT="${LEXSYNC_TEST_POSTGRES_PORT:-54329}"
DATA="${LEXSYNC_TEST_POSTGRES_DIR:-/tmp/lexsync-ci-postgres}"

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if [ -z "$(bindir)" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "PostgreSQL is not installed and this user cannot apt-get install it" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi
BIN="$(bindir)"

# initdb and postgres refuse to run as root: run them as the postgres user when we are root.
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

if ! as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
  rm -rf "$DATA"
  mkdir -p "$DATA"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$DATA"
  as_pg "$BIN/initdb" -D "$DATA" -U lexsync --auth=trust -E UTF8 >/dev/null
  # Loopback only; the socket goes into the data directory, not /var/run.
  as_pg "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DATA -c fsync=off" start >&2
fi
echo "postgresql://lexsync@127.0.0.1:$PORT/postgres"
