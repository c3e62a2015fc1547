#!/usr/bin/env bash
# /entrypoint of the locally built Airflow base image. It behaves like the official image's entrypoint
# in what dist/ relies on (written for this repository, not copied):
#   - `airflow <cmd>` and `<cmd>` both run `airflow <cmd>`; `bash ...` and `python ...` run as given;
#   - an arbitrary uid without a passwd entry gets one (root group), HOME = AIRFLOW_USER_HOME_DIR;
#   - umask 0002 so files on shared volumes stay group-writable (gid 0);
#   - before the command: `airflow db check` retried CONNECTION_CHECK_MAX_COUNT times (0 skips it),
#     and for `scheduler`/`celery` a TCP check of the Celery broker when the executor is Celery;
#   - _AIRFLOW_DB_MIGRATE set: `airflow db migrate` first.
# dumb-init (PID 1) runs this script and forwards signals; with DUMB_INIT_SETSID=0 only to this
# process, which is why every branch below ends in `exec`.
command=${1:-}
set -euo pipefail

: "${AIRFLOW_USER_HOME_DIR:=/home/airflow}"
CONNECTION_CHECK_MAX_COUNT=${CONNECTION_CHECK_MAX_COUNT:-20}
CONNECTION_CHECK_SLEEP_TIME=${CONNECTION_CHECK_SLEEP_TIME:-3}

# Runs a check until it passes, CONNECTION_CHECK_MAX_COUNT tries at most.
retry_check() {
  local what=$1 left=$CONNECTION_CHECK_MAX_COUNT out
  shift
  until out=$("$@" 2>&1); do
    left=$((left - 1))
    if [ "$left" -le 0 ]; then
      echo "ERROR! $what failed ${CONNECTION_CHECK_MAX_COUNT} times. Last output of: $*" >&2
      echo "$out" >&2
      exit 1
    fi
    sleep "$CONNECTION_CHECK_SLEEP_TIME"
  done
}

# TCP connect to the host and port of a URL (default port by scheme), as a python one-liner.
tcp_check() {
  python - "$1" <<'PY'
import socket, sys
from urllib.parse import urlsplit
u = urlsplit(sys.argv[1])
port = u.port or {"redis": 6379, "rediss": 6379, "amqp": 5672, "postgresql": 5432, "postgres": 5432}.get(u.scheme.split("+")[0])
if not port:
    sys.exit(0)
socket.create_connection((u.hostname or "localhost", port), timeout=5).close()
PY
}

if [ "$(id -g)" != 0 ] && [ "$(id -u)" != 50000 ]; then
  echo "ERROR! Run the image with GID 0 (started with UID=$(id -u) GID=$(id -g))." >&2
  exit 1
fi
if ! whoami >/dev/null 2>&1; then
  if [ -w /etc/passwd ]; then
    echo "default:x:$(id -u):0:default user:${AIRFLOW_USER_HOME_DIR}:/sbin/nologin" >> /etc/passwd
  fi
  export HOME=$AIRFLOW_USER_HOME_DIR
fi
unset PIP_USER
umask 0002

if [ "$CONNECTION_CHECK_MAX_COUNT" -gt 0 ]; then
  retry_check "airflow db check" airflow db check
fi
if [ -n "${_AIRFLOW_DB_MIGRATE:-}" ]; then
  airflow db migrate || true
fi

case "$command" in
  bash) shift; exec /bin/bash "$@" ;;
  python) shift; exec python "$@" ;;
  airflow) shift; command=${1:-} ;;
esac

if [[ $command =~ ^(scheduler|celery)$ ]] && [ "$CONNECTION_CHECK_MAX_COUNT" -gt 0 ] \
  && [ "$(airflow config get-value core executor)" = CeleryExecutor ]; then
  retry_check "Celery broker connection" tcp_check "$(airflow config get-value celery broker_url)"
fi
exec airflow "$@"
