-- The queue functions the workers call, driven by hand (no workers run in
-- this database): claims, retries with backoff, fencing, stuck recovery,
-- dead letters and requeue.
-- Expects the test cluster's settings (test/cluster.conf): retry_base_delay
-- 200ms, retry_max_delay 3s, stuck_timeout 4s.  Jobs here get two or three
-- attempts through the max_attempts option.
SHOW scrape_jobs.retry_base_delay;
SHOW scrape_jobs.retry_max_delay;
SHOW scrape_jobs.stuck_timeout;
DELETE FROM background_jobs;    -- start from an empty queue

-- a worker-shaped helper: write one result for a claimed page
CREATE FUNCTION pg_temp.result(worker bigint, page bigint, lease bigint,
                               ok boolean, http integer, class text,
                               retryable boolean, retry_after integer DEFAULT NULL)
RETURNS integer LANGUAGE sql AS $$
    SELECT _scrape_record_results(worker, ARRAY[page], ARRAY[lease], ARRAY[ok],
        ARRAY[http], ARRAY['text/html'], ARRAY['http://r.example/'],
        ARRAY[CASE WHEN ok THEN 'body' END], ARRAY[4::bigint], ARRAY[1.5::float8],
        ARRAY[class], ARRAY[CASE WHEN class IS NOT NULL THEN 'boom' END],
        ARRAY[retryable], ARRAY[retry_after], ARRAY[NULL::integer],
        ARRAY[NULL::text], ARRAY[NULL::text], ARRAY[NULL::text], ARRAY[NULL::text],
        ARRAY[NULL::text])
$$;

SELECT scrape_submit('http://r.example/', options => '{"max_attempts": 3}') AS sid \gset
SELECT * FROM _scrape_claim(101, 1) \gset c_
SELECT :c_attempt AS attempt, :c_lease AS lease;
SELECT status, current_stage, attempts FROM background_jobs WHERE id = :c_job_id;

-- a claim is fenced: another worker, or an old lease, writes nothing
SELECT pg_temp.result(202, :c_page_id, :c_lease, true, 200, NULL, false) AS other_worker;
SELECT pg_temp.result(101, :c_page_id, :c_lease - 1, true, 200, NULL, false) AS old_lease;

-- a retryable failure: back to pending after a backoff in [100ms, 200ms]
SELECT pg_temp.result(101, :c_page_id, :c_lease, false, 503, 'http_5xx', true) AS accepted;
SELECT p.status, p.attempts, p.claimed_by,
       p.not_before - a.created_at BETWEEN interval '100 ms' AND interval '200 ms'
           AS backoff_in_bounds
  FROM scraping_pages p JOIN scraping_page_attempts a ON a.page_id = p.id
 WHERE p.id = :c_page_id;
SELECT attempt, error_class, retryable, outcome FROM scraping_page_attempts
 WHERE page_id = :c_page_id;
-- not due yet: nothing to claim
SELECT count(*) AS claimable FROM _scrape_claim(101, 10);
SELECT _scrape_next_due() > now() AS next_due_known;

-- due: the second attempt gets a 429 with Retry-After, which sets its delay
UPDATE scraping_pages SET not_before = now() - interval '1 s' WHERE id = :c_page_id;
SELECT * FROM _scrape_claim(101, 1) \gset c_
SELECT pg_temp.result(101, :c_page_id, :c_lease, false, 429, 'http_4xx', true, 2500) AS accepted;
SELECT (detail ->> 'delay_ms')::int AS retry_after_delay_ms FROM job_history
 WHERE session_id = :sid AND event = 'retry_scheduled' ORDER BY id DESC LIMIT 1;

-- the third fails too: the page has spent its max_attempts, which are its
-- budget in all, so the job goes to the dead-letter queue at once (no job
-- run gives it fresh attempts: 3 requests, not 3 x 3)
UPDATE scraping_pages SET not_before = now() - interval '1 s' WHERE id = :c_page_id;
SELECT * FROM _scrape_claim(101, 1) \gset c_
SELECT pg_temp.result(101, :c_page_id, :c_lease, false, 503, 'http_5xx', true) AS accepted;
SELECT j.status, j.attempts, s.status AS session_status, p.status AS page_status,
       p.attempts AS page_attempts
  FROM background_jobs j JOIN scraping_sessions s ON s.background_job_id = j.id
  JOIN scraping_pages p ON p.session_id = s.id WHERE s.id = :sid;
SELECT event, detail - 'delay_ms' - 'page_id' AS detail FROM job_history
 WHERE session_id = :sid AND event IN ('retry_scheduled', 'dead_lettered') ORDER BY id;
SELECT reason, attempts, jsonb_array_length(errors) AS errors FROM dead_letter_jobs
 WHERE job_id = :c_job_id;
SELECT kind, regexp_replace(message, 'job \d+', 'job N') AS message
  FROM alerts WHERE job_id = :c_job_id;
SELECT scrape_wait(:sid, '10 ms');

