-- Hostile sites (issue 21): what a site serves may fail its own pages,
-- never a worker, and never another tenant's pages.
--   * links and redirects are held to the URL limit (2048 bytes as stored):
--     a 5,000-byte link failed the result write on the unique index of a
--     session's pages, and every worker that took the page exited;
--   * a page whose products the database refuses (an administrator's
--     trigger here) fails alone, with the error in its document;
--   * robots.txt is fetched with the extension's settings, never a
--     session's, and cached as RFC 9309 reads it: a slow one under a
--     session's 500 ms timeout, and one over 500 KiB, whose prefix counts.
\ir helpers.psql
SELECT plan(18);

CREATE TEMP TABLE pids AS SELECT pid FROM scrape_workers();
SELECT coalesce(max(id), 0) AS last_alert FROM alerts \gset

-- Long links: the crawl stores the two ordinary pages and none of the two
-- long links.
SELECT scrape_submit(pg_temp.url('/site/hostile/links.html'), 'crawl', 20,
                     options => '{"scope": "prefix", "max_depth": 1}') AS links \gset
SELECT is(scrape_wait(:links, '30 s'), 'completed', 'a crawl of a page with 5 kB links completes');
SELECT is(array_agg(_scrape_path(url) ORDER BY url),
          ARRAY['/site/hostile/links.html', '/site/hostile/ok.html',
                '/site/hostile/private/secret.html'],
          'its ordinary links are crawled, the long ones left out')
  FROM scraping_pages WHERE session_id = :links AND kind = 'page';
SELECT is(count(*) FILTER (WHERE status <> 'done'), 0::bigint, 'and every page is done')
  FROM scraping_pages WHERE session_id = :links AND kind = 'page';
SELECT is(max(octet_length(url)) <= 2048, true, 'no stored URL is over 2048 bytes')
  FROM scraping_pages;

-- A redirect to a URL of 100 kB fails its page (too_large); one of 1,500
-- bytes is followed.
SELECT scrape_submit_urls(ARRAY[pg_temp.url('/long-location?n=100000'),
                                pg_temp.url('/long-location?n=1500')],
                          options => '{"max_attempts": 1}') AS redirects \gset
SELECT is(scrape_wait(:redirects, '30 s'), 'completed', 'the redirects session ends');
SELECT is(array_agg(coalesce(error_class, 'done') || ' ' || coalesce(error, '') ORDER BY url),
          ARRAY['too_large a redirect''s URL exceeds 2048 bytes', 'done '],
          'the long redirect fails its page, the other is followed')
  FROM scraping_pages WHERE session_id = :redirects;

-- Products the database refuses: the batch is stored a page at a time,
-- and the refused page keeps the error instead of its products.
CREATE FUNCTION public.refuse_poison_product() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.name LIKE 'Poison%' THEN
        RAISE EXCEPTION 'the administrator''s policy refuses this product'
              USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER refuse_poison_product BEFORE INSERT OR UPDATE ON scrape.products
    FOR EACH ROW EXECUTE FUNCTION public.refuse_poison_product();
SELECT md5(random()::text) AS run \gset
SELECT scrape_submit_urls(array(SELECT pg_temp.url('/site/hostile/' || f || '?run=' || :'run')
                                  FROM unnest(ARRAY['product-a.html', 'product-poison.html',
                                                    'product-b.html', 'product-long-sku.html']) f),
                          workspace_id => gen_random_uuid()) AS shop \gset
SELECT is(scrape_wait(:shop, '30 s'), 'completed', 'a session with a refused product completes');
SELECT is(array_agg(name ORDER BY name), ARRAY['Kettle A', 'Kettle B', 'Kettle with a long SKU'],
          'the other products are written')
  FROM products WHERE session_id = :shop;
SELECT is(product_key, 'sku:' || repeat('S', 200), 'a SKU of 3 kB is cut to 200 characters')
  FROM products WHERE session_id = :shop AND name = 'Kettle with a long SKU';
