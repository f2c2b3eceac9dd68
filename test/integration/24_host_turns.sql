-- Claims take turns between a session's hosts: in one list, 300 pages of
-- a host that takes one connection at a time and 50 ms a page come first,
-- 20 pages of another host last.  The other host's pages are done while
-- most of the slow host's wait (0.1.5 claimed a session's pages in id
-- order, so the workers' backlogs held only the slow host's pages, and the
-- last 20 waited until about 170 of the 300 were done).
\ir helpers.psql
SELECT plan(3);

SELECT md5(random()::text) AS run \gset
SELECT scrape_submit_urls(
           array(SELECT pg_temp.url('/slow?ms=50&turns=' || :'run' || '&n=' || g)
                   FROM generate_series(1, 300) g)
           || array(SELECT pg_temp.url_on('127.0.0.2', '/ok?turns=' || :'run' || '&n=' || g)
                      FROM generate_series(1, 20) g),
           options => '{"per_host_max_connections": 1}') AS sid \gset
SELECT ok(pg_temp.eventually(format(
    $$SELECT count(*) = 20 FROM scraping_pages
       WHERE session_id = %s AND _scrape_host(url) = '127.0.0.2' AND status = 'done'$$, :sid), '60 s'),
    'the other host''s 20 pages are done');
SELECT ok(count(*) FILTER (WHERE status <> 'done') >= 200,
          format('while the slow host has most of its pages to go (%s of 300 not done)',
                 count(*) FILTER (WHERE status <> 'done')))
  FROM scraping_pages WHERE session_id = :sid AND _scrape_host(url) = '127.0.0.1';
SELECT is(scrape_cancel(:sid), true, 'cancelled');
SELECT * FROM finish();
