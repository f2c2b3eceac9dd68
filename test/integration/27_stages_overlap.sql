-- Pages are extracted, and their products written, while the session's
-- other pages download (0.1.7): a list of 60 product pages and one page
-- that answers after 3 s.  The fast pages' structured data and products
-- are written before the slow page is stored; the job still goes through
-- the seed's stages in order once the last page is final.
\ir helpers.psql
SELECT plan(7);

SELECT md5(random()::text) AS run, gen_random_uuid() AS ws \gset
SELECT scrape_submit_urls(
         array(SELECT pg_temp.url('/site/shop/product-' || (g % 6 + 1) || '.html?overlap='
                                  || :'run' || '&n=' || g)
                 FROM generate_series(1, 60) g)
         || pg_temp.url('/slow?ms=3000&overlap=' || :'run'), :'ws') AS sid \gset
SELECT is(scrape_wait(:sid, '60 s'), 'completed', 'the session completes');

SELECT fetched_at AS slow_at FROM scraping_pages
 WHERE session_id = :sid AND url LIKE '%/slow?%' \gset
SELECT is(count(*) FILTER (WHERE extracted_at < :'slow_at'), 60::bigint,
          'the 60 fast pages were extracted before the slow page was stored')
  FROM scraping_pages WHERE session_id = :sid AND url NOT LIKE '%/slow?%';
SELECT is(count(*) FILTER (WHERE last_seen < :'slow_at'), 6::bigint,
          'and their six products (one per SKU) written')
  FROM products WHERE workspace_id = :'ws';
SELECT ok(extracted_at >= :'slow_at', 'the slow page was extracted after it was stored')
  FROM scraping_pages WHERE session_id = :sid AND url LIKE '%/slow?%';
SELECT is(pages_extracted, 61, 'every page extracted once')
  FROM scraping_sessions WHERE id = :sid;

-- the stages, in the seed's order, after the scraping
SELECT is(array_agg(detail ->> 'to' ORDER BY id),
          ARRAY['scraping', 'extracting', 'creating_products', 'done'],
          'the stages, in order')
  FROM job_history WHERE session_id = :sid AND event = 'stage_changed';
SELECT is(j.metadata ->> 'products' || ' ' || s.products_found, '6 6',
          'the job counts its six products once each, whichever batches wrote them')
  FROM scraping_sessions s JOIN background_jobs j ON j.id = s.background_job_id
 WHERE s.id = :sid;
SELECT * FROM finish();
