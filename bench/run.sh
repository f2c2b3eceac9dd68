#!/usr/bin/env bash
# The benchmark of issue 7: scrape_jobs against pg-boss, Crawlee and the
# machine's own limits (curl --parallel, COPY), on a throw-away cluster and a
# local nginx.  Not part of the test command (test/run.sh, .ci/run).
#
#   bash bench/run.sh                  # every scenario, 3 rounds each
#   bash bench/run.sh list crawl       # only these scenarios
#   BENCH_ROUNDS=2 bash bench/run.sh   # fewer rounds
#
# Scenarios (in this order): idle latency list batch small crawl hosts
# hosts1000 scale memory growth
#   idle     transactions per second of an idle cluster
#   latency  submit-to-request of a single page (nginx access log), p50/p95
#   list     scrape_submit_urls of the whole site vs pg-boss (fetch + INSERT),
#            Scrapy (fetch + parse, no storage), curl --parallel (fetch
#            bound) and COPY of the bodies (write bound)
#   batch    the list scenario with scrape_jobs.batch_size 100 vs 1
#   small    10,000 tiny pages: scrape_submit_urls vs pg-boss (no-op handler,
#            and fetch + INSERT) and curl --parallel (fetch bound)
#   crawl    crawl mode from the index page vs Crawlee's CheerioCrawler and
#            Scrapy (same-host links, no storage)
#   hosts    50 hosts x 40 pages at per_host_delay 100 ms, one connection
#            per host: politeness across hosts (issue 16), Scrapy with the
#            same DOWNLOAD_DELAY and per-domain concurrency beside it, and
#            the claim's cost with the 50 hosts waiting (EXPLAIN ANALYZE)
#   hosts1000  the same with 1,000 hosts x 5 pages
#   scale    a crawl of a generated site of 100,000 small pages (links like
#            the big site's): pages/s of the first and last tenth, worker
#            memory, and the discovery of links (auto_explain) at 1,000 and
#            100,000 known pages
#   memory   peak RSS of the workers over a 10,000-page session and over 1 MB
#            pages at max_body_size = 1MB
#   growth   claim, heartbeat, stuck detection, monitor and metrics query
#            times with 10k, 100k and 1M finished rows (EXPLAIN ANALYZE)
# and, only when named: profile (not timed: queue functions' calls and times,
# HOT updates, claims, a perf profile of the workers; bench/out/profile_*.txt)
#
# As root on Debian 12 it installs what it needs: the packages of
# scripts/lib.sh plus nginx, gnuplot-nox and curl (apt-get; SCRAPE_SKIP_APT=1
# skips it; Scrapy is Debian's python3-scrapy, run with /usr/bin/python3)
# and pg-boss, pg and crawlee (npm ci in bench/, versions pinned in
# bench/package-lock.json); builds and installs the extension; generates the
# site (bench/gen_site.py, seeded); starts its own cluster (bench/cluster.conf)
# and nginx (unprivileged, 127.0.0.1, a free port, files in the cluster's
# temporary directory); and stops and removes all of it when it ends.
#
# Output: bench/out/results.csv (every measurement), bench/out/summary.json,
# bench/out/*.txt (plans, latencies, logs); after a run of every scenario,
# docs/benchmarks.md and docs/benchmarks.png (BENCH_DOCS=1 forces, 0 stops
# it); a partial run writes everything, its report included, to
# bench/out/partial/ instead.
#
# Knobs: BENCH_ROUNDS (3), BENCH_PAGES (1200 pages + the index),
# BENCH_SMALL (10000), BENCH_SEED (42), BENCH_CONCURRENCY (64),
# BENCH_LATENCY_SUBMITS (50), BENCH_IDLE_SECONDS (30), BENCH_MEMORY_PAGES
# (10000), BENCH_HUGE_PAGES (200), BENCH_SCALE_PAGES (100000),
# BENCH_GROWTH_LEVELS ("10000 100000 1000000").
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../scripts/lib.sh
source "$BENCH/../scripts/lib.sh"

ALL_SCENARIOS=(idle latency list batch small crawl hosts hosts1000 scale memory growth)
EXTRA_SCENARIOS=(profile)

# The i-th host of scenario hosts (0-49: 127.0.0.2 to 127.0.0.51) and of
# scenario hosts1000 (0-999: 127.0.1.1 to 127.0.4.250).
host_50() {
    echo "127.0.0.$((2 + $1))"
}
host_1000() {
    echo "127.0.$((1 + $1 / 250)).$((1 + $1 % 250))"
}
ROUNDS=${BENCH_ROUNDS:-3}
PAGES=${BENCH_PAGES:-1200}
SMALL=${BENCH_SMALL:-10000}
SEED=${BENCH_SEED:-42}
CONC=${BENCH_CONCURRENCY:-64}
LAT_SUBMITS=${BENCH_LATENCY_SUBMITS:-50}
IDLE_SECONDS=${BENCH_IDLE_SECONDS:-30}
MEM_PAGES=${BENCH_MEMORY_PAGES:-10000}
HUGE_PAGES=${BENCH_HUGE_PAGES:-200}
SCALE_PAGES=${BENCH_SCALE_PAGES:-100000}
GROWTH_LEVELS=${BENCH_GROWTH_LEVELS:-"10000 100000 1000000"}
RUN_ID=$(date -u +%Y%m%dT%H%M%SZ)

if [ $# -eq 0 ]; then
    SCENARIOS=("${ALL_SCENARIOS[@]}")
else
    SCENARIOS=()
    for s in "${ALL_SCENARIOS[@]}" "${EXTRA_SCENARIOS[@]}"; do
        for a in "$@"; do [ "$a" = "$s" ] && SCENARIOS+=("$s"); done
    done
    for a in "$@"; do
        case " ${ALL_SCENARIOS[*]} ${EXTRA_SCENARIOS[*]} " in *" $a "*) ;; *)
            echo "unknown scenario '$a' (known: ${ALL_SCENARIOS[*]} ${EXTRA_SCENARIOS[*]})" >&2; exit 2;;
        esac
    done
fi
WANT_DOCS=${BENCH_DOCS:-auto}
if [ "$WANT_DOCS" = auto ]; then
    WANT_DOCS=1
    for s in "${ALL_SCENARIOS[@]}"; do
        case " ${SCENARIOS[*]} " in *" $s "*) ;; *) WANT_DOCS=0;; esac
    done
fi

# a run of every scenario writes bench/out/ and the docs; a partial run
# (some scenarios, or profile) writes bench/out/partial/ only
if [ "$WANT_DOCS" = 1 ]; then OUT=$BENCH/out; else OUT=$BENCH/out/partial; fi
RES=$OUT/results.csv

NGX=""; NGX_PID=""; BG_PIDS=()

bench_cleanup() {
    local rc=$? p
    set +e
    for p in "${BG_PIDS[@]}"; do
        kill "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    if [ -n "$NGX" ] && [ -f "$NGX/nginx.pid" ]; then
        NGX_PID=$(cat "$NGX/nginx.pid" 2>/dev/null || true)
        [ -n "$NGX_PID" ] && kill -QUIT "$NGX_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do
            [ -n "$NGX_PID" ] && kill -0 "$NGX_PID" 2>/dev/null || break
            sleep 0.1
        done
        [ -n "$NGX_PID" ] && kill -KILL "$NGX_PID" 2>/dev/null || true
    fi
    [ -n "$NGX" ] && cp "$NGX/error.log" "$OUT/nginx_error.log" 2>/dev/null
    [ -n "$NGX" ] && cp "$NGX/access.log" "$OUT/nginx_access.log" 2>/dev/null
    [ -n "$SJ_TMP" ] && cp "$SJ_TMP/server.log" "$OUT/server.log" 2>/dev/null
    (exit "$rc")
    sj_cleanup
}

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.6f\", $* }"; }
# rec SCENARIO TOOL ROUND METRIC VALUE UNIT
rec() { echo "$RUN_ID,$1,$2,$3,$4,$5,$6" >>"$RES"; }
P() { sj_psql -At "$@"; }

