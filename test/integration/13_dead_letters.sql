-- The dead-letter round trip through the API: a job that keeps failing is
-- dead-lettered; requeued while the host is still down it dies again;
-- requeued once the host is back, it completes.
\ir helpers.psql
SELECT plan(12);

SELECT md5(random()::text) AS k \gset
SELECT scrape_submit(pg_temp.url_on('127.0.0.2', '/flaky?key=' || :'k'),
                     options => '{"max_attempts": 1}') AS sid \gset
SELECT background_job_id AS jid FROM scraping_sessions WHERE id = :sid \gset

SELECT is(scrape_wait(:sid, '30 s'), 'dead', 'one attempt, a retryable failure: dead');
SELECT is(count(*), 1::bigint, 'listed in scrape_dead_letters')
  FROM scrape_dead_letters WHERE job_id = :jid;
SELECT matches(reason, 'HTTP status 503', 'with the reason')
  FROM scrape_dead_letters WHERE job_id = :jid;
SELECT throws_ok(format('SELECT scrape_requeue_dead(%s)', (SELECT max(id) + 1000 FROM background_jobs)),
                 '42704', NULL, 'requeueing an unknown job');

SELECT ok(scrape_requeue_dead(:jid), 'requeue while the host is down');
SELECT is(count(*), 0::bigint, 'no longer listed')
  FROM scrape_dead_letters WHERE job_id = :jid;
SELECT is(scrape_wait(:sid, '30 s'), 'dead', 'dead again');
SELECT is(count(*), 2::bigint, 'two dead letters, the first requeued')
  FROM dead_letter_jobs WHERE job_id = :jid;

SELECT scrape_submit(pg_temp.url('/flaky-set?key=' || :'k' || '&ok=1')) AS fix \gset
SELECT scrape_wait(:fix, '30 s') \gset
SELECT ok(scrape_requeue_dead(:jid), 'requeue once the host is back');
SELECT is(scrape_wait(:sid, '30 s'), 'completed', 'it completes');
SELECT throws_ok(format('SELECT scrape_requeue_dead(%s)', :jid), '55000',
                 format('job %s is not in the dead-letter queue', :jid),
                 'a completed job cannot be requeued');
SELECT is(array_agg(event ORDER BY id) FILTER (WHERE event IN ('dead_lettered', 'requeued', 'completed')),
          ARRAY['dead_lettered', 'requeued', 'dead_lettered', 'requeued', 'completed'],
          'the history tells it')
  FROM job_history WHERE job_id = :jid;

SELECT * FROM finish();
