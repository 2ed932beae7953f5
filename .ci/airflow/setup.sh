#!/usr/bin/env bash
# Installs Apache Airflow 3.3.2 into a cached virtualenv and starts it for the
# integration tests: api-server, scheduler and dag-processor, LocalExecutor on
# SQLite, the simple auth manager with a known admin password, and a DAGs folder
# that is rescanned every few seconds. Waits until /api/v2/monitor/health says
# healthy and a token can be had, then writes the settings the tests read to
# .ci/airflow/test.env (sourced by .ci/run).
#
# Safe to run again: the venv is reused when it already holds 3.3.2, and running
# processes are reused when they were started with the same settings and are
# healthy. Stop them with .ci/airflow/stop.sh.
#
# Settings (all optional):
#   SLUICE_AIRFLOW_VENV    virtualenv        (default /var/cache/sluice/airflow-venv-3.3.2)
#   SLUICE_AIRFLOW_HOME    AIRFLOW_HOME      (default /var/cache/sluice/airflow-home-3.3.2)
#   SLUICE_AIRFLOW_PORT    api-server port   (default 8080)
#   SLUICE_AIRFLOW_PYTHON  python to use     (default python3.11, else python3)
#   SLUICE_AIRFLOW_READY_SECONDS  how long to wait for health (default 180)
#   SLUICE_AIRFLOW_CALLBACK_URL   SLUICE_API_URL seen by Airflow tasks (default http://127.0.0.1:18765)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
AIRFLOW_VERSION=3.3.2
CONSTRAINTS="$here/constraints-$AIRFLOW_VERSION-py3.11.txt"
TEST_ENV_FILE="$here/test.env"

# Root (CI) keeps the cache under /var/cache; anyone else under ~/.cache.
if [ -w /var/cache ] || [ -w /var/cache/sluice ]; then
  cache_root=/var/cache/sluice
else
  cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/sluice"
fi
VENV="${SLUICE_AIRFLOW_VENV:-$cache_root/airflow-venv-$AIRFLOW_VERSION}"
HOME_DIR="${SLUICE_AIRFLOW_HOME:-$cache_root/airflow-home-$AIRFLOW_VERSION}"
PORT="${SLUICE_AIRFLOW_PORT:-8080}"
READY_SECONDS="${SLUICE_AIRFLOW_READY_SECONDS:-180}"
CALLBACK_URL="${SLUICE_AIRFLOW_CALLBACK_URL:-http://127.0.0.1:18765}"
PIP_TIMEOUT=15m
ADMIN_USER=admin
API_URL="http://127.0.0.1:$PORT"
COMPONENTS=(api-server scheduler dag-processor)

die() {
  echo "error: airflow: $*" >&2
  exit 1
}
say() { echo "   $*"; }

show_logs() {
  local c
  for c in "${COMPONENTS[@]}"; do
    if [ -f "$HOME_DIR/logs/$c.log" ]; then
      echo "---- last lines of $HOME_DIR/logs/$c.log" >&2
      tail -n 25 "$HOME_DIR/logs/$c.log" >&2 || true
    fi
  done
}

for tool in curl flock setsid sha256sum; do
  command -v "$tool" >/dev/null || die "$tool is needed (Debian: apt-get install curl util-linux coreutils)"
done

# --- 1. virtualenv -----------------------------------------------------------

installed_version() {
  [ -x "$VENV/bin/airflow" ] || return 0
  # `airflow version` imports all of Airflow; it needs a writable AIRFLOW_HOME.
  AIRFLOW_HOME="$HOME_DIR" timeout 120 "$VENV/bin/airflow" version 2>/dev/null | tail -n 1 || true
}

mkdir -p "$HOME_DIR/run" "$(dirname "$VENV")"
# One setup at a time per AIRFLOW_HOME (two CI runs, or a developer and CI).
exec 9>"$HOME_DIR/run/setup.lock"
flock -w 600 9 || die "another .ci/airflow/setup.sh has held $HOME_DIR/run/setup.lock for 10 minutes"
if [ "$(installed_version)" = "$AIRFLOW_VERSION" ]; then
  say "Airflow $AIRFLOW_VERSION already installed in $VENV"