# Before every timed run, of every tool: a CHECKPOINT, and no autovacuum
# worker busy with what the previous run left (waited for, at most 60 s),
# so that a run does not pay for the clean-up of the one before it.
quiesce() {
    local i
    for i in $(seq 1 60); do
        [ "$(P -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'")" = 0 ] && break
        sleep 1
    done
    P -c CHECKPOINT >/dev/null
}

# ---------------------------------------------------------------- set-up --

bench_install() {
    sj_install_deps
    if [ "${SCRAPE_SKIP_APT:-0}" != 1 ]; then
        local pkgs=(nginx gnuplot-nox curl procps python3-scrapy)
        command -v node >/dev/null || pkgs+=(nodejs npm)
        log "installing Debian packages: ${pkgs[*]}"
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q \
            --no-install-recommends "${pkgs[@]}" >/dev/null
    fi
    if [ ! -f "$BENCH/node_modules/.package-lock.json" ] ||
       [ "$BENCH/package-lock.json" -nt "$BENCH/node_modules/.package-lock.json" ]; then
        log "npm ci in bench/ (pg-boss, pg, crawlee)"
        (cd "$BENCH" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    fi
    sj_build
}

start_nginx() {
    NGX=$SJ_TMP/nginx
    mkdir -p "$NGX/tmp"
    NGX_PORT=$(sj_free_port)
    cat >"$NGX/nginx.conf" <<EOF
worker_processes 2;
worker_rlimit_nofile 8192;
pid $NGX/nginx.pid;
error_log $NGX/error.log warn;
events { worker_connections 4096; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    log_format bench '\$msec \$request_time \$status \$body_bytes_sent "\$request_uri" \$host';
    access_log $NGX/access.log bench;
    client_body_temp_path $NGX/tmp/body;
    proxy_temp_path $NGX/tmp/proxy;
    fastcgi_temp_path $NGX/tmp/fastcgi;
    uwsgi_temp_path $NGX/tmp/uwsgi;
    scgi_temp_path $NGX/tmp/scgi;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    keepalive_requests 100000;
    server {
        listen 127.0.0.1:$NGX_PORT;
$(for i in $(seq 0 49); do echo "        listen $(host_50 "$i"):$NGX_PORT;"; done)
$(for i in $(seq 0 999); do echo "        listen $(host_1000 "$i"):$NGX_PORT;"; done)
        root $SITE/www;
        location /huge/ { rewrite ^ /huge.html break; }
    }
}
EOF
    chown -R "$PG_OS_USER" "$NGX"
    # (its master opens 1,051 listening sockets: more than the usual 1,024)
    # (runuser resets the limit: raised in the shell that becomes nginx)
    as_pg bash -c 'ulimit -n "$(ulimit -Hn)" && exec /usr/sbin/nginx -p "$1" -c "$1/nginx.conf" -e "$1/error.log"' \
        nginx "$NGX"
    BASE=http://127.0.0.1:$NGX_PORT
    local i
    for i in $(seq 1 50); do
        curl -sf -o /dev/null "$BASE/site/index.html" && break
        sleep 0.1
    done
    curl -sf -o /dev/null "$BASE/site/index.html"
    log "nginx (pid $(cat "$NGX/nginx.pid"), user $PG_OS_USER) at $BASE"
}

setup_site() {
    SITE=$SJ_TMP/site
    log "generating the site (seed $SEED: $PAGES pages + index, $SMALL small pages)"
    local scale=0
    case " ${SCENARIOS[*]} " in *" scale "*) scale=$SCALE_PAGES;; esac
    python3 "$BENCH/gen_site.py" "$SITE" --seed "$SEED" --pages "$PAGES" \
        --small "$SMALL" --scale "$scale" >"$OUT/site.json"
    chmod -R a+rX "$SITE"
}

