#!/usr/bin/env bash
# Stops the FerretDB that .ci/ferretdb/setup.sh started (by the PID it
# recorded). Leaves the binary, the caches and the data (in PostgreSQL) in place.
#   bash .ci/ferretdb/stop.sh [--quiet]
# Honours SLUICE_FERRETDB_CACHE like setup.sh.
set -euo pipefail

if [ -w /var/cache ] || [ -w /var/cache/sluice ]; then
  cache_root=/var/cache/sluice
else
  cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/sluice"
fi
CACHE_DIR="${SLUICE_FERRETDB_CACHE:-$cache_root/ferretdb-v1.24.0}"
RUN_DIR="$CACHE_DIR/run"
PID_FILE="$RUN_DIR/ferretdb.pid"
quiet=no
[ "${1:-}" = --quiet ] && quiet=yes

say() { [ "$quiet" = yes ] || echo "   $*"; }

# A recorded PID counts only while it is alive and still a ferretdb process,
# so a PID the system has since given to something else is never signalled.
live_ferretdb_pid() {
  local pid
  [ -s "$PID_FILE" ] || return 1
  pid=$(cat "$PID_FILE")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  grep -q ferretdb <<<"$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  echo "$pid"
}

if pid=$(live_ferretdb_pid); then
  say "stopping FerretDB (pid $pid)"
  # It leads its own session and process group (setsid); it has no children,
  # but signal the group anyway, as .ci/airflow/stop.sh does.
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  # FerretDB closes its connections and exits within a second or two; give it 20 s.
  deadline=$((SECONDS + 20))
  while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    say "still running after 20 s; killing it"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
else
  say "no FerretDB of ours is running"
fi
rm -f "$PID_FILE" "$RUN_DIR/fingerprint"