-- requeue: fresh attempts, back in the queue
SELECT scrape_requeue_dead(:c_job_id);
SELECT j.status, j.attempts, s.status AS session_status, p.status AS page_status,
       p.attempts AS page_attempts, s.pages_failed
  FROM background_jobs j JOIN scraping_sessions s ON s.background_job_id = j.id
  JOIN scraping_pages p ON p.session_id = s.id WHERE s.id = :sid;
SELECT count(*) AS listed FROM scrape_dead_letters WHERE job_id = :c_job_id;
SELECT * FROM _scrape_claim(101, 1) \gset c_
SELECT pg_temp.result(101, :c_page_id, :c_lease, true, 200, NULL, false) AS accepted;
-- scraped: on to the stages after it (no worker runs them in this database)
SELECT status, current_stage FROM background_jobs WHERE id = :c_job_id;

-- a non-retryable failure fails at once
SELECT scrape_submit('http://r.example/gone', options => '{"max_attempts": 2}') AS sid2 \gset
SELECT * FROM _scrape_claim(101, 1) \gset c_
SELECT pg_temp.result(101, :c_page_id, :c_lease, false, 404, 'http_4xx', false) AS accepted;
SELECT status, attempts FROM scraping_pages WHERE id = :c_page_id;
SELECT scrape_wait(:sid2, '10 ms');

-- stuck detection: a page in flight and no heartbeat for stuck_timeout
SELECT scrape_submit('http://r.example/stuck', options => '{"max_attempts": 2}') AS sid3 \gset
SELECT * FROM _scrape_claim(101, 1) \gset c_
SELECT scrape_detect_stuck() AS recovered_while_alive;
UPDATE background_jobs SET last_heartbeat = now() - interval '5 s' WHERE id = :c_job_id;
SELECT scrape_detect_stuck() AS recovered;
SELECT scrape_detect_stuck() AS recovered_again;
SELECT j.status, j.lease > :c_lease AS fenced, p.status AS page_status
  FROM background_jobs j JOIN scraping_sessions s ON s.background_job_id = j.id
  JOIN scraping_pages p ON p.session_id = s.id WHERE s.id = :sid3;
SELECT pg_temp.result(101, :c_page_id, :c_lease, true, 200, NULL, false) AS late_result;
SELECT kind FROM alerts WHERE job_id = :c_job_id;

-- a worker that died: its pages go back, one attempt spent
SELECT scrape_submit('http://r.example/orphan', options => '{"max_attempts": 2}') AS sid4 \gset
SELECT * FROM _scrape_claim(303, 1) \gset c_
SELECT _scrape_release_orphans(ARRAY[101::bigint]) AS released;
SELECT status, attempts, claimed_by FROM scraping_pages WHERE id = :c_page_id;
SELECT attempt, error_class, outcome FROM scraping_page_attempts WHERE page_id = :c_page_id;
SELECT * FROM _scrape_claim(303, 1) \gset c_
SELECT _scrape_release_orphans('{}') AS released;
-- its second lost fetch spent the page's attempts: the page failed, and as
-- it was the job's only page, the job went to the dead-letter queue
SELECT event FROM job_history WHERE session_id = :sid4 ORDER BY id;
SELECT j.status, j.attempts, p.status AS page_status, p.attempts AS page_attempts
  FROM background_jobs j JOIN scraping_sessions s ON s.background_job_id = j.id
  JOIN scraping_pages p ON p.session_id = s.id WHERE s.id = :sid4;

