#!/usr/bin/env bash
# Stops the Airflow processes that .ci/airflow/setup.sh started (by the PIDs it
# recorded; each leads its own process group, so its workers stop with it).
# Leaves the virtualenv, the database and the DAGs folder in place.
#   bash .ci/airflow/stop.sh [--quiet]
set -euo pipefail

if [ -w /var/cache ] || [ -w /var/cache/sluice ]; then
  cache_root=/var/cache/sluice
else
  cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/sluice"
fi
HOME_DIR="${SLUICE_AIRFLOW_HOME:-$cache_root/airflow-home-3.3.2}"
RUN_DIR="$HOME_DIR/run"
quiet=no
[ "${1:-}" = --quiet ] && quiet=yes

say() { [ "$quiet" = yes ] || echo "   $*"; }

# A recorded PID counts only while it is alive and still an airflow process,
# so a PID the system has since given to something else is never signalled.
live_airflow_pid() {
  local f="$1" pid
  [ -s "$f" ] || return 1
  pid=$(cat "$f")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  grep -q airflow <<<"$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  echo "$pid"
}

pids=()
for f in "$RUN_DIR"/*.pid; do
  [ -e "$f" ] || continue
  if pid=$(live_airflow_pid "$f"); then
    say "stopping $(basename "$f" .pid) (pid $pid)"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    pids+=("$pid")
  fi
  rm -f "$f"
done
rm -f "$RUN_DIR/fingerprint"

# Give them 30 s to shut down cleanly, then kill what is left of their groups.
deadline=$((SECONDS + 30))
for pid in "${pids[@]}"; do
  while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.5; done
done
for pid in "${pids[@]}"; do
  kill -KILL -- "-$pid" 2>/dev/null || true
done
[ "${#pids[@]}" -gt 0 ] || say "no Airflow process of ours is running"
