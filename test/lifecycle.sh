#!/usr/bin/env bash
# The extension's life in a user's database, each case on a cluster of its
# own (test/run.sh runs them after the integration suite, whose database is
# the source of the backups).  Prints TAP.
#
#   bash test/lifecycle.sh upgrade   the oldest release installed under
#       this library: the launcher waits for ALTER EXTENSION UPDATE (one log
#       line, scrape_launcher()), the update keeps every row, leaves the
#       schema identical to a fresh install, and the workers then finish
#       the old sessions and a new one;
#   bash test/lifecycle.sh backup    pg_dump -Fc and plain of the source
#       database (PGHOST/PGPORT), restored into a new cluster: every row of
#       every table, ids that go on, a pending session that completes, job
#       gauges that agree with the table.
#
# Needs SJ_HTTP_URL (the test server) and the source cluster's PG* for
# backup.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"

source "$(dirname "$0")/cluster_tap.sh"

# Every table and sequence the extension marks for pg_dump, with its row
# count and a hash of its sorted rows (a sequence: its last value).  The
# columns an upgrade adds or drops (0.1.6: scraping_pages.host, which it
# derives from url, and extraction_crashes; 0.1.7: scraping_pages.
# extracted_at, and scraping_sessions.stage_cursor, dropped; 0.1.8: the
# sessions' request_timeout_ms, connect_timeout_ms, per_host_delay_ms and
# per_host_max_connections, which it derives from options) are left out,
# so that the rows of a release before them compare.
FINGERPRINT="
CREATE FUNCTION pg_temp.fingerprint() RETURNS TABLE (obj text, n bigint, hash text)
LANGUAGE plpgsql AS \$\$
DECLARE
    r regclass;
    derived text[];
BEGIN
    FOR r IN SELECT c FROM pg_extension e, unnest(e.extconfig) AS c
              WHERE e.extname = 'scrape_jobs' ORDER BY c::regclass::text
    LOOP
        SELECT n.nspname || '.' || c.relname INTO obj
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = r;
        IF (SELECT relkind FROM pg_class WHERE oid = r) = 'S' THEN
            EXECUTE format('SELECT last_value, '''' FROM %s', r) INTO n, hash;
        ELSE
            derived := CASE obj WHEN 'scrape.scraping_pages' THEN '{host,extraction_crashes,extracted_at}'
                                WHEN 'scrape.scraping_sessions'
                                THEN '{stage_cursor,request_timeout_ms,connect_timeout_ms,per_host_delay_ms,per_host_max_connections}'
                                ELSE '{}' END;
            EXECUTE format('SELECT count(*), md5(coalesce(string_agg(x, E''\\n'' ORDER BY x), ''''))
                              FROM (SELECT (to_jsonb(t) - %L::text[])::text AS x FROM %s t) AS s',
                           derived, r) INTO n, hash;
        END IF;
        RETURN NEXT;
    END LOOP;
END;
\$\$;"

# The extension's objects as pg_dump --binary-upgrade writes them (the only
# mode that dumps an extension's members), without what differs between
# two databases for reasons of their own: oids, the version in the
# extension's placeholder, sequence values (data), psql's \restrict key,
# SET lines and comments of the dump itself, and the placeholders by which
# --binary-upgrade keeps the attribute numbers of dropped columns (0.1.7
# drops scraping_sessions.stage_cursor: the column is gone in both).
schema_of() {       # schema_of DATABASE
    "$PGBIN/pg_dump" --schema-only --binary-upgrade --no-owner -d "$1" \
        | grep -v -E '^(--|SET |SELECT pg_catalog\.set_config)' \
        | grep -v -E 'binary_upgrade_set_next_|binary_upgrade_set_record_init_privs|binary_upgrade_create_empty_extension|relfrozenxid|relminmxid' \
        | grep -v -E "^\\\\(un)?restrict |^WHERE oid = '[0-9]+';\$|^SELECT pg_catalog\.setval\(" \
        | sed -E '/^UPDATE pg_catalog\.pg_attribute$/{N;/pg\.dropped\./{N;d}}' \
        | grep -v -F '........pg.dropped.' \
        | sed -E '/^$/d'
}

# Sessions of every mode and state the previous release's SQL alone can
# make (its workers do not run under this library): pending lists, a crawl
# and a sitemap, a single page, a cancelled one, one in a workspace; and
# products, alerts and workspace members.
FILL_OLD="
INSERT INTO scrape.workspace_members VALUES ('cccccccc-0000-4000-8000-000000000003', 'postgres');
SELECT scrape.scrape_submit(:'base' || '/ok?upgrade=single') AS single \\gset
SELECT scrape.scrape_submit_urls(array(SELECT :'base' || '/ok?upgrade=list&n=' || g
                                         FROM generate_series(1, 30) g)) AS list \\gset