setup_db() {
    start_nginx
    sed "s|^|$BASE|" "$SITE/urls_big.txt" >"$SITE/urls_big_abs.txt"
    sed "s|^|$BASE|" "$SITE/urls_small.txt" >"$SITE/urls_small_abs.txt"
    NBIG=$(wc -l <"$SITE/urls_big.txt")
    NSMALL=$(wc -l <"$SITE/urls_small.txt")
    # the extension's schema on the search_path, as README "Installation"
    sj_psql -c "CREATE EXTENSION scrape_jobs" \
            -c "ALTER DATABASE postgres SET search_path = \"\$user\", public, scrape"
    sj_wait_workers 2
    P -v base="$BASE" -v mem="$MEM_PAGES" -v huge="$HUGE_PAGES" <<SQL >/dev/null
CREATE TABLE bench_urls (set text, ord integer, url text, PRIMARY KEY (set, ord));
CREATE TEMP TABLE u (url text);
\copy u FROM '$SITE/urls_big_abs.txt'
INSERT INTO bench_urls SELECT 'big', row_number() OVER (), url FROM u;
TRUNCATE u;
\copy u FROM '$SITE/urls_small_abs.txt'
INSERT INTO bench_urls SELECT 'small', row_number() OVER (), url FROM u;
INSERT INTO bench_urls
SELECT 'mem', g, b.url || '?m=' || g
  FROM generate_series(1, :mem) g
  JOIN bench_urls b ON b.set = 'big'
   AND b.ord = 1 + (g - 1) % (SELECT count(*) FROM bench_urls WHERE set = 'big');
INSERT INTO bench_urls SELECT 'huge', g, :'base' || '/huge/' || g || '.html'
  FROM generate_series(1, :huge) g;
INSERT INTO bench_urls SELECT 'warmup', ord, url FROM bench_urls WHERE set = 'big' AND ord <= 100;
CREATE TABLE bench_copy (url text, body text);
SQL
    P <<'SQL' >/dev/null
CREATE OR REPLACE FUNCTION bench_explain(q text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE j json;
BEGIN
    EXECUTE 'EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ' || q INTO j;
    RETURN format('%s,%s,%s', j -> 0 ->> 'Execution Time',
                  coalesce(j -> 0 -> 'Plan' ->> 'Shared Hit Blocks', '0'),
                  coalesce(j -> 0 -> 'Plan' ->> 'Shared Read Blocks', '0'));
END $$;
SQL
    # Polls (every 5 ms, fresh snapshot each time) until the session's job
    # has left the scraping stage: its last page result is committed.
    P <<'SQL' >/dev/null
-- a procedure that commits between polls, so it holds no snapshot back
CREATE OR REPLACE PROCEDURE bench_wait_stored(p_session bigint,
                                              INOUT stored_at timestamptz DEFAULT NULL)
LANGUAGE plpgsql AS $$
DECLARE st text; stage text; t0 timestamptz := clock_timestamp();
BEGIN
    LOOP
        SELECT j.status, j.current_stage INTO st, stage
          FROM scraping_sessions s JOIN background_jobs j ON j.id = s.background_job_id
         WHERE s.id = p_session;
        IF st NOT IN ('pending', 'processing') OR stage NOT IN ('initializing', 'scraping')
           OR clock_timestamp() > t0 + interval '10 min' THEN
            stored_at := clock_timestamp();
            RETURN;
        END IF;
        COMMIT;
        PERFORM pg_sleep(0.005);
    END LOOP;
END $$;
SQL
    log "warm-up session (100 pages)"
    ext_list warmup warmup 0 ext >/dev/null
    P -c "SELECT count(*) FROM bench_urls" >/dev/null
}

# ------------------------------------------------------------- measures --

# ext_session SCENARIO ROUND TOOL SUBMIT [psql -v NAME=VALUE ...]: one
# session, started by the statement SUBMIT (which \gsets sid; the -v
# variables are its inputs), timed from the clock reading before it.
# Prints the result line; records (but for the warm-up) submit_s, stored_s
# (the last page's result written: the job's move to extracting),
# last_result_tx_start_s, wall_s (scrape_wait returned: stages done too),
# pages_done and pages_failed, and lists the pages of a session that did not
# end with every page done.
ext_session() {
    local scen=$1 round=$2 tool=$3 submit=$4 line
    shift 4
    quiesce
    line=$( { echo 'SELECT clock_timestamp() AS t0 \gset'; echo "$submit"; cat <<'SQL'; } | P -F, "$@"
SELECT clock_timestamp() AS t1 \gset
CALL bench_wait_stored(:sid, NULL) \gset
\set ts :stored_at
SELECT scrape_wait(:sid, '10 min') AS st \gset
SELECT clock_timestamp() AS t2 \gset
SELECT :'st', :sid,
       extract(epoch FROM :'t1'::timestamptz - :'t0'::timestamptz),
       extract(epoch FROM :'ts'::timestamptz - :'t0'::timestamptz),
       extract(epoch FROM (SELECT min(h.created_at) FROM job_history h
                            WHERE h.job_id = s.background_job_id
                              AND h.event = 'stage_changed'
                              AND h.detail ->> 'to' = 'extracting')
                          - :'t0'::timestamptz),
       extract(epoch FROM :'t2'::timestamptz - :'t0'::timestamptz),
       s.pages_known, s.pages_done, s.pages_failed
  FROM scraping_sessions s WHERE s.id = :sid;
SQL
)
    echo "$line"
    IFS=, read -r st sid sub stored hist wall total done failed <<<"$line"
    [ "$scen" = warmup ] && return 0
    rec "$scen" "$tool" "$round" submit_s "$sub" s
    rec "$scen" "$tool" "$round" stored_s "${stored:-}" s
    rec "$scen" "$tool" "$round" last_result_tx_start_s "${hist:-}" s
    rec "$scen" "$tool" "$round" wall_s "$wall" s
    rec "$scen" "$tool" "$round" pages_done "$done" pages
    rec "$scen" "$tool" "$round" pages_failed "$failed" pages
    log "  $tool round $round: $st, $done/$total pages, stored ${stored}s, completed ${wall}s (session $sid)"
    if [ "$st" != completed ] || [ "$done" != "$total" ]; then
        log "  WARNING: session $sid ended $st with $done of $total pages done"
        P -c "SELECT url, attempts, error_class, error FROM scraping_pages WHERE session_id = $sid AND status <> 'done' LIMIT 20" >&2 || true
    fi
}

# ext_list SET SCENARIO ROUND TOOL: one list session of the URLs of SET.
ext_list() {
    ext_session "$2" "$3" "$4" \
        "SELECT scrape_submit_urls(ARRAY(SELECT url FROM bench_urls WHERE set = :'set' ORDER BY ord)) AS sid \gset" \
        -v set="$1"
}

# pgboss MODE URLFILE SCENARIO ROUND TOOL
pgboss() {
    local mode=$1 urls=$2 scen=$3 round=$4 tool=$5 json
    P -c "TRUNCATE bench_pgboss_pages" >/dev/null 2>&1 || true
    quiesce
    json=$(cd "$BENCH" && node pgboss.mjs "$mode" "$urls" "bench_${scen}_${tool//-/_}_${round}_$$" 2>>"$OUT/pgboss.err") || {
        log "  $tool round $round failed: $json"; tail -5 "$OUT/pgboss.err" >&2; return 0; }
    echo "$json" >>"$OUT/pgboss.jsonl"
    python3 - "$json" "$RUN_ID" "$scen" "$tool" "$round" >>"$RES" <<'PY'
import json, sys
d = json.loads(sys.argv[1]); run, scen, tool, rnd = sys.argv[2:]
for k, unit in (("send_s", "s"), ("stored_s", "s"), ("done_s", "s"), ("completed", "jobs"), ("errors", "jobs")):
    v = d.get(k)
    print(f"{run},{scen},{tool},{rnd},{'wall_s' if k == 'done_s' else k},{'' if v is None else v},{unit}")
PY
    log "  $tool round $round: $json"
}

# curl_bound SET SCENARIO ROUND: the fetch bound, curl alone on the URLs of SET
curl_bound() {
    local set=$1 scen=$2 round=$3 cfg=$SJ_TMP/curl.cfg t0 t1 ok
    sed 's|.*|url = "&"\noutput = "/dev/null"|' "$SITE/urls_${set}_abs.txt" >"$cfg"
    t0=$(now)
    ok=$(curl -s --no-progress-meter --parallel --parallel-max "$CONC" --config "$cfg" -w "%{http_code}\n" 2>/dev/null | grep -c '^200$' || true)
    t1=$(now)
    rec "$scen" curl "$round" wall_s "$(calc "$t1 - $t0")" s
    rec "$scen" curl "$round" pages_done "$ok" pages
    log "  curl round $round: $ok pages in $(calc "$t1 - $t0") s"
}

copy_bound() {
    local round=$1 t
    P -c "TRUNCATE bench_copy" >/dev/null
    quiesce
    t=$(P <<SQL
SELECT clock_timestamp() AS t0 \gset
COPY bench_copy (url, body) FROM '$SITE/bodies.tsv';
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz);
SQL
)
    rec list copy "$round" wall_s "$t" s
    rec list copy "$round" pages_done "$(P -c 'SELECT count(*) FROM bench_copy')" pages
    log "  COPY round $round: $t s"
}

set_guc() {   # set_guc NAME VALUE|DEFAULT
    if [ "$2" = DEFAULT ]; then
        P -c "ALTER SYSTEM RESET $1" >/dev/null
    else
        P -c "ALTER SYSTEM SET $1 = '$2'" >/dev/null
    fi
    P -c "SELECT pg_reload_conf()" >/dev/null
    sleep 1.5   # the workers reload at their next loop (SIGHUP sets the latch)
}

# ------------------------------------------------------------ scenarios --

scenario_list() {
    local r
    for r in $(seq 1 "$ROUNDS"); do
        log "list round $r/$ROUNDS ($NBIG URLs)"
        ext_list big list "$r" scrape_jobs >/dev/null
        pgboss fetch "$SITE/urls_big_abs.txt" list "$r" pg-boss
        scrapy_run list "$r" list "$SITE/urls_big_abs.txt" "$CONC"
        curl_bound big list "$r"
        copy_bound "$r"
    done
}

