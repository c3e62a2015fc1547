#!/bin/sh
# Entrypoint of the local PgBouncer exporter image. dist/ runs the exporter the Airflow project ships
# (flags --web.listen-address / --web.telemetry-path, connection in DATABASE_URL); its Go modules are
# refused by the module proxy here, so the image runs prometheus-pgbouncer-exporter from PyPI and this
# script maps that interface onto its config file (exporter-config.yml).
set -eu
listen=:9127
for arg in "$@"; do
  case "$arg" in
    --web.listen-address=*) listen=${arg#*=} ;;
    --web.telemetry-path=/metrics) ;;
    --web.telemetry-path=*) echo "exporter-entrypoint: only /metrics is served (got $arg)" >&2; exit 2 ;;
    *) echo "exporter-entrypoint: unknown argument $arg" >&2; exit 2 ;;
  esac
done
if [ -z "${DATABASE_URL:-}" ]; then
  echo "exporter-entrypoint: DATABASE_URL is not set (postgresql://user:password@host:port/pgbouncer)" >&2
  exit 2
fi
host=${listen%:*}
EXPORTER_HOST=${host:-0.0.0.0}
EXPORTER_PORT=${listen##*:}
export EXPORTER_HOST EXPORTER_PORT
exec /opt/pgbouncer-exporter/bin/pgbouncer-exporter --config /etc/pgbouncer-exporter/config.yml