SELECT scrape.scrape_submit(:'base' || '/site/store/index.html', 'crawl', 20,
                            options => '{\"scope\": \"prefix\"}') AS crawl \\gset
SELECT scrape.scrape_submit(:'base' || '/ok?upgrade=ws', workspace_id => 'cccccccc-0000-4000-8000-000000000003') AS ws \\gset
SELECT scrape.scrape_submit(:'base' || '/ok?upgrade=cancelled') AS cancelled \\gset
SELECT scrape.scrape_cancel(:cancelled);
-- options the old check let through: a request_timeout of 53.5 days (it
-- counted \"10 years -3599 days\" as 1 day), which made 0.1.7's claim fail
SELECT scrape.scrape_submit(:'base' || '/ok?upgrade=limits',
                            options => '{\"request_timeout\": \"10 years -3599 days\", \"connect_timeout\": \"2 s\",
                                         \"per_host_delay\": \"0.5 s\", \"per_host_max_connections\": 1000}') AS limits \\gset
INSERT INTO scrape.products (workspace_id, product_key, url, name, price, currency, raw)
VALUES (NULL, 'sku:OLD-1', 'http://old.example/p', 'a product of the old release', 12.50, 'EUR', '{}');
SELECT scrape._scrape_record_alert('job_stuck', NULL, NULL, NULL, 'an alert of the old release') IS NOT NULL;
"

run_upgrade() {
    local oldest newest out sessions s
    oldest=$(ls "$ROOT"/install/releases/scrape_jobs--*.sql | sed -n 's/.*scrape_jobs--\([0-9.]*\)\.sql$/\1/p' \
             | sort -V | head -n 1)
    newest=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$ROOT/scrape_jobs.control")
    echo "# upgrade: $oldest -> $newest"
    lc_cluster "scrape_jobs.database = 'postgres'"

    q -c "CREATE EXTENSION scrape_jobs VERSION '$oldest'"
    check "the launcher waits for the update (scrape_launcher)" \
        wait_for 20 "SELECT state = 'waiting_for_update' AND installed_version = '$oldest'
                            AND library_version = '$newest' AND detail LIKE '%ALTER EXTENSION scrape_jobs UPDATE%'
                       FROM scrape.scrape_launcher()"
    out=$(grep -c "scrape_jobs is waiting for ALTER EXTENSION scrape_jobs UPDATE" "$SJ_TMP/server.log" || true)
    tap "$([ "$out" = 1 ] && echo true)" "one log line says so (found $out)"
    check "it names both versions" \
        grep -q "DETAIL:  Version $oldest of the extension is installed; this library serves version $newest." \
        "$SJ_TMP/server.log"

    sessions=$(q -v base="$SJ_HTTP_URL" <<<"$FILL_OLD
SELECT :single || ' ' || :list || ' ' || :crawl || ' ' || :ws || ' ' || :cancelled || ' ' || :limits;" | tail -n 1)
    sleep 1
    check "no fetch worker runs under the old SQL, and nothing was fetched" \
        test "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'scrape_jobs worker'")/$(
                q -c "SELECT count(*) FROM scrape.scraping_pages WHERE status <> 'pending'")" = 0/1
    check "no ERROR in the server log while it waits" \
        no_errors "$SJ_TMP/server.log"

    # the rows as they were, and after the update, before it commits (the
    # workers start when it does)
    q -c "$FINGERPRINT" -c "SELECT * FROM pg_temp.fingerprint()" >"$SJ_TMP/before"
    q -c "$FINGERPRINT" -c "BEGIN" -c "ALTER EXTENSION scrape_jobs UPDATE" \
      -c "SELECT * FROM pg_temp.fingerprint()" -c "COMMIT" >"$SJ_TMP/after"
    check "ALTER EXTENSION UPDATE reaches $newest" \
        test "$(q -c "SELECT extversion FROM pg_extension WHERE extname = 'scrape_jobs'")" = "$newest"
    check "every row is still there ($(wc -l <"$SJ_TMP/before") tables and sequences compared)" \
        diff "$SJ_TMP/before" "$SJ_TMP/after"

    q -c "CREATE DATABASE fresh"
    q -d fresh -c "CREATE EXTENSION scrape_jobs"
    schema_of postgres >"$SJ_TMP/schema.upgraded"
    schema_of fresh >"$SJ_TMP/schema.fresh"
    check "the upgraded schema is identical to a fresh install ($(wc -l <"$SJ_TMP/schema.fresh") lines compared)" \
        diff -u "$SJ_TMP/schema.fresh" "$SJ_TMP/schema.upgraded"
    check "the upgrade brought the comments (\\d+ documents the tables)" \
        test "$(q -c "SELECT obj_description('scrape.scraping_sessions'::regclass, 'pg_class') IS NOT NULL")" = t

    check "the launcher runs once the update committed" \
        wait_for 20 "SELECT state = 'running' FROM scrape.scrape_launcher()"
    check "and starts the workers" \
        wait_for 20 "SELECT count(*) = 2 FROM scrape.scrape_workers()"
    s=$(q -c "SELECT scrape.scrape_submit('$SJ_HTTP_URL/ok?upgrade=new')")
    check "a new session completes" \
        test "$(q -c "SELECT scrape.scrape_wait($s, '60 s')")" = completed
    set -- $sessions
    check "the old pending sessions complete (single, list, crawl, workspace)" \
        test "$(q -c "SELECT string_agg(scrape.scrape_wait(id, '90 s'), ',' ORDER BY id)
                        FROM unnest(ARRAY[$1, $2, $3, $4]::bigint[]) AS id")" = completed,completed,completed,completed
    check "the cancelled one stays cancelled" \
        test "$(q -c "SELECT status FROM scrape.scraping_sessions WHERE id = $5")" = cancelled
    check "an old session's limits are stored in milliseconds, brought into range" \
        test "$(q -c "SELECT concat_ws(' ', request_timeout_ms, connect_timeout_ms, per_host_delay_ms,
                                       per_host_max_connections)
                        FROM scrape.scraping_sessions WHERE id = $6")" = "86400000 2000 500 1000"
    check "and it completes" \
        test "$(q -c "SELECT scrape.scrape_wait($6, '60 s')")" = completed
    check "no ERROR in the server log" \
        no_errors "$SJ_TMP/server.log"
}

# The source database gets a session that is pending at the time of the
# dump: its page waits for a retry, as after a backoff.
PENDING="
BEGIN;
SELECT scrape.scrape_submit(:'base' || '/ok?backup=' || md5(random()::text)) AS sid \\gset
UPDATE scrape.scraping_pages SET not_before = now() + interval '20 s', waiting_for = 'retry'
 WHERE session_id = :sid;
COMMIT;
SELECT :sid;"

# A cluster whose workers serve database restored, made empty before the
# launcher looks for it.
restore_cluster() {
    lc_cluster ""
    q -c "CREATE DATABASE restored" -c "ALTER SYSTEM SET scrape_jobs.database = 'restored'"
    as_pg "$PGBIN/pg_ctl" -D "$SJ_TMP/data" -m fast -w -s stop
    # (the stop's own lines, the workers terminated, are no errors)
    LOG_FROM=$(($(wc -l <"$SJ_TMP/server.log") + 1))
    sj_server_start
}

# Restore SCRIPT (SQL) into database restored in one transaction, as a
# user should (README, "Backups"), with the fingerprint taken inside it:
# the workers, woken when it commits, change rows at once.
restore_live() {    # restore_live SCRIPT OUT
    q -d restored --single-transaction -f "$1" -c "$FINGERPRINT" -c "\\o $2" \
      -c "SELECT * FROM pg_temp.fingerprint()" >/dev/null
}

restore_case() {    # restore_case FORMAT DUMP PENDING_SESSION
    local fmt=$1 dump=$2 sid=$3 s max script
    restore_cluster
    script=$dump
    if [ "$fmt" = custom ]; then
        # pg_restore itself, into a database no worker serves
        q -c "CREATE DATABASE restored_direct"
        "$PGBIN/pg_restore" --single-transaction --exit-on-error -d restored_direct "$dump"
        q -d restored_direct -c "$FINGERPRINT" -c "SELECT * FROM pg_temp.fingerprint()" >"$SJ_TMP/direct"
        check "custom: pg_restore keeps every row of every table and sequence ($(wc -l <"$SJ_TMP/direct") compared)" \
            diff "$SRC_FINGERPRINT" "$SJ_TMP/direct"
        script=$SJ_TMP/restore.sql
        "$PGBIN/pg_restore" -f "$script" "$dump"
    fi
    restore_live "$script" "$SJ_TMP/restored"
    check "$fmt: restored under live workers, every row of every table and sequence ($(wc -l <"$SJ_TMP/restored") compared)" \
        diff "$SRC_FINGERPRINT" "$SJ_TMP/restored"
    check "$fmt: the workers start on the restored database" \
        wait_for 20 "SELECT count(*) = 2 FROM scrape.scrape_workers()" -d restored
    max=$(q -d restored -c "SELECT max(id) FROM scrape.scraping_sessions")
    s=$(q -d restored -c "SELECT scrape.scrape_submit('$SJ_HTTP_URL/ok?restored=$fmt')")
    check "$fmt: a new submit gets fresh ids (session $s after $max, no key collision)" \
        test "$s" -gt "$max"
    check "$fmt: the new session completes" \
        test "$(q -d restored -c "SELECT scrape.scrape_wait($s, '30 s')")" = completed
    check "$fmt: the session pending at the dump completes" \
        test "$(q -d restored -c "SELECT scrape.scrape_wait($sid, '60 s')")" = completed
    check "$fmt: the job gauges agree with background_jobs" \
        wait_for 10 "SELECT coalesce((SELECT array_agg(g ORDER BY g) FROM (
                              SELECT job_type || '/' || status || '/' || jobs AS g
                                FROM scrape.scrape_job_counts() WHERE jobs <> 0) c), '{}')
                        = (SELECT array_agg(g ORDER BY g) FROM (
                              SELECT job_type || '/' || status || '/' || count(*) AS g
                                FROM scrape.background_jobs GROUP BY job_type, status) t)" -d restored
    check "$fmt: no ERROR in the server log since the restart" \
        no_errors "$SJ_TMP/server.log" "$LOG_FROM"
    sj_cleanup
    trap - EXIT
}

