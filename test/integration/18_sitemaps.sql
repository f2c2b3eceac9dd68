-- Sitemap mode: an index followed to a plain and a gzip sitemap, the URLs
-- in scope become pages (robots.txt obeyed), out-of-scope and invalid ones
-- dropped, duplicates collapsed; a site root found through robots.txt
-- Sitemap: lines; a "billion laughs" sitemap refused cleanly.
\ir helpers.psql
SELECT plan(9);

SELECT scrape_submit(pg_temp.url('/site/sitemaps/index.xml'), 'sitemap',
                     options => '{"scope": "host"}') AS sid \gset
SELECT is(scrape_wait(:sid, '60 s'), 'completed', 'the sitemap session completes');
SELECT is(array_agg(regexp_replace(url, '^https?://[^/]+', '') || ' ' || status
                    ORDER BY url),
          ARRAY['/site/crawl/a.html done', '/site/crawl/private/secret.html skipped',
                '/site/shop/index.html done', '/site/shop/product-1.html done',
                '/site/shop/product-2.html done'],
          'the URLs of both sitemaps, once each, robots.txt obeyed')
  FROM scraping_pages WHERE session_id = :sid AND kind = 'page';
SELECT is(array_agg(regexp_replace(url, '^https?://[^/]+', '') || ' ' || status || ' ' || depth
                    ORDER BY url),
          ARRAY['/gz/sitemaps/b.xml done 1', '/site/sitemaps/a.xml done 1',
                '/site/sitemaps/index.xml done 0'],
          'the index and its two sitemaps, the gzip one decoded')
  FROM scraping_pages WHERE session_id = :sid AND kind = 'sitemap';
SELECT is(ARRAY[pages_known, pages_done, pages_skipped], ARRAY[5, 4, 1], 'counters')
  FROM scraping_sessions WHERE id = :sid;

-- a site root: /sitemap.xml (absent here) and robots.txt's Sitemap: lines
SELECT scrape_submit(pg_temp.url('/'), 'sitemap') AS root \gset
SELECT is(scrape_wait(:root, '60 s'), 'completed', 'a site root completes');
SELECT is(count(*) FILTER (WHERE kind = 'page' AND status IN ('done', 'skipped')), 5::bigint,
          'its sitemaps were found through robots.txt')
  FROM scraping_pages WHERE session_id = :root;
SELECT is(http_status, 404, 'its /sitemap.xml is missing, which is no failure of the session')
  FROM scraping_pages WHERE session_id = :root AND url LIKE '%/sitemap.xml';

-- entities are never expanded: a DOCTYPE is refused
SELECT scrape_submit(pg_temp.url('/site/sitemaps/laughs.xml'), 'sitemap') AS lol \gset
SELECT is(scrape_wait(:lol, '30 s'), 'failed', 'a billion-laughs sitemap fails');
-- (libxml2 gives up on the entity declarations before we see the DOCTYPE)
SELECT is(error_class || ' ' || attempts, 'invalid_sitemap 1', 'cleanly, at once')
  FROM scraping_pages WHERE session_id = :lol;

SELECT * FROM finish();
