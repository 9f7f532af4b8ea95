#!/bin/sh
# The parts of the official postgres entrypoint the compose file relies on: a first start
# initialises PGDATA with POSTGRES_USER / POSTGRES_PASSWORD and creates POSTGRES_DB.
set -eu
user=${POSTGRES_USER:-postgres}
db=${POSTGRES_DB:-$user}
mkdir -p "$PGDATA" /run/postgresql && chown postgres:postgres "$PGDATA" /run/postgresql && chmod 0700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pw=$(mktemp) && printf '%s\n' "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}" > "$pw" && chown postgres "$pw"
  su postgres -c "initdb -D '$PGDATA' -U '$user' --pwfile='$pw' --auth-local=trust --auth-host=scram-sha-256" >/dev/null
  rm -f "$pw"
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  if [ "$db" != postgres ]; then
    su postgres -c "pg_ctl -D '$PGDATA' -w -o \"-c listen_addresses=''\" start" >/dev/null
    su postgres -c "createdb -U '$user' -O '$user' '$db'"
    su postgres -c "pg_ctl -D '$PGDATA' -w -m fast stop" >/dev/null
  fi
fi
exec su postgres -c "exec postgres -D '$PGDATA' -c listen_addresses='*'"
