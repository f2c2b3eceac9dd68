-- Crawl mode on the fixture under test/site/crawl: links followed in scope
-- (prefix), to max_depth, without nofollow and excluded links, robots.txt
-- fetched once and obeyed (a disallowed page ends as skipped), duplicates
-- collapsed by canonical URL, the page cap honoured.
\ir helpers.psql
SELECT plan(14);

SELECT pg_temp.url('/site/crawl/index.html') AS seed \gset
SELECT scrape_submit(:'seed', 'crawl',
                     options => '{"scope": "prefix", "max_depth": 2,
                                  "exclude": "skip-me"}') AS sid \gset

SELECT is(scrape_wait(:sid, '60 s'), 'completed', 'the crawl completes');
SELECT is(array_agg(regexp_replace(url, '^.*/site/crawl/', '') || ' ' || status || ' ' || depth
                    ORDER BY url),
          ARRAY['A.HTML done 1', 'a.html done 1', 'b.html done 1', 'c.html done 2',
                'deep/1.html done 1', 'index.html done 0', 'private/secret.html skipped 1'],
          'exactly the pages in scope, to depth 2, each once')
  FROM scraping_pages WHERE session_id = :sid AND kind = 'page';
SELECT is(error, 'disallowed by robots.txt (disallow: /site/crawl/private/)',
          'robots.txt says why a page was skipped')
  FROM scraping_pages WHERE session_id = :sid AND url LIKE '%private%';
SELECT is(p.found_on, a.id, 'c.html was found on a.html')
  FROM scraping_pages p, scraping_pages a
 WHERE p.session_id = :sid AND a.session_id = :sid
   AND p.url LIKE '%/c.html' AND a.url LIKE '%/a.html';
SELECT is(ARRAY[pages_known, pages_done, pages_failed, pages_skipped, progress_percentage],
          ARRAY[7, 6, 0, 1, 100], 'session counters (the robots.txt fetch is not a page)')
  FROM scraping_sessions WHERE id = :sid;
SELECT is(count(*), 1::bigint, 'robots.txt fetched once for the session')
  FROM scraping_pages WHERE session_id = :sid AND kind = 'robots';
SELECT is(http_status, 200, 'and cached for every crawl of the origin')
  FROM robots_cache WHERE origin = regexp_replace(:'seed', '^(https?://[^/]+).*$', '\1');
SELECT is(title, 'C', 'pages keep their metadata') FROM scraping_pages
 WHERE session_id = :sid AND url LIKE '%/c.html';

-- the cap: three pages in all
SELECT scrape_submit(:'seed', 'crawl', 3, options => '{"scope": "prefix"}') AS capped \gset
SELECT is(scrape_wait(:capped, '60 s'), 'completed', 'the capped crawl completes');
SELECT is(count(*), 3::bigint, 'no more pages than total_pages')
  FROM scraping_pages WHERE session_id = :capped AND kind = 'page';

-- follow_nofollow and obey_robots off, host scope, depth 1
SELECT scrape_submit(:'seed', 'crawl',
                     options => '{"max_depth": 1, "follow_nofollow": true,
                                  "obey_robots": false}') AS loose \gset
SELECT is(scrape_wait(:loose, '60 s'), 'completed', 'the loose crawl completes');
SELECT ok(bool_and(status = 'done'), 'robots.txt not consulted: nothing skipped')
  FROM scraping_pages WHERE session_id = :loose;
SELECT is(count(*) FILTER (WHERE url LIKE '%nofollow.html' OR url LIKE '%/site/shop/index.html'
                             OR url LIKE '%private/secret.html'),
          3::bigint, 'nofollow, host-scope and disallowed links followed when asked')
  FROM scraping_pages WHERE session_id = :loose;
SELECT is(count(*) FILTER (WHERE url LIKE '%other.example%'), 0::bigint,
          'never another host in host scope')
  FROM scraping_pages WHERE session_id = :loose;

SELECT * FROM finish();
