#!/bin/sh
# First start: make the cluster, trust only when asked to (as the public image), run the init
# scripts on a server no one else can reach yet, then serve on every address.
set -eu
user=${POSTGRES_USER:-postgres}
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  [ "${POSTGRES_HOST_AUTH_METHOD:-}" = trust ] || {
    echo "only POSTGRES_HOST_AUTH_METHOD=trust is supported by this development image" >&2
    exit 1
  }
  initdb --username="$user" --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  echo "host all all all trust" >>"$PGDATA/pg_hba.conf"
  pg_ctl --wait --silent --options="-c listen_addresses=''" start
  for script in /docker-entrypoint-initdb.d/*.sql; do
    [ -e "$script" ] && psql --quiet --username="$user" --dbname=postgres --set=ON_ERROR_STOP=1 -f "$script"
  done
  pg_ctl --wait --silent --mode=fast stop
fi
if [ "${1:-}" = postgres ]; then
  shift
  exec postgres -c listen_addresses='*' "$@"
fi
exec "$@"
