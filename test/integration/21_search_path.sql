-- The launcher, the workers, the alerter and pg_cron ran every other
-- integration test under a hostile search_path (test/decoy.sql): the
-- database's default puts a schema first whose tables and functions are
-- named like the extension's.  None of them was used.
\ir helpers.psql
SELECT plan(4);

SELECT ok(EXISTS (SELECT 1 FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
                   WHERE d.datname = current_database() AND s.setrole = 0
                     AND 'search_path=decoy, public' = ANY (s.setconfig)),
          'the database''s default search_path starts with the decoy schema');
SELECT is(replace(current_setting('search_path'), ' ', ''), 'scrape,public',
          'this session chose its own (PGOPTIONS)');
SELECT is((SELECT string_agg(DISTINCT what, ', ') FROM decoy.calls), NULL,
          'no decoy function was called');
SELECT is((SELECT count(*) FROM decoy.background_jobs) + (SELECT count(*) FROM decoy.scraping_sessions)
          + (SELECT count(*) FROM decoy.scraping_pages) + (SELECT count(*) FROM decoy.products)
          + (SELECT count(*) FROM decoy.alerts) + (SELECT count(*) FROM decoy.job_history)
          + (SELECT count(*) FROM decoy.metric_counters), 0::bigint,
          'no row was written to a decoy table');
SELECT * FROM finish();
