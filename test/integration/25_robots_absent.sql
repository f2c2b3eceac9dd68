-- A robots.txt answered 404 (host 127.0.0.4 of the test server has none)
-- is a successful fetch meaning "no rules" (RFC 9309 2.3.1.3): its page
-- is done, not failed, nothing counts it as a failure, and the crawl
-- fetches what the file would have disallowed.
\ir helpers.psql
SELECT plan(5);

SELECT scrape_submit(pg_temp.url_on('127.0.0.4', '/site/crawl/index.html'), 'crawl',
                     options => '{"scope": "prefix", "max_depth": 1}') AS sid \gset
SELECT is(scrape_wait(:sid, '60 s'), 'completed', 'the crawl completes');
SELECT is(status || ' ' || http_status || ' ' || coalesce(error_class, '-'), 'done 404 -',
          'the robots.txt page is done with its 404, without an error')
  FROM scraping_pages WHERE session_id = :sid AND kind = 'robots';
SELECT is(pages_failed, 0, 'scrape_status counts no failed page')
  FROM scrape_status(:sid);
SELECT is(count(*), 0::bigint, 'no page failed or was skipped')
  FROM scraping_pages WHERE session_id = :sid AND status IN ('failed', 'skipped');
SELECT ok(count(*) > 0, format('the pages robots.txt disallows elsewhere were fetched (%s)', count(*)))
  FROM scraping_pages WHERE session_id = :sid AND url LIKE '%/private/%' AND status = 'done';
SELECT * FROM finish();
