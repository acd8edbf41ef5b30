#!/usr/bin/env bash
# Starts a throw-away PostgreSQL for the tests (installing Debian's postgresql when it is missing) and prints
# the connection string to use, e.g.  export BUTTERBASE_TEST_POSTGRES="$(bash scripts/postgres.sh)"
# The cluster lives in ${BUTTERBASE_PG_DIR:-/tmp/butterbase-pg}, listens on 127.0.0.1:${BUTTERBASE_PG_PORT:-55432}
# with trust authentication, and is tuned for tests (fsync off): never point anything real at it.
# `bash scripts/postgres.sh stop` stops it.
set -euo pipefail

dir=${BUTTERBASE_PG_DIR:-/tmp/butterbase-pg}
port=${BUTTERBASE_PG_PORT:-55432}
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "==> installing Debian postgresql for the database tests" >&2
  as_root apt-get update -qq >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi

# initdb and the server refuse to run as root: run them as the postgres user the package created.
run() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

if [ "${1:-}" = stop ]; then
  [ -f "$dir/PG_VERSION" ] && run "$bin/pg_ctl" -D "$dir" -m fast stop >&2 || true
  exit 0
fi

if [ ! -f "$dir/PG_VERSION" ]; then
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
  chmod 700 "$dir"
  run "$bin/initdb" -D "$dir" -U postgres -A trust -E UTF8 --no-instructions >/dev/null
fi
if ! run "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
  run "$bin/pg_ctl" -D "$dir" -w -t 60 -l "$dir/server.log" \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400" start >&2
fi
echo "Host=127.0.0.1;Port=$port;Username=postgres"
