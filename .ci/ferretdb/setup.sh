#!/usr/bin/env bash
# Builds FerretDB v1.24.0 (a MongoDB wire-protocol server that stores its data
# in PostgreSQL) from the Go module proxy into a cache, and starts it for the
# tests of the MongoDB raw store: listening on 127.0.0.1:27017, backed by the
# PostgreSQL database `ferretdb` (owned by the test role `sluice`), telemetry
# off. Waits until its readiness endpoint answers and a MongoDB `hello`, `ping`
# (which reaches PostgreSQL) and `buildInfo` succeed over the wire protocol,
# then writes TEST_MONGO_URI to .ci/ferretdb/test.env (sourced by .ci/run).
#
# Safe to run again: the binary is built only when missing (the Go module and
# build caches are kept next to it, so even a rebuild is quick), and a running
# FerretDB is reused when it was started with the same settings and answers.
# Stop it with .ci/ferretdb/stop.sh. PostgreSQL must be running and the role
# able to log in (.ci/run sets both up). Contacts nothing but 127.0.0.1 and,
# to build, the Go module proxy and checksum database.
#
# Settings (all optional):
#   SLUICE_FERRETDB_CACHE           binary, Go caches, logs, pid file
#                                   (default /var/cache/sluice/ferretdb-v1.24.0)
#   SLUICE_FERRETDB_PORT            MongoDB port on 127.0.0.1      (default 27017)
#   SLUICE_FERRETDB_DEBUG_PORT      debug/readiness HTTP port      (default 8088)
#   SLUICE_FERRETDB_POSTGRESQL_URL  where FerretDB keeps the data
#                                   (default postgres://sluice:sluice@127.0.0.1:5432/ferretdb)
#   SLUICE_FERRETDB_READY_SECONDS   how long to wait for readiness (default 60)
#   SLUICE_FERRETDB_LOG_LEVEL       DEBUG, INFO, WARN or ERROR     (default INFO)
#   SLUICE_FERRETDB_GO              go command to build with (Go 1.22 or newer; default go)
#   SLUICE_FERRETDB_GOPROXY         module proxy (default https://proxy.golang.org)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
FERRETDB_VERSION=v1.24.0
FERRETDB_MODULE=github.com/FerretDB/FerretDB
TEST_ENV_FILE="$here/test.env"

# Root (CI) keeps the cache under /var/cache; anyone else under ~/.cache.
if [ -w /var/cache ] || [ -w /var/cache/sluice ]; then
  cache_root=/var/cache/sluice
else
  cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/sluice"
fi
CACHE_DIR="${SLUICE_FERRETDB_CACHE:-$cache_root/ferretdb-$FERRETDB_VERSION}"
PORT="${SLUICE_FERRETDB_PORT:-27017}"
DEBUG_PORT="${SLUICE_FERRETDB_DEBUG_PORT:-8088}"
PG_URL="${SLUICE_FERRETDB_POSTGRESQL_URL:-postgres://sluice:sluice@127.0.0.1:5432/ferretdb}"
READY_SECONDS="${SLUICE_FERRETDB_READY_SECONDS:-60}"
LOG_LEVEL="${SLUICE_FERRETDB_LOG_LEVEL:-INFO}"
GO="${SLUICE_FERRETDB_GO:-go}"
GO_PROXY="${SLUICE_FERRETDB_GOPROXY:-https://proxy.golang.org}"
GO_STEP_TIMEOUT=10m

BIN="$CACHE_DIR/bin/ferretdb"
RUN_DIR="$CACHE_DIR/run"
LOG_DIR="$CACHE_DIR/logs"
LOG_FILE="$LOG_DIR/ferretdb.log"
BUILD_LOG="$LOG_DIR/build.log"
PID_FILE="$RUN_DIR/ferretdb.pid"
HOST=127.0.0.1
MONGO_URI="mongodb://$HOST:$PORT/"
READY_URL="http://$HOST:$DEBUG_PORT/debug/readyz"

die() {
  echo "error: ferretdb: $*" >&2
  exit 1
}
say() { echo "   $*"; }

# The URL with its password hidden, for messages.
redacted() { sed -E 's#(://[^:/@]*):[^@]*@#\1:***@#' <<<"$1"; }

