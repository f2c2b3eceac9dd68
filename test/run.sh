#!/usr/bin/env bash
# Run every test suite of scrape_jobs on a throw-away cluster:
#   0. cppcheck over src/ (static analysis, must be clean), the unit tests
#      of the parsers (test/unit/: prices and availability, robots.txt,
#      links, URLs and structured data), and the libFuzzer harnesses for
#      10 s each;
#   1. pg_regress (make installcheck: sql/*.sql against expected/*.out), in a
#      database without workers, so job states are stable;
#   2. pgTAP unit tests (test/tap/*.sql);
#   3. integration tests (test/integration/*.sql, pgTAP): real workers
#      against the local HTTP test server;
#   4. crash tests (test/crash.sh): kill -9 of a worker and an immediate
#      shutdown in the middle of a session;
#   5. upgrades from the oldest release and pg_dump/pg_restore, and chaos:
#      hostile settings, concurrent clients, a long stage backlog, on
#      clusters of their own (test/lifecycle.sh, test/chaos.sh);
#   6. the library refuses to load outside shared_preload_libraries.
# Before all that, make check-sql refuses an SQL change without a new
# version (install/check.sh).
# Installs what it needs with apt-get, starts and stops its own cluster, HTTP
# server and Sentry receiver, and exits non-zero if anything failed.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
source "$(dirname "$0")/crash.sh"

sj_install_deps
sj_build
# Test sessions choose their search_path; the workers, the launcher, the
# alerter and pg_cron get the database's, which test/decoy.sql makes hostile.
export PGOPTIONS="-c search_path=scrape,public"
trap sj_cleanup EXIT
sj_start_cluster "$ROOT/test/cluster.conf"
sj_start_http
sj_start_sentry

passed=0
failed=0
suite() {
    local name=$1; shift
    log "suite: $name"
    if "$@"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        log "suite $name FAILED"
    fi
}

run_regress() {
    rm -rf "$ROOT/results" "$ROOT/regression.diffs" "$ROOT/regression.out"
    if ! make -C "$ROOT" -s PG_CONFIG="$PG_CONFIG" installcheck; then
        cat "$ROOT/regression.diffs" >&2 || true
        return 1
    fi
}

run_tap() {
    sj_psql -f "$ROOT/test/decoy.sql"
    sj_psql -c "SET client_min_messages = warning" \
            -c "CREATE EXTENSION IF NOT EXISTS scrape_jobs" \
            -c "CREATE EXTENSION IF NOT EXISTS pgtap" \
            -c "ALTER DATABASE postgres SET scrape_test.base_url = '$SJ_HTTP_URL'" \
            -c "ALTER DATABASE postgres SET scrape_test.base_url2 = '$SJ_HTTP2_URL'" \
            -c "ALTER DATABASE postgres SET scrape_test.sentry_url = '$SJ_SENTRY_URL'" \
            -c "ALTER DATABASE postgres SET scrape_test.server_log = '$SJ_TMP/server.log'"
    sj_wait_workers 2
    (cd "$ROOT" && pg_prove --failures -d postgres "$@")
}

run_cppcheck() {
    make -C "$ROOT" -s PG_CONFIG="$PG_CONFIG" cppcheck
}

# The libFuzzer harnesses, briefly: the seed corpus (with every past
# finding) and 10 s of new inputs each.  `make fuzz` runs them longer.
run_fuzz() {
    local log="$SJ_TMP/fuzz.log"
    if make -C "$ROOT" -s PG_CONFIG="$PG_CONFIG" FUZZ_SECONDS=10 fuzz >"$log" 2>&1; then
        grep -E '^Done' "$log"
    else
        tail -n 60 "$log"
        return 1
    fi
}

# An SQL object changed without a new version (install/check.sh): the
# tree passes, and copies of it with a changed function, a changed release
# or a new version without its upgrade script do not.
run_check_sql() {
    make -C "$ROOT" -s check-sql || return 1
    local copy=$SJ_TMP/check-sql rc=0
    check_copy() {      # check_copy WHAT EDIT: the check must fail after EDIT
        rm -rf "$copy" && mkdir -p "$copy"
        cp -r "$ROOT/install" "$ROOT/scrape_jobs.control" "$copy/"
        (cd "$copy" && eval "$2")
        if sh "$copy/install/check.sh" >/dev/null 2>&1; then
            echo "not ok - check-sql passes $1"; rc=1
        else
            echo "ok - check-sql refuses $1"
        fi
    }
    check_copy "a function changed without a new version" \
        "sed -i 's/batch must be at least 1/batch must be positive/' install/monitor.sql"
    check_copy "a released script changed" "echo '-- edited' >>install/releases/scrape_jobs--0.1.0.sql"
    check_copy "a new version without its upgrade script" \
        "sed -i \"s/^default_version = .*/default_version = '9.9.9'/\" scrape_jobs.control"
    rm -rf "$copy"
    return $rc
}
suite check_sql run_check_sql
suite cppcheck run_cppcheck
suite unit make -C "$ROOT" -s unit
suite fuzz run_fuzz
suite pg_regress run_regress
suite pgtap run_tap "$ROOT"/test/tap/*.sql
suite integration run_tap "$ROOT"/test/integration/*.sql
suite crash run_crash

# The README's pg_cron example is the one 14_pg_cron.sql schedules.
run_readme_examples() {
    local line
    line=$(grep -o "SELECT cron.schedule('scrape-stuck', [^;]*)" "$ROOT/test/integration/14_pg_cron.sql" \
               | sed 's/ AS cron_job.*//')
    if grep -qF "$line;" "$ROOT/README.md"; then
        echo "ok - the README's pg_cron example is the tested one: $line"
    else
        echo "not ok - the README does not show the tested pg_cron example: $line"
        return 1
    fi
}
suite readme_examples run_readme_examples

