#!/usr/bin/env bash
# Reliability under what a database administrator or a busy application
# does to the workers, each case on a cluster of its own (test/run.sh runs
# them).  Prints TAP.
#
#   bash test/chaos.sh settings      the database's defaults made hostile
#       (read-only transactions, SERIALIZABLE, 1 ms statement, lock and
#       idle-in-transaction timeouts, a 1 MB temp_file_limit) before the
#       workers connect: a session of large and small pages still
#       completes, and no background process of ours fails or exits;
#   bash test/chaos.sh concurrency   20 clients submitting, cancelling and
#       reading for 30 s (pgbench): every session ends, its counters match
#       its pages, and no worker exits (a deadlock or lock timeout in a
#       worker's own transaction is retried, never its death);
#   bash test/chaos.sh crashes       a 1,500-URL list on a healthy server
#       while clients submit, cancel and read, two kill -9 of a worker, a
#       worker frozen (SIGSTOP) past the stuck timeout and an immediate
#       shutdown: every session ends, one row per URL, every URL done,
#       requests per URL within max_attempts and each one charged, a
#       crash charging only the pages whose requests had started, no
#       worker exit but the killed ones, job metrics equal to the tables;
#   bash test/chaos.sh counters      a kill -9 an hour before the monitor's
#       next save of the counters keeps them (the workers' snapshots);
#   bash test/chaos.sh standby       on a streaming standby scrape_launcher()
#       and one log line say standby and no worker runs; promoted, a
#       session completes;
#   bash test/chaos.sh locks         a lock held past lock_timeout while the
#       workers write results: retried, no worker exits;
#   bash test/chaos.sh poison        a page whose parse crashes the
#       extracting stage: 3 crashes, then passed by; a parse that raises an
#       ERROR: the page's failure, no worker exits;
#   bash test/chaos.sh stages        2,000 single-page sessions submitted at
#       once, a stage backlog far longer than a 2 s stuck timeout: none is
#       stuck, alerted or dead-lettered; a stage batch held past the
#       timeout is alerted once and completes when released.
#
# Needs SJ_HTTP_URL (the test server).
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
source "$(dirname "$0")/cluster_tap.sh"

# Errors of our background processes, and their exits, in the server log.
our_failures() {
    grep -E 'scrape_jobs (launcher|worker|alerter) (ERROR|FATAL|PANIC):|background worker "scrape_jobs[^"]*" \(PID [0-9]+\) (exited with exit code|was terminated)' \
        "$SJ_TMP/server.log" | sed 's/^/# /' || true
}

# Every session ended, and its counters are its pages'.
SESSIONS_TRUE="
SELECT count(*) FILTER (WHERE s.status IN ('pending', 'running')) = 0
   AND count(*) FILTER (WHERE s.pages_done <> (SELECT count(*) FROM scrape.scraping_pages p
                                                 WHERE p.session_id = s.id AND p.status = 'done'
                                                   AND p.kind = 'page')) = 0
  FROM scrape.scraping_sessions s"

run_settings() {
    local sid out
    lc_cluster "scrape_jobs.max_body_size = '4MB'"
    q -c "CREATE EXTENSION scrape_jobs" \
      -c "ALTER DATABASE postgres SET default_transaction_read_only = on" \
      -c "ALTER DATABASE postgres SET default_transaction_isolation = 'serializable'" \
      -c "ALTER DATABASE postgres SET statement_timeout = '1ms'" \
      -c "ALTER DATABASE postgres SET lock_timeout = '1ms'" \
      -c "ALTER DATABASE postgres SET idle_in_transaction_session_timeout = '1ms'" \
      -c "ALTER DATABASE postgres SET temp_file_limit = '1MB'"
    # the workers connect with them
    as_pg "$PGBIN/pg_ctl" -D "$SJ_TMP/data" -m fast -w -s stop
    : >"$SJ_TMP/server.log"
    sj_server_start
    # this client chooses its own
    export PGOPTIONS="-c default_transaction_read_only=off -c statement_timeout=0 -c lock_timeout=0
                      -c idle_in_transaction_session_timeout=0 -c temp_file_limit=-1
                      -c default_transaction_isolation=read\\ committed"
    check "the launcher runs and starts its workers" \
        wait_for 20 "SELECT (SELECT state FROM scrape.scrape_launcher()) = 'running'
                        AND (SELECT count(*) FROM scrape.scrape_workers()) = 2"
    sid=$(q -c "SELECT scrape.scrape_submit_urls(
                   array(SELECT '$SJ_HTTP_URL/ok?settings=' || g FROM generate_series(1, 30) g)
                   || array(SELECT '$SJ_HTTP_URL/big?bytes=2000000&settings=' || g
                              FROM generate_series(1, 4) g))")
    check "a session of 30 small and 4 pages of 2 MB completes" \
        test "$(q -c "SELECT scrape.scrape_wait($sid, '90 s')")" = completed
    check "every page is stored, the large ones whole" \
        test "$(q -c "SELECT count(*) FILTER (WHERE status = 'done') || '/' ||
                             count(*) FILTER (WHERE body_size = 2000000)
                        FROM scrape.scraping_pages WHERE session_id = $sid")" = 34/4
    check "its products stage ran (the stages' transactions too)" \
        test "$(q -c "SELECT current_stage FROM scrape.background_jobs j
                        JOIN scrape.scraping_sessions s ON s.background_job_id = j.id WHERE s.id = $sid")" = done
    out=$(our_failures)
    [ -z "$out" ] || echo "$out"
    check "no error and no exit of the launcher, the workers or the alerter" test -z "$out"
    unset PGOPTIONS
}

