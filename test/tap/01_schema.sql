-- Shape of the extension: tables, indexes, constraints, privileges.
BEGIN;
SELECT plan(22);

SELECT has_table('background_jobs');
SELECT has_table('scraping_sessions');
SELECT has_table('scraping_pages');
SELECT has_table('job_history');
SELECT columns_are('background_jobs', ARRAY[
    'id', 'job_type', 'status', 'progress', 'current_stage', 'metadata',
    'attempts', 'max_attempts', 'lease', 'last_heartbeat', 'last_error',
    'created_at', 'started_at', 'finished_at', 'updated_at']);
SELECT has_column('scraping_sessions', 'background_job_id');
SELECT fk_ok('scraping_sessions', 'background_job_id', 'background_jobs', 'id');
SELECT fk_ok('scraping_pages', 'session_id', 'scraping_sessions', 'id');
SELECT has_index('scraping_pages', 'scraping_pages_session_status_idx',
                 ARRAY['session_id', 'status', 'id'],
                 'scraping_pages has the composite (session_id, status) index (id last, for the stages)');
SELECT col_is_unique('scraping_pages', ARRAY['session_id', 'url']);
SELECT is(
    (SELECT pg_get_expr(indpred, indrelid) FROM pg_index
      WHERE indexrelid = 'scraping_pages_pending_idx'::regclass),
    '(status = ''pending''::text)',
    'the claim index covers only pending pages');
SELECT is(
    (SELECT pg_get_expr(indpred, indrelid) FROM pg_index
      WHERE indexrelid = 'background_jobs_processing_idx'::regclass),
    '(status = ''processing''::text)',
    'stuck detection scans only processing jobs');
SELECT is_empty($$
    SELECT a.attname FROM pg_index i
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
     WHERE i.indrelid = 'background_jobs'::regclass
       AND a.attname = 'last_heartbeat'$$,
    'last_heartbeat is not indexed, so heartbeats are HOT updates');
SELECT is_empty($$
    SELECT relname FROM pg_class
     WHERE relname IN ('background_jobs', 'scraping_sessions',
                       'scraping_pages', 'job_history')
       AND relpersistence <> 'p'$$,
    'every table is logged: a crash loses nothing that committed');
SELECT is_empty($$
    SELECT p.proname FROM pg_proc p
     WHERE p.pronamespace = 'public'::regnamespace
       AND (p.proname LIKE 'scrape%' OR p.proname LIKE '\_scrape%')
       AND has_function_privilege('public', p.oid, 'EXECUTE')$$,
    'no function is executable by PUBLIC');
SELECT is_empty($$
    SELECT c.relname FROM pg_class c
     WHERE c.relname IN ('background_jobs', 'scraping_sessions',
                         'scraping_pages', 'job_history')
       AND (has_table_privilege('public', c.oid, 'SELECT')
            OR has_table_privilege('public', c.oid, 'INSERT'))$$,
    'no table is readable or writable by PUBLIC');

SELECT throws_ok($$INSERT INTO background_jobs (status) VALUES ('sleeping')$$,
                 '23514', NULL, 'job status is checked');
SELECT throws_ok($$INSERT INTO background_jobs (current_stage) VALUES ('dreaming')$$,
                 '23514', NULL, 'job stage is checked');
SELECT throws_ok($$INSERT INTO background_jobs (progress) VALUES (-1)$$,
                 '23514', NULL, 'progress is checked');
SELECT throws_ok($$INSERT INTO job_history (job_id, event) VALUES (1, 'exploded')$$,
                 '23514', NULL, 'history events are checked');
SELECT is((SELECT extrelocatable FROM pg_extension WHERE extname = 'scrape_jobs'),
          false, 'the extension is not relocatable');
SELECT has_function('scrape_workers', 'scrape_workers() exists');

SELECT * FROM finish();
ROLLBACK;
