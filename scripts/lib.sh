#!/usr/bin/env bash
# Shared set-up for scripts/demo.sh and test/run.sh: install what is needed
# from Debian, build and install the extension, run a throw-away PostgreSQL
# 15 cluster in a temporary directory and the local HTTP test server.
#
# Set SCRAPE_SKIP_APT=1 to skip the apt-get step on a machine already set up.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PGBIN=/usr/lib/postgresql/15/bin
PG_CONFIG=$PGBIN/pg_config
APT_PACKAGES=(
    postgresql-15 postgresql-server-dev-15 postgresql-15-pgtap
    libtap-parser-sourcehandler-pgtap-perl
    libcurl4-openssl-dev libxml2-dev zlib1g-dev
    python3 make gcc curl ca-certificates cppcheck postgresql-15-cron
    clang-14 libclang-rt-14-dev
)

SJ_TMP=""
SJ_HTTP_PID=""

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
    PG_OS_USER=postgres     # PostgreSQL refuses to run as root
else
    SUDO=sudo
    PG_OS_USER=$(id -un)
fi

log() { printf '==> %s\n' "$*" >&2; }

# Run a command as the operating-system user that owns the cluster.
as_pg() {
    if [ "$(id -un)" = "$PG_OS_USER" ]; then
        "$@"
    else
        runuser -u "$PG_OS_USER" -- "$@"
    fi
}

sj_install_deps() {
    if [ "${SCRAPE_SKIP_APT:-0}" = 1 ]; then
        log "skipping apt-get (SCRAPE_SKIP_APT=1)"
        return
    fi
    log "installing Debian packages: ${APT_PACKAGES[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q >/dev/null
    $SUDO apt-get install -y -q --no-install-recommends "${APT_PACKAGES[@]}" >/dev/null
}

sj_build() {
    log "building and installing scrape_jobs"
    make -C "$ROOT" -s PG_CONFIG="$PG_CONFIG" >/dev/null
    $SUDO make -C "$ROOT" -s PG_CONFIG="$PG_CONFIG" install >/dev/null
}

