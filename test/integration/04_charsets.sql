-- Bodies are stored as valid text in the database encoding, whatever the
-- page's charset; non-text content is recorded but not stored as text.
\ir helpers.psql
SELECT plan(13);

CREATE TEMP TABLE cases (name text, path text, sid bigint);
INSERT INTO cases (name, path) VALUES
    ('latin1 header',  '/charset/latin1'),
    ('meta 1252',      '/charset/meta-1252'),
    ('http-equiv',     '/charset/http-equiv'),
    ('invalid utf-8',  '/charset/invalid-utf8'),
    ('utf-8 page',     '/site/shop/product-6.html'),
    ('gzip',           '/gzip'),
    ('binary',         '/binary');
UPDATE cases SET sid = scrape_submit(pg_temp.url(path));
SELECT bool_and(scrape_wait(sid, '30 s') = 'completed') AS all_done FROM cases \gset
SELECT ok(:'all_done'::boolean, 'every page fetched');

CREATE TEMP VIEW page AS
SELECT c.name, p.* FROM cases c JOIN scraping_pages p ON p.session_id = c.sid;

SELECT matches(body, 'café crème', 'ISO-8859-1 from the Content-Type header')
  FROM page WHERE name = 'latin1 header';
SELECT matches(body, 'prix: 10 €', 'windows-1252 from <meta charset> (0x80 is the euro sign)')
  FROM page WHERE name = 'meta 1252';
SELECT matches(body, 'naïve', 'ISO-8859-1 from <meta http-equiv>')
  FROM page WHERE name = 'http-equiv';
SELECT matches(body, 'before .* after', 'text around invalid bytes is kept')
  FROM page WHERE name = 'invalid utf-8';
SELECT is(length(substring(body FROM 'before (.*) after')), 4,
          'each invalid byte and the NUL became one replacement character')
  FROM page WHERE name = 'invalid utf-8';
SELECT is(substring(body FROM 'before (.*) after'), repeat(U&'\FFFD', 4),
          'they are U+FFFD') FROM page WHERE name = 'invalid utf-8';
SELECT matches(body, 'Crème brûlée torch — 29,90 €', 'UTF-8 kept as is')
  FROM page WHERE name = 'utf-8 page';
SELECT matches(body, 'gzip works', 'gzip decoded') FROM page WHERE name = 'gzip';
SELECT is(body, NULL, 'a PNG is not stored as text') FROM page WHERE name = 'binary';
SELECT is(body_size, 378::bigint, 'but its size is recorded') FROM page WHERE name = 'binary';
SELECT is(content_type || '/' || status, 'image/png/done', 'and its type; it is done')
  FROM page WHERE name = 'binary';
SELECT ok(bool_and(body IS NULL OR body = convert_from(convert_to(body, 'UTF8'), 'UTF8')),
          'every stored body is valid text') FROM page;

SELECT * FROM finish();