scenario_batch() {
    local r
    for r in $(seq 1 "$ROUNDS"); do
        log "batch round $r/$ROUNDS"
        ext_list big batch "$r" batch-100 >/dev/null
        set_guc scrape_jobs.batch_size 1
        ext_list big batch "$r" batch-1 >/dev/null
        set_guc scrape_jobs.batch_size DEFAULT
    done
}

scenario_small() {
    local r
    for r in $(seq 1 "$ROUNDS"); do
        log "small round $r/$ROUNDS ($NSMALL tiny pages)"
        ext_list small small "$r" scrape_jobs >/dev/null
        pgboss noop "$SITE/urls_small_abs.txt" small "$r" pg-boss-noop
        pgboss fetch "$SITE/urls_small_abs.txt" small "$r" pg-boss-fetch
        curl_bound small small "$r"
    done
}

# hosts_run SCENARIO NHOSTS NPAGES HOSTFN SQL_HOST: NHOSTS hosts (HOSTFN i,
# and SQL_HOST of h, for i and h 0..NHOSTS-1) x NPAGES small pages, host by
# host, per_host_delay 100 ms and one connection per host; Scrapy beside
# it with the same delay and per-domain concurrency (and a global one as
# large as the list: see bench/scrapy_bench.py).
hosts_run() {
    local scen=$1 nh=$2 np=$3 hostfn=$4 sqlhost=$5 r i urls=$SJ_TMP/urls_$1.txt
    : >"$urls"
    for i in $(seq 0 $((nh - 1))); do
        head -n "$np" "$SITE/urls_small_abs.txt" | sed "s|//127.0.0.1:|//$($hostfn "$i"):|" >>"$urls"
    done
    for r in $(seq 1 "$ROUNDS"); do
        log "$scen round $r/$ROUNDS ($nh hosts x $np pages, 100 ms apart)"
        ext_session "$scen" "$r" scrape_jobs \
            "SELECT scrape_submit_urls(ARRAY(
                 SELECT replace(u.url, '//127.0.0.1:', '//' || $sqlhost || ':') || '?r=' || :'round'
                   FROM generate_series(0, $((nh - 1))) h,
                        (SELECT url, ord FROM bench_urls WHERE set = 'small' ORDER BY ord LIMIT $np) u
                  ORDER BY h, u.ord),
               options => '{\"per_host_delay\": \"100 ms\", \"per_host_max_connections\": 1}') AS sid \gset" \
            -v round="$r" >/dev/null
        scrapy_run "$scen" "$r" hosts "$urls" $((nh * np)) 0.1 1
    done
    claim_cost "$scen" "$nh" "$np" "$sqlhost"
}

# explain_medians FILE SCENARIO PREFIX ROUND: the "name,i,ms,hit,read" lines
# of bench_explain runs in FILE as results: per name, the median time and
# buffers of the runs after the first (the warm-up), tool PREFIX + name.
explain_medians() {
    python3 - "$1" "$RUN_ID" "$2" "$3" "$4" >>"$RES" <<'PY'
import statistics, sys
path, run, scen, prefix, rnd = sys.argv[1:]
runs = {}
for line in open(path):
    parts = line.strip().split(",")
    if len(parts) != 5:
        continue
    name, i, ms, hit, read = parts
    if i == "1":
        continue
    runs.setdefault(name, []).append((float(ms), int(hit) + int(read)))
for name, v in runs.items():
    print(f"{run},{scen},{prefix}{name},{rnd},exec_ms,{statistics.median(x[0] for x in v):.3f},ms")
    print(f"{run},{scen},{prefix}{name},{rnd},buffers,{statistics.median(x[1] for x in v):.0f},blocks")
PY
}

# claim_cost SCENARIO NHOSTS NPAGES SQL_HOST: what a claim of a batch costs
# while NHOSTS hosts wait on their delay: NHOSTS x NPAGES pending pages (a
# submit in the transaction, rolled back: no worker sees them) and every
# host passed as busy, as a worker passes the hosts of its backlog; and the
# same claim with no host busy.  EXPLAIN ANALYZE, median of 20 after one.
claim_cost() {
    local scen=$1 nh=$2 np=$3 sqlhost=$4 f=$SJ_TMP/claim_cost.sql i
    quiesce
    {
        echo "\\set QUIET on"
        echo "SET jit = off;   -- as the workers run their queries (src/guc.c)"
        for i in $(seq 1 21); do
            cat <<SQL
BEGIN;
SELECT scrape_submit_urls(ARRAY(
           SELECT 'http://' || $sqlhost || ':9/claim-probe/' || g || '.html'
             FROM generate_series(0, $((nh - 1))) h, generate_series(1, $np) g
            ORDER BY h, g),
       options => '{"per_host_delay": "100 ms", "per_host_max_connections": 1}') AS csid \\gset
SELECT array_agg(DISTINCT host)::text AS busy FROM scraping_pages WHERE session_id = :csid \\gset
SAVEPOINT probe;
SELECT 'busy', $i, bench_explain(format('SELECT * FROM _scrape_claim(4242424242, 100, %L::text[])', :'busy'));
ROLLBACK TO probe;
SELECT 'free', $i, bench_explain('SELECT * FROM _scrape_claim(4242424242, 100)');
ROLLBACK;
SQL
        done
    } >"$f"
    P -F, -f "$f" >"$SJ_TMP/claim_cost.out"
    explain_medians "$SJ_TMP/claim_cost.out" "$scen" claim- 1
    log "  claim of 100 with $nh hosts waiting: $(grep -E "^$RUN_ID,$scen,claim-[a-z]+,1,exec_ms," "$RES" | awk -F, '{printf "%s %s ms; ", $3, $6}')"
}

# Politeness across hosts (issue 16): 50 hosts (127.0.0.2-51, the same
# nginx) x 40 small pages in one list, per_host_delay 100 ms and one
# connection per host.  The ideal is (40 - 1) x 100 ms = 3.9 s.
scenario_hosts() {
    hosts_run hosts 50 40 host_50 "'127.0.0.' || (2 + h)"
}

# The same with 1,000 hosts x 5 pages: the claim's cost must not grow with
# the number of hosts waiting on their delay.
scenario_hosts1000() {
    hosts_run hosts1000 1000 5 host_1000 "'127.0.' || (1 + h / 250) || '.' || (1 + h % 250)"
}

