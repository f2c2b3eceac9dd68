-- The fixture store (test/site/store) crawled end to end: the exact pages
-- crawled, skipped and failed; the stages; every field of every product
-- (JSON-LD only, microdata only, OpenGraph only, mixed sources, ISO-8859-1
-- and Windows-1252 pages, broken HTML); a re-crawl that updates rather than
-- duplicates; a sitemap session (gzip index) with XPath rules in another
-- workspace.
\ir helpers.psql
SELECT plan(16);

SELECT gen_random_uuid() AS ws_a, gen_random_uuid() AS ws_b \gset
SELECT scrape_submit(pg_temp.url('/site/store/index.html'), 'crawl', 100, :'ws_a',
                     '{"scope": "prefix"}') AS sid \gset
SELECT is(scrape_wait(:sid, '60 s'), 'completed', 'the store crawl completes');

SELECT is(array_agg(regexp_replace(url, '^https?://[^/]+/site/store/', '') || ' ' || status
                    || coalesce(' ' || error_class, '') ORDER BY url),
          ARRAY['about.html done',
                'cart/ skipped robots',
                'cart/gift-cards.html done',
                'category/coffee-2.html done',
                'category/coffee.html done',
                'category/coffee.html?sort=price skipped robots',
                'category/tea.html done',
                'index.html done',
                'p/broken-scale.html done',
                'p/cp1252-cups.html done',
                'p/discontinued.html failed http_4xx',
                'p/latin1-teapot.html done',
                'p/ld-grinder.html done',
                'p/ld-grinder.html?ref=tea done',
                'p/md-kettle.html done',
                'p/mixed-espresso.html done',
                'p/og-dripper.html done'],
          'exactly these pages: crawled, skipped by robots.txt (wildcard, directory), failed')
  FROM scraping_pages WHERE session_id = :sid AND kind = 'page';

SELECT is(ARRAY[pages_done, pages_failed, pages_skipped, pages_extracted, products_found],
          ARRAY[14, 1, 2, 14, 7], 'counters of the three stages')
  FROM scraping_sessions WHERE id = :sid;

SELECT is(array_agg(detail ->> 'to' ORDER BY id),
          ARRAY['scraping', 'extracting', 'creating_products', 'done'],
          'the job went through every stage, in order')
  FROM job_history
 WHERE session_id = :sid AND event = 'stage_changed';

SELECT is(ARRAY[status, current_stage, progress::text, metadata ->> 'products'],
          ARRAY['completed', 'done', '100', '7'], 'the job completed with its products')
  FROM background_jobs WHERE id = (SELECT background_job_id FROM scraping_sessions WHERE id = :sid);

-- every product, every field
CREATE TEMP VIEW store_products AS
SELECT workspace_id, regexp_replace(url, '^https?://[^/]+/site/store/', '') AS page,
       name, description, sku, gtin, mpn, brand, price, high_price, currency,
       availability, regexp_replace(image_url, '^http://127.0.0.1:[0-9]+', '') AS image,
       rating, review_count
  FROM products;

SELECT results_eq(
    $$SELECT page, name, description, sku, gtin, mpn, brand, price, high_price,
             currency, availability, image, rating, review_count
        FROM store_products WHERE workspace_id = '$$ || :'ws_a' || $$' ORDER BY page$$,
    $$VALUES
      ('p/broken-scale.html', 'Coffee Scale', NULL, 'FS-SC-7', NULL, NULL, NULL,
       29.99, NULL::numeric, 'USD', 'InStock', NULL, NULL::numeric, NULL::integer),
      ('p/cp1252-cups.html', '“Espresso” cups – set of 4', NULL, 'FS-CU-6', NULL, NULL, NULL,
       18.00, NULL, 'EUR', 'LimitedAvailability', NULL, NULL, NULL),
      ('p/latin1-teapot.html', 'Théière en fonte « Müller »', 'Fonte émaillée, 0,8 l.', 'FS-TP-5',
       NULL, NULL, NULL, 24.90, NULL, 'EUR', 'InStock', NULL, NULL, NULL),
      ('p/ld-grinder.html', 'Burr Grinder', 'Conical burrs, 40 settings.', 'FS-GR-1',
       '4006381333931', 'BG-40', 'Grindwell', 119.00, 149.00, 'EUR', 'InStock',
       'https://cdn.store.example/grinder.jpg', 4.6, 128),
      ('p/md-kettle.html', 'Schwanenhals-Wasserkocher', 'Gooseneck kettle, 1 L, with thermometer.',
       'FS-KE-2', NULL, NULL, 'Kesselwerk', 1299.00, NULL, 'EUR', 'OutOfStock',
       '/img/kettle.png', 4.1, 17),
      ('p/mixed-espresso.html', 'Espresso Machine Pro', 'The page''s own description.', 'FS-ES-4',
       NULL, 'MPN-ES-4', 'BrewCraft', 349.00, NULL, 'EUR', 'InStock',
       'https://cdn.store.example/espresso.jpg', NULL, NULL),
      ('p/og-dripper.html', 'Ceramic Dripper', 'A ceramic pour-over dripper.', 'FS-DR-3',
       NULL, NULL, 'Potters', 12.50, NULL, 'EUR', 'InStock',
       'https://cdn.store.example/dripper.jpg', NULL, NULL)$$,
    'every product field, from JSON-LD, microdata, OpenGraph and their merge');

