#!/bin/sh
# One-shot job (temporalio/admin-tools): creates or updates Temporal's schemas in PostgreSQL, the
# setup Temporal recommends in place of the deprecated auto-setup image. Idempotent: on a database
# that has a schema, update-schema applies only the versions it lacks. The databases themselves are
# created by deploy/postgres-init.sql.
set -eu
: "${POSTGRES_SEEDS:?}" "${POSTGRES_USER:?}" "${SQL_PASSWORD:?}"
SCHEMA=/etc/temporal/schema/postgresql/v12
for pair in "temporal:temporal" "temporal_visibility:visibility"; do
  db=${pair%%:*}
  dir=$SCHEMA/${pair##*:}/versioned
  tool() { temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "${DB_PORT:-5432}" -u "$POSTGRES_USER" --db "$db" "$@"; }
  if ! tool update-schema -d "$dir"; then
    echo "setup-schema: $db has no schema yet, setting it up" >&2
    tool setup-schema -v 0.0
    tool update-schema -d "$dir"
  fi
done
echo "setup-schema: done"
