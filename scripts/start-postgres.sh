#!/usr/bin/env bash
# Start the Debian PostgreSQL server on loopback and make the role and database the store
# tests use.  Idempotent: an existing cluster, role or database is kept as it is.  Installs
# nothing (the server comes from Debian's `postgresql` package).  Prints the test URL on
# stdout, so CI can run:
#   export TEICHAKU_TEST_PG_URL="$(bash scripts/start-postgres.sh)"
set -euo pipefail

ROLE=teichaku
PASSWORD=teichaku
DB=teichaku_test
PORT=5432
URL="postgresql+psycopg://${ROLE}:${PASSWORD}@127.0.0.1:${PORT}/${DB}"

say() { echo "$*"; }

# Only the URL goes to stdout: whatever the tools below print (pg_ctlcluster says things like
# "Removed stale pid file.") goes to stderr.  (Not `exec 3>&1`: the server would inherit fd 3
# and keep the caller's $(...) waiting.)
main() {
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    say "PostgreSQL のサーバーがありません（Debian の postgresql パッケージを入れてください）"
    exit 1
  fi

  # Run a command as the postgres superuser.
  as_postgres() {
    if [ "$(id -un)" = postgres ]; then "$@"
    elif [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
    else sudo -u postgres "$@"
    fi
  }

  # The newest installed server version, e.g. 15.
  VERSION="$(ls /usr/lib/postgresql | sort -n | tail -n 1)"
  if ! pg_lsclusters -h | awk -v v="$VERSION" '$1 == v && $2 == "main"' | grep -q .; then
    say "PostgreSQL ${VERSION} のクラスタ main を作ります"
    if [ "$(id -u)" -eq 0 ]; then pg_createcluster "$VERSION" main --port "$PORT"
    else sudo pg_createcluster "$VERSION" main --port "$PORT"; fi
  fi
  if ! pg_lsclusters -h | awk -v v="$VERSION" '$1 == v && $2 == "main" && $4 == "online"' | grep -q .; then
    say "PostgreSQL ${VERSION} を起動します（127.0.0.1:${PORT}）"
    if [ "$(id -u)" -eq 0 ]; then pg_ctlcluster "$VERSION" main start
    else sudo pg_ctlcluster "$VERSION" main start; fi
  fi

  # Wait until the server accepts connections (pg_ctlcluster start normally waits already).
  for _ in $(seq 1 60); do
    pg_isready -q -h 127.0.0.1 -p "$PORT" && break
    sleep 0.5
  done
  pg_isready -q -h 127.0.0.1 -p "$PORT" || { say "PostgreSQL が応答しません"; exit 1; }

  if [ -z "$(as_postgres psql -p "$PORT" -tAc "SELECT 1 FROM pg_roles WHERE rolname = '${ROLE}'")" ]; then
    say "ロール ${ROLE} を作ります"
    as_postgres psql -p "$PORT" -q -c "CREATE ROLE ${ROLE} LOGIN PASSWORD '${PASSWORD}' CREATEDB"
  fi
  if [ -z "$(as_postgres psql -p "$PORT" -tAc "SELECT 1 FROM pg_database WHERE datname = '${DB}'")" ]; then
    say "データベース ${DB} を作ります"
    as_postgres createdb -p "$PORT" -O "$ROLE" "$DB"
  fi
}

main >&2
echo "$URL"

