-- A list session over many URLs, with duplicates: one row per URL, every
-- page fetched once, counters and metrics right.
\ir helpers.psql
SELECT plan(13);

SELECT md5(random()::text) AS run \gset
SELECT * FROM scrape_metrics() \gset before_

-- 120 distinct URLs, each listed a second time with an upper-case scheme
-- and a fragment, which normalisation removes
SELECT scrape_submit_urls(
    array(SELECT pg_temp.url('/slow?ms=' || (g % 20) || '&run=' || :'run' || '&n=' || g)
            FROM generate_series(1, 120) g)
    || array(SELECT 'HTTP' || substr(pg_temp.url('/slow?ms=' || (g % 20) || '&run=' || :'run' || '&n=' || g), 5) || '#again'
               FROM generate_series(1, 120) g)) AS sid \gset

SELECT is(scrape_wait(:sid, '60 s'), 'completed', 'the list session completes');
SELECT is(pages_known, 120, 'duplicates collapsed') FROM scraping_sessions WHERE id = :sid;
SELECT is(count(*), 120::bigint, 'one row per URL') FROM scraping_pages WHERE session_id = :sid;
SELECT is(count(*) FILTER (WHERE status = 'done' AND http_status = 200), 120::bigint,
          'every page fetched') FROM scraping_pages WHERE session_id = :sid;
SELECT is(ARRAY[pages_done, pages_failed], ARRAY[120, 0], 'session counters')
  FROM scraping_sessions WHERE id = :sid;
SELECT is(max(attempts), 1, 'no page fetched twice') FROM scraping_pages WHERE session_id = :sid;
SELECT is(j.status || '/' || j.progress || '/' || j.current_stage, 'completed/100/done',
          'job completed') FROM background_jobs j
  JOIN scraping_sessions s ON s.background_job_id = j.id WHERE s.id = :sid;

SELECT * FROM scrape_metrics() \gset after_
SELECT is((:after_completed_jobs - :before_completed_jobs)::bigint, 1::bigint,
          'metrics count the completed job');
SELECT is(:after_queue_depth::bigint, 0::bigint, 'nothing left in the queue');

-- a list with some pages failing completes; one whose pages all fail for
-- good fails (nothing to retry: 4xx)
SELECT scrape_submit_urls(ARRAY[pg_temp.url('/ok?l=' || :'run'),
                                pg_temp.url('/status/404?l=' || :'run'),
                                pg_temp.url('/status/403?l=' || :'run')]) AS mixed \gset
SELECT scrape_submit_urls(ARRAY[pg_temp.url('/status/404?m=' || :'run'),
                                pg_temp.url('/status/410?m=' || :'run')]) AS allbad \gset
SELECT is(scrape_wait(:mixed, '30 s'), 'completed', 'a partly failed list completes');
SELECT is(ARRAY[pages_done, pages_failed, progress_percentage], ARRAY[1, 2, 100],
          'its counters') FROM scraping_sessions WHERE id = :mixed;
SELECT is(scrape_wait(:allbad, '30 s'), 'failed', 'an all-failed list fails');
SELECT matches(last_error, '^all 2 pages failed; last error: HTTP status 4', 'and says why')
  FROM background_jobs j JOIN scraping_sessions s ON s.background_job_id = j.id
 WHERE s.id = :allbad;

SELECT * FROM finish();
