#!/bin/sh
# Entrypoint of the local PgBouncer exporter image. dist/ runs the exporter the Airflow project ships
# (jbub/pgbouncer_exporter: global flags --web.listen-address / --web.telemetry-path / --database-url, then
# its `server` command; DATABASE_URL is its fallback for the URL); its Go modules are refused by the module
# proxy here, so the image runs prometheus-pgbouncer-exporter from PyPI and this script maps that interface
# onto its config file (exporter-config.yml).
set -eu
listen=:9127
command=
for arg in "$@"; do
  case "$arg" in
    --web.listen-address=*) listen=${arg#*=} ;;
    --web.telemetry-path=/metrics) ;;
    --web.telemetry-path=*) echo "exporter-entrypoint: only /metrics is served (got $arg)" >&2; exit 2 ;;
    --database-url=*) DATABASE_URL=${arg#*=} ;;
    server) command=server ;;
    *) echo "exporter-entrypoint: unknown argument $arg" >&2; exit 2 ;;
  esac
done
# Without `server` the real exporter prints its help and exits: refuse, as dist/ would crash-loop.
if [ "$command" != server ]; then
  echo "exporter-entrypoint: no command; the exporter serves metrics only with the \`server\` command after its flags" >&2
  exit 2
fi
if [ -z "${DATABASE_URL:-}" ]; then
  echo "exporter-entrypoint: no connection URL; pass --database-url=postgresql://user@host:port/pgbouncer (or DATABASE_URL)" >&2
  exit 2
fi
host=${listen%:*}
EXPORTER_HOST=${host:-0.0.0.0}
EXPORTER_PORT=${listen##*:}
export EXPORTER_HOST EXPORTER_PORT DATABASE_URL
exec /opt/pgbouncer-exporter/bin/pgbouncer-exporter --config /etc/pgbouncer-exporter/config.yml
