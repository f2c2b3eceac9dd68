#!/usr/bin/env bash
# Crash safety, sourced by test/run.sh (it needs the cluster and HTTP server
# that run.sh started).  Two cases, each in the middle of a 500-page list
# session:
#   1. kill -9 of a fetch worker: the postmaster restarts every backend;
#   2. pg_ctl stop -m immediate, then start again.
# In both, the session must then complete with exactly one row per URL,
# every page fetched, and the job counters right.  Prints TAP.

crash_n=0
crash_failed=0

crash_tap() {       # crash_tap OK DESCRIPTION
    crash_n=$((crash_n + 1))
    if [ "$1" = true ]; then
        echo "ok $crash_n - $2"
    else
        echo "not ok $crash_n - $2"
        crash_failed=$((crash_failed + 1))
    fi
}

crash_q() {
    "$PGBIN/psql" -XAtq -v ON_ERROR_STOP=1 -c "$1"
}

# Wait (up to $2 s) until the query prints t; tolerates a restarting server.
crash_wait_for() {
    local i
    for i in $(seq 1 $(( $2 * 10 ))); do
        [ "$(crash_q "$1" 2>/dev/null)" = t ] && return 0
        sleep 0.1
    done
    return 1
}

crash_case() {      # crash_case NAME HOW
    local name=$1 how=$2 key sid pid counts job
    key=$(date +%s%N)
    sid=$(crash_q "SELECT scrape_submit_urls(array(
              SELECT '$SJ_HTTP_URL/slow?ms=20&crash=$key&n=' || g
                FROM generate_series(1, 500) g))")
    crash_wait_for "SELECT pages_done >= 100 FROM scraping_sessions WHERE id = $sid" 60 ||
        echo "# $name: the session did not reach 100 pages"

    case $how in
        kill9)
            pid=$(crash_q "SELECT pid FROM scrape_workers() ORDER BY transfers DESC LIMIT 1")
            kill -9 "$pid"
            ;;
        immediate)
            as_pg "$PGBIN/pg_ctl" -D "$SJ_TMP/data" -m immediate -w -s stop
            sj_server_start
            ;;
    esac

    crash_wait_for "SELECT count(*) = 2 FROM scrape_workers()" 60
    crash_tap "$(crash_wait_for "SELECT status = 'completed' FROM scraping_sessions WHERE id = $sid" 120 &&
                 echo true)" "$name: the session completes"
    counts=$(crash_q "SELECT count(*) || '/' || count(DISTINCT url) || '/' ||
                             count(*) FILTER (WHERE status = 'done')
                        FROM scraping_pages WHERE session_id = $sid")
    crash_tap "$([ "$counts" = 500/500/500 ] && echo true)" \
        "$name: one row per URL, every page fetched (rows/distinct/done: $counts)"
    job=$(crash_q "SELECT s.pages_done || '/' || s.pages_failed || '/' || j.status || '/' || j.progress
                     FROM scraping_sessions s JOIN background_jobs j ON j.id = s.background_job_id
                    WHERE s.id = $sid")
    crash_tap "$([ "$job" = 500/0/completed/100 ] && echo true)" \
        "$name: counters right (done/failed/job/progress: $job)"
    crash_tap "$([ "$(crash_q "SELECT count(*) > 0 FROM job_history
                               WHERE session_id = $sid AND event = 'work_released'")" = t ] && echo true)" \
        "$name: the work of the dead workers was handed back at start-up"
}

run_crash() {
    crash_case "kill -9 of a worker" kill9
    crash_case "immediate shutdown" immediate
    echo "1..$crash_n"
    [ "$crash_failed" -eq 0 ]
}