# The script of a client: submit, cancel (no session of id AFTER or
# below), read; in $SJ_TMP/clients.sql.
client_script() {   # client_script [AFTER]
    cat >"$SJ_TMP/clients.sql" <<SQL
\\set n random(1, 1000000000)
SELECT scrape.scrape_submit_urls(ARRAY['$SJ_HTTP_URL/slow?ms=20&c=' || :n || '&i=1',
                                       '$SJ_HTTP_URL/ok?c=' || :n || '&i=2',
                                       '$SJ_HTTP_URL/slow?ms=5&c=' || :n || '&i=3']);
SELECT scrape.scrape_cancel(s.id) FROM scrape.scraping_sessions s
 WHERE s.status IN ('pending', 'running') AND random() < 0.3 AND s.id > ${1:-0}
 ORDER BY s.id DESC LIMIT 1;
SELECT * FROM scrape.scrape_status((SELECT max(id) FROM scrape.scraping_sessions));
SELECT count(*) FROM scrape.scraping_pages WHERE status = 'fetching';
SQL
}

# 20 clients running it for SECONDS, in the background.
start_clients() {   # start_clients SECONDS
    client_script
    # (-R: 30 transactions a second in all, a busy application, not a flood)
    as_pg "$PGBIN/pgbench" -n -c 20 -j 2 -T "$1" -R 30 -f "$SJ_TMP/clients.sql" -h "$PGHOST" -p "$PGPORT" -U postgres postgres \
        >"$SJ_TMP/pgbench.out" 2>&1 &
}

# The same load for the crash case, from 10 loops of psql that connect
# again after each crash (pgbench's clients end at the first); their pids
# in client_pids, and a line in $SJ_TMP/clients.ok per script run through.
client_pids=()
start_client_loops() {  # start_client_loops SECONDS AFTER
    local end=$(( $(date +%s) + $1 )) i
    client_script "$2"
    tail -n +2 "$SJ_TMP/clients.sql" >"$SJ_TMP/clients_psql.sql"   # psql: -v n
    : >"$SJ_TMP/clients.ok"
    for i in $(seq 1 10); do
        while [ "$(date +%s)" -lt "$end" ]; do
            if q -v n="$RANDOM$RANDOM" -f "$SJ_TMP/clients_psql.sql" >/dev/null 2>&1; then
                echo ok >>"$SJ_TMP/clients.ok"
            else
                sleep 0.2
            fi
            sleep 0.$((RANDOM % 5))
        done >/dev/null 2>&1 &
        client_pids+=($!)
    done
}

