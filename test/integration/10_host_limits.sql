-- Per-host limits hold across workers: at most per_host_max_connections
-- requests to one host at once, and per_host_delay between two starts.
\ir helpers.psql
SELECT plan(7);

SELECT md5(random()::text) AS k1, md5(random()::text) AS k2 \gset

-- 40 slow pages, 3 connections to the host at most, two workers
SELECT scrape_submit_urls(array(
    SELECT pg_temp.url('/slow?ms=200&track=' || :'k1' || '&n=' || g)
      FROM generate_series(1, 40) g),
    options => '{"per_host_max_connections": 3}') AS sid \gset
SELECT is(scrape_wait(:sid, '60 s'), 'completed', 'the session completes');
SELECT ok(active_connections = 0 AND requests >= 40,
          'the host table counted the requests and gave every connection back')
  FROM scrape_circuit_breakers() WHERE host = pg_temp.origin_on('127.0.0.1');
SELECT scrape_submit(pg_temp.url('/concurrency?key=' || :'k1')) AS c1 \gset
SELECT is(scrape_wait(:c1, '30 s'), 'completed', 'server statistics read');
SELECT cast(substring((pg_temp.page(:c1)).body FROM 'max (\d+)') AS int) AS max_seen \gset
SELECT ok(:max_seen BETWEEN 2 AND 3,
          format('never more than 3 requests at once (saw %s)', :max_seen));

-- 5 pages with 300 ms between starts
SELECT scrape_submit_urls(array(
    SELECT pg_temp.url('/slow?ms=0&track=' || :'k2' || '&n=' || g)
      FROM generate_series(1, 5) g),
    options => '{"per_host_delay": "300ms"}') AS sid2 \gset
SELECT is(scrape_wait(:sid2, '60 s'), 'completed', 'the delayed session completes');
SELECT scrape_submit(pg_temp.url('/concurrency?key=' || :'k2')) AS c2 \gset
SELECT scrape_wait(:c2, '30 s') \gset
SELECT cast(substring((pg_temp.page(:c2)).body FROM 'min_gap_ms (-?\d+)') AS int) AS gap,
       cast(substring((pg_temp.page(:c2)).body FROM 'mean_gap_ms (-?\d+)') AS int) AS mean_gap \gset
-- Measured where the server sees them arrive, later than the start by the
-- connection set-up and the worker's own pace (140 ms more for one request
-- under valgrind): so the mean gap over the four, which two starts at once
-- would pull down by a whole delay, and a shortest gap that only rules out
-- two at once.
SELECT ok(:mean_gap >= 250, format('starts 300 ms apart on average (mean gap %s ms)', :mean_gap));
SELECT ok(:gap >= 50, format('no two starts together (shortest gap seen %s ms)', :gap));

SELECT * FROM finish();
