#!/usr/bin/env bash
# The main job, on a fresh machine: install, build, start a throw-away
# PostgreSQL 15 cluster and the local HTTP server with the bundled demo shop
# (test/site/shop), crawl it from its index page inside PostgreSQL (robots.txt
# obeyed), and show the session, its pages, the job history and
# scrape_metrics().  Leaves nothing running.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

sj_install_deps
sj_build
trap sj_cleanup EXIT
conf=$(mktemp)
printf "scrape_jobs.database = 'postgres'\nscrape_jobs.workers = 2\n# the bundled site is served on loopback, refused by default\nscrape_jobs.allowed_hosts = '127.0.0.1'\n" >"$conf"
sj_start_cluster "$conf"
rm -f "$conf"
sj_start_http


# The extension installs into a schema of its own, scrape; appending it to
# the database's search_path lets the queries below use its short names
# (README, "Installation").
sj_psql -c "CREATE EXTENSION scrape_jobs" \
        -c "ALTER DATABASE postgres SET search_path = \"\$user\", public, scrape"
sj_wait_workers 2
log "scraping the bundled store (test/site/store)"
sj_psql -v seed="$SJ_HTTP_URL/site/store/index.html" <<'SQL'
\pset footer off
\echo
\echo '-- SELECT scrape_submit(seed, ''crawl''): crawl the store from its index page'
SELECT scrape_submit(:'seed', 'crawl', options => '{"scope": "prefix"}') AS session_id \gset
\echo '-- SELECT scrape_wait(...): block until it ends'
SELECT scrape_wait(:session_id, '2 minutes') AS final_status;
\echo '-- scrape_status()'
SELECT session_id, status, stage, progress, pages_known, pages_done,
       pages_failed, duration
  FROM scrape_status(:session_id);
\echo '-- the pages stored in scraping_pages'
SELECT regexp_replace(url, '^https?://[^/]+', '') AS page, kind, depth, status,
       error_class AS error, http_status, body_size AS bytes,
       round(fetch_ms::numeric, 1) AS fetch_ms, jsonb_array_length(links) AS links,
       left(title, 40) AS title
  FROM scraping_pages WHERE session_id = :session_id ORDER BY depth, id;
\echo '-- the products the extracting and creating_products stages made of them'
SELECT regexp_replace(url, '^https?://[^/]+/site/store/', '') AS page, name, sku,
       brand, price, currency, availability, rating
  FROM products WHERE session_id = :session_id ORDER BY url;
\echo '-- the job in background_jobs and its history'
SELECT id, job_type, status, progress, current_stage, attempts,
       metadata ->> 'scraping_mode' AS mode
  FROM background_jobs
 WHERE id = (SELECT background_job_id FROM scraping_sessions WHERE id = :session_id);
SELECT event, detail, created_at::time(3) AS at
  FROM job_history WHERE session_id = :session_id ORDER BY id;
\echo '-- scrape_metrics()'
\x on
SELECT * FROM scrape_metrics();
\x off
\echo '-- scrape_workers()'
SELECT worker, pid, state, transfers, pages_fetched, claims FROM scrape_workers();
SQL
log "done; stopping the cluster and the HTTP server"