SELECT matches(structured ->> 'extraction_error',
               '^could not store the extraction: the administrator''s policy refuses this product \(SQLSTATE 23514\)$',
               'the refused page keeps the error in its document')
  FROM scraping_pages WHERE session_id = :shop AND url LIKE '%product-poison%';
DROP TRIGGER refuse_poison_product ON scrape.products;
DROP FUNCTION public.refuse_poison_product();

-- robots.txt under a session's 500 ms timeout, from a server that takes
-- 1.5 s to answer: fetched with scrape_jobs.request_timeout, and cached as
-- the answer it is.
DELETE FROM robots_cache WHERE origin IN (pg_temp.origin_on('localhost'),
                                          pg_temp.origin_on('127.0.0.3'));
SELECT scrape_submit(pg_temp.url('/robots-set?host=localhost&mode=slow&value=1500')) AS s1 \gset
SELECT scrape_wait(:s1, '30 s') \gset
SELECT scrape_submit(replace(pg_temp.url('/site/hostile/ok.html'), '127.0.0.1', 'localhost'),
                     'crawl', 5, options => '{"request_timeout": "500ms", "max_attempts": 1}') AS slow \gset
SELECT is(scrape_wait(:slow, '30 s'), 'completed', 'a crawl behind a slow robots.txt completes');
SELECT is(status, 'done', 'its page is fetched, not skipped')
  FROM scraping_pages WHERE session_id = :slow AND kind = 'page';
SELECT is(http_status || ' ' || (body IS NOT NULL), '200 true',
          'the robots.txt is cached as the 200 it is, with its body')
  FROM robots_cache WHERE origin = pg_temp.origin_on('localhost');
SELECT scrape_submit(pg_temp.url('/robots-set?host=localhost&mode=normal')) AS s2 \gset
SELECT scrape_wait(:s2, '30 s') \gset

-- A robots.txt of 600,000 bytes: its first 500 KiB are its rules (the
-- first line disallows /site/hostile/private/; the last, past the limit,
-- would disallow everything).
SELECT scrape_submit(pg_temp.url('/robots-set?host=127.0.0.3&mode=big&value=600000')) AS s3 \gset
SELECT scrape_wait(:s3, '30 s') \gset
SELECT scrape_submit(pg_temp.url_on('127.0.0.3', '/site/hostile/links.html'), 'crawl', 20,
                     options => '{"scope": "prefix", "max_depth": 1}') AS big \gset
SELECT is(scrape_wait(:big, '30 s'), 'completed', 'a crawl behind a 600 kB robots.txt completes');
SELECT is(array_agg(_scrape_path(url) || ' ' || status ORDER BY url),
          ARRAY['/site/hostile/links.html done', '/site/hostile/ok.html done',
                '/site/hostile/private/secret.html skipped'],
          'the rule at its start holds, the one past 500 KiB does not')
  FROM scraping_pages WHERE session_id = :big AND kind = 'page';
SELECT is(http_status || ' ' || octet_length(body), '200 512000',
          'its first 500 KiB are cached')
  FROM robots_cache WHERE origin = pg_temp.origin_on('127.0.0.3');
SELECT scrape_submit(pg_temp.url('/robots-set?host=127.0.0.3&mode=normal')) AS s4 \gset
SELECT scrape_wait(:s4, '30 s') \gset
DELETE FROM robots_cache WHERE origin IN (pg_temp.origin_on('localhost'),
                                          pg_temp.origin_on('127.0.0.3'));

SELECT is((SELECT count(*) FROM scrape_workers() w JOIN pids USING (pid)), 2::bigint,
          'the workers went on (the same processes)');
SELECT is(count(*), 0::bigint, 'no worker_crashed alert') FROM alerts
 WHERE kind = 'worker_crashed' AND id > :last_alert;

SELECT * FROM finish();
