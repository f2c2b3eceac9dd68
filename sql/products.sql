-- The extracting and creating_products stages: prices, availability,
-- microdata, XPath rules, the merge order of a product's sources, and the
-- stage functions the workers call, driven by hand (no workers run here).
DELETE FROM background_jobs;

-- prices as pages write them
SELECT input, p.amount, p.currency
  FROM (VALUES ('$1,299.00'), ('1.299,00 €'), ('1 299,00 zł'),
               (E'1\u00a0299,00\u00a0zł'), ('€12'), ('Free'), ('free shipping'),
               ('12.5'), ('1,5'), ('1,299'), ('USD 45.00'), ('45.00 USD'),
               ('£9.99'), ('¥1200'), ('₹1,20,000.00'), ('CHF 1''299.90'),
               ('R$ 10,50'), ('US$5'), ('C$5'), ('99 kr'), ('10 - 20 EUR'),
               ('349'), ('0.00'), ('price on request'), (''), ('1e5'),
               ('12345678901234567890123456789012345'), (NULL)) AS t(input),
       scrape_parse_price(input) AS p;

-- availability, from schema.org URLs or words
SELECT input, scrape_normalize_availability(input) AS availability
  FROM (VALUES ('http://schema.org/InStock'), ('https://schema.org/OutOfStock'),
               ('schema:PreOrder'), ('instock'), ('In Stock!'), ('out of stock'),
               ('out_of_stock'), ('Sold out'), ('preorder'), ('pre-order'),
               ('BackOrder'), ('discontinued'), ('maybe tomorrow')) AS t(input);

-- prices of real shops: a fraction after a separator and a space, a sign
-- as the decimal separator, percentages and discounts (no price), a code
-- next to "$", the signs and abbreviations of other markets, currencies
-- without minor units
SELECT input, p.amount, p.currency
  FROM (VALUES ('$119. 95'), ('1.837, 32 €'), ('35€99'), ('40% OFF'), ('Save $20'),
               ('-20 % 59,90 €'), ('NZD $100.70'), ('$1,190.00 AUD'), ('AU $59.95'),
               ('1 $U'), ('E£ 1,250'), ('1 299 ₽'), ('1 299 руб.'), ('350 TL'), ('₺350,00'),
               ('₩12,000'), ('12,000원'), ('RM 59.90'), ('200.000 đ'), ('₫200.000'),
               ('Rs. 1,499'), ('Fr. 12.50'), ('¥1.200'), ('10, 12, 14')) AS t(input),
       scrape_parse_price(input) AS p;

-- availability: a negated in-stock phrase is out of stock
SELECT input, scrape_normalize_availability(input) AS availability
  FROM (VALUES ('Produit non disponible'), ('nicht vorrätig'), ('hors stock'),
               ('agotado'), ('esaurito'), ('niet op voorraad'), ('brak w magazynie'),
               ('нет в наличии'), ('not currently in stock'), ('Available: 0'),
               ('No. 1 in stock'), ('disponible'), ('в наличии')) AS t(input);

-- options.extract is checked at submit
SELECT scrape_submit('https://shop.example/', options => '{"extract": ["//h1"]}');
SELECT scrape_submit('https://shop.example/', options => '{"extract": {"1st": "//h1"}}');
SELECT scrape_submit('https://shop.example/', options => '{"extract": {"name": 1}}');
SELECT scrape_submit('https://shop.example/', options => '{"extract": {"name": "//h1["}}');
SELECT scrape_submit('https://shop.example/', options => '{"extract": {"name": ""}}');
SELECT count(*) AS sessions FROM scraping_sessions;

-- microdata: the value rules, nesting, itemref, several values, item ids
SELECT jsonb_pretty(scrape_parse_html($html$
<html><head><base href="https://shop.example/c/"></head><body>
<div itemscope itemtype="https://schema.org/Product" itemid="/p/7" itemref="more">
  <span itemprop="name">  Moka
     pot </span>
  <meta itemprop="sku" content="MK-7">
  <img itemprop="image" src="moka.jpg"><img itemprop="image" src="moka-2.jpg">
  <a itemprop="url" href="../p/7">link</a>
  <time itemprop="releaseDate" datetime="2024-05-01">May</time>
  <meter itemprop="weight" value="0.8">heavy</meter>
  <div itemprop="offers" itemscope itemtype="https://schema.org/Offer">
    <data itemprop="price" value="39.50">€39,50</data>
    <link itemprop="availability" href="https://schema.org/InStock">
  </div>
  <div itemprop="review" itemscope itemtype="https://schema.org/Review">
    <span itemprop="author">Ana</span>
    <div itemscope itemtype="https://schema.org/Thing"><span itemprop="name">not Ana's</span></div>
  </div>
</div>
<p id="more"><span itemprop="brand">Bialetti</span></p>
<div itemscope itemtype="https://schema.org/Organization" itemref="more"><span itemprop="name">Shop</span></div>
</body></html>$html$, 'https://shop.example/c/list') -> 'structured' -> 'microdata');