# Scale (issue 16): a crawl of SCALE_PAGES generated pages from the first
# (each links to 24-48 random pages of the set), after a crawl of the same
# site capped at 1,000 pages; pages/s of the first and last tenth of the
# pages done, the workers' memory, and the discovery of one page's links
# with each session's pages known (explain_discover).
scenario_scale() {
    local seed=$BASE/scale/000001.html line sid1k sid
    # (the default cap is 10,000 pages a session)
    set_guc scrape_jobs.max_pages_per_session "$((SCALE_PAGES + 10))"
    log "scale: a crawl capped at 1,000 pages"
    line=$(ext_session scale 1 scrape_jobs-1k \
        "SELECT scrape_submit(:'seed', 'crawl', total_pages => 1000, options => '{\"scope\": \"host\", \"max_depth\": 20}') AS sid \gset" \
        -v seed="$seed")
    sid1k=$(cut -d, -f2 <<<"$line")
    log "scale: a crawl of $SCALE_PAGES pages"
    rss_start
    line=$(ext_session scale 1 scrape_jobs \
        "SELECT scrape_submit(:'seed', 'crawl', total_pages => :max, options => '{\"scope\": \"host\", \"max_depth\": 20}') AS sid \gset" \
        -v seed="$seed" -v max="$SCALE_PAGES")
    rss_stop scale scrape_jobs
    sid=$(cut -d, -f2 <<<"$line")
    # the first tenth from the submit, the last up to the last page's write
    # (fetched_at is the result write's transaction start)
    IFS=, read -r first last <<<"$(P -F, -v sid="$sid" <<'SQL'
WITH d AS (
    SELECT p.fetched_at, row_number() OVER (ORDER BY p.fetched_at, p.id) AS k,
           count(*) OVER () AS n
      FROM scraping_pages p WHERE p.session_id = :sid AND p.status = 'done'
)
SELECT round(((max(n) / 10) / extract(epoch FROM
                 max(fetched_at) FILTER (WHERE k = n / 10)
                 - (SELECT created_at FROM scraping_sessions WHERE id = :sid)))::numeric, 1),
       round(((max(n) / 10) / extract(epoch FROM
                 max(fetched_at) - max(fetched_at) FILTER (WHERE k = n - n / 10)))::numeric, 1)
  FROM d;
SQL
)"
    rec scale scrape_jobs 1 first_tenth_pps "$first" pages/s
    rec scale scrape_jobs 1 last_tenth_pps "$last" pages/s
    log "  pages/s: first tenth $first, last tenth $last"
    : >"$OUT/scale_discovery_plans.txt"
    explain_discover "$sid1k" 1000
    explain_discover "$sid" "$SCALE_PAGES"
    set_guc scrape_jobs.max_pages_per_session DEFAULT
}

# explain_discover SESSION LABEL: _scrape_discover of one page of SESSION
# whose links are 24 of the session's URLs and 12 new ones, in a
# transaction rolled back (the session set running again, room for them),
# with auto_explain of its statements; records each statement's time.
explain_discover() {
    local sid=$1 label=$2 f=$SJ_TMP/discover_$2.log
    quiesce
    P -v sid="$sid" -v base="$BASE" >/dev/null 2>"$f" <<'SQL'
BEGIN;
SELECT id AS pid FROM scraping_pages WHERE session_id = :sid AND status = 'done' AND kind = 'page'
 ORDER BY id LIMIT 1 \gset
UPDATE scraping_sessions SET status = 'running', total_pages = pages_known + 1000 WHERE id = :sid;
UPDATE scraping_pages SET depth = 0, links = (
    SELECT jsonb_agg(jsonb_build_object('url', u))
      FROM ((SELECT url FROM scraping_pages WHERE session_id = :sid ORDER BY random() LIMIT 24)
            UNION ALL
            SELECT :'base' || '/scale/new-' || g || '.html' FROM generate_series(1, 12) g) AS x(u))
 WHERE id = :pid;
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_analyze = on;
SET auto_explain.log_buffers = on;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_level = notice;
SET client_min_messages = notice;
SELECT _scrape_discover(ARRAY[:pid]);
ROLLBACK;
SQL
    { echo "== $label pages known (session $sid)"; cat "$f"; } >>"$OUT/scale_discovery_plans.txt"
    python3 - "$f" "$RUN_ID" "$label" >>"$RES" <<'PY'
import re, sys
path, run, label = sys.argv[1:]
text = open(path).read()
sel = ins = whole = None
for m in re.finditer(r"duration: ([0-9.]+) ms\s+plan:\s*\n\s*Query Text: (.*)", text):
    ms, q = float(m.group(1)), m.group(2).strip()
    if q.startswith("WITH src"):
        sel = ms
    elif q.startswith("WITH added"):
        ins = (ins or 0) + ms
    elif "_scrape_discover" in q:
        whole = ms
for name, v in (("select_ms", sel), ("insert_ms", ins), ("function_ms", whole)):
    if v is not None:
        print(f"{run},scale,discover,{label},{name},{v:.3f},ms")
PY
    log "  discovery with $label pages known: $(grep -E "^$RUN_ID,scale,discover,$label," "$RES" | awk -F, '{printf "%s %s ms; ", $5, $6}')"
}

# ext_crawl SCENARIO ROUND TOOL: one crawl session from the index page.
ext_crawl() {
    ext_session "$1" "$2" "$3" \
        "SELECT scrape_submit(:'seed', 'crawl', total_pages => :max, options => '{\"scope\": \"host\", \"max_depth\": 5}') AS sid \gset" \
        -v seed="$BASE/site/index.html" -v max="$((NBIG + 10))"
}

scenario_crawl() {
    local r
    for r in $(seq 1 "$ROUNDS"); do
        log "crawl round $r/$ROUNDS (from the index, total_pages $((NBIG + 10)))"
        ext_crawl crawl "$r" scrape_jobs >/dev/null
        crawlee_run "$r" crawlee "$CONC"
        crawlee_run "$r" crawlee-auto auto
        scrapy_run crawl "$r" crawl "$BASE/site/index.html" "$CONC"
    done
}

# Not timed and not in the default set: where the time goes.  For a list,
# a small-pages and a crawl session: the queue functions' calls and times
# (track_functions = pl, pg_stat_user_functions), the tables' updates (HOT
# or not), the claims the workers made, and a flat perf profile of the
# workers (if perf is installed).
scenario_profile() {
    local what pids perf_pid c0 c1 p
    set_guc track_functions pl
    for what in list small crawl; do
        log "profile: $what session"
        P -c "SELECT pg_stat_reset()" >/dev/null
        pids=$(P -c "SELECT string_agg(pid::text, ',') FROM scrape_workers()")
        c0=$(P -c "SELECT sum(claims) FROM scrape_workers()")
        perf_pid=""
        if command -v perf >/dev/null; then
            perf record -q -F 1999 -o "$OUT/perf_$what.data" -p "$pids" >/dev/null 2>&1 &
            perf_pid=$!; BG_PIDS+=("$perf_pid"); sleep 0.5
        fi
        # the claim's index scan over the pending pages, sampled every 0.5 s
        # (no FOR UPDATE, so it takes no lock from the workers)
        (
            while :; do
                P -F' ' -c 'SELECT clock_timestamp()::time(2), bench_explain($q$
                      SELECT p.id FROM scraping_pages p
                       WHERE p.status = $$pending$$
                         AND (p.not_before IS NULL OR p.not_before <= now())
                       ORDER BY p.id LIMIT 100$q$)' 2>/dev/null
                sleep 0.5
            done >"$OUT/profile_${what}_claimscan.txt"
        ) &
        p=$!; BG_PIDS+=("$p")
        case $what in
            list) ext_list big profile 1 "profile-$what" >/dev/null ;;
            small) ext_list small profile 1 "profile-$what" >/dev/null ;;
            crawl) ext_crawl profile 1 "profile-$what" >/dev/null ;;
        esac
        kill "$p" 2>/dev/null; wait "$p" 2>/dev/null || true
        if [ -n "$perf_pid" ]; then
            kill -TERM "$perf_pid" 2>/dev/null; wait "$perf_pid" 2>/dev/null || true
            perf report -q --stdio --no-children -i "$OUT/perf_$what.data" --sort dso,symbol \
                2>/dev/null | grep -v '^$' | head -60 >"$OUT/perf_$what.txt" || true
            rm -f "$OUT/perf_$what.data"
        fi
        c1=$(P -c "SELECT sum(claims) FROM scrape_workers()")
        # the workers flush their statistics at most once a second: one more
        # tiny session makes them flush what the last one left pending
        sleep 1.2
        P -c "SELECT scrape_wait(scrape_submit('$BASE/small/00001.html?flush=$what'), '1 min')" >/dev/null
        sleep 1.2
        {
            echo "== $what: claims (queue passes that claimed) $((c1 - c0))"
            P -F' | ' -P footer=off -c "SELECT * FROM scrape_metrics()" -x | \
                grep -E 'fetch_ms|page_ms|session_ms|pages_fetched'
            echo "-- queue functions (track_functions = pl), by total time"
            sj_psql -P footer=off -c "SELECT funcname, calls, round(total_time::numeric, 1) AS total_ms,
                    round(self_time::numeric, 1) AS self_ms,
                    round((total_time / nullif(calls, 0))::numeric, 3) AS ms_per_call
               FROM pg_stat_user_functions WHERE schemaname = 'public'
                AND funcname NOT LIKE 'bench%'
              ORDER BY total_time DESC LIMIT 25"
            echo "-- table writes"
            sj_psql -P footer=off -c "SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd, seq_scan, idx_scan
               FROM pg_stat_user_tables WHERE schemaname = 'public' AND n_tup_ins + n_tup_upd > 0
              ORDER BY n_tup_upd + n_tup_ins DESC"
        } >"$OUT/profile_$what.txt" 2>&1
        log "  $(head -1 "$OUT/profile_$what.txt")"
    done
    set_guc track_functions DEFAULT
}

