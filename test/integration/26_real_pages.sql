-- Real-world input end to end: a crawl of pages written as shop platforms
-- write them (test/site/real/: WooCommerce's and Shopify's markup, a
-- German shop's microdata, a listing of 30 JSON-LD events) under the test
-- server's robots.txt, which is written as real files are (a Host line in
-- a run of user-agents, a misspelt key without its colon, an allowed
-- index.html).  Each assertion is a class of issue 15 that failed before.
\ir helpers.psql
SELECT plan(9);

SELECT gen_random_uuid() AS ws \gset
SELECT scrape_submit(pg_temp.url('/site/real/index.html'), 'crawl', 50, :'ws',
                     '{"scope": "prefix"}') AS sid \gset
SELECT is(scrape_wait(:sid, '60 s'), 'completed', 'the crawl completes');

-- links with white space around and a newline inside are followed; "#",
-- "#content" and "" are the page itself, not its directory (libcurl 7.88
-- resolves them to /site/real/, a page nothing links to)
SELECT is(array_agg(regexp_replace(url, '^https?://[^/]+/site/real/', '') || ' ' || status
                    || coalesce(' ' || error_class, '') ORDER BY url),
          ARRAY['closed/ done',
                'closed/other.html skipped robots',
                'index.html done',
                'listing.html done',
                'prices.html done',
                'shopify.html done',
                'shopify.html?variant=4243 done',
                'typo/page.html skipped robots',
                'woocommerce.html done'],
          'the pages the links name, and only those')
  FROM scraping_pages WHERE session_id = :sid AND kind = 'page';

-- robots.txt: our group is "*"'s (the Host line does not end the run),
-- "Dissalow /site/real/typo/" is a disallow, and the allowed
-- closed/index.html allows closed/ itself
SELECT is(array_agg(regexp_replace(url, '^https?://[^/]+', '') || ': ' || error ORDER BY url),
          ARRAY['/site/real/closed/other.html: disallowed by robots.txt (disallow: /site/real/closed/)',
                '/site/real/typo/page.html: disallowed by robots.txt (disallow: /site/real/typo/)'],
          'the rules that skipped pages')
  FROM scraping_pages WHERE session_id = :sid AND status = 'skipped';

-- JSON-LD: comments, CDATA, trailing commas and raw newlines in strings do
-- not drop a block; a listing keeps its 30 blocks
SELECT is(array_agg(regexp_replace(url, '^.*/', '') || ' ' || jsonb_array_length(structured -> 'json_ld')
                    ORDER BY url),
          ARRAY['listing.html 30', 'shopify.html 2', 'woocommerce.html 2'],
          'every JSON-LD block of each page')
  FROM scraping_pages
 WHERE session_id = :sid AND url ~ '/(listing|shopify|woocommerce)\.html$';

-- the products: prices and availability as the shops write them
SELECT is(array_agg(DISTINCT name || ' ' || price || ' ' || currency || ' ' || availability),
          ARRAY['Burr Grinder 129.00 EUR InStock',
                'Espressomaschine Duo 1837.32 EUR OutOfStock',
                'Treatment Pack 13.00 USD InStock'],
          'name, price, currency and availability of each product')
  FROM products WHERE session_id = :sid;

-- microdata: a content attribute on any element is the value
SELECT is(structured #>> '{microdata,0,offers,price}', '129.00',
          'the price of <span itemprop="price" content="129.00">€129,00</span>')
  FROM scraping_pages WHERE session_id = :sid AND url LIKE '%/shopify.html';

-- text values: no script, style, noscript or template text, and blocks
-- apart
SELECT is(description, 'Treatment Pack For use on dry hair. Twice a week. Size 250 ml',
          'the WooCommerce description, its blocks apart, without noscript and template text')
  FROM products WHERE session_id = :sid AND name = 'Treatment Pack';
SELECT is(description, 'Zwei Kessel. Rotationspumpe.',
          'the German description, without its script')
  FROM products WHERE session_id = :sid AND name = 'Espressomaschine Duo';

-- the session counts what it did: no page failed
SELECT is(pages_failed, 0, 'no failed page (the skipped ones are not failures)')
  FROM scrape_status(:sid);
SELECT * FROM finish();
