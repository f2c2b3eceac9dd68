-- Cancelling a running session: its transfers are dropped at once, the
-- pages already stored stay, nothing is written for it afterwards.
\ir helpers.psql
SELECT plan(10);

SELECT md5(random()::text) AS run \gset
SELECT scrape_submit_urls(ARRAY[pg_temp.url('/ok?c=' || :'run'),
                                pg_temp.url('/slow?ms=20000&c=' || :'run')],
                          options => '{"request_timeout": "60s"}') AS sid \gset

SELECT ok(pg_temp.eventually(format(
    $$SELECT count(*) FILTER (WHERE status = 'done') = 1
                 AND count(*) FILTER (WHERE status = 'fetching') = 1
        FROM scraping_pages WHERE session_id = %s$$, :sid)),
    'one page stored, one in flight');
SELECT ok((SELECT sum(transfers) FROM scrape_workers()) >= 1, 'a worker holds the transfer');

SELECT ok(scrape_cancel(:sid), 'cancel');
SELECT ok(pg_temp.eventually(
    'SELECT coalesce(sum(transfers), 0) = 0 FROM scrape_workers()', '5 s'),
    'the worker dropped its transfer');
SELECT is(scrape_wait(:sid, '5 s'), 'cancelled', 'the session is cancelled');
SELECT is(array_agg(status ORDER BY id), ARRAY['done', 'cancelled'],
          'the stored page stays, the other is cancelled')
  FROM scraping_pages WHERE session_id = :sid;
SELECT matches((SELECT body FROM scraping_pages WHERE session_id = :sid AND status = 'done'),
               'ok', 'with its body');
SELECT is(j.status || '/' || j.lease, 'cancelled/2', 'the job is cancelled and fenced')
  FROM background_jobs j JOIN scraping_sessions s ON s.background_job_id = j.id
 WHERE s.id = :sid;
SELECT is(count(*), 1::bigint, 'one cancelled event')
  FROM job_history WHERE session_id = :sid AND event = 'cancelled';
-- nothing the dropped transfer could write shows up later
SELECT pg_sleep(0.5) \gset
SELECT is(count(*) FILTER (WHERE status = 'cancelled'), 1::bigint, 'still cancelled')
  FROM scraping_pages WHERE session_id = :sid;

SELECT * FROM finish();