run_backup() {
    local sid snap live
    SRC_FINGERPRINT=$(mktemp)
    # what the suites left running ends first (cancelled if it does not),
    # and pg_cron, which restores only into its own database, goes
    wait_for 60 "SELECT NOT EXISTS (SELECT 1 FROM scrape.scraping_sessions
                                     WHERE status IN ('pending', 'running'))" || true
    live=$(q -c "SELECT count(scrape.scrape_cancel(id)) FROM scrape.scraping_sessions
                  WHERE status IN ('pending', 'running')")
    q -c "DROP EXTENSION IF EXISTS pg_cron"
    # a workspace with a member and a session of its own
    q -c "INSERT INTO scrape.workspace_members VALUES ('dddddddd-0000-4000-8000-000000000004', 'postgres')
          ON CONFLICT DO NOTHING" \
      -c "SELECT scrape.scrape_wait(scrape.scrape_submit('$SJ_HTTP_URL/ok?backup=workspace',
                workspace_id => 'dddddddd-0000-4000-8000-000000000004'), '30 s')" >/dev/null
    sid=$(q -v base="$SJ_HTTP_URL" <<<"$PENDING" | tail -n 1)
    echo "# source: $(q -c "SELECT count(*) || ' sessions in ' || count(DISTINCT status) || ' states and '
                               || count(DISTINCT scraping_mode) || ' modes' FROM scrape.scraping_sessions"),
# $(q -c "SELECT count(*) FROM scrape.scraping_pages") pages, $(q -c "SELECT count(*) FROM scrape.products") products,
# $(q -c "SELECT count(*) FROM scrape.dead_letter_jobs") dead letters, $(q -c "SELECT count(*) FROM scrape.alerts") alerts,
# $(q -c "SELECT count(*) FROM scrape.job_history") history rows ($live sessions still live were cancelled)"
    # the dumps and the fingerprint read one snapshot, exported by a
    # transaction that stays open meanwhile (the source's workers go on)
    mkfifo "$SRC_FINGERPRINT.in"
    "$PGBIN/psql" -XAtq -c "BEGIN ISOLATION LEVEL REPEATABLE READ" \
        -c "\\o $SRC_FINGERPRINT.snap" -c "SELECT pg_export_snapshot()" -c "\\o" \
        -f "$SRC_FINGERPRINT.in" &
    exec 9>"$SRC_FINGERPRINT.in"
    for _ in $(seq 1 100); do [ -s "$SRC_FINGERPRINT.snap" ] && break; sleep 0.05; done
    snap=$(head -n 1 "$SRC_FINGERPRINT.snap")
    "$PGBIN/pg_dump" --snapshot="$snap" -Fc -f "$SRC_FINGERPRINT.custom"
    "$PGBIN/pg_dump" --snapshot="$snap" -f "$SRC_FINGERPRINT.plain"
    q -c "$FINGERPRINT" -c "BEGIN ISOLATION LEVEL REPEATABLE READ" -c "SET TRANSACTION SNAPSHOT '$snap'" \
      -c "SELECT * FROM pg_temp.fingerprint()" -c "COMMIT" >"$SRC_FINGERPRINT"
    echo "COMMIT;" >&9
    exec 9>&-
    wait
    check "the source has rows in every marked table" \
        test "$(awk -F'|' '$2 == 0' "$SRC_FINGERPRINT" | wc -l)" = 0
    restore_case custom "$SRC_FINGERPRINT.custom" "$sid"
    restore_case plain "$SRC_FINGERPRINT.plain" "$sid"
    rm -f "$SRC_FINGERPRINT"*
}

case "${1:-}" in
    upgrade) run_upgrade ;;
    backup) run_backup ;;
    *) echo "usage: $0 upgrade|backup" >&2; exit 2 ;;
esac
tap_done
