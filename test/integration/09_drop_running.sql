-- DROP EXTENSION while a session runs: the workers drop their work and
-- leave with a LOG line, no ERROR in the server log; a new CREATE
-- EXTENSION starts again cleanly.  (The server log's path is a database
-- default set by test/run.sh.)
\ir helpers.psql
SELECT plan(9);

-- the helper returning a page row depends on the table type
DROP FUNCTION pg_temp.page(bigint);
SELECT md5(random()::text) AS run \gset
SELECT scrape_submit_urls(array(SELECT pg_temp.url('/slow?ms=300&drop=' || :'run' || '&n=' || g)
                                  FROM generate_series(1, 60) g)) AS sid \gset
SELECT ok(pg_temp.eventually(format(
    $$SELECT EXISTS (SELECT 1 FROM scraping_pages WHERE session_id = %s AND status = 'fetching')$$,
    :sid)), 'the session''s pages are in flight');
SELECT (pg_stat_file(current_setting('scrape_test.server_log'))).size AS log_offset \gset

DROP EXTENSION scrape_jobs;
SELECT ok(pg_temp.eventually(
    $$SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE backend_type = 'scrape_jobs worker')$$,
    '30 s'), 'the workers left');
SELECT pg_sleep(1);     -- a launcher pass after their exit
CREATE TEMP TABLE log_after_drop AS
SELECT l FROM regexp_split_to_table(
         pg_read_file(current_setting('scrape_test.server_log'), :log_offset, 10000000),
         E'\n') AS l;
SELECT is((SELECT string_agg(l, E'\n') FROM log_after_drop
            WHERE l ~ '\m(ERROR|FATAL|PANIC|WARNING):'), NULL,
          'no ERROR, FATAL or WARNING in the server log after the drop');
SELECT ok(EXISTS (SELECT 1 FROM log_after_drop
                   WHERE l LIKE '%scrape_jobs worker exiting because extension scrape_jobs % is not installed%'),
          'the workers said why they left');

CREATE EXTENSION scrape_jobs;
SELECT scrape_submit(pg_temp.url('/ok?drop=' || :'run')) AS sid2 \gset
SELECT is(scrape_wait(:sid2, '60 s'), 'completed', 'a session completes after CREATE EXTENSION');
SELECT is(count(*), 2::bigint, 'the workers are back') FROM scrape_workers();
SELECT is(state, 'running', 'the launcher is running') FROM scrape_launcher();
-- the metrics are the new extension's: the dropped one's jobs and pages
-- are gone with it
SELECT is(total_jobs, (SELECT count(*) FROM background_jobs), 'the job gauges count the new jobs only')
  FROM scrape_metrics();
SELECT is(pages_fetched, 1::bigint, 'the counters started again: one page fetched since')
  FROM scrape_metrics();

SELECT * FROM finish();
