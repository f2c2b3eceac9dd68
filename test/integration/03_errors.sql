-- The error table (README, "Error classes and retries"), one row at a time:
-- what cannot succeed fails at once with one attempt; what may succeed is
-- retried with backoff up to max_attempts requests in all, and its job
-- dead-lettered then (one run: no job run gives the page fresh attempts).  Runs against 127.0.0.2 so the
-- failures stay on a host of their own.
\ir helpers.psql
SELECT plan(27);

CREATE TEMP TABLE cases (name text, path text, class text, http integer,
                         retryable boolean, options jsonb, sid bigint);
INSERT INTO cases (name, path, class, http, retryable, options) VALUES
    ('404',            '/status/404', 'http_4xx', 404, false, '{}'),
    ('410',            '/status/410', 'http_4xx', 410, false, '{}'),
    ('501',            '/status/501', 'http_5xx', 501, false, '{}'),
    ('redirect loop',  '/redirect-loop', 'too_many_redirects', 302, false, '{}'),
    ('to ftp',         '/redirect-to?url=ftp://127.0.0.2/x', 'unsupported_scheme', 302, false, '{}'),
    ('too large',      '/big?bytes=2000000', 'too_large', 200, false, '{}'),
    ('too large, streamed', '/big-nolength?bytes=2000000', 'too_large', 200, false, '{}'),
    ('gzip bomb',      '/gzip-bomb?mb=50', 'too_large', 200, false, '{}'),
    ('408',            '/status/408', 'http_4xx', 408, true, '{}'),
    ('429',            '/status/429', 'http_4xx', 429, true, '{}'),
    ('500',            '/status/500', 'http_5xx', 500, true, '{}'),
    ('502',            '/status/502', 'http_5xx', 502, true, '{}'),
    ('503',            '/status/503', 'http_5xx', 503, true, '{}'),
    ('504',            '/status/504', 'http_5xx', 504, true, '{}'),
    ('522',            '/status/522', 'http_5xx', 522, true, '{}'),
    ('524',            '/status/524', 'http_5xx', 524, true, '{}'),
    ('timeout',        '/slow?ms=4000', 'timeout', NULL, true, '{"request_timeout": "1s"}'),
    ('slow body',      '/drip?chunks=30&interval_ms=100', 'timeout', 200, true, '{"request_timeout": "1s"}'),
    ('reset',          '/reset', 'connection', NULL, true, '{}'),
    ('reset mid-body', '/reset-mid', 'connection', 200, true, '{}'),
    ('partial body',   '/partial', 'partial_body', 200, true, '{}'),
    ('refused',        NULL, 'connection', NULL, true, '{}');

-- two attempts per job run keep the test short; one case below uses the
-- default of three
UPDATE cases SET sid = scrape_submit(
    coalesce(pg_temp.url_on('127.0.0.2', path), 'http://127.0.0.2:1/'),
    options => options || '{"max_attempts": 2}');
SELECT scrape_submit(pg_temp.url_on('127.0.0.2', '/status/503?default=1')) AS default_sid \gset
SELECT scrape_submit(pg_temp.url_on('127.0.0.2', '/status/429?retry_after=2'),
                     options => '{"max_attempts": 2}') AS ra_sid \gset
SELECT scrape_submit(pg_temp.url_on('127.0.0.2', '/status/503?retry_after=10'),
                     options => '{"max_attempts": 2}') AS ra_cap_sid \gset

SELECT bool_and(scrape_wait(sid, '60 s') IN ('failed', 'dead')) AS all_done FROM cases \gset
SELECT ok(:'all_done'::boolean, 'every session ended');

CREATE TEMP VIEW outcome AS
SELECT c.name, c.class, c.http, c.retryable,
       p.status, p.http_status, p.error_class, p.error, p.attempts,
       p.body, p.body_size, s.status AS session_status, j.status AS job_status,
       j.attempts AS job_attempts, j.last_error, c.sid,
       (SELECT count(*) FROM scraping_page_attempts a WHERE a.page_id = p.id) AS logged
  FROM cases c
  JOIN scraping_pages p ON p.session_id = c.sid
  JOIN scraping_sessions s ON s.id = c.sid
  JOIN background_jobs j ON j.id = s.background_job_id;

-- each failure has its class and HTTP status
SELECT is_empty($$SELECT name, error_class, http_status FROM outcome
                   WHERE error_class IS DISTINCT FROM class
                      OR http_status IS DISTINCT FROM http$$,
                'each failure has its class and status');

