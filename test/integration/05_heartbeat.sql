-- The job's heartbeat advances while one slow body is still downloading
-- (scrape_jobs.heartbeat_interval is 1s in the test cluster).
\ir helpers.psql
SELECT plan(6);

SELECT scrape_submit(pg_temp.url('/drip?chunks=10&interval_ms=500&n=' || md5(random()::text)),
                     options => '{"request_timeout": "20s"}') AS sid \gset
SELECT background_job_id AS jid FROM scraping_sessions WHERE id = :sid \gset

SELECT ok(pg_temp.eventually(format(
    'SELECT status = %L FROM scraping_pages WHERE session_id = %s', 'fetching', :sid)),
    'the page is being fetched');
SELECT last_heartbeat AS hb1 FROM background_jobs WHERE id = :jid \gset
SELECT pg_sleep(1.6) \gset
SELECT last_heartbeat AS hb2, status AS st2 FROM background_jobs WHERE id = :jid \gset
SELECT pg_sleep(1.6) \gset
SELECT last_heartbeat AS hb3, status AS st3 FROM background_jobs WHERE id = :jid \gset

SELECT ok(:'hb2'::timestamptz > :'hb1'::timestamptz, 'heartbeat advanced during the transfer');
SELECT ok(:'hb3'::timestamptz > :'hb2'::timestamptz, 'and again');
SELECT is(:'st2' || '/' || :'st3', 'processing/processing', 'the job was processing throughout');
SELECT is(scrape_wait(:sid, '30 s'), 'completed', 'the slow page completes');
SELECT is((pg_temp.page(:sid)).body_size, 1000::bigint, 'its whole body arrived');

SELECT * FROM finish();
