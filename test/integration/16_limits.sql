-- Hostile responses cost bounded memory and time and end cleanly: too many
-- header bytes, a deeply nested page, a huge attribute.  (The body cap and
-- gzip bombs are in 03_errors.)
\ir helpers.psql
SELECT plan(6);

SELECT scrape_submit(pg_temp.url('/big-headers?kb=300')) AS headers_sid \gset
SELECT scrape_submit(pg_temp.url('/hostile/nested')) AS nested_sid \gset
SELECT scrape_submit(pg_temp.url('/hostile/attr')) AS attr_sid \gset

SELECT is(scrape_wait(:headers_sid, '30 s'), 'failed', '300 kB of headers: refused');
SELECT is((pg_temp.page(:headers_sid)).error_class || ': ' || (pg_temp.page(:headers_sid)).error,
          'too_large: response headers exceed 262144 bytes', 'with the reason, not retried');
SELECT is(scrape_wait(:nested_sid, '30 s'), 'completed', '80000 nested elements: stored');
SELECT matches((pg_temp.page(:nested_sid)).body, 'deep', 'whole');
SELECT is(scrape_wait(:attr_sid, '30 s'), 'completed', 'a 900 kB attribute: stored');
SELECT ok(bool_and(w.state IS NOT NULL), 'the workers survived')
  FROM (SELECT state FROM scrape_workers()) w;

SELECT * FROM finish();
