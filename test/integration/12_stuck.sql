-- Stuck-job recovery and fencing.  A worker is frozen (SIGSTOP) in the
-- middle of a transfer; the monitor (every 1 s, stuck_timeout 4 s in the test
-- cluster) recovers the job: an alert, its in-flight page parked, the lease
-- moved on, and, as the job has one attempt, the dead-letter queue.  Thawed
-- (SIGCONT), the worker must write nothing for the job it lost.  Requeued,
-- the job resumes from its checkpoint: the page already stored is not
-- fetched again.
\ir helpers.psql
SELECT plan(16);

SELECT md5(random()::text) AS k \gset
SELECT scrape_submit_urls(ARRAY[pg_temp.url('/ok?stuck=' || :'k'),
                                pg_temp.url('/slow?ms=6000&stuck=' || :'k')],
                          options => '{"max_attempts": 1, "request_timeout": "30s"}')
       AS sid \gset
SELECT background_job_id AS jid FROM scraping_sessions WHERE id = :sid \gset

SELECT ok(pg_temp.eventually(format(
    $$SELECT count(*) FILTER (WHERE status = 'done') = 1
             AND count(*) FILTER (WHERE status = 'fetching') = 1
        FROM scraping_pages WHERE session_id = %s$$, :sid)),
    'one page stored, the slow one in flight');
SELECT ok(pg_temp.eventually(format(
    'SELECT count(*) = 1 FROM scrape_workers() WHERE job_id = %s AND state = %L',
    :jid, 'fetching')), 'a worker is fetching it');
SELECT pid AS frozen FROM scrape_workers() WHERE job_id = :jid \gset
SELECT fetched_at AS ok_fetched_at FROM scraping_pages
 WHERE session_id = :sid AND status = 'done' \gset

-- (\! does not expand psql variables: pass the pid through the environment)
\setenv FROZEN :frozen
\! kill -STOP "$FROZEN"

SELECT ok(pg_temp.eventually(format(
    $$SELECT status = 'dead' FROM background_jobs WHERE id = %s$$, :jid), '20 s'),
    'the job is found stuck and, out of attempts, dead-lettered');
SELECT is(array_agg(event ORDER BY id) FILTER (WHERE event IN ('recovered', 'dead_lettered')),
          ARRAY['recovered', 'dead_lettered'], 'recovery then dead letter in the history')
  FROM job_history WHERE job_id = :jid;
SELECT is(count(*), 1::bigint, 'a job_stuck alert')
  FROM alerts WHERE kind = 'job_stuck' AND job_id = :jid;
SELECT is(array_agg(status ORDER BY id), ARRAY['done', 'dead'],
          'the stored page stays, the in-flight one is parked')
  FROM scraping_pages WHERE session_id = :sid;
SELECT updated_at AS parked_at FROM scraping_pages
 WHERE session_id = :sid AND status = 'dead' \gset

-- thaw the worker: its transfer ends, its result is refused by the lease
\! kill -CONT "$FROZEN"
SELECT pg_sleep(7) \gset
SELECT is(status, 'dead', 'the thawed worker did not bring the job back')
  FROM background_jobs WHERE id = :jid;
SELECT is(array_agg(status ORDER BY id), ARRAY['done', 'dead'],
          'nor overwrite the page')
  FROM scraping_pages WHERE session_id = :sid;
SELECT is(updated_at, :'parked_at'::timestamptz, 'the parked page was not touched')
  FROM scraping_pages WHERE session_id = :sid AND status = 'dead';
SELECT is(count(*), 2::bigint, 'no duplicate page') FROM scraping_pages WHERE session_id = :sid;
SELECT ok(EXISTS (SELECT 1 FROM scrape_workers() WHERE pid = :frozen),
          'the worker lives on');

-- requeue from the checkpoint
SELECT ok(scrape_requeue_dead(:jid), 'requeue the dead job');
SELECT is(scrape_wait(:sid, '60 s'), 'completed', 'it completes');
SELECT is(fetched_at, :'ok_fetched_at'::timestamptz, 'the stored page was not fetched again')
  FROM scraping_pages WHERE session_id = :sid AND url LIKE '%/ok?%';
SELECT scrape_submit(pg_temp.url('/hits?path=/ok%3Fstuck=' || :'k')) AS h \gset
SELECT scrape_wait(:h, '30 s') \gset
SELECT is(btrim((pg_temp.page(:h)).body, E'\n'), '1', 'the server saw it once');
SELECT is(requeued_at IS NOT NULL, true, 'the dead letter is marked requeued')
  FROM dead_letter_jobs WHERE job_id = :jid;

SELECT * FROM finish();