# Upgrades and backups, each on clusters of its own (test/lifecycle.sh);
# the backup's source is this cluster's database, full of what the suites
# above left.
suite upgrade env SJ_HTTP_URL="$SJ_HTTP_URL" bash "$ROOT/test/lifecycle.sh" upgrade
suite backup env SJ_HTTP_URL="$SJ_HTTP_URL" bash "$ROOT/test/lifecycle.sh" backup

# Reliability under hostile database settings, concurrent clients, a stage
# backlog far longer than the stuck timeout, crashes under load and a crash
# between two saves of the counters, a standby promoted, a lock held past
# the workers' lock_timeout, and pages whose parse crashes or fails the
# extracting stage, each on a cluster of its own (test/chaos.sh).
for c in settings concurrency stages crashes counters standby locks poison; do
    suite "chaos $c" env SJ_HTTP_URL="$SJ_HTTP_URL" bash "$ROOT/test/chaos.sh" "$c"
done

# LISTEN: the notifications of a crawl of the fixture store and of an alert,
# on the public channels and on the channel of the sessions without a
# workspace (printed by psql, checked by test/notify_check.py).
run_notify() {
    sj_psql -At -v url="$SJ_HTTP_URL/site/store/index.html" <<'SQL' | python3 "$ROOT/test/notify_check.py"
LISTEN scrape_jobs_progress;
LISTEN scrape_jobs_alerts;
SELECT scrape_channel() AS channel \gset
LISTEN :"channel";
SELECT 'channel=' || :'channel';
SELECT scrape_submit(:'url', 'crawl', 50, options => '{"scope": "prefix"}') AS sid \gset
SELECT scrape_wait(:sid, '60 s');
SELECT _scrape_record_alert('job_stuck', NULL, NULL, NULL, 'a notification test') IS NOT NULL;
SELECT 'sid=' || :sid;
SQL
}

suite notify run_notify

# The metrics after the suites above: the Prometheus text passes a strict
# check of the exposition format (test/prom_check.py) with the families it
# must have, and the counters survive a restart (the launcher saves them
# every monitor pass and restores them at start-up).
run_metrics() {
    sj_psql -At -c "SELECT scrape_metrics_prometheus()" >"$SJ_TMP/metrics.prom"
    python3 "$ROOT/test/prom_check.py" "$SJ_TMP/metrics.prom" --require \
scrape_jobs_jobs,scrape_jobs_pages_fetched_total,scrape_jobs_responses_total,\
scrape_jobs_errors_total,scrape_jobs_fetch_duration_seconds,scrape_jobs_page_duration_seconds,\
scrape_jobs_job_duration_seconds,scrape_jobs_queue_pages,scrape_jobs_host_requests_total,\
scrape_jobs_host_errors_total,scrape_jobs_host_latency_seconds,scrape_jobs_host_circuit_open || return 1
    grep -q '^scrape_jobs_jobs{job_type="web_scraping",status="completed"} [1-9]' "$SJ_TMP/metrics.prom" \
        || { echo "not ok - no completed jobs counted"; return 1; }
    local before after
    sleep 1.5       # one monitor pass (monitor_interval = 1s here) saves them
    before=$(sj_psql -At -c "SELECT pages_fetched || ' ' || completed_jobs FROM scrape_metrics()")
    as_pg "$PGBIN/pg_ctl" -D "$SJ_TMP/data" -m fast -w -s stop
    sj_server_start
    sj_wait_workers 2
    after=$(sj_psql -At -c "SELECT pages_fetched || ' ' || completed_jobs FROM scrape_metrics()")
    if [ "$before" = "$after" ]; then
        echo "ok - counters survive a restart ($after)"
    else
        echo "not ok - counters before a restart: $before, after: $after"
        return 1
    fi
}

suite metrics run_metrics

# Loaded outside shared_preload_libraries, the library refuses with a clear
# message (single-user mode on the stopped cluster, without the preload).
run_no_preload() {
    as_pg "$PGBIN/pg_ctl" -D "$SJ_TMP/data" -m fast -w -s stop
    local out
    out=$(echo "LOAD 'scrape_jobs';" | as_pg "$PGBIN/postgres" --single \
              -D "$SJ_TMP/data" -c shared_preload_libraries= postgres 2>&1 || true)
    if grep -q 'scrape_jobs must be loaded via "shared_preload_libraries"' <<<"$out"; then
        echo "ok - LOAD without shared_preload_libraries is refused"
    else
        echo "not ok - LOAD without shared_preload_libraries: $out"
        return 1
    fi
}

suite no_preload run_no_preload

echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