run_concurrency() {
    local out exits
    lc_cluster ""
    q -c "CREATE EXTENSION scrape_jobs"
    check "the workers run" wait_for 20 "SELECT count(*) = 2 FROM scrape.scrape_workers()"
    start_clients 30
    wait $! || { sed 's/^/# /' "$SJ_TMP/pgbench.out"; }
    echo "# $(grep -E '^number of transactions actually processed|^tps' "$SJ_TMP/pgbench.out" | tr '\n' ' ')"
    echo "# $(q -c "SELECT count(*) || ' sessions: ' || string_agg(DISTINCT status, ', ') FROM scrape.scraping_sessions")"
    check "every session ends, with counters that match its pages" wait_for 120 "$SESSIONS_TRUE"
    check "one row per URL" \
        test "$(q -c "SELECT count(*) = count(DISTINCT (session_id, url)) FROM scrape.scraping_pages")" = t
    exits=$(q -c "SELECT count(*) FROM scrape.alerts WHERE kind = 'worker_crashed'")
    out=$(our_failures)
    [ -z "$out" ] || echo "$out"
    check "no worker exited ($exits worker_crashed alerts) and no process of ours failed" \
        test -z "$out" -a "$exits" = 0
    echo "# $(grep -c 'will retry its' "$SJ_TMP/server.log" || true) passes retried after a deadlock or lock timeout"

    # a heartbeat never waits for a job row another transaction holds (it
    # deadlocked against the other worker's result write when it did): with
    # the row locked, it returns at once and still counts the job as held
    local sid jid lease state out
    sid=$(q -c "SELECT scrape.scrape_submit('$SJ_HTTP_URL/slow?ms=3000&beat=1')")
    wait_for 20 "SELECT j.status = 'processing' FROM scrape.background_jobs j
                   JOIN scrape.scraping_sessions s ON s.background_job_id = j.id WHERE s.id = $sid" || true
    read -r jid lease state < <(q -F ' ' -c "SELECT j.id, j.lease, j.status FROM scrape.background_jobs j
                   JOIN scrape.scraping_sessions s ON s.background_job_id = j.id WHERE s.id = $sid")
    q -c "BEGIN" -c "SELECT 1 FROM scrape.background_jobs WHERE id = $jid FOR UPDATE" \
      -c "SELECT pg_sleep(3)" -c "COMMIT" >/dev/null &
    sleep 0.5
    out=$(q -c "SET lock_timeout = '1s'" \
            -c "SELECT count(*) FROM scrape._scrape_heartbeat(ARRAY[$jid]::bigint[], ARRAY[$lease]::bigint[])" 2>&1 || true)
    wait
    check "a heartbeat skips a job row another transaction holds, and keeps the job (lost: $out, job $jid was $state)" \
        test "$out" = 0
}

run_crashes() {
    local prefix sid pid keys max total charged excess exits out
    lc_cluster ""
    q -c "CREATE EXTENSION scrape_jobs"
    check "the workers run" wait_for 20 "SELECT count(*) = 2 FROM scrape.scrape_workers()"
    # Every URL its own key on the test server, which counts its requests
    # and answers each after 100 ms: at the default 8 connections per host
    # the list takes ~20 s, and each worker holds a backlog of claimed
    # pages far larger than its transfers.
    prefix="crash$(date +%s%N)-"
    sid=$(q -c "SELECT scrape.scrape_submit_urls(array(
                  SELECT '$SJ_HTTP_URL/counted?fails=0&ms=100&key=$prefix' || g
                    FROM generate_series(1, 1500) g))")
    start_client_loops 30 "$sid"
    done_at_least() {
        wait_for 90 "SELECT pages_done >= $1 FROM scrape.scraping_sessions WHERE id = $sid"
    }
    workers_back() { wait_for 60 "SELECT count(*) = 2 FROM scrape.scrape_workers()"; }
    busiest() { q -c "SELECT pid FROM scrape.scrape_workers() ORDER BY transfers DESC, worker LIMIT 1"; }

    done_at_least 150 || echo "# the list did not reach 150 pages"
    kill -9 "$(busiest)"
    workers_back || echo "# the workers did not come back after the first kill -9"
    done_at_least 450 || echo "# the list did not reach 450 pages"
    pid=$(busiest)
    kill -STOP "$pid"
    sleep 6                         # past the stuck timeout (4 s)
    kill -CONT "$pid"
    done_at_least 750 || echo "# the list did not reach 750 pages"
    kill -9 "$(busiest)"
    workers_back || echo "# the workers did not come back after the second kill -9"
    wait "${client_pids[@]}" || true
    echo "# clients: $(wc -l <"$SJ_TMP/clients.ok") runs of the client script through"
    check "the clients ran through the crashes" test "$(wc -l <"$SJ_TMP/clients.ok")" -gt 50
    done_at_least 1050 || echo "# the list did not reach 1,050 pages"
    as_pg "$PGBIN/pg_ctl" -D "$SJ_TMP/data" -m immediate -w -s stop
    sj_server_start

    check "every session ends, with counters that match its pages" wait_for 120 "$SESSIONS_TRUE"
    check "one row per URL" \
        test "$(q -c "SELECT count(*) = count(DISTINCT (session_id, url)) FROM scrape.scraping_pages")" = t
    out=$(q -c "SELECT s.status || ' ' || count(*) FILTER (WHERE p.status = 'done') || '/' || count(*)
                  FROM scrape.scraping_sessions s JOIN scrape.scraping_pages p ON p.session_id = s.id
                 WHERE s.id = $sid GROUP BY s.status")
    check "every URL of the healthy server is done (session, done/pages: $out)" test "$out" = "completed 1500/1500"

    read -r keys max total < <(curl -sf "$SJ_HTTP_URL/counted-summary?prefix=$prefix")
    charged=$(q -c "SELECT sum(attempts) FROM scrape.scraping_pages WHERE session_id = $sid")
    echo "# the server saw $total requests for $keys URLs (at most $max for one); the pages were charged $charged attempts"
    check "requests per URL within max_attempts (3): at most $max" test "$keys" = 1500 -a "$max" -le 3
    check "every request was charged an attempt ($total requests, $charged attempts)" test "$total" -le "$charged"
    # A crash charges the pages in flight (8 connections to the host) and
    # not the backlogs (a batch and more each): what was charged without
    # reaching the server is at most what was in flight at the 3 crashes.
    excess=$((charged - total))
    check "the crashes charged the pages in flight only ($excess attempts without a request)" test "$excess" -le 24
    echo "# $(q -c "SELECT count(*) FILTER (WHERE event = 'work_released') || ' releases, '
                          || coalesce(sum((detail ->> 'pages')::int), 0) || ' pages handed back, '
                          || coalesce(sum((detail ->> 'not_started')::int), 0) || ' not started'
                     FROM scrape.job_history WHERE event = 'work_released'")"

    exits=$(grep -cE 'background worker "scrape_jobs[^"]*" \(PID [0-9]+\) exited with exit code' "$SJ_TMP/server.log" || true)
    check "no worker exited but the ones killed ($exits exits with an exit code)" test "$exits" = 0
    check "the job metrics equal the tables after the restart" wait_for 30 "
        SELECT (SELECT array[total_jobs, queued_jobs, processing_jobs, completed_jobs, failed_jobs]
                  FROM scrape.scrape_metrics())
             = (SELECT array[count(*), count(*) FILTER (WHERE status = 'pending'),
                             count(*) FILTER (WHERE status = 'processing'),
                             count(*) FILTER (WHERE status = 'completed'),
                             count(*) FILTER (WHERE status IN ('failed', 'dead'))]
                  FROM scrape.background_jobs WHERE job_type = 'web_scraping')"
    # (not asserted: transfers cut by a crash or by a cancel are requests
    # the server saw and no finished fetch; run_counters tests the counters)
    echo "# pages_fetched is $(q -c "SELECT pages_fetched FROM scrape.scrape_metrics()") after the crashes; the server saw $(curl -sf "$SJ_HTTP_URL/requests-ours") requests of the workers"
}

# A crash loses only the last moments of counts: with the monitor's saves
# out of the way (monitor_interval 1 h), a kill -9 after a session keeps
# the counters, from the workers' snapshots (before them it lost every
# count since the last monitor pass).
run_counters() {
    local sid before after
    lc_cluster "scrape_jobs.monitor_interval = '1h'"
    q -c "CREATE EXTENSION scrape_jobs"
    check "the workers run" wait_for 20 "SELECT count(*) = 2 FROM scrape.scrape_workers()"
    sid=$(q -c "SELECT scrape.scrape_submit_urls(array(
                  SELECT '$SJ_HTTP_URL/ok?counters=' || g FROM generate_series(1, 200) g))")
    check "a session of 200 pages completes" \
        test "$(q -c "SELECT scrape.scrape_wait($sid, '60 s')")" = completed
    sleep 0.5                       # past the workers' next snapshot
    before=$(q -c "SELECT pages_fetched || ' ' || (responses ->> '200') FROM scrape.scrape_metrics()")
    kill -9 "$(q -c "SELECT pid FROM scrape.scrape_workers() LIMIT 1")"
    wait_for 60 "SELECT count(*) = 2 FROM scrape.scrape_workers()" || true
    after=$(q -c "SELECT pages_fetched || ' ' || (responses ->> '200') FROM scrape.scrape_metrics()")
    check "the counters survive a kill -9 between monitor passes (pages_fetched, 200s: $before before, $after after)" \
        test "$after" = "$before" -a "${before%% *}" -ge 200
}

