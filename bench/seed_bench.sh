#!/usr/bin/env bash
# Time `flask demo seed --scale province` from empty databases, on SQLite and on PostgreSQL,
# and print each database's size afterwards (docs/benchmarks.md, "Province scale").
#
#   bench/seed_bench.sh [sqlite-file] [postgresql-database]
#
# Defaults: /tmp/province-bench.sqlite3 and the database province_bench on
# postgres@127.0.0.1:5432. Both are emptied first (the file is deleted, the database dropped and
# created again), so do not point it at a database someone else is using.
set -euo pipefail
cd "$(dirname "$0")/.."

sqlite_file=${1:-/tmp/province-bench.sqlite3}
pg_database=${2:-province_bench}
pg_server=postgresql://postgres@127.0.0.1:5432
export PORTAL_ENV=development

seed() {
    DATABASE_URL=$1 .venv/bin/flask --app wsgi db upgrade
    DATABASE_URL=$1 /usr/bin/time -f "wall %e s, user %U s, sys %S s, max RSS %M KiB" \
        .venv/bin/flask --app wsgi demo seed --scale province
}

echo "== SQLite: $sqlite_file"
rm -f "$sqlite_file" "$sqlite_file-wal" "$sqlite_file-shm"
seed "sqlite:///$sqlite_file"
echo "size: $(stat -c %s "$sqlite_file") bytes"

echo "== PostgreSQL: $pg_database"
psql -h 127.0.0.1 -U postgres -q -c "DROP DATABASE IF EXISTS $pg_database" \
    -c "CREATE DATABASE $pg_database"
seed "$pg_server/$pg_database"
psql -h 127.0.0.1 -U postgres -d "$pg_database" -Atc \
    "SELECT 'size: ' || pg_database_size(current_database()) || ' bytes'"