else
  python="${SLUICE_AIRFLOW_PYTHON:-}"
  if [ -z "$python" ]; then
    python=$(command -v python3.11 || command -v python3 || true)
  fi
  [ -n "$python" ] || die "no python3.11 or python3 on PATH (set SLUICE_AIRFLOW_PYTHON)"
  py_version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  [ "$py_version" = 3.11 ] || say "warning: $python is Python $py_version; the constraints file is for 3.11"
  say "installing apache-airflow==$AIRFLOW_VERSION into $VENV with $python ($py_version)"
  rm -rf "$VENV"
  "$python" -m venv "$VENV" || die "could not create a virtualenv with $python (Debian: apt-get install python3-venv)"
  # Only the meta package: it brings airflow-core (api-server, scheduler,
  # dag-processor, LocalExecutor, SQLite, the simple auth manager) and the
  # task SDK with the standard provider. No extras are needed for CI.
  timeout "$PIP_TIMEOUT" "$VENV/bin/pip" install --quiet --no-input --disable-pip-version-check \
    "apache-airflow==$AIRFLOW_VERSION" -c "$CONSTRAINTS" </dev/null \
    || die "pip install apache-airflow==$AIRFLOW_VERSION failed or took longer than $PIP_TIMEOUT"
  got=$(installed_version)
  [ "$got" = "$AIRFLOW_VERSION" ] || die "after installing, 'airflow version' printed '$got', not $AIRFLOW_VERSION"
  say "installed Airflow $got"
fi

# --- 2. configuration ----------------------------------------------------------

DAGS_FOLDER="$HOME_DIR/dags"
mkdir -p "$DAGS_FOLDER" "$HOME_DIR/logs" "$HOME_DIR/run"

# Secrets made once per AIRFLOW_HOME, so restarts keep tokens valid and every
# component signs and checks JWTs with the same key.
secret_file() {
  local f="$HOME_DIR/$1"
  if [ ! -s "$f" ]; then
    (umask 077 && "$VENV/bin/python" -c 'import secrets; print(secrets.token_hex(24))' >"$f")
  fi
  cat "$f"
}
ADMIN_PASSWORD=$(secret_file admin.password)
JWT_SECRET=$(secret_file jwt.secret)
API_SECRET_KEY=$(secret_file api.secret)
CALLBACK_TOKEN=$(secret_file sluice-callback.token)

# The simple auth manager only generates passwords for users missing from this
# file, so writing it first gives a known password.
PASSWORDS_FILE="$HOME_DIR/simple_auth_manager_passwords.json"
(umask 077 && printf '{"%s": "%s"}\n' "$ADMIN_USER" "$ADMIN_PASSWORD" >"$PASSWORDS_FILE")

export AIRFLOW_HOME="$HOME_DIR"
export AIRFLOW__CORE__DAGS_FOLDER="$DAGS_FOLDER"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__EXECUTOR=LocalExecutor
export AIRFLOW__CORE__PARALLELISM=4
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="$ADMIN_USER:admin"
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE="$PASSWORDS_FILE"
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="$API_URL/execution/"
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="sqlite:///$HOME_DIR/airflow.db"
# New files in the DAGs folder are found within seconds, not the default 5 minutes.
export AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL=3
export AIRFLOW__DAG_PROCESSOR__BUNDLE_REFRESH_CHECK_INTERVAL=1
export AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL=5
export AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES=1
export AIRFLOW__API__HOST=127.0.0.1
export AIRFLOW__API__PORT="$PORT"
export AIRFLOW__API__WORKERS=1
export AIRFLOW__API__BASE_URL="$API_URL"
export AIRFLOW__API__SECRET_KEY="$API_SECRET_KEY"
export AIRFLOW__API_AUTH__JWT_SECRET="$JWT_SECRET"
export AIRFLOW__LOGGING__BASE_LOG_FOLDER="$HOME_DIR/logs/tasks"
# What the generated DAG files read inside their tasks (see CONTRACT "Airflow").
export SLUICE_API_URL="$CALLBACK_URL"
export SLUICE_API_TOKEN="$CALLBACK_TOKEN"

# A fingerprint of everything above: running processes are reused only when
# they were started with the same settings.
fingerprint=$( (env | grep -E '^(AIRFLOW__|AIRFLOW_HOME=|SLUICE_API_)' | sort; echo "$VENV"; cat "$0") | sha256sum | cut -c1-16)

# --- 3. processes --------------------------------------------------------------

