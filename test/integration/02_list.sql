-- A list session over many URLs, with duplicates: one row per URL, every
-- page fetched once, counters and metrics right.
\ir helpers.psql
SELECT plan(9);

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
SELECT is(pages_total, 120, 'duplicates collapsed') FROM scraping_sessions WHERE id = :sid;
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

SELECT * FROM finish();
