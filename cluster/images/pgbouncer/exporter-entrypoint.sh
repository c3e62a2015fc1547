#!/bin/sh
# Entrypoint of the local PgBouncer exporter image. dist/ runs the exporter the Airflow project ships
# (flags --web.listen-address / --web.telemetry-path, connection in DATABASE_URL); its Go module is
# refused by the module proxy here, so the image runs Debian's prometheus-pgbouncer-exporter and this
# script maps that interface onto Debian's flags (libpq reads the password and sslmode from PG*).
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
  echo "exporter-entrypoint: DATABASE_URL is not set (postgres://user:password@host:port/pgbouncer)" >&2
  exit 2
fi
eval "$(python3 - <<'PY'
import os, shlex
from urllib.parse import urlsplit, parse_qs, unquote
u = urlsplit(os.environ["DATABASE_URL"])
q = parse_qs(u.query)
out = {"PGHOST": u.hostname or "localhost", "PGPORT": str(u.port or 6432), "PGUSER": unquote(u.username or "pgbouncer"),
       "PGPASSWORD": unquote(u.password or ""), "PGSSLMODE": q.get("sslmode", ["prefer"])[0]}
print("\n".join(f"export {k}={shlex.quote(v)}" for k, v in out.items()))
PY
)"
host=${listen%:*}
exec prometheus-pgbouncer-exporter --host "${host:-0.0.0.0}" --port "${listen##*:}" \
  --pgbouncer-host "$PGHOST" --pgbouncer-port "$PGPORT" --pgbouncer-user "$PGUSER" \
  --licence-location /usr/share/doc/prometheus-pgbouncer-exporter/copyright
