-- URL canonicalisation (for dedupe) and what an HTML page says about itself.

-- canonical forms, case by case
SELECT input, _scrape_check_url(input) AS canonical
  FROM (VALUES
    ('HTTP://Example.COM'),
    ('http://example.com:80/'),
    ('https://example.com:443/a'),
    ('https://example.com:8443/a'),
    ('http://example.com/a/./b/../c'),
    ('http://example.com/a/b/../../../c'),
    ('http://example.com/page#section'),
    ('http://example.com/%7euser/%41%42c'),
    ('http://example.com/a%2fb?q=%3d%3D'),
    ('http://example.com/p?b=2&a=1'),
    ('http://EXAMPLE.com/Path/Is/Case/Sensitive'),
    ('http://127.0.0.1:8080'),
    ('http://[::1]:80/x')
  ) AS t(input);

-- two spellings of a page, one row
SELECT scrape_submit_urls(ARRAY['http://Example.com/%7Euser/a/../b#x',
                                'http://example.com:80/~user/b']) AS sid \gset
SELECT url FROM scraping_pages WHERE session_id = :sid;

-- one spelling rule for a submitted URL and a link, as browsers send them:
-- non-ASCII characters and spaces percent-encoded, white space around
-- dropped, a backslash in the path a slash
SELECT scrape_submit_urls(ARRAY['http://example.com/你好', 'http://example.com/%e4%bd%a0%e5%a5%bd',
                                ' http://example.com/a b?c d ', 'http://example.com/a%20b?c%20d',
                                'http://example.com/x\y']) AS sid \gset
SELECT url FROM scraping_pages WHERE session_id = :sid ORDER BY url;
SELECT l.link ->> 'url' AS link, l.link ->> 'url' IN (SELECT url FROM scraping_pages WHERE session_id = :sid) AS submitted
  FROM jsonb_array_elements(scrape_parse_html(
         '<a href="/你好">1</a><a href="http://example.com/你好">2</a>'
         '<a href=" http://example.com/a b?c d">3</a><a href="/x\y">4</a>',
         'http://example.com/') -> 'links') AS l(link)
 ORDER BY 1;

-- a page's own description of itself
SELECT jsonb_pretty(scrape_parse_html($html$<!DOCTYPE html>
<html lang="fr-CA"><head>
  <title>
     Boutique   de
     démonstration </title>
  <meta name="description" content="Une boutique &amp; ses produits">
  <link rel="alternate stylesheet" href="/style.css">
  <link rel="canonical" href="/boutique/?ref=1">
  <base href="https://shop.example/catalog/">
</head><body>
  <a href="item-1.html">one</a>
  <a href="./item-1.html#reviews">one again</a>
  <a href="../About%2dus/">about</a>
  <a href="HTTPS://SHOP.EXAMPLE:443/catalog/item-2.html" rel="nofollow sponsored">two</a>
  <a href="mailto:shop@example.com">mail</a>
  <a href="javascript:void(0)">js</a>
  <a>no href</a>
  <map><area href="/map-target" alt=""></map>
  <a href="//cdn.example/x.png">protocol-relative</a>
</body></html>$html$, 'https://shop.example/index.html'));

-- broken HTML still yields what it can; a page-wide nofollow is noticed
SELECT scrape_parse_html('<title>Broken<p><a href=/x>x<div><a href="/y">y</table>'
                         || '<meta name=robots content="noindex, nofollow">',
                         'http://broken.example/dir/page') - 'links' AS info,
       scrape_parse_html('<title>Broken<p><a href=/x>x<div><a href="/y">y</table>',
                         'http://broken.example/dir/page') -> 'links' AS links;
-- ... and marks every link of the page nofollow
SELECT scrape_parse_html('<meta name="robots" content="nofollow"><a href="/z">z</a>',
                         'http://nofollow.example/') -> 'links' AS links;

-- at most 1000 links are kept from one page
SELECT (i ->> 'links_dropped')::int AS dropped, jsonb_array_length(i -> 'links') AS kept
  FROM scrape_parse_html(
         (SELECT string_agg(format('<a href="/p%s">%s</a>', g, g), '')
            FROM generate_series(1, 1200) g),
         'http://many.example/') AS i;

-- structured data: every JSON-LD block (lenient with trailing commas and
-- comment markers), OpenGraph and product: properties; a "JSON bomb" nested
-- too deep, or a block that is not JSON, is dropped
SELECT jsonb_pretty(scrape_parse_html($html$<html><head>
<meta property="og:title" content="Burr Grinder">
<meta property="og:type" content="product">
<meta property="product:price:amount" content="129.00">
<meta property="product:price:currency" content="EUR">
<script type="application/ld+json"><!--
{"@context": "https://schema.org", "@type": "Product", "name": "Burr Grinder",
 "offers": {"@type": "Offer", "price": "129.00", "priceCurrency": "EUR",},
 "tags": ["a", "b",], }
--></script>
<script type="application/ld+json">{"@graph": [{"@type": "Organization", "name": "Shop"}]}</script>
<script type="application/ld+json">{"broken": </script>
<script type="application/ld+json">$html$ || repeat('[', 100) || repeat(']', 100) || $html$</script>
</head><body></body></html>$html$, 'http://shop.example/p') -> 'structured');
SELECT scrape_parse_html('<p>no structured data</p>', 'http://x.example/') -> 'structured' AS none;