# scrapy_run SCENARIO ROUND MODE SOURCE ARGS...: bench/scrapy_bench.py (the
# system Python, Debian's python3-scrapy), recorded as tool "scrapy".
scrapy_run() {
    local scen=$1 r=$2 json
    shift 2
    quiesce
    json=$(cd "$SJ_TMP" && /usr/bin/python3 "$BENCH/scrapy_bench.py" "$@" 2>>"$OUT/scrapy.err") || {
        log "  scrapy round $r failed"; tail -5 "$OUT/scrapy.err" >&2; return 0; }
    rec_json "$json" "$scen" scrapy "$r"
}

# rec_json JSON SCENARIO TOOL ROUND: a competitor's {"pages", "failed",
# "wall_s"} line as results.
rec_json() {
    python3 - "$@" "$RUN_ID" >>"$RES" <<'PY'
import json, sys
d = json.loads(sys.argv[1]); scen, tool, rnd, run = sys.argv[2:]
print(f"{run},{scen},{tool},{rnd},wall_s,{d['wall_s']},s")
print(f"{run},{scen},{tool},{rnd},pages_done,{d['pages']},pages")
print(f"{run},{scen},{tool},{rnd},pages_failed,{d['failed']},pages")
PY
    log "  $3 round $4: $1"
}

crawlee_run() {   # crawlee_run ROUND TOOL CONCURRENCY|auto
    local r=$1 tool=$2 conc=$3 json
    quiesce
    json=$(cd "$SJ_TMP" && CRAWLEE_STORAGE_DIR=$SJ_TMP/crawlee \
           node "$BENCH/crawlee.mjs" "$BASE/site/index.html" 0 "$conc" 2>>"$OUT/crawlee.err") || {
        log "  $tool round $r failed"; tail -5 "$OUT/crawlee.err" >&2; return 0; }
    rec_json "$json" crawl "$tool" "$r"
}

scenario_latency() {
    local r i f=$SJ_TMP/latency.sql tag
    for r in $(seq 1 "$ROUNDS"); do
        tag="$RUN_ID-$r"
        log "latency round $r/$ROUNDS ($LAT_SUBMITS single-page submits)"
        {
            echo "SELECT pg_sleep(1);"
            for i in $(seq 1 "$LAT_SUBMITS"); do
                echo "SELECT extract(epoch FROM clock_timestamp()) AS ts \\gset"
                echo "SELECT scrape_submit(:'base' || '/small/00001.html?lat=$tag-$i') AS sid \\gset"
                echo "\\echo lat,$i,:ts,:sid"
                echo "SELECT scrape_wait(:sid, '1 minute') AS st \\gset"
                echo "SELECT pg_sleep(0.1 + random() * 0.1);"
            done
        } >"$f"
        P -v base="$BASE" -f "$f" | grep '^lat,' >"$SJ_TMP/latency_submits.txt"
        sleep 0.5
        python3 - "$SJ_TMP/latency_submits.txt" "$NGX/access.log" "$tag" "$RUN_ID" "$r" \
            >>"$RES" 2>>"$OUT/latency.txt" <<'PY'
import re, statistics, sys
subs, log, tag, run, rnd = sys.argv[1:]
sent = {}
for line in open(subs):
    _, i, ts, sid = line.strip().split(",")
    sent[i] = float(ts)
arrived = {}
for line in open(log):
    m = re.match(r'(\S+) (\S+) (\d+) \d+ "[^"]*\?lat=' + re.escape(tag) + r'-(\d+)"', line)
    if m and m.group(4) not in arrived:
        arrived[m.group(4)] = float(m.group(1)) - float(m.group(2))
lat = sorted((arrived[i] - sent[i]) * 1000 for i in sent if i in arrived)
def pct(p):
    k = (len(lat) - 1) * p; f = int(k); c = min(f + 1, len(lat) - 1)
    return lat[f] + (lat[c] - lat[f]) * (k - f)
print(f"round {rnd}: {len(lat)} of {len(sent)} requests seen; ms: " + " ".join(f"{x:.1f}" for x in lat), file=sys.stderr)
print(f"{run},latency,scrape_jobs,{rnd},p50_ms,{pct(0.5):.2f},ms")
print(f"{run},latency,scrape_jobs,{rnd},p95_ms,{pct(0.95):.2f},ms")
print(f"{run},latency,scrape_jobs,{rnd},max_ms,{lat[-1]:.2f},ms")
print(f"{run},latency,scrape_jobs,{rnd},seen,{len(lat)},requests")
PY
        log "  $(tail -n 1 "$OUT/latency.txt" | cut -c1-160)"
    done
}

# One reading of the idle counters, from a connection of its own: its own
# transactions are flushed to the statistics when it exits, after it read.
idle_read() {
    P -F'|' <<'SQL'
SELECT clock_timestamp(),
       (SELECT xact_commit + xact_rollback FROM pg_stat_database
         WHERE datname = current_database()),
       (SELECT coalesce(sum(seq_scan + coalesce(idx_scan, 0)), 0) FROM pg_stat_user_tables
         WHERE schemaname = 'public' AND relname NOT LIKE 'bench%'),
       (SELECT coalesce(jsonb_object_agg(funcname, calls), '{}') FROM pg_stat_user_functions
         WHERE schemaname = 'public')
SQL
}