-- what cannot succeed: one attempt, the page and job failed
SELECT is_empty($$SELECT name, status, attempts, job_status, logged FROM outcome
                   WHERE NOT retryable
                     AND (status, attempts, session_status, job_status, job_attempts, logged)
                         IS DISTINCT FROM ('failed', 1, 'failed', 'failed', 1, 1::bigint)$$,
                'non-retryable failures end at once, attempts = 1');

-- what may succeed: its 2 attempts, in one job run, then the dead-letter queue
SELECT is_empty($$SELECT name, status, attempts, job_status, job_attempts, logged FROM outcome
                   WHERE retryable
                     AND (status, attempts, session_status, job_status, job_attempts, logged)
                         IS DISTINCT FROM ('failed', 2, 'dead', 'dead', 1, 2::bigint)$$,
                'retryable failures are retried, then dead-lettered');
SELECT is(count(*), 14::bigint, 'each dead job is in the dead-letter queue, once')
  FROM scrape_dead_letters d JOIN cases c ON c.sid = d.session_id;
SELECT is_empty($$SELECT d.job_id FROM dead_letter_jobs d JOIN cases c ON c.sid = d.session_id
                   WHERE jsonb_array_length(d.errors) <> 2
                      OR d.snapshot -> 'job' ->> 'id' <> d.job_id::text
                      OR d.attempts <> 1$$,
                'a dead letter keeps the snapshot and every error');
SELECT is(array_agg(a.outcome ORDER BY a.id), ARRAY['retry', 'failed'],
          'each attempt is logged with its outcome')
  FROM scraping_page_attempts a JOIN cases c ON c.sid = a.session_id WHERE c.name = '500';
SELECT is(array_agg(h.event ORDER BY h.id) FILTER (WHERE h.event NOT IN ('claimed', 'stage_changed')
                                                        AND h.event NOT LIKE 'page_%'),
          ARRAY['created', 'retry_scheduled', 'dead_lettered'],
          'history: a page retry, then the dead letter')
  FROM job_history h JOIN cases c ON c.sid = h.session_id WHERE c.name = '500';
SELECT is(count(*), 14::bigint, 'one dead-letter alert per dead job')
  FROM alerts a JOIN cases c ON c.sid = a.session_id WHERE a.kind = 'job_dead_lettered';
SELECT matches(last_error, '^all 1 pages failed; last error: HTTP status 500$', 'the job says why')
  FROM outcome WHERE name = '500';
SELECT matches(last_error, 'HTTP status 404', 'a failed job says why too') FROM outcome WHERE name = '404';

-- the default: three attempts of the page, in one run of the job
SELECT is(scrape_wait(:default_sid, '60 s'), 'dead', 'default max_attempts: dead in the end');
SELECT is(ARRAY[p.attempts, j.attempts, j.max_attempts], ARRAY[3, 1, 3],
          'three attempts of the page, one run of the job')
  FROM scraping_pages p JOIN scraping_sessions s ON s.id = p.session_id
  JOIN background_jobs j ON j.id = s.background_job_id WHERE s.id = :default_sid;
SELECT is(count(*), 3::bigint, 'three fetches in all')
  FROM scraping_page_attempts WHERE session_id = :default_sid;

-- backoff: each retry's delay is within [d/2, d], d = min(3s, 200ms * 2^(attempt-1))
SELECT is_empty($$
    SELECT h.detail FROM job_history h
     WHERE h.session_id = $$ || :default_sid || $$ AND h.event = 'retry_scheduled'
       AND h.detail ? 'page_id'
       AND (h.detail ->> 'delay_ms')::numeric NOT BETWEEN
           least(3000, 200 * 2 ^ ((h.detail ->> 'attempt')::int - 2)) / 2
           AND least(3000, 200 * 2 ^ ((h.detail ->> 'attempt')::int - 2))$$,
    'page retry delays within their bounds');
SELECT is(count(*), 0::bigint, 'no job-level requeue for pages that failed')
  FROM job_history h
 WHERE h.session_id = :default_sid AND h.event = 'retry_scheduled'
   AND NOT h.detail ? 'page_id';
