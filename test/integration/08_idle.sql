-- An idle cluster: the workers wait on their latches and run no queries.
\ir helpers.psql
SELECT plan(4);

SELECT ok(pg_temp.eventually(
    $$SELECT NOT EXISTS (SELECT 1 FROM scraping_sessions WHERE status IN ('pending', 'running'))$$,
    '30 s'), 'no live session');
SELECT ok(pg_temp.eventually(
    $$SELECT bool_and(state = 'idle' AND transfers = 0) FROM scrape_workers()$$),
    'all workers idle');
SELECT sum(claims) AS claims_before, clock_timestamp() AS t0 FROM scrape_workers() \gset
SELECT pg_sleep(3) \gset
-- a worker may run one safety sweep every 5 minutes; polling would be dozens
SELECT ok(sum(claims) - :claims_before <= 2, 'no claim queries while idle')
  FROM scrape_workers();
SELECT ok(coalesce(max(query_start), '-infinity') < :'t0'::timestamptz,
          'no query started by a worker while idle')
  FROM pg_stat_activity WHERE backend_type = 'scrape_jobs worker';

SELECT * FROM finish();