# A standby: the launcher waits there without workers, and its log line
# and scrape_launcher() say why; promoted, the launcher starts its workers
# and sessions run.
run_standby() {
    local standby port sid
    lc_cluster ""
    standby=$SJ_TMP/standby
    q -c "CREATE EXTENSION scrape_jobs"
    check "the workers run on the primary" wait_for 20 "SELECT count(*) = 2 FROM scrape.scrape_workers()"
    as_pg "$PGBIN/pg_basebackup" -D "$standby" -R -X stream -h "$PGHOST" -p "$PGPORT" -U postgres
    port=$(sj_free_port)
    echo "port = $port" | as_pg tee -a "$standby/postgresql.conf" >/dev/null
    as_pg "$PGBIN/pg_ctl" -D "$standby" -l "$SJ_TMP/standby.log" -w -s start
    check "on the standby, scrape_launcher() says standby, with the waiting launcher's pid" wait_for 10 \
        "SELECT state = 'standby' AND pid IS NOT NULL FROM scrape.scrape_launcher()" -p "$port"
    check "the standby's log says once that the launcher waits for promotion" \
        test "$(grep -c 'scrape_jobs launcher is waiting for the server to be promoted' "$SJ_TMP/standby.log")" = 1
    check "no worker runs on the standby" \
        test "$(q -p "$port" -c "SELECT count(*) FROM scrape.scrape_workers()")" = 0
    as_pg "$PGBIN/pg_ctl" -D "$SJ_TMP/data" -m fast -w -s stop
    as_pg "$PGBIN/pg_ctl" -D "$standby" -w -s promote
    check "promoted, it runs the launcher and its workers" wait_for 30 \
        "SELECT (SELECT state FROM scrape.scrape_launcher()) = 'running'
            AND (SELECT count(*) FROM scrape.scrape_workers()) = 2" -p "$port"
    grep 'scrape_jobs launcher' "$SJ_TMP/standby.log" | sed 's/^/# /'
    sid=$(q -p "$port" -c "SELECT scrape.scrape_submit('$SJ_HTTP_URL/ok?standby=1')")
    check "a session submitted after the promotion completes" \
        test "$(q -p "$port" -c "SELECT scrape.scrape_wait($sid, '30 s')")" = completed
    as_pg "$PGBIN/pg_ctl" -D "$standby" -m fast -w -s stop
}