-- and no attempt started before its delay was over
SELECT is_empty($$
    WITH a AS (
        SELECT created_at, lead(created_at) OVER (ORDER BY id) AS next_at,
               row_number() OVER (ORDER BY id) AS n
          FROM scraping_page_attempts WHERE session_id = $$ || :default_sid || $$
    ), h AS (
        SELECT (detail ->> 'delay_ms')::numeric AS delay_ms,
               row_number() OVER (ORDER BY id) AS n
          FROM job_history WHERE session_id = $$ || :default_sid || $$
           AND event = 'retry_scheduled'
    )
    SELECT a.n FROM a JOIN h USING (n)
     WHERE a.next_at IS NOT NULL
       AND a.next_at - a.created_at < h.delay_ms * interval '1 ms'$$,
    'no retry ran before its backoff was over');

-- Retry-After is honoured, up to retry_max_delay (3s in the test cluster)
SELECT is(scrape_wait(:ra_sid, '60 s'), 'dead', 'the 429 session ended');
SELECT is((detail ->> 'delay_ms')::int, 2000, 'Retry-After: 2 honoured')
  FROM job_history WHERE session_id = :ra_sid AND event = 'retry_scheduled'
   AND detail ? 'page_id' ORDER BY id LIMIT 1;
SELECT is(scrape_wait(:ra_cap_sid, '60 s'), 'dead', 'the 503 session ended');
SELECT is((detail ->> 'delay_ms')::int, 3000, 'Retry-After: 10 capped at retry_max_delay')
  FROM job_history WHERE session_id = :ra_cap_sid AND event = 'retry_scheduled'
   AND detail ? 'page_id' ORDER BY id LIMIT 1;

-- sizes and texts
SELECT ok(body_size BETWEEN 1048576 - 65536 AND 1048576, 'a streamed body is cut at max_body_size')
  FROM outcome WHERE name = 'too large, streamed';
SELECT is(body_size, 0::bigint, 'a declared Content-Length over the cap is refused before reading')
  FROM outcome WHERE name = 'too large';
SELECT is(body, 'status 404', 'the body of an HTTP error is kept') FROM outcome WHERE name = '404';

-- one retry budget per page, as the server counts requests: an always-503
-- URL and an always-reset URL get exactly max_attempts (3) requests each
-- and are dead-lettered, a 503, 503, 200 URL ends done after 3
SELECT md5(random()::text) AS k \gset
SELECT scrape_submit(pg_temp.url_on('127.0.0.3', '/counted?key=a503-' || :'k')) AS c1,
       scrape_submit(pg_temp.url_on('127.0.0.3', '/counted?how=reset&key=areset-' || :'k')) AS c2,
       scrape_submit(pg_temp.url_on('127.0.0.3', '/counted?fails=2&key=twice-' || :'k')) AS c3 \gset
SELECT is(scrape_wait(:c1, '60 s') || ' ' || scrape_wait(:c2, '60 s') || ' ' || scrape_wait(:c3, '60 s'),
          'dead dead completed', 'always 503 and always reset: dead; 503, 503, 200: completed');
SELECT scrape_submit(pg_temp.url('/counted-hits?key=a503-' || :'k')) AS h1,
       scrape_submit(pg_temp.url('/counted-hits?key=areset-' || :'k')) AS h2,
       scrape_submit(pg_temp.url('/counted-hits?key=twice-' || :'k')) AS h3 \gset
SELECT scrape_wait(:h1, '30 s'), scrape_wait(:h2, '30 s'), scrape_wait(:h3, '30 s') \gset
SELECT is(ARRAY[btrim((pg_temp.page(:h1)).body, E' \n'), btrim((pg_temp.page(:h2)).body, E' \n'),
                btrim((pg_temp.page(:h3)).body, E' \n')],
          ARRAY['3', '3', '3'], 'the server saw exactly 3 requests of each');
SELECT diag(format('dead-lettered %s s and %s s after the submit (backoffs of 100-200 ms and 200-400 ms in the test cluster)',
                   round(extract(epoch FROM j1.finished_at - j1.created_at)::numeric, 1),
                   round(extract(epoch FROM j2.finished_at - j2.created_at)::numeric, 1)))
  FROM scraping_sessions s1 JOIN background_jobs j1 ON j1.id = s1.background_job_id,
       scraping_sessions s2 JOIN background_jobs j2 ON j2.id = s2.background_job_id
 WHERE s1.id = :c1 AND s2.id = :c2;

-- nothing is left in flight
SELECT is(count(*), 0::bigint, 'no page left in flight')
  FROM scraping_pages p JOIN cases c ON c.sid = p.session_id
 WHERE p.status = 'fetching' OR p.claimed_by IS NOT NULL;

SELECT * FROM finish();