-- XPath rules: node sets, strings, numbers, booleans; a rule that fails is null
SELECT jsonb_pretty(scrape_parse_html($html$
<html><body><h1>Moka pot</h1><ul><li class="tag">steel</li><li class="tag">6 cups</li></ul>
<span class="price" data-raw="39.5">€ 39,50</span></body></html>$html$,
    'https://shop.example/p/7',
    '{"name": "//h1", "tags": "//li[@class=\"tag\"]", "raw": "string(//span/@data-raw)",
      "count": "count(//li)", "has_price": "boolean(//span[@class=\"price\"])",
      "nothing": "//table", "bad": "unknown-function(1)"}') -> 'structured' -> 'rules');

-- a page's budget of XPath operations (issue 21): each rule may spend 5
-- million, all of a session's rules together 10 million; a costly rule is
-- null, and so is every rule after the budget is spent, however cheap (50
-- rules of 5 million each held a worker for seconds a page)
SELECT scrape_parse_html('<html><head><title>t</title></head><body>' || repeat('<p>x</p>', 3000)
                         || '</body></html>', 'https://shop.example/p/8',
                         rules) -> 'structured' -> 'rules' AS rules
  FROM (VALUES ('{"title": "string(//title)"}'::jsonb),
               ('{"a": "count(//p[count(//p) > 0])", "title": "string(//title)"}'),
               ('{"a": "count(//p[count(//p) > 0])", "b": "count(//p[count(//p) > 0])",
                  "title": "string(//title)"}')) AS t(rules);

-- the merge: a page with conflicting sources (JSON-LD beats microdata beats
-- OpenGraph beats the page's title; rules beat everything)
CREATE TEMP TABLE pages (name text, html text);
INSERT INTO pages VALUES
('mixed', $h$<html><head><title>Page title</title>
<meta property="og:type" content="product"><meta property="og:title" content="OG name">
<meta property="og:image" content="https://cdn.example/og.jpg">
<meta property="product:price:amount" content="24.99"><meta property="product:price:currency" content="GBP">
<meta property="product:brand" content="OG brand">
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "Product",
  "name": "LD name", "sku": "LD-1",
  "offers": {"@type": "Offer", "price": 19.99, "priceCurrency": "USD"}}</script>
</head><body><div itemscope itemtype="http://schema.org/Product">
<span itemprop="name">MD name</span><span itemprop="mpn">MD-MPN</span>
<div itemprop="offers" itemscope itemtype="http://schema.org/Offer"><meta itemprop="price" content="18">
<link itemprop="availability" href="http://schema.org/OutOfStock"></div></div></body></html>$h$),
('json-ld only', $h$<script type="application/ld+json">
<!-- {"@context": "https://schema.org", "@graph": [{"@type": "WebSite"},
  {"@type": "ItemPage", "mainEntity": {"@type": "Product", "name": "Kettle",
   "gtin13": "4006381333931", "brand": {"@type": "Brand", "name": "Hario"},
   "image": [{"@type": "ImageObject", "url": "https://cdn.example/k.jpg"}],
   "aggregateRating": {"ratingValue": "4.6", "reviewCount": "128"},
   "offers": {"@type": "AggregateOffer", "lowPrice": "49.00", "highPrice": "59.00",
              "priceCurrency": "eur", "availability": "LimitedAvailability"},},},]} -->
</script>$h$),
('microdata only', $h$<div itemscope itemtype="https://schema.org/Product">
<h1 itemprop="name">Grinder</h1><div itemprop="offers" itemscope itemtype="https://schema.org/Offer">
<span itemprop="price">1.299,00 €</span><span itemprop="availability">sold out</span></div></div>$h$),
('opengraph only', $h$<head><title>T</title><meta property="og:type" content="product">
<meta property="og:title" content="Dripper"><meta property="product:price:amount" content="12">
<meta property="product:price:currency" content="EUR"><meta property="product:availability" content="preorder">
<meta property="product:retailer_item_id" content="DR-3"></head>$h$),
('no product', $h$<head><title>About us</title><meta property="og:type" content="website">
<script type="application/ld+json">{"@type": "Organization", "name": "Shop"}</script></head>$h$);

SELECT name, jsonb_pretty(_scrape_product(
           scrape_parse_html(html, 'https://shop.example/' || replace(name, ' ', '-'),
                             CASE WHEN name = 'mixed'
                                  THEN '{"availability": "string(\"in stock\")"}'::jsonb END) -> 'structured',
           'Page title', 'Page description') -> 'columns') AS product
  FROM pages ORDER BY name;

-- the raw sources are kept
SELECT jsonb_object_keys(_scrape_product(scrape_parse_html(html, 'https://shop.example/m') -> 'structured',
                                         NULL, NULL) -> 'raw') AS source
  FROM pages WHERE name = 'mixed' ORDER BY 1;

-- the URL a product is known by: a canonical URL on the page's host only
SELECT _scrape_product_url('https://shop.example/p/1', NULL, 'https://shop.example/p/1?ref=x') AS same_host,
       _scrape_product_url('https://other.example/p/1', NULL, 'https://shop.example/p/1') AS other_host,
       _scrape_product_url(NULL, 'https://shop.example/p/2', 'https://shop.example/p/2?x') AS final_url;

-- the stages, as a worker drives them
CREATE FUNCTION pg_temp.scrape(urls text[]) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_sid bigint := scrape_submit_urls(urls);
    c record;
BEGIN
    FOR c IN SELECT * FROM _scrape_claim(7, 100) LOOP
        PERFORM _scrape_record_results(7, ARRAY[c.page_id], ARRAY[c.lease], ARRAY[true],
            ARRAY[200], ARRAY['text/html'], ARRAY[NULL::text], ARRAY['<html></html>'],
            ARRAY[13::bigint], ARRAY[1.0::float8], ARRAY[NULL::text], ARRAY[NULL::text],
            ARRAY[false], ARRAY[NULL::integer], ARRAY[NULL::integer], ARRAY[NULL::text],
            ARRAY[NULL::text], ARRAY[NULL::text], ARRAY[NULL::text], ARRAY['[]']);
    END LOOP;
    RETURN v_sid;
END;
$$;
CREATE FUNCTION pg_temp.extract(p_sid bigint, p_docs jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    w record;
BEGIN
    SELECT * INTO w FROM _scrape_claim_extraction(100, 1) WHERE session_id = p_sid;
    PERFORM _scrape_record_extraction(p_sid, w.job_id, w.page_ids,
        ARRAY(SELECT p_docs ->> p.url FROM unnest(w.page_ids) WITH ORDINALITY AS u(id, n)
                JOIN scraping_pages p ON p.id = u.id ORDER BY u.n));
END;
$$;

SELECT pg_temp.scrape(ARRAY['https://shop.example/a', 'https://shop.example/b',
                            'https://shop.example/c']) AS sid \gset
SELECT s.status, j.status AS job_status, j.current_stage, j.progress
  FROM scraping_sessions s JOIN background_jobs j ON j.id = s.background_job_id
 WHERE s.id = :sid;
-- the claim hands out the session's pages (and its rules), locked
SELECT session_id = :sid AS ours, cardinality(page_ids) AS pages, rule_names
  FROM _scrape_claim_extraction(100, 1);
SELECT pg_temp.extract(:sid, jsonb_build_object(
    'https://shop.example/a', (SELECT scrape_parse_html(html, 'https://shop.example/a') -> 'structured' FROM pages WHERE name = 'json-ld only'),
    'https://shop.example/b', (SELECT scrape_parse_html(html, 'https://shop.example/b') -> 'structured' FROM pages WHERE name = 'opengraph only'),
    'https://shop.example/c', (SELECT scrape_parse_html(html, 'https://shop.example/c') -> 'structured' FROM pages WHERE name = 'no product')));
-- the batch wrote the products, and, the last, ended the stages
SELECT count(*) AS claimable FROM _scrape_claim_extraction(100, 1);
SELECT s.pages_extracted, s.status, j.status AS job_status, j.current_stage, j.progress, s.products_found,
       j.metadata -> 'products' AS products
  FROM scraping_sessions s JOIN background_jobs j ON j.id = s.background_job_id
 WHERE s.id = :sid;
SELECT detail FROM job_history WHERE session_id = :sid AND event IN ('stage_changed', 'completed') ORDER BY id;
SELECT product_key, url, name, sku, gtin, brand, price, high_price, currency,
       availability, image_url, rating, review_count, session_id = :sid AS from_session
  FROM products ORDER BY product_key;
SELECT first_seen = last_seen AS new FROM products ORDER BY product_key;

-- a second scrape of the same pages updates the products, never duplicates them
SELECT pg_temp.scrape(ARRAY['https://shop.example/a', 'https://shop.example/b']) AS sid2 \gset
SELECT pg_temp.extract(:sid2, jsonb_build_object(
    'https://shop.example/a', (SELECT scrape_parse_html(replace(html, '49.00', '45.00'), 'https://shop.example/a') -> 'structured' FROM pages WHERE name = 'json-ld only'),
    'https://shop.example/b', (SELECT scrape_parse_html(html, 'https://shop.example/b') -> 'structured' FROM pages WHERE name = 'opengraph only')));
SELECT product_key, price, session_id = :sid2 AS from_second, last_seen > first_seen AS seen_again
  FROM products ORDER BY product_key;

-- a job waiting in a stage's queue is queued, not stuck, however long it
-- waits: no worker holds it (test/chaos.sh alerts one a batch holds)
SELECT pg_temp.scrape(ARRAY['https://shop.example/d']) AS sid3 \gset
SELECT background_job_id AS jid3 FROM scraping_sessions WHERE id = :sid3 \gset
UPDATE background_jobs SET last_heartbeat = now() - interval '1 hour' WHERE id = :jid3;
SELECT scrape_detect_stuck() AS recovered;
SELECT status, current_stage, attempts FROM background_jobs WHERE id = :jid3;
SELECT count(*) AS history FROM job_history WHERE job_id = :jid3
   AND event IN ('recovered', 'heartbeat_gap');
SELECT count(*) AS alerts FROM alerts WHERE job_id = :jid3;
-- dead-lettered (as failed pages would have it), with the locks in order
BEGIN;
SELECT 1 FROM scraping_sessions WHERE id = :sid3 FOR UPDATE;
SELECT 1 FROM background_jobs WHERE id = :jid3 FOR UPDATE;
SELECT _scrape_dead_letter(:jid3, 'a test dead-letters it');
COMMIT;
SELECT status, current_stage FROM background_jobs WHERE id = :jid3;
-- requeued, it resumes its stage (nothing to fetch again)
SELECT scrape_requeue_dead(:jid3);
SELECT s.status, j.status AS job_status, j.current_stage
  FROM scraping_sessions s JOIN background_jobs j ON j.id = s.background_job_id
 WHERE s.id = :sid3;

-- Page metadata and links: a crawl's pages are parsed as they are fetched
-- (their claim says follow_links: the crawl queues their links), every other
-- page once, in the extracting stage, which stores its title, description,
-- canonical URL, language and links with its structured data.
CREATE TEMP TABLE claims AS SELECT * FROM _scrape_claim(8, 0) LIMIT 0;
CREATE FUNCTION pg_temp.fetch_all(p_links text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    c record;
BEGIN
    FOR c IN SELECT * FROM _scrape_claim(8, 100) LOOP
        INSERT INTO claims VALUES (c.page_id, c.job_id, c.session_id, c.lease, c.url,
            c.attempt, c.request_timeout_ms, c.connect_timeout_ms, c.user_agent,
            c.per_host_max_connections, c.per_host_delay_ms, c.kind, c.follow_links);
        PERFORM _scrape_record_results(8, ARRAY[c.page_id], ARRAY[c.lease], ARRAY[true],
            ARRAY[200], ARRAY['text/html'], ARRAY[NULL::text], ARRAY['<html></html>'],
            ARRAY[13::bigint], ARRAY[1.0::float8], ARRAY[NULL::text], ARRAY[NULL::text],
            ARRAY[false], ARRAY[NULL::integer], ARRAY[NULL::integer],
            ARRAY[CASE WHEN c.follow_links THEN 'Fetched title' END],
            ARRAY[NULL::text], ARRAY[NULL::text], ARRAY[NULL::text],
            ARRAY[CASE WHEN c.follow_links THEN p_links END]);
    END LOOP;
END;
$$;
SELECT scrape_submit_urls(ARRAY['https://shop.example/m1', 'https://shop.example/m2']) AS sid5 \gset
SELECT scrape_submit('https://crawl.example/', 'crawl',
                     options => '{"obey_robots": false, "max_depth": 0}') AS sid6 \gset
SELECT pg_temp.fetch_all('[]');
SELECT session_id = :sid6 AS crawl, url, follow_links FROM claims ORDER BY page_id;
-- before the stage: only the crawl's page has its metadata
SELECT url, title, links FROM scraping_pages WHERE session_id IN (:sid5, :sid6) ORDER BY id;
SELECT _scrape_record_extraction(:sid5, (SELECT background_job_id FROM scraping_sessions WHERE id = :sid5),
        array_agg(p.id ORDER BY p.id), array_agg(NULL::text),
        array_agg('Title of ' || p.url ORDER BY p.id), array_agg(NULL::text),
        array_agg(p.url ORDER BY p.id), array_agg('en'::text), array_agg('[]'::text))
  FROM scraping_pages p WHERE p.session_id = :sid5;
-- a page already parsed (links given NULL) keeps what it has
SELECT _scrape_record_extraction(:sid6, (SELECT background_job_id FROM scraping_sessions WHERE id = :sid6),
        array_agg(p.id), array_agg(NULL::text),
        array_agg('Never stored'::text), NULL, NULL, NULL, array_agg(NULL::text))
  FROM scraping_pages p WHERE p.session_id = :sid6;
SELECT url, title, canonical_url, lang, links FROM scraping_pages
 WHERE session_id IN (:sid5, :sid6) ORDER BY id;