run_stages() {
    local first jid started alerted
    # (a worker heartbeats what it holds every 100 ms, twenty times within
    # the stuck timeout: a loaded 2-core CI machine once went past 1 s
    # between two of a worker's passes)
    lc_cluster "scrape_jobs.stuck_timeout = '2s'
scrape_jobs.heartbeat_interval = '100ms'"
    q -c "CREATE EXTENSION scrape_jobs"
    check "the workers run" wait_for 20 "SELECT count(*) = 2 FROM scrape.scrape_workers()"
    started=$(date +%s)
    first=$(q -c "SELECT min(scrape.scrape_submit('$SJ_HTTP_URL/ok?stages=' || g)) FROM generate_series(1, 2000) g")
    check "2,000 single-page sessions complete" wait_for 300 \
        "SELECT count(*) FILTER (WHERE status = 'completed') = 2000 FROM scrape.scraping_sessions"
    echo "# they took $(( $(date +%s) - started )) s, with a stuck timeout of 2 s"
    q -c "SELECT kind, count(*) FROM scrape.alerts GROUP BY 1" \
      -c "SELECT event, count(*) FROM scrape.job_history WHERE event IN ('recovered', 'heartbeat_gap') GROUP BY 1" \
      | sed 's/^/# /'
    check "none was stuck, alerted or dead-lettered" \
        test "$(q -c "SELECT (SELECT count(*) FROM scrape.alerts WHERE kind IN ('job_stuck', 'job_dead_lettered'))
                             + (SELECT count(*) FROM scrape.job_history WHERE event IN ('recovered', 'heartbeat_gap'))
                             + (SELECT count(*) FROM scrape.background_jobs WHERE status <> 'completed' OR attempts > 1)")" = 0

    # a batch that holds its pages past the timeout (as a frozen worker's
    # would): alerted once, not dead-lettered; released, the job completes.
    # A finished session is put back into its extracting stage with its
    # page to extract again, the page held by an open transaction (as a
    # batch's claim holds it) before the job is processing again, with a
    # heartbeat a minute old.
    first=$(q -c "SELECT scrape.scrape_submit('$SJ_HTTP_URL/ok?stages=held')")
    test "$(q -c "SELECT scrape.scrape_wait($first, '30 s')")" = completed
    jid=$(q -c "SELECT background_job_id FROM scrape.scraping_sessions WHERE id = $first")
    q -c "UPDATE scrape.scraping_sessions SET status = 'running', finished_at = NULL WHERE id = $first" \
      -c "UPDATE scrape.scraping_pages SET extracted_at = NULL WHERE session_id = $first"
    q -c "BEGIN" -c "SELECT 1 FROM scrape.scraping_pages WHERE session_id = $first FOR UPDATE" \
      -c "SELECT pg_sleep(5)" -c "COMMIT" >/dev/null &
    # (the lock must be held before the job is processing, or a worker
    # extracts the page first: a loaded machine once started psql late)
    wait_for 10 "SELECT count(*) = 1 FROM pg_stat_activity
                  WHERE query = 'SELECT pg_sleep(5)' AND state = 'active'" || true
    q -c "UPDATE scrape.background_jobs SET status = 'processing', current_stage = 'extracting',
                 finished_at = NULL, last_heartbeat = now() - interval '1 minute' WHERE id = $jid"
    # (the monitor rests on an idle system; its passes, called here)
    sleep 2.5
    q -c "SELECT scrape.scrape_detect_stuck()" >/dev/null
    sleep 0.5
    q -c "SELECT scrape.scrape_detect_stuck()" >/dev/null
    alerted=$(q -c "SELECT count(*) FROM scrape.alerts WHERE job_id = $jid AND kind = 'job_stuck'")
    check "a stage batch held past the timeout is alerted once (alerts: $alerted)" test "$alerted" = 1
    wait
    q -c "SELECT scrape._scrape_wake(true, false, false)" >/dev/null
    check "released, it completes, with its attempts untouched" wait_for 30 \
        "SELECT status = 'completed' AND attempts = 1 FROM scrape.background_jobs WHERE id = $jid"
}