sj_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Proxy variables for the server's environment: they must be ignored by the
# fetcher, so they point at a closed port and any use of them fails.
SJ_PROXY_ENV=(http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9
              HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9
              ALL_PROXY=http://127.0.0.1:9)

# sj_init_cluster EXTRA_CONF_FILE [DIR_PREFIX]: initdb and configure a
# cluster in a new temporary directory (not started); exports PG* for it.
sj_init_cluster() {
    local extra_conf=$1 prefix=${2:-/tmp/scrape_jobs}
    SJ_TMP=$(mktemp -d "$prefix.XXXXXX")
    chmod 755 "$SJ_TMP"
    [ "$(id -u)" -eq 0 ] && chown "$PG_OS_USER" "$SJ_TMP"
    SJ_PORT=$(sj_free_port)
    log "creating a throw-away cluster in $SJ_TMP (port $SJ_PORT)"
    as_pg "$PGBIN/initdb" -D "$SJ_TMP/data" -U postgres -A trust -E UTF8 \
        --locale=C.UTF-8 >"$SJ_TMP/initdb.log"
    {
        echo "# added by scripts/lib.sh"
        echo "port = $SJ_PORT"
        echo "listen_addresses = ''"
        echo "unix_socket_directories = '$SJ_TMP'"
        echo "shared_preload_libraries = 'scrape_jobs'"
        echo "max_worker_processes = 16"
        echo "fsync = off"
        echo "log_line_prefix = '%m [%p] %b '"
        cat "$extra_conf"
    } >>"$SJ_TMP/data/postgresql.conf"
    export PGHOST=$SJ_TMP PGPORT=$SJ_PORT PGUSER=postgres PGDATABASE=postgres
}

# sj_start_cluster EXTRA_CONF_FILE: initdb, configure and start a cluster.
sj_start_cluster() {
    sj_init_cluster "$1"
    sj_server_start
}

# Start the cluster's server (again).
sj_server_start() {
    as_pg env "${SJ_PROXY_ENV[@]}" \
        "$PGBIN/pg_ctl" -D "$SJ_TMP/data" -l "$SJ_TMP/server.log" -w -s start
}

# Start a Python test server in the background and wait for its
# "listening on HOST:PORT" line; prints http://HOST:PORT.  $1: log name in
# $SJ_TMP, $2: script, the rest: its arguments.  Its pid is left in
# $SJ_TMP/$1.pid for sj_cleanup.
sj_start_python_server() {
    local name=$1 script=$2
    shift 2
    python3 "$script" --port 0 "$@" >"$SJ_TMP/$name.out" 2>"$SJ_TMP/$name.err" &
    echo $! >"$SJ_TMP/$name.pid"
    local i
    for i in $(seq 1 100); do
        if grep -q '^listening on' "$SJ_TMP/$name.out" 2>/dev/null; then
            echo "http://$(sed -n 's/^listening on //p' "$SJ_TMP/$name.out")"
            return
        fi
        sleep 0.1
    done
    log "$name did not start:"
    cat "$SJ_TMP/$name.err" >&2
    return 1
}

# Start the HTTP test server on 127.0.0.1 (a free port); sets SJ_HTTP_URL.
# It listens on 127.0.0.2 and 127.0.0.3 too (same port): tests that trip
# circuit breakers use those, so they stay apart from the others; on
# 127.0.0.4, a host without a robots.txt (404); and on 127.0.0.5, where a
# second instance listens on another port (SJ_HTTP2_URL): breakers and
# limits are per origin, and one port must not open the other's.
sj_start_http() {
    SJ_HTTP_URL=$(sj_start_python_server http "$ROOT/test/server/fault_server.py" \
                      --host 127.0.0.1 --host 127.0.0.2 --host 127.0.0.3 --host 127.0.0.4 \
                      --host 127.0.0.5)
    SJ_HTTP_PID=$(cat "$SJ_TMP/http.pid")
    SJ_HTTP2_URL=$(sj_start_python_server http2 "$ROOT/test/server/fault_server.py" \
                       --host 127.0.0.5)
    SJ_HTTP2_PID=$(cat "$SJ_TMP/http2.pid")
    log "HTTP test server at $SJ_HTTP_URL, a second one at $SJ_HTTP2_URL"
}

# Start the Sentry-compatible receiver (test/server/sentry_receiver.py) on
# 127.0.0.1; sets SJ_SENTRY_URL (key "testkey", project 42).
sj_start_sentry() {
    SJ_SENTRY_URL=$(sj_start_python_server sentry "$ROOT/test/server/sentry_receiver.py" \
                        --host 127.0.0.1)
    SJ_SENTRY_PID=$(cat "$SJ_TMP/sentry.pid")
    log "Sentry receiver at $SJ_SENTRY_URL"
}

# Wait until the launcher has started N fetch workers.
sj_wait_workers() {
    local want=$1 i n
    for i in $(seq 1 150); do
        n=$("$PGBIN/psql" -XAtq -c "SELECT count(*) FROM scrape.scrape_workers()" 2>/dev/null || echo 0)
        [ "$n" = "$want" ] && return 0
        sleep 0.2
    done
    log "only $n of $want workers started"
    return 1
}

sj_psql() {
    "$PGBIN/psql" -X -v ON_ERROR_STOP=1 -q "$@"
}

# Stop everything we started and remove the temporary directory.
sj_cleanup() {
    local rc=$?
    local pid
    for pid in "$SJ_HTTP_PID" "${SJ_HTTP2_PID:-}" "${SJ_SENTRY_PID:-}"; do
        [ -n "$pid" ] || continue
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [ -n "$SJ_TMP" ] && [ -d "$SJ_TMP" ]; then
        if [ -f "$SJ_TMP/data/postmaster.pid" ]; then
            as_pg "$PGBIN/pg_ctl" -D "$SJ_TMP/data" -m fast -w -s stop || true
        fi
        if [ "$rc" -ne 0 ] && [ -f "$SJ_TMP/server.log" ]; then
            log "last lines of the server log:"
            tail -n 60 "$SJ_TMP/server.log" >&2
        fi
        rm -rf "$SJ_TMP"
    fi
    return "$rc"
}
