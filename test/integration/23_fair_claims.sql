-- Claims take turns between sessions: a small session submitted behind a
-- large one, on another host, starts with the next claim, not after the
-- large one's pages (0.1.2 claimed the oldest pages of all, so it waited
-- until every page of the large one was claimed).
\ir helpers.psql
SELECT plan(3);

SELECT md5(random()::text) AS run \gset
-- 2,000 pages at 2 connections to their host and 100 ms each: ~100 s
SELECT scrape_submit_urls(array(SELECT pg_temp.url('/slow?ms=100&fair=' || :'run' || '&n=' || g)
                                  FROM generate_series(1, 2000) g),
                          options => '{"per_host_max_connections": 2}') AS big \gset
SELECT ok(pg_temp.eventually(format(
    $$SELECT pages_done > 0 FROM scraping_sessions WHERE id = %s$$, :big), '30 s'),
    'the large session runs');
SELECT scrape_submit(pg_temp.url_on('127.0.0.2', '/ok?fair=' || :'run')) AS small \gset
SELECT is(scrape_wait(:small, '30 s'), 'completed', 'the small session behind it completes');
SELECT ok(pages_known - pages_done > 1500,
          format('while the large one has most of its pages to go (%s of %s done)', pages_done, pages_known))
  FROM scraping_sessions WHERE id = :big;
SELECT scrape_cancel(:big) \gset
SELECT * FROM finish();