# A lock held past the workers' lock_timeout while they write results:
# the write fails inside its subtransaction, the pass is retried, and the
# worker goes on (before 0.1.6's library the abort left the subtransaction
# behind, and the next pass ended the worker with "unexpected state
# SUBABORT").
run_locks() {
    local sid jid
    lc_cluster ""
    q -c "CREATE EXTENSION scrape_jobs"
    check "the workers run" wait_for 20 "SELECT count(*) = 2 FROM scrape.scrape_workers()"
    sid=$(q -c "SELECT scrape.scrape_submit_urls(array(
                  SELECT '$SJ_HTTP_URL/slow?ms=200&locks=' || g FROM generate_series(1, 60) g),
                  options => '{\"per_host_max_connections\": 2}')")
    jid=$(q -c "SELECT background_job_id FROM scrape.scraping_sessions WHERE id = $sid")
    wait_for 20 "SELECT pages_done > 0 FROM scrape.scraping_sessions WHERE id = $sid" || true
    q -c "BEGIN" \
      -c "SELECT 1 FROM scrape.scraping_sessions WHERE id = $sid FOR UPDATE" \
      -c "SELECT 1 FROM scrape.background_jobs WHERE id = $jid FOR UPDATE" \
      -c "SELECT pg_sleep(3)" -c "COMMIT" >/dev/null
    check "the session completes" test "$(q -c "SELECT scrape.scrape_wait($sid, '60 s')")" = completed
    check "a result write met the lock and was retried" \
        grep -q 'will retry its queue pass after an error: canceling statement due to lock timeout' "$SJ_TMP/server.log"
    grep -E 'scrape_jobs worker (FATAL|PANIC):' "$SJ_TMP/server.log" | sed 's/^/# /' || true
    check "no worker exited" \
        test "$(grep -cE 'background worker "scrape_jobs worker" \(PID [0-9]+\) exited with exit code' "$SJ_TMP/server.log")" = 0
}

