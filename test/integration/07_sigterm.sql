-- A worker killed with SIGTERM exits, is replaced by the launcher, and the
-- session still completes with every page fetched and nothing duplicated.
\ir helpers.psql
SELECT plan(9);

SELECT md5(random()::text) AS run \gset
SELECT scrape_submit_urls(array(
    SELECT pg_temp.url('/slow?ms=300&k=' || :'run' || '&n=' || g)
      FROM generate_series(1, 80) g)) AS sid \gset

SELECT ok(pg_temp.eventually(
    'SELECT bool_or(transfers > 0) FROM scrape_workers()'), 'workers are fetching');
SELECT pid AS victim, worker AS victim_slot
  FROM scrape_workers() WHERE transfers > 0 ORDER BY transfers DESC LIMIT 1 \gset

SELECT ok(pg_terminate_backend(:victim, 5000), 'SIGTERM stops the worker');
SELECT ok(pg_temp.eventually(format(
    'SELECT EXISTS (SELECT 1 FROM scrape_workers() WHERE worker = %s AND pid <> %s)',
    :victim_slot, :victim)), 'the launcher started a replacement');

SELECT is(scrape_wait(:sid, '60 s'), 'completed', 'the session completes');
SELECT is(count(*), 80::bigint, 'one row per URL') FROM scraping_pages WHERE session_id = :sid;
SELECT is(count(*) FILTER (WHERE status = 'done'), 80::bigint, 'every page fetched')
  FROM scraping_pages WHERE session_id = :sid;
SELECT is(ARRAY[pages_done, pages_failed], ARRAY[80, 0], 'counters right')
  FROM scraping_sessions WHERE id = :sid;
SELECT ok((detail ->> 'pages')::int > 0, 'the dead worker''s pages were handed back')
  FROM job_history WHERE session_id = :sid AND event = 'work_released';
SELECT is(count(*), 2::bigint, 'two workers run again') FROM scrape_workers();

SELECT * FROM finish();