SELECT is(array_agg(k ORDER BY k), ARRAY['json_ld', 'microdata', 'opengraph'],
          'the mixed page keeps the three sources it was merged from')
  FROM products, jsonb_object_keys(raw) k
 WHERE workspace_id = :'ws_a' AND url LIKE '%mixed-espresso.html';

SELECT is(jsonb_array_length(structured -> 'microdata'), 1,
          'microdata stored on the page row')
  FROM scraping_pages WHERE session_id = :sid AND url LIKE '%md-kettle.html';
SELECT is(structured, NULL, 'a page without structured data has no document')
  FROM scraping_pages WHERE session_id = :sid AND url LIKE '%gift-cards.html';

-- the same store again, same workspace: updated, never duplicated
SELECT max(last_seen) AS first_crawl FROM products WHERE workspace_id = :'ws_a' \gset
SELECT scrape_submit(pg_temp.url('/site/store/index.html'), 'crawl', 100, :'ws_a',
                     '{"scope": "prefix"}') AS sid2 \gset
SELECT is(scrape_wait(:sid2, '60 s'), 'completed', 'the re-crawl completes');
SELECT is(count(*), 7::bigint, 'still one row per product')
  FROM products WHERE workspace_id = :'ws_a';
SELECT ok(bool_and(last_seen > :'first_crawl'::timestamptz AND session_id = :sid2
                   AND first_seen < last_seen),
          'each product was seen again by the second session')
  FROM products WHERE workspace_id = :'ws_a';

-- a sitemap session (a gzip sitemap in an index) with XPath rules, in
-- another workspace: the rules win over the page's structured data
SELECT scrape_submit(pg_temp.url('/site/store/sitemap-index.xml'), 'sitemap', 100, :'ws_b',
                     '{"extract": {"price": "//span[@class=\"sale-price\"]", "h1": "string(//h1)"}}')
       AS sid3 \gset
SELECT is(scrape_wait(:sid3, '60 s'), 'completed', 'the sitemap session completes');
SELECT is(array_agg(regexp_replace(url, '^https?://[^/]+/', '') || ' ' || status ORDER BY url),
          ARRAY['gz/store/sitemap-products.xml done', 'site/store/about.html done',
                'site/store/cart/ skipped', 'site/store/index.html done',
                'site/store/p/broken-scale.html done', 'site/store/p/cp1252-cups.html done',
                'site/store/p/latin1-teapot.html done', 'site/store/p/ld-grinder.html done',
                'site/store/p/md-kettle.html done', 'site/store/p/mixed-espresso.html done',
                'site/store/p/og-dripper.html done', 'site/store/sitemap-index.xml done',
                'site/store/sitemap-pages.xml done'],
          'the sitemaps and their pages')
  FROM scraping_pages WHERE session_id = :sid3;
SELECT is(array_agg(page || ' ' || price || ' ' || currency ORDER BY page),
          ARRAY['p/broken-scale.html 29.99 USD', 'p/cp1252-cups.html 18.00 EUR',
                'p/latin1-teapot.html 24.90 EUR', 'p/ld-grinder.html 119.00 EUR',
                'p/md-kettle.html 1299.00 EUR', 'p/mixed-espresso.html 299.00 EUR',
                'p/og-dripper.html 12.50 EUR'],
          'the sale price rule wins where it matches; workspaces keep their own products')
  FROM store_products WHERE workspace_id = :'ws_b';
SELECT is(structured #>> '{rules,h1}', 'Burr Grinder', 'rule values are stored on the page')
  FROM scraping_pages WHERE session_id = :sid3 AND url LIKE '%ld-grinder.html';

SELECT * FROM finish();
