-- A host's circuit breaker: it opens after consecutive retryable failures
-- (an alert is recorded), defers the host's pages without spending their
-- attempts, lets one probe through after the cooldown (a failed probe opens
-- it again), and closes when a probe succeeds.  Host 127.0.0.3 is used by
-- this test alone.  The test cluster runs with the breaker off (threshold
-- 1000); it is set to 3 here, cooldown 2s.
\ir helpers.psql
SELECT plan(11);

ALTER SYSTEM SET scrape_jobs.breaker_failure_threshold = 3;
SELECT pg_reload_conf() \gset
SELECT pg_sleep(1) \gset

SELECT md5(random()::text) AS k \gset
SELECT scrape_submit_urls(array(
    SELECT pg_temp.url_on('127.0.0.3', '/flaky?key=' || :'k' || '&n=' || g)
      FROM generate_series(1, 8) g),
    options => '{"max_attempts": 10, "per_host_max_connections": 1}') AS sid \gset

SELECT ok(pg_temp.eventually(
    $$SELECT state = 'open' FROM scrape_circuit_breakers() WHERE host = pg_temp.origin_on('127.0.0.3')$$,
    '20 s'), 'the circuit opens');
-- the alert is written by the worker's next queue pass, just after
SELECT ok(pg_temp.eventually(
    $$SELECT count(*) = 1 FROM alerts WHERE kind = 'circuit_opened' AND host = pg_temp.origin_on('127.0.0.3')$$),
    'one circuit_opened alert');
SELECT ok(pg_temp.eventually(format(
    $$SELECT count(*) > 0 FROM scraping_pages
       WHERE session_id = %s AND status = 'pending' AND not_before > now()$$, :sid)),
    'the host''s pages are deferred');

-- after the 2 s cooldown one probe goes through, fails, and opens it again
SELECT consecutive_failures AS before_probe FROM scrape_circuit_breakers()
 WHERE host = pg_temp.origin_on('127.0.0.3') \gset
SELECT ok(pg_temp.eventually(format(
    $$SELECT consecutive_failures = %s + 1 AND state = 'open'
        FROM scrape_circuit_breakers() WHERE host = pg_temp.origin_on('127.0.0.3')$$, :before_probe),
    '10 s'), 'a failed probe reopens the circuit');
SELECT is(count(*), 1::bigint, 'reopening is not a new alert')
  FROM alerts WHERE kind = 'circuit_opened' AND host = pg_temp.origin_on('127.0.0.3');

-- the host recovers: the next probe succeeds and closes the circuit
SELECT scrape_submit(pg_temp.url('/flaky-set?key=' || :'k' || '&ok=1')) AS fix \gset
SELECT is(scrape_wait(:fix, '30 s'), 'completed', 'host brought back');
SELECT is(scrape_wait(:sid, '60 s'), 'completed', 'the session completes');
SELECT is(state || '/' || consecutive_failures, 'closed/0', 'the circuit is closed')
  FROM scrape_circuit_breakers() WHERE host = pg_temp.origin_on('127.0.0.3');
SELECT is(count(*) FILTER (WHERE status = 'done'), 8::bigint, 'every page fetched')
  FROM scraping_pages WHERE session_id = :sid;
SELECT ok(max(attempts) < 10, 'no page ran out of attempts')
  FROM scraping_pages WHERE session_id = :sid;
-- every attempt a page spent is a fetch that failed (logged) or its final
-- success: deferrals while the circuit was open spent none
SELECT is(sum(attempts)::bigint,
          (SELECT count(*) FROM scraping_page_attempts WHERE session_id = :sid) + 8,
          'deferred pages did not spend attempts')
  FROM scraping_pages WHERE session_id = :sid;

ALTER SYSTEM RESET scrape_jobs.breaker_failure_threshold;
SELECT pg_reload_conf() \gset
SELECT * FROM finish();