show_log() {
  if [ -f "$LOG_FILE" ]; then
    echo "---- last lines of $LOG_FILE" >&2
    # cut: the first line (build details) is a few thousand characters long.
    tail -n 30 "$LOG_FILE" | cut -c1-400 >&2 || true
  fi
}

for tool in curl flock setsid psql python3 sha256sum; do
  command -v "$tool" >/dev/null \
    || die "$tool is needed (Debian: apt-get install curl util-linux coreutils postgresql-client python3)"
done
for p in "$PORT" "$DEBUG_PORT"; do
  [[ "$p" =~ ^[0-9]+$ ]] || die "ports must be numbers, got '$p'"
done
[ "$PORT" != "$DEBUG_PORT" ] || die "SLUICE_FERRETDB_PORT and SLUICE_FERRETDB_DEBUG_PORT must differ"

mkdir -p "$RUN_DIR" "$LOG_DIR" "$CACHE_DIR/state"
# One setup at a time per cache directory (two CI runs, or a developer and CI).
# A cold build takes a minute or two, hence the long wait.
exec 9>"$RUN_DIR/setup.lock"
flock -w 900 9 || die "another .ci/ferretdb/setup.sh has held $RUN_DIR/setup.lock for 15 minutes"

# --- 1. binary -------------------------------------------------------------------

binary_ok() {
  # Not `--version | grep -q`: with pipefail, grep leaving at the first match can kill the binary with
  # SIGPIPE while it still writes, and the check fails on a good binary (seen on a loaded machine).
  [ -x "$BIN" ] && grep -qx "version: $FERRETDB_VERSION" <<<"$("$BIN" --version 2>/dev/null)"
}

# In a subshell: the Go settings stay out of FerretDB's environment.
build_ferretdb() (
  local go_bin go_version work src
  go_bin=$(command -v "$GO" || true)
  [ -n "$go_bin" ] || go_bin=$(command -v /usr/local/go/bin/go || true)
  [ -n "$go_bin" ] || die "FerretDB $FERRETDB_VERSION is not built yet and there is no '$GO' to build it (install Go 1.22 or newer from https://go.dev/dl/, or set SLUICE_FERRETDB_GO)"
  go_version=$("$go_bin" env GOVERSION 2>/dev/null || true)
  if ! [[ "$go_version" =~ ^go1\.([0-9]+) ]] || [ "${BASH_REMATCH[1]}" -lt 22 ]; then
    die "FerretDB $FERRETDB_VERSION needs Go 1.22 or newer to build; $go_bin is '${go_version:-unknown}' (Debian 12's golang-go is 1.19: install Go from https://go.dev/dl/, or set SLUICE_FERRETDB_GO)"
  fi

  # Everything Go downloads or compiles stays in the cache directory: the next
  # build (a new cache key, a deleted binary) takes seconds. -modcacherw keeps
  # the module cache deletable with rm -rf. GOTOOLCHAIN=local: never fetch
  # another Go toolchain. No ",direct" in GOPROXY: modules come from the proxy,
  # never from their VCS hosts; their checksums are verified by sum.golang.org
  # (the module) and by FerretDB's go.sum (its dependencies).
  export GOMODCACHE="$CACHE_DIR/go/mod" GOCACHE="$CACHE_DIR/go/build" GOPATH="$CACHE_DIR/go/path"
  export GOPROXY="$GO_PROXY" GOTOOLCHAIN=local GOFLAGS="-modcacherw -buildvcs=false" GOWORK=off CGO_ENABLED=0
  mkdir -p "$GOMODCACHE" "$GOCACHE" "$GOPATH"

  # Build next to the final place, so that moving the binary in is one rename.
  work=$(mktemp -d "$CACHE_DIR/build.XXXXXX")
  : >"$BUILD_LOG"
  say "building FerretDB $FERRETDB_VERSION with $go_version into $BIN (log: $BUILD_LOG)"

  # `go install module@version` would also look up the module's latest version
  # (for deprecation notices), which the proxy refuses for FerretDB: download
  # exactly this version instead and build it as the main module, with its own
  # go.mod and go.sum.
  (cd "$work" && timeout "$GO_STEP_TIMEOUT" "$go_bin" mod download -x "$FERRETDB_MODULE@$FERRETDB_VERSION") \
    >>"$BUILD_LOG" 2>&1 </dev/null || {
    tail -n 20 "$BUILD_LOG" >&2
    rm -rf "$work"
    die "could not download $FERRETDB_MODULE@$FERRETDB_VERSION from $GOPROXY (log: $BUILD_LOG)"
  }
  # The module cache's path escapes capitals as !lower.
  src="$GOMODCACHE/github.com/!ferret!d!b/!ferret!d!b@$FERRETDB_VERSION"
  [ -f "$src/go.mod" ] || { rm -rf "$work"; die "downloaded, but $src/go.mod is missing"; }
  cp -R "$src" "$work/src"
  chmod -R u+w "$work/src"
  # Release builds generate build/version/version.txt (embedded in the binary,
  # which panics at start without it); the module zip does not have it.
  echo "$FERRETDB_VERSION" >"$work/src/build/version/version.txt"

  (cd "$work/src" && timeout "$GO_STEP_TIMEOUT" "$go_bin" build -trimpath -o "$work/ferretdb" ./cmd/ferretdb) \
    >>"$BUILD_LOG" 2>&1 </dev/null || {
    tail -n 30 "$BUILD_LOG" >&2
    rm -rf "$work"
    die "go build of FerretDB $FERRETDB_VERSION failed or took longer than $GO_STEP_TIMEOUT (log: $BUILD_LOG)"
  }
  grep -qx "version: $FERRETDB_VERSION" <<<"$("$work/ferretdb" --version 2>/dev/null)" || {
    "$work/ferretdb" --version >&2 || true
    rm -rf "$work"
    die "the freshly built binary does not report version $FERRETDB_VERSION"
  }
  mkdir -p "$(dirname "$BIN")"
  mv -f "$work/ferretdb" "$BIN"
  rm -rf "$work"
)