# A page whose parse crashes the extracting stage (abort(), as a bug of a
# parser would; scrape_jobs.debug_crash_on_extract marks it): each crash
# restarts the server, the launcher counts it against the page, and after
# max_attempts (3) crashes the stage passes the page by and the session
# completes.  Then a parse that raises an ERROR: the page's failure, in its
# document, and no worker exits.  (Before 0.1.6 the first page crashed the
# server in a loop, and the second ended a worker at every retry.)
run_poison() {
    local sid sid2 exits
    lc_cluster "scrape_jobs.debug_crash_on_extract = 'crash:poison-page'"
    q -c "CREATE EXTENSION scrape_jobs"
    check "the workers run" wait_for 20 "SELECT count(*) = 2 FROM scrape.scrape_workers()"
    sid=$(q -c "SELECT scrape.scrape_submit_urls(array(
                  SELECT '$SJ_HTTP_URL/ok?poison=' || g FROM generate_series(1, 20) g)
                  || '$SJ_HTTP_URL/ok?poison-page=1'::text)")
    wait_for 120 "SELECT status = 'completed' FROM scrape.scraping_sessions WHERE id = $sid" || true
    check "the session completes" \
        test "$(q -c "SELECT status FROM scrape.scraping_sessions WHERE id = $sid")" = completed
    check "the page crashed the stage 3 times, counted and in the history" \
        test "$(q -c "SELECT p.extraction_crashes || ' ' || (SELECT count(*) FROM scrape.job_history h
                        WHERE h.session_id = $sid AND h.event = 'extraction_crashed')
                      FROM scrape.scraping_pages p WHERE p.session_id = $sid AND p.url LIKE '%poison-page%'")" = "3 3"
    exits=$(grep -cE 'background worker "scrape_jobs worker" \(PID [0-9]+\) was terminated by signal 6' "$SJ_TMP/server.log" || true)
    check "the server restarted after each of the 3 crashes, and no more ($exits)" test "$exits" = 3
    check "the page is passed by with why in its document" \
        test "$(q -c "SELECT structured ->> 'extraction_error' FROM scrape.scraping_pages
                      WHERE session_id = $sid AND url LIKE '%poison-page%'")" \
             = "the worker extracting the page crashed 3 times"
    check "the session's other pages were extracted (their titles, from the stage)" \
        test "$(q -c "SELECT count(*) FROM scrape.scraping_pages WHERE session_id = $sid
                      AND title = 'ok' AND NOT coalesce(structured ? 'extraction_error', false)")" = 20

    q -c "ALTER SYSTEM SET scrape_jobs.debug_crash_on_extract = 'error:error-page'" -c "SELECT pg_reload_conf()" >/dev/null
    sleep 1
    sid2=$(q -c "SELECT scrape.scrape_submit_urls(array(
                   SELECT '$SJ_HTTP_URL/ok?errors=' || g FROM generate_series(1, 5) g)
                   || '$SJ_HTTP_URL/ok?error-page=1'::text)")
    check "a session with a page whose parse raises an ERROR completes" \
        test "$(q -c "SELECT scrape.scrape_wait($sid2, '60 s')")" = completed
    check "the ERROR is the page's, in its document" \
        test "$(q -c "SELECT structured ->> 'extraction_error' LIKE '%an error on page%'
                      FROM scrape.scraping_pages WHERE session_id = $sid2 AND url LIKE '%error-page%'")" = t
    check "no worker exited with an exit code" \
        test "$(grep -cE 'background worker "scrape_jobs worker" \(PID [0-9]+\) exited with exit code' "$SJ_TMP/server.log" || true)" = 0
}

case "${1:-}" in
    settings) run_settings ;;
    concurrency) run_concurrency ;;
    stages) run_stages ;;
    crashes) run_crashes ;;
    counters) run_counters ;;
    standby) run_standby ;;
    locks) run_locks ;;
    poison) run_poison ;;
    *) echo "usage: $0 settings|concurrency|stages|crashes|counters|standby|locks|poison" >&2; exit 2 ;;
esac
tap_done