-- scrape_jobs.page_history: batch (the default) writes one row per claim
-- and one per result batch of a session, counting its pages, and a row per
-- failed page; page a row per page and event ('on' is read as page); off
-- none
SHOW scrape_jobs.page_history;
SELECT scrape_cancel(:sid4) AS cancelled;
CREATE TEMP TABLE hp (mode text, sid bigint, page_id bigint, lease bigint);
CREATE FUNCTION pg_temp.history_run(mode text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE v_sid bigint;
BEGIN
    PERFORM set_config('scrape_jobs.page_history', mode, true);
    v_sid := scrape_submit_urls(ARRAY['http://r.example/h1-' || mode,
                                      'http://r.example/h2-' || mode]);
    INSERT INTO hp SELECT mode, v_sid, c.page_id, c.lease FROM _scrape_claim(404, 2) c;
    -- the first page is stored, the second fails (an exception: itemised)
    PERFORM pg_temp.result(404, hp.page_id, hp.lease, n = 1,
                           CASE n WHEN 1 THEN 200 ELSE 404 END,
                           CASE n WHEN 2 THEN 'http_4xx' END, false)
       FROM (SELECT x.*, row_number() OVER (ORDER BY x.page_id) AS n
               FROM hp x WHERE x.mode = history_run.mode) hp
      ORDER BY hp.page_id;
END $$;
SELECT pg_temp.history_run('batch'), pg_temp.history_run('on'), pg_temp.history_run('off');
-- the pages as their places in the session (1, 2)
SELECT hp.mode, h.event, h.detail ->> 'pages' AS pages,
       array_position(p.ids, (h.detail ->> 'first_page_id')::bigint) AS first,
       array_position(p.ids, (h.detail ->> 'last_page_id')::bigint) AS last,
       array_position(p.ids, (h.detail ->> 'page_id')::bigint) AS page,
       h.detail ->> 'worker' AS worker
  FROM (SELECT DISTINCT mode, sid FROM hp) hp
  CROSS JOIN LATERAL (SELECT array_agg(x.page_id ORDER BY x.page_id) AS ids
                        FROM hp x WHERE x.sid = hp.sid) p
  JOIN job_history h ON h.session_id = hp.sid AND h.event LIKE 'page%'
 ORDER BY hp.sid, h.id;

-- requeueing what is not dead
\set SHOW_CONTEXT never
\set VERBOSITY terse
DO $$ BEGIN PERFORM scrape_requeue_dead(currval(pg_get_serial_sequence('background_jobs', 'id')));
EXCEPTION WHEN OTHERS THEN RAISE NOTICE '% %', SQLSTATE, regexp_replace(SQLERRM, '\d+', 'N'); END $$;
SELECT scrape_requeue_dead(-1);
\set VERBOSITY default

-- Claims take turns between workspaces, then between a workspace's
-- sessions (0.1.5): workspace a has 5 sessions and b one, of 10 pages
-- each; a claim of 6 gives b 3 pages (0.1.4 gave every session a turn, so
-- b had 1 and a 5), and a's come from its first sessions in turn.
DELETE FROM background_jobs;
SELECT count(scrape_submit_urls(array(SELECT 'http://ws-a.example/' || s || '/' || g
                                        FROM generate_series(1, 10) g),
                                workspace_id => 'aaaaaaaa-0000-4000-8000-00000000000a'))
  FROM generate_series(1, 5) s;
SELECT scrape_submit_urls(array(SELECT 'http://ws-b.example/' || g FROM generate_series(1, 10) g),
                          workspace_id => 'bbbbbbbb-0000-4000-8000-00000000000b') IS NOT NULL
       AS submitted;
SELECT s.workspace_id, count(*) AS pages, count(DISTINCT s.id) AS sessions
  FROM _scrape_claim(505, 6) c JOIN scraping_sessions s ON s.id = c.session_id
 GROUP BY 1 ORDER BY 1;
DELETE FROM background_jobs;

-- ... and reach every workspace, not only those among the claim's oldest
-- sessions (0.1.8): workspace a has 30 sessions, then b and the sessions
-- without a workspace have one each; a claim of 6 takes 2 pages of each
-- (0.1.7 saw only a's first 6 sessions, and gave them all 6).
SELECT count(scrape_submit_urls(array(SELECT 'http://ws-a.example/' || s || '/' || g
                                        FROM generate_series(1, 5) g),
                                workspace_id => 'aaaaaaaa-0000-4000-8000-00000000000a'))
  FROM generate_series(1, 30) s;
SELECT scrape_submit_urls(array(SELECT 'http://ws-b.example/' || g FROM generate_series(1, 5) g),
                          workspace_id => 'bbbbbbbb-0000-4000-8000-00000000000b') IS NOT NULL
       AS submitted_b,
       scrape_submit_urls(array(SELECT 'http://no-ws.example/' || g FROM generate_series(1, 5) g))
       IS NOT NULL AS submitted_none;
SELECT s.workspace_id, count(*) AS pages
  FROM _scrape_claim(505, 6) c JOIN scraping_sessions s ON s.id = c.session_id
 GROUP BY 1 ORDER BY 1;
DELETE FROM background_jobs;

-- Within a session, claims take turns between its hosts (0.1.6): 30 pages
-- on slow.example, then 4 on each of two other hosts; a claim of 9 takes 3
-- of each (0.1.5 took the first 9, all of slow.example).  A host the
-- worker reports busy (its pages wait in the worker's backlog) comes last.
SELECT scrape_submit_urls(array(SELECT 'http://slow.example/' || g FROM generate_series(1, 30) g)
                          || array(SELECT 'http://' || h || '.example/' || g
                                     FROM unnest('{one,two}'::text[]) h, generate_series(1, 4) g))
       AS hosts \gset
SELECT host, count(*) AS pages FROM scraping_pages WHERE session_id = :hosts GROUP BY 1 ORDER BY 1;
BEGIN;
SELECT _scrape_host(c.url) AS host, count(*) AS pages
  FROM _scrape_claim(606, 9) c GROUP BY 1 ORDER BY 1;
ROLLBACK;
BEGIN;
SELECT _scrape_host(c.url) AS host, count(*) AS pages
  FROM _scrape_claim(606, 9, '{slow.example}') c GROUP BY 1 ORDER BY 1;
ROLLBACK;
-- what is claimed when only the busy host has pages left: its pages
BEGIN;
UPDATE scraping_pages SET status = 'done' WHERE session_id = :hosts AND host <> 'slow.example';
SELECT _scrape_host(c.url) AS host, count(*) AS pages
  FROM _scrape_claim(606, 9, '{slow.example}') c GROUP BY 1 ORDER BY 1;
ROLLBACK;
DELETE FROM background_jobs;