# Leftovers of an interrupted build.
rm -rf "$CACHE_DIR"/build.??????
if binary_ok; then
  say "FerretDB $FERRETDB_VERSION already built: $BIN"
else
  started=$SECONDS
  build_ferretdb
  binary_ok || die "$BIN does not run or is not $FERRETDB_VERSION after building"
  say "built in $((SECONDS - started)) s"
fi

# --- 2. PostgreSQL database ------------------------------------------------------

# postgres[ql]://user:password@host:port/database?options
if ! [[ "$PG_URL" =~ ^(postgres(ql)?://[^/?]+)/([A-Za-z0-9_-]+)(\?.*)?$ ]]; then
  die "SLUICE_FERRETDB_POSTGRESQL_URL must look like postgres://user:password@host:port/database, got $(redacted "$PG_URL")"
fi
pg_server="${BASH_REMATCH[1]}"
pg_db="${BASH_REMATCH[3]}"
pg_options="${BASH_REMATCH[4]}"

pg_psql() {
  # From /, so that psql does not complain about a working directory it cannot read.
  (cd / && PGCONNECT_TIMEOUT=5 psql -X -q -At -v ON_ERROR_STOP=1 "$@")
}

# The role creates the database itself (the test role has CREATEDB), so it owns it.
create_error="could not connect to PostgreSQL as $(redacted "$pg_server") or create the database $pg_db (is PostgreSQL running, and does the role exist with CREATEDB? .ci/run sets both up)"
pg_psql -d "$pg_server/postgres$pg_options" -v db="$pg_db" >/dev/null <<'SQL' || die "$create_error"
SELECT format('CREATE DATABASE %I', :'db')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
SQL
can_create=$(pg_psql -d "$PG_URL" -c "SELECT has_database_privilege(current_user, current_database(), 'CREATE')") \
  || die "could not connect to $(redacted "$PG_URL")"
[ "$can_create" = t ] \
  || die "the role in $(redacted "$PG_URL") may not create schemas in $pg_db (FerretDB keeps each MongoDB database in a schema); make it the owner"
say "PostgreSQL database $pg_db is ready ($(redacted "$PG_URL"))"

# --- 3. process --------------------------------------------------------------------

# A fingerprint of what the process was started with: it is reused only when
# it matches (another binary, port or database means a restart).
fingerprint=$( (echo "$BIN $(stat -c '%s %Y' "$BIN") $PORT $DEBUG_PORT $PG_URL $LOG_LEVEL"; cat "$0") | sha256sum | cut -c1-16)

# A recorded PID counts only while it is alive and still a ferretdb process.
running_pid() {
  local pid
  [ -s "$PID_FILE" ] || return 1
  pid=$(cat "$PID_FILE")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  grep -q ferretdb <<<"$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  echo "$pid"
}

# FerretDB's readiness probe: 200 once it listens on the MongoDB port.
is_ready() {
  [ "$(curl --noproxy '*' -s -o /dev/null -w '%{http_code}' --max-time 5 "$READY_URL" 2>/dev/null)" = 200 ]
}

# A real MongoDB conversation over the wire protocol (OP_MSG, hand-made BSON;
# python3's standard library only): hello, ping (FerretDB checks PostgreSQL
# for it) and buildInfo. Prints one line about the server; exits non-zero with
# the reason when the server does not answer as MongoDB does.
mongo_probe() {
  python3 - "$HOST" "$PORT" <<'PY'
import socket, struct, sys

host, port = sys.argv[1], int(sys.argv[2])

def bson(fields):
    out = b""
    for name, value in fields:
        key = name.encode() + b"\0"
        if isinstance(value, int):
            out += b"\x10" + key + struct.pack("<i", value)
        else:
            s = value.encode() + b"\0"
            out += b"\x02" + key + struct.pack("<i", len(s)) + s
    return struct.pack("<i", len(out) + 5) + out + b"\0"

FIXED_SIZES = {0x01: 8, 0x07: 12, 0x08: 1, 0x09: 8, 0x0A: 0, 0x10: 4, 0x11: 8, 0x12: 8, 0x13: 16, 0x7F: 0, 0xFF: 0}

def top_level(doc):
    """The top-level fields of a BSON document; numbers, booleans and strings decoded, the rest None."""
    fields, i, end = {}, 4, struct.unpack_from("<i", doc)[0] - 1
    while i < end:
        kind = doc[i]
        j = doc.index(b"\0", i + 1)
        name, i = doc[i + 1:j].decode(), j + 1
        value = None
        if kind == 0x01:
            value = struct.unpack_from("<d", doc, i)[0]
        elif kind == 0x08:
            value = doc[i] != 0
        elif kind == 0x10:
            value = struct.unpack_from("<i", doc, i)[0]
        elif kind == 0x12:
            value = struct.unpack_from("<q", doc, i)[0]
        elif kind == 0x02:
            value = doc[i + 4:i + 3 + struct.unpack_from("<i", doc, i)[0]].decode()
        if kind in FIXED_SIZES:
            size = FIXED_SIZES[kind]
        elif kind in (0x02, 0x0D, 0x0E):
            size = 4 + struct.unpack_from("<i", doc, i)[0]
        elif kind in (0x03, 0x04, 0x0F):
            size = struct.unpack_from("<i", doc, i)[0]
        elif kind == 0x05:
            size = 5 + struct.unpack_from("<i", doc, i)[0]
        else:
            raise ValueError("BSON type 0x%02x (field %r) is not handled here" % (kind, name))
        fields[name] = value
        i += size
    return fields

def recv_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("the server closed the connection")
        data += chunk
    return data

request_id = 0
def command(sock, name):
    global request_id
    request_id += 1
    body = struct.pack("<i", 0) + b"\x00" + bson([(name, 1), ("$db", "admin")])
    sock.sendall(struct.pack("<iiii", 16 + len(body), request_id, 0, 2013) + body)  # OP_MSG
    length, _, response_to, op_code = struct.unpack("<iiii", recv_exactly(sock, 16))
    body = recv_exactly(sock, length - 16)
    if op_code != 2013 or response_to != request_id or body[4] != 0:
        raise ValueError("%s: not an OP_MSG reply to our request (opCode %d)" % (name, op_code))
    reply = top_level(body[5:])
    if reply.get("ok") != 1:
        raise ValueError("%s failed: %s (code %s)" % (name, reply.get("errmsg"), reply.get("code")))
    return reply

try:
    with socket.create_connection((host, port), timeout=10) as sock:
        hello = command(sock, "hello")
        if not hello.get("isWritablePrimary"):
            raise ValueError("hello: the server is not a writable primary")
        command(sock, "ping")
        info = command(sock, "buildInfo")
except Exception as e:
    print("%s:%d: %s" % (host, port, e), file=sys.stderr)
    sys.exit(1)
print("hello, ping and buildInfo answered: FerretDB %s, MongoDB %s compatible, wire versions %s-%s"
      % (info.get("ferretdbVersion"), info.get("version"), hello.get("minWireVersion"), hello.get("maxWireVersion")))
PY
}

port_in_use() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

who_listens() {
  if command -v ss >/dev/null; then
    ss -Hltnp "sport = :$1" 2>/dev/null | sed 's/^/     /' >&2 || true
  fi
}

if pid=$(running_pid) && [ "$(cat "$RUN_DIR/fingerprint" 2>/dev/null)" = "$fingerprint" ] \
  && is_ready && mongo_probe >/dev/null 2>&1; then
  say "reusing the running FerretDB at $MONGO_URI (pid $pid)"
else
  # Stop whatever we started before (other settings, or half dead).
  bash "$here/stop.sh" --quiet
  for p in "$PORT" "$DEBUG_PORT"; do
    if port_in_use "$p"; then
      who_listens "$p"
      die "port $p on $HOST is taken by another program (a FerretDB or MongoDB started otherwise, or from another SLUICE_FERRETDB_CACHE?); stop it, or set SLUICE_FERRETDB_PORT / SLUICE_FERRETDB_DEBUG_PORT to free ports"
    fi
  done

  : >"$LOG_FILE"
  # setsid + nohup + no inherited stdio: FerretDB outlives this script and never
  # holds .ci/run's output open. The child writes its own PID: setsid may fork,
  # so $! is not always it. The PostgreSQL URL goes in the environment, not on
  # the command line, to keep its password out of `ps`. --state-dir: where
  # FerretDB keeps its instance id (by default the current directory).
  # DO_NOT_TRACK backs up --telemetry=disable.
  # shellcheck disable=SC2016 # $$ and $1 are for the inner bash
  FERRETDB_POSTGRESQL_URL="$PG_URL" DO_NOT_TRACK=1 \
    setsid bash -c 'echo $$ >"$1"; shift; exec nohup "$@"' _ "$PID_FILE" \
    "$BIN" --handler=postgresql --listen-addr="$HOST:$PORT" --debug-addr="$HOST:$DEBUG_PORT" \
    --state-dir="$CACHE_DIR/state" --telemetry=disable --log-level="$LOG_LEVEL" \
    >"$LOG_FILE" 2>&1 </dev/null 9>&- &
  for _ in $(seq 1 50); do [ -s "$PID_FILE" ] && break; sleep 0.1; done
  echo "$fingerprint" >"$RUN_DIR/fingerprint"
  say "started FerretDB (pid $(cat "$PID_FILE" 2>/dev/null || echo '?'); log: $LOG_FILE)"

  started=$SECONDS
  until is_ready && mongo_probe >/dev/null 2>&1; do
    running_pid >/dev/null || {
      show_log
      rm -f "$RUN_DIR/fingerprint"
      die "FerretDB exited during start-up (log: $LOG_FILE)"
    }
    if [ $((SECONDS - started)) -ge "$READY_SECONDS" ]; then
      if is_ready; then
        echo "$READY_URL answers 200, but the MongoDB check does not pass:" >&2
      else
        echo "$READY_URL does not answer 200" >&2
      fi
      mongo_probe >/dev/null || true
      show_log
      bash "$here/stop.sh" --quiet
      die "FerretDB was not ready on $MONGO_URI within $READY_SECONDS s (log: $LOG_FILE)"
    fi
    sleep 0.5
  done
  say "ready after $((SECONDS - started)) s"
fi
summary=$(mongo_probe) || { show_log; die "FerretDB at $MONGO_URI stopped answering MongoDB commands"; }
say "$summary"

# --- 4. settings for the tests -------------------------------------------------------

cat >"$TEST_ENV_FILE" <<EOF
# Written by .ci/ferretdb/setup.sh; sourced by .ci/run. Not committed.
export TEST_MONGO_URI='$MONGO_URI'
# What answers there, for tests that must allow for FerretDB's differences from MongoDB.
export TEST_MONGO_SERVER='ferretdb-$FERRETDB_VERSION'
export TEST_MONGO_SERVER_LOG='$LOG_FILE'
EOF
say "FerretDB $FERRETDB_VERSION is up at $MONGO_URI (data in PostgreSQL database $pg_db)"
say "test settings written to $TEST_ENV_FILE"