scenario_idle() {
    local secs=$IDLE_SECONDS a0 b0 a b wq lq av
    log "idle: $secs s with nothing to do"
    # the set-up's writes (CREATE EXTENSION, the warm-up session) would
    # otherwise bring autovacuum round during the window
    P -c "VACUUM ANALYZE" >/dev/null
    set_guc track_functions pl
    sleep 3
    local i
    for i in $(seq 1 60); do   # let autovacuum finish what earlier work left it
        [ "$(P -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'")" = 0 ] && break
        sleep 1
    done
    # After the last job ends the launcher's monitor makes one more pass (it
    # saves the final counts and sees that nothing is left processing), then
    # rests until work comes.  Wait for that pass (at most monitor_interval
    # and a bit), so the window measures the idle steady state.
    local mi last
    mi=$(P -c "SELECT ceil(extract(epoch FROM current_setting('scrape_jobs.monitor_interval')::interval))::int")
    last=$(P -c "SELECT coalesce(max(finished_at), now()) FROM background_jobs")
    for i in $(seq 1 $((mi + 3))); do
        [ "$(P -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'scrape_jobs launcher' AND query_start > '$last'")" = 0 ] || break
        sleep 1
    done
    sleep 1
    # what one reading adds (its connection's own transactions), idle for 2 s
    a0=$(idle_read); sleep 2; b0=$(idle_read); sleep 1
    a=$(idle_read); sleep "$secs"; b=$(idle_read)
    IFS='|' read -r t0 _ <<<"$a"
    wq=$(P -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'scrape_jobs worker' AND query_start >= '$t0'")
    lq=$(P -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'scrape_jobs launcher' AND query_start >= '$t0'")
    av=$(P -c "SELECT count(*) FROM pg_stat_all_tables WHERE greatest(last_autovacuum, last_autoanalyze) >= '$t0'")
    rec idle scrape_jobs 1 autovacuum_tables "$av" tables
    python3 - "$a0" "$b0" "$a" "$b" "$secs" "$wq" "$lq" "$RUN_ID" "$OUT" >>"$RES" <<'PY'
import json, sys
a0, b0, a, b, secs, wq, lq, run, out = sys.argv[1:]
def parse(s):
    t, x, sc, f = s.split("|")
    return int(x), int(sc), json.loads(f)
(x0, s0, f0), (x1, s1, f1) = parse(a0), parse(b0)
(xa, sa, fa), (xb, sb, fb) = parse(a), parse(b)
probe = x1 - x0
net = max(0, (xb - xa) - probe)
secs = float(secs)
calls = {k: v - fa.get(k, 0) for k, v in fb.items() if v > fa.get(k, 0)}
with open(f"{out}/idle.txt", "w") as f:
    print(f"one reading adds {probe} transactions (measured over 2 s idle); "
          f"over {secs:.0f} s: {xb - xa} transactions, {net} net; scans {sb - sa}; "
          f"functions {calls}; workers that started a query {wq}; launcher {lq}", file=f)
with open(f"{out}/idle_functions.txt", "w") as f:
    f.write(" ".join(f"{k}={v}" for k, v in sorted(calls.items())))
for m, v, u in (("xacts", net, "transactions"), ("qps", round(net / secs, 4), "per_s"),
                ("table_scans", sb - sa, "scans"), ("function_calls", sum(calls.values()), "calls"),
                ("worker_queries", wq, "backends"), ("launcher_queries", lq, "backends"),
                ("probe_xacts", probe, "transactions"), ("seconds", secs, "s"),
                ("monitor_passes", calls.get("scrape_detect_stuck", 0), "passes")):
    print(f"{run},idle,scrape_jobs,1,{m},{v},{u}")
PY
    log "  $(cat "$OUT/idle.txt")"
    set_guc track_functions DEFAULT
}

# worker memory: VmHWM (peak RSS, reset first through clear_refs) and the
# peak of RssAnon sampled every 100 ms, of each fetch worker, over what runs
# between rss_start and rss_stop SCENARIO LABEL.
rss_start() {
    local p
    RSS_PIDS=$(P -c "SELECT string_agg(pid::text, ' ') FROM scrape_workers()")
    for p in $RSS_PIDS; do
        echo 5 >"/proc/$p/clear_refs" 2>/dev/null || log "  cannot reset VmHWM of $p"
    done
    : >"$SJ_TMP/rss.samples"
    (
        while :; do
            for p in $RSS_PIDS; do
                awk -v p="$p" '/^(RssAnon|VmRSS):/ {printf "%s %s %s\n", p, $1, $2}' \
                    "/proc/$p/status" 2>/dev/null
            done >>"$SJ_TMP/rss.samples"
            sleep 0.1
        done
    ) &
    RSS_SAMPLER=$!; BG_PIDS+=("$RSS_SAMPLER")
}

rss_stop() {
    local scen=$1 label=$2 hwm anon rss p v
    kill "$RSS_SAMPLER" 2>/dev/null || true; wait "$RSS_SAMPLER" 2>/dev/null || true
    hwm=0; for p in $RSS_PIDS; do
        v=$(awk '/^VmHWM:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
        [ "${v:-0}" -gt "$hwm" ] && hwm=$v
        echo "$label worker $p: $(grep -E '^(VmHWM|VmRSS|RssAnon|RssFile|RssShmem):' "/proc/$p/status" | tr -s ' \n' ' ')" >>"$OUT/memory.txt"
    done
    anon=$(awk '$2 == "RssAnon:" && $3 > m {m = $3} END {print m + 0}' "$SJ_TMP/rss.samples")
    rss=$(awk '$2 == "VmRSS:" && $3 > m {m = $3} END {print m + 0}' "$SJ_TMP/rss.samples")
    rec "$scen" "$label" 1 vmhwm_kb "$hwm" kB
    rec "$scen" "$label" 1 rss_anon_peak_kb "$anon" kB
    rec "$scen" "$label" 1 rss_peak_kb "$rss" kB
    # does it grow with the session's length? peak of the second half of the
    # samples over the peak of the first half, per worker (the largest)
    rec "$scen" "$label" 1 anon_second_half_ratio "$(python3 - "$SJ_TMP/rss.samples" <<'PY'
import sys
by = {}
for line in open(sys.argv[1]):
    pid, key, kb = line.split()
    if key == "RssAnon:":
        by.setdefault(pid, []).append(int(kb))
r = 0
for v in by.values():
    h = len(v) // 2
    if h and max(v[:h]):
        r = max(r, max(v[h:]) / max(v[:h]))
print(f"{r:.3f}")
PY
)" ratio
    log "  $label: VmHWM ${hwm} kB, peak RssAnon ${anon} kB (sampled), peak VmRSS ${rss} kB"
}

mem_session() {
    local set=$1 label=$2
    rss_start
    ext_list "$set" memory 1 "$label" >/dev/null
    rss_stop memory "$label"
}

scenario_memory() {
    log "memory: a $MEM_PAGES-page session of the site's pages"
    mem_session mem "pages-$MEM_PAGES"
    log "memory: $HUGE_PAGES pages of 1 MiB with max_body_size = 1MB"
    set_guc scrape_jobs.max_body_size 1MB
    mem_session huge "huge-1MB-x$HUGE_PAGES"
    set_guc scrape_jobs.max_body_size DEFAULT
}

scenario_growth() {
    local have=0 level add t0 t1 plans=$OUT/growth_plans.txt
    : >"$plans"
    for level in $GROWTH_LEVELS; do
        add=$((level - have))
        log "growth: adding $add finished jobs, sessions, pages and history rows (to $level)"
        t0=$(now)
        P -v n="$add" <<'SQL' >/dev/null
WITH j AS (
    INSERT INTO background_jobs (job_type, status, progress, current_stage, metadata,
                                 attempts, last_heartbeat, created_at, started_at,
                                 finished_at, updated_at)
    SELECT 'web_scraping', 'completed', 100, 'done',
           jsonb_build_object('bench', 'growth', 'scraping_mode', 'single'),
           1, t, t - interval '2 s', t - interval '1 s', t, t
      FROM (SELECT now() - random() * interval '6 days' AS t
              FROM generate_series(1, :n)) g
    RETURNING id, started_at, finished_at
), s AS (
    INSERT INTO scraping_sessions (background_job_id, source_url, scraping_mode, status,
                                   progress_percentage, total_pages, pages_known,
                                   pages_done, created_at, started_at, finished_at,
                                   updated_at)
    SELECT j.id, 'http://growth.invalid/page/' || j.id, 'single', 'completed', 100,
           1, 1, 1, j.started_at, j.started_at, j.finished_at, j.finished_at
      FROM j
    RETURNING id, background_job_id, source_url, finished_at
), p AS (
    INSERT INTO scraping_pages (session_id, url, status, attempts, http_status,
                                content_type, final_url, body, body_size, fetch_ms,
                                title, created_at, fetched_at, updated_at)
    SELECT s.id, s.source_url, 'done', 1, 200, 'text/html', s.source_url,
           '<html><head><title>growth</title></head><body>finished</body></html>',
           66, 1.5, 'growth', s.finished_at, s.finished_at, s.finished_at
      FROM s
    RETURNING 1
)
INSERT INTO job_history (job_id, session_id, event, detail, created_at)
SELECT s.background_job_id, s.id, 'completed', '{}', s.finished_at
  FROM s, (SELECT count(*) FROM p) AS force_p;
SQL
        t1=$(now)
        P -c "VACUUM ANALYZE background_jobs, scraping_sessions, scraping_pages, job_history" >/dev/null
        rec growth insert "$level" load_s "$(calc "$(now) - $t0")" s
        log "  loaded in $(calc "$t1 - $t0") s (+ vacuum analyze)"
        have=$level
        growth_measure "$level"
    done
    # the nested plans of one call of each at the largest level (auto_explain)
    P <<'SQL' >>"$plans" 2>&1 || true
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_analyze = on;
SET auto_explain.log_buffers = on;
SET auto_explain.log_nested_statements = on;
SET client_min_messages = log;
SET auto_explain.log_level = notice;
BEGIN;
SELECT * FROM _scrape_claim(4242424242, 100);
SELECT scrape_submit_urls(ARRAY['http://127.0.0.1:9/growth-probe-plan']) AS gsid \gset
SELECT * FROM _scrape_claim(4242424242, 100);
SELECT scrape_detect_stuck();
SELECT * FROM scrape_metrics();
ROLLBACK;
SQL
}

# growth_measure LEVEL: each query 21 times in a transaction rolled back; the
# first run (plan caching) dropped, the median of the other 20 recorded (some
# of these queries take 0.05 ms: with 6 runs, one scheduling hiccup moved a
# median by 2x).  Autovacuum, busy after the load, is waited for first.
growth_measure() {
    local level=$1 f=$SJ_TMP/growth.sql i
    quiesce
    {
        echo "\\set QUIET on"
        echo "SET jit = off;   -- as the workers run their queries (src/guc.c)"
        for i in $(seq 1 21); do
            cat <<SQL
BEGIN;
SELECT 'claim_empty', $i, bench_explain('SELECT * FROM _scrape_claim(4242424242, 100)');
SELECT scrape_submit_urls(ARRAY['http://127.0.0.1:9/growth-probe-$level-$i']) AS gsid \\gset
SELECT 'claim_one', $i, bench_explain('SELECT * FROM _scrape_claim(4242424242, 100)');
SELECT j.id AS gjob, j.lease AS glease FROM background_jobs j JOIN scraping_sessions s
    ON s.background_job_id = j.id WHERE s.id = :gsid \\gset
SELECT 'heartbeat', $i, bench_explain('SELECT * FROM _scrape_heartbeat(ARRAY[' || :gjob || ']::bigint[], ARRAY[' || :glease || ']::bigint[])');
SELECT 'next_due', $i, bench_explain('SELECT _scrape_next_due()');
SELECT 'detect_stuck', $i, bench_explain('SELECT scrape_detect_stuck()');
SELECT 'monitor', $i, bench_explain('SELECT * FROM scrape_monitor()');
SELECT 'metrics', $i, bench_explain('SELECT * FROM scrape_metrics()');
ROLLBACK;
SQL
        done
    } >"$f"
    P -F, -f "$f" >"$SJ_TMP/growth.out"
    explain_medians "$SJ_TMP/growth.out" growth "" "$level"
    log "  $(grep -E ",growth,[a-z_]+,$level,exec_ms," "$RES" | grep "^$RUN_ID," | awk -F, '{printf "%s %s ms; ", $3, $6}')"
}

# ------------------------------------------------------------------ main --

# Sourced (BENCH_SOURCED=1), the file only defines its functions: a tuning
# session can keep one cluster and nginx up and time single sessions.
[ "${BENCH_SOURCED:-0}" = 1 ] && return 0

mkdir -p "$OUT"
[ -f "$RES" ] && mv "$RES" "$OUT/results.previous.csv"
echo "run,scenario,tool,round,metric,value,unit" >"$RES"
: >"$OUT/memory.txt"; : >"$OUT/pgboss.jsonl"; : >"$OUT/pgboss.err"; : >"$OUT/crawlee.err"; : >"$OUT/scrapy.err"; : >"$OUT/latency.txt"
bench_install
trap bench_cleanup EXIT
sj_start_cluster "$BENCH/cluster.conf"
setup_site
setup_db
log "scenarios: ${SCENARIOS[*]}; $ROUNDS rounds; run $RUN_ID"
T_START=$(now)
for s in "${SCENARIOS[@]}"; do
    ts=$(now)
    "scenario_$s"
    rec "$s" bench 0 scenario_s "$(calc "$(now) - $ts")" s
done
rec all bench 0 total_s "$(calc "$(now) - $T_START")" s

# machine and versions, for the report
{
    echo "nproc=$(nproc)"
    echo "cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
    echo "memory=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
    echo "kernel=$(uname -r)"
    echo "postgres=$(P -c 'SHOW server_version')"
    echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "nginx=$(/usr/sbin/nginx -v 2>&1 | sed 's/.*nginx\///')"
    echo "curl=$(curl --version | head -1 | cut -d' ' -f2)"
    echo "node=$(node --version)"
    echo "pgboss=$(node -p "require('$BENCH/node_modules/pg-boss/package.json').version")"
    echo "crawlee=$(node -p "require('$BENCH/node_modules/crawlee/package.json').version")"
    echo "scrapy=$(/usr/bin/python3 -c 'import scrapy; print(scrapy.__version__)' 2>/dev/null)"
    echo "rounds=$ROUNDS"
    echo "concurrency=$CONC"
    echo "scenarios=${SCENARIOS[*]}"
    echo "run=$RUN_ID"
    echo "commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)$(git -C "$ROOT" diff --quiet HEAD -- src sql 2>/dev/null || echo ' (with uncommitted changes in src/ or sql/)')"
    echo "fdatasync=$(cd "$SJ_TMP" && "$PGBIN/pg_test_fsync" -s 1 -f "$SJ_TMP/fsync.test" 2>/dev/null | awk '/fdatasync/ && /ops\/sec/ {print $(NF-3) " ops/s, " $(NF-1) " us each"; exit}')"
} >"$OUT/machine.txt"
cp "$BENCH/cluster.conf" "$OUT/cluster.conf"

if [ "$WANT_DOCS" = 1 ]; then
    python3 "$BENCH/report.py" "$OUT" "$ROOT/docs/benchmarks.md" "$ROOT/docs/benchmarks.png"
else
    python3 "$BENCH/report.py" "$OUT" "$OUT/benchmarks.md" "$OUT/benchmarks.png"
fi
log "done: results in $RES"
