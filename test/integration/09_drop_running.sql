-- The workers find the extension through the catalog: re-created in a
-- schema with an awkward name, it still works.
\ir helpers.psql
SELECT plan(4);

-- the helper returning a page row depends on the table type
DROP FUNCTION pg_temp.page(bigint);
DROP EXTENSION scrape_jobs;
CREATE SCHEMA "scrape space";
CREATE EXTENSION scrape_jobs SCHEMA "scrape space";

SELECT "scrape space".scrape_submit(pg_temp.url('/ok?schema=1')) AS sid \gset
SELECT is("scrape space".scrape_wait(:sid, '30 s'), 'completed',
          'a session completes in the new schema');
SELECT is(status, 'done', 'its page is stored')
  FROM "scrape space".scraping_pages WHERE session_id = :sid;
SELECT is(count(*), 2::bigint, 'the workers are there')
  FROM "scrape space".scrape_workers();

DROP EXTENSION scrape_jobs;
DROP SCHEMA "scrape space";
CREATE EXTENSION scrape_jobs;
SELECT scrape_submit(pg_temp.url('/ok?schema=2')) AS sid2 \gset
SELECT is(scrape_wait(:sid2, '30 s'), 'completed', 'and again back in public');

SELECT * FROM finish();
