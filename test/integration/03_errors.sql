-- How each kind of failure ends a page, the session and the job.
\ir helpers.psql
SELECT plan(22);

CREATE TEMP TABLE cases (name text, path text, options jsonb, sid bigint);
INSERT INTO cases (name, path, options) VALUES
    ('404',            '/status/404', '{}'),
    ('500',            '/status/500', '{}'),
    ('timeout',        '/slow?ms=4000', '{"request_timeout": "1s"}'),
    ('slow body',      '/drip?chunks=30&interval_ms=100', '{"request_timeout": "1s"}'),
    ('reset',          '/reset', '{}'),
    ('reset mid-body', '/reset-mid', '{}'),
    ('refused',        NULL, '{}'),
    ('redirect loop',  '/redirect-loop', '{}'),
    ('redirect chain', '/redirect/3', '{}'),
    ('to ftp',         '/redirect-to?url=ftp://127.0.0.1/x', '{}'),
    ('too large',      '/big?bytes=2000000', '{}'),
    ('too large, streamed', '/big-nolength?bytes=2000000', '{}'),
    ('gzip bomb',      '/gzip-bomb?mb=50', '{}');

-- port 1 on loopback: nothing listens there
UPDATE cases SET sid = scrape_submit(coalesce(pg_temp.url(path), 'http://127.0.0.1:1/'),
                                     options => options);
-- one transaction submitted them all; wait for each
SELECT bool_and(scrape_wait(sid, '30 s') IN ('completed', 'failed')) AS all_done FROM cases \gset
SELECT ok(:'all_done'::boolean, 'every session ended');

CREATE TEMP VIEW outcome AS
SELECT c.name, p.status, p.http_status, p.error_class, p.error, p.body_size,
       p.final_url, s.status AS session_status, j.status AS job_status,
       j.last_error
  FROM cases c
  JOIN scraping_pages p ON p.session_id = c.sid
  JOIN scraping_sessions s ON s.id = c.sid
  JOIN background_jobs j ON j.id = s.background_job_id;

SELECT results_eq(
    $$SELECT name, status, http_status, error_class FROM outcome ORDER BY name$$,
    $$VALUES ('404', 'failed', 404, 'http_4xx'),
             ('500', 'failed', 500, 'http_5xx'),
             ('gzip bomb', 'failed', 200, 'too_large'),
             ('redirect chain', 'done', 200, NULL),
             ('redirect loop', 'failed', 302, 'too_many_redirects'),
             ('refused', 'failed', NULL, 'connection'),
             ('reset', 'failed', NULL, 'connection'),
             ('reset mid-body', 'failed', 200, 'connection'),
             ('slow body', 'failed', 200, 'timeout'),
             ('timeout', 'failed', NULL, 'timeout'),
             ('to ftp', 'failed', 302, 'unsupported_scheme'),
             ('too large', 'failed', 200, 'too_large'),
             ('too large, streamed', 'failed', 200, 'too_large')$$,
    'each failure has its class');

SELECT is(final_url, pg_temp.url('/redirect/0'), 'redirects followed to the end')
  FROM outcome WHERE name = 'redirect chain';
SELECT ok(body_size BETWEEN 1048576 - 65536 AND 1048576,
          'a streamed body is cut at max_body_size')
  FROM outcome WHERE name = 'too large, streamed';
SELECT ok(body_size <= 1048576, 'a gzip bomb is cut at max_body_size, decompressed')
  FROM outcome WHERE name = 'gzip bomb';
SELECT is(body_size, 0::bigint, 'a declared Content-Length over the cap is refused before reading')
  FROM outcome WHERE name = 'too large';
SELECT matches(error, 'max_body_size', 'the size error names the setting')
  FROM outcome WHERE name = 'too large, streamed';
SELECT matches(error, '^HTTP status 404$', 'HTTP error text') FROM outcome WHERE name = '404';
SELECT ok(error IS NOT NULL AND error <> '', 'curl error text kept')
  FROM outcome WHERE name = 'refused';

-- a session whose only page failed has failed, and says why
SELECT is(session_status || '/' || job_status, 'failed/failed', 'failed single-page session')
  FROM outcome WHERE name = '404';
SELECT matches(last_error, 'all 1 pages failed; last error: HTTP status 404',
               'the job records the last error') FROM outcome WHERE name = '404';
SELECT is(session_status || '/' || job_status, 'completed/completed', 'the redirect chain succeeded')
  FROM outcome WHERE name = 'redirect chain';
SELECT is(current_stage, 'done', 'a failed job is done too')
  FROM background_jobs j JOIN cases c ON j.metadata ->> 'session_id' = c.sid::text
 WHERE c.name = '500';
SELECT is(event, 'failed', 'the failure is in the history')
  FROM job_history h JOIN cases c ON h.session_id = c.sid
 WHERE c.name = '500' ORDER BY h.id DESC LIMIT 1;

-- a list with some pages failing completes; one with all failing fails
SELECT scrape_submit_urls(ARRAY[pg_temp.url('/ok'), pg_temp.url('/status/404?x=1'),
                                pg_temp.url('/status/503?x=1')]) AS mixed \gset
SELECT scrape_submit_urls(ARRAY[pg_temp.url('/status/404?x=2'),
                                pg_temp.url('/status/410?x=2')]) AS allbad \gset
SELECT is(scrape_wait(:mixed, '30 s'), 'completed', 'a partly failed list completes');
SELECT is(ARRAY[pages_done, pages_failed, progress_percentage], ARRAY[1, 2, 100],
          'its counters') FROM scraping_sessions WHERE id = :mixed;
SELECT is(scrape_wait(:allbad, '30 s'), 'failed', 'an all-failed list fails');
SELECT is(ARRAY[pages_done, pages_failed], ARRAY[0, 2], 'its counters')
  FROM scraping_sessions WHERE id = :allbad;

-- every failure above was a first and only attempt
SELECT is(max(p.attempts), 1, 'nothing was retried') FROM scraping_pages p
  JOIN cases c ON c.sid = p.session_id;

-- the error bodies of HTTP failures are kept
SELECT is(p.body, 'status 500', 'an error body is stored')
  FROM scraping_pages p JOIN cases c ON c.sid = p.session_id WHERE c.name = '500';

-- failures do not leave claims behind
SELECT is(count(*), 0::bigint, 'no page left in flight')
  FROM scraping_pages p JOIN cases c ON c.sid = p.session_id
 WHERE p.status = 'fetching' OR p.claimed_by IS NOT NULL;

-- metrics see the failed jobs
SELECT ok(failed_jobs >= 13 AND error_rate > 0, 'metrics count failures') FROM scrape_metrics();

SELECT * FROM finish();
