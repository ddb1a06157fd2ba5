#!/usr/bin/env bash
# Start a local PostgreSQL server for the gradebook tests and create their database.
# Listens on 127.0.0.1 only. Prints the database URL for BACKPROP_TEST_POSTGRES_URL.
set -euo pipefail

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi

version=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
if ! pg_lsclusters -h | grep -q "^$version main"; then
    pg_createcluster "$version" main >/dev/null
fi
pg_ctlcluster "$version" main start >/dev/null 2>&1 || true
pg_ctlcluster "$version" main status >/dev/null

su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname = 'backprop'\"" | grep -q 1 ||
    su postgres -c "psql -qc \"CREATE ROLE backprop LOGIN PASSWORD 'backprop'\""
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname = 'backprop_test'\"" | grep -q 1 ||
    su postgres -c "createdb -O backprop backprop_test"

echo "postgresql://backprop:backprop@127.0.0.1:5432/backprop_test"