pid_of() {
  local f="$HOME_DIR/run/$1.pid" pid
  [ -s "$f" ] || return 1
  pid=$(cat "$f")
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

health_json() {
  curl -fsS --max-time 5 "$API_URL/api/v2/monitor/health" 2>/dev/null
}

# Healthy means: the database answers, and the scheduler and dag-processor are heartbeating.
is_healthy() {
  local body
  body=$(health_json) || return 1
  "$VENV/bin/python" -c '
import json, sys
h = json.loads(sys.argv[1])
ok = all((h.get(k) or {}).get("status") == "healthy" for k in ("metadatabase", "scheduler", "dag_processor"))
sys.exit(0 if ok else 1)' "$body"
}

can_log_in() {
  local answer
  answer=$(curl -fsS --max-time 10 -X POST "$API_URL/auth/token" -H 'Content-Type: application/json' \
    -d "{\"username\":\"$ADMIN_USER\",\"password\":\"$ADMIN_PASSWORD\"}" 2>/dev/null) || return 1
  grep -q '"access_token"' <<<"$answer"
}

all_running() {
  local c
  for c in "${COMPONENTS[@]}"; do pid_of "$c" >/dev/null || return 1; done
}

if all_running && [ "$(cat "$HOME_DIR/run/fingerprint" 2>/dev/null)" = "$fingerprint" ] && is_healthy && can_log_in; then
  say "reusing the running Airflow at $API_URL (pids $(cat "$HOME_DIR"/run/*.pid | tr '\n' ' '))"
else
  # Stop whatever we started before (other settings, or half dead).
  bash "$here/stop.sh" --quiet
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    die "port $PORT is taken by another program; set SLUICE_AIRFLOW_PORT to a free port"
  fi

  say "migrating the metadata database ($HOME_DIR/airflow.db)"
  timeout 10m "$VENV/bin/airflow" db migrate >"$HOME_DIR/logs/db-migrate.log" 2>&1 </dev/null || {
    tail -n 30 "$HOME_DIR/logs/db-migrate.log" >&2
    die "airflow db migrate failed (log: $HOME_DIR/logs/db-migrate.log)"
  }

  for c in "${COMPONENTS[@]}"; do
    log="$HOME_DIR/logs/$c.log"
    : >"$log"
    # setsid + nohup + no inherited stdio: the processes outlive this script and
    # never hold .ci/run's output open. Each leads its own process group, which
    # stop.sh signals as a whole (the api-server and scheduler fork workers).
    # The child writes its own PID: setsid may fork, so $! is not always it.
    # A component that dies is started again: Airflow 3.3's dag-processor exits
    # on a StaleDataError when a DAG is deleted through the API while it
    # deactivates DAGs (tests clean up their DAGs that way), and one dead
    # component would fail every Airflow test after it.
    setsid nohup bash -c 'echo $$ >"$1"; while :; do "$2" "$3"; echo "[.ci/airflow/setup.sh] airflow $3 exited with $?; starting it again in 2 s"; sleep 2; done' \
      _ "$HOME_DIR/run/$c.pid" "$VENV/bin/airflow" "$c" >"$log" 2>&1 </dev/null 9>&- &
  done
  echo "$fingerprint" >"$HOME_DIR/run/fingerprint"
  for c in "${COMPONENTS[@]}"; do
    for _ in $(seq 1 50); do [ -s "$HOME_DIR/run/$c.pid" ] && break; sleep 0.1; done
  done
  say "started ${COMPONENTS[*]} (logs in $HOME_DIR/logs)"

  started=$SECONDS
  until is_healthy && can_log_in; do
    for c in "${COMPONENTS[@]}"; do
      pid_of "$c" >/dev/null || {
        show_logs
        bash "$here/stop.sh" --quiet
        die "airflow $c exited during start-up (log: $HOME_DIR/logs/$c.log)"
      }
    done
    if [ $((SECONDS - started)) -ge "$READY_SECONDS" ]; then
      echo "last health answer: $(health_json || echo none)" >&2
      show_logs
      bash "$here/stop.sh" --quiet
      die "not healthy at $API_URL/api/v2/monitor/health within $READY_SECONDS s (logs in $HOME_DIR/logs)"
    fi
    sleep 2
  done
  say "healthy after $((SECONDS - started)) s"
fi

# --- 4. settings for the tests -------------------------------------------------

(
  umask 077
  cat >"$TEST_ENV_FILE" <<EOF
# Written by .ci/airflow/setup.sh; sourced by .ci/run. Not committed.
export AIRFLOW_TEST_API_URL='$API_URL'
export AIRFLOW_TEST_USERNAME='$ADMIN_USER'
export AIRFLOW_TEST_PASSWORD='$ADMIN_PASSWORD'
export AIRFLOW_TEST_DAGS_FOLDER='$DAGS_FOLDER'
export AIRFLOW_TEST_HOME='$HOME_DIR'
export AIRFLOW_TEST_SLUICE_API_URL='$CALLBACK_URL'
export AIRFLOW_TEST_SLUICE_API_TOKEN='$CALLBACK_TOKEN'
EOF
)
say "Airflow $AIRFLOW_VERSION is up at $API_URL (user $ADMIN_USER; DAGs folder $DAGS_FOLDER)"
say "test settings written to $TEST_ENV_FILE"
