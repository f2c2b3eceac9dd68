-- Metrics come from running counters in shared memory, not from the
-- tables: job gauges move with each committed status change (a row
-- trigger), counters with the events that SQL and the workers report.
-- The counters are server-wide, so this test looks at how they move.
DELETE FROM background_jobs;
CREATE TEMP TABLE jobs_before AS SELECT * FROM scrape_job_counts();
CREATE TEMP TABLE counters_before AS SELECT * FROM scrape_counters();
CREATE FUNCTION pg_temp.job_moves()
RETURNS TABLE (job_type text, status text, moved bigint) LANGUAGE sql AS $$
    SELECT c.job_type, c.status, c.jobs - coalesce(b.jobs, 0)
      FROM scrape_job_counts() c LEFT JOIN jobs_before b USING (job_type, status)
     WHERE c.jobs <> coalesce(b.jobs, 0) ORDER BY 1, 2
$$;
CREATE FUNCTION pg_temp.counter_moves()
RETURNS TABLE (name text, label text, moved bigint) LANGUAGE sql AS $$
    SELECT c.name, c.label, c.value - coalesce(b.value, 0)
      FROM scrape_counters() c LEFT JOIN counters_before b USING (name, label)
     WHERE c.value <> coalesce(b.value, 0) AND c.label NOT LIKE 'le:%'
       AND c.label <> 'sum_us' ORDER BY 1, 2
$$;

-- created jobs count at COMMIT, of their own type; a rollback counts nothing
INSERT INTO background_jobs (status) VALUES ('pending'), ('pending'), ('pending');
INSERT INTO background_jobs (job_type, status) VALUES ('report', 'pending');
BEGIN;
INSERT INTO background_jobs (status) VALUES ('pending');
SELECT scrape_submit('http://m.example/rolled-back') IS NOT NULL AS submitted;
ROLLBACK;
SELECT * FROM pg_temp.job_moves();

-- status changes move them; a finished job's time goes to the job_ms
-- histogram (2 and 10 minutes here)
UPDATE background_jobs SET status = 'processing', started_at = now() - interval '2 minutes'
 WHERE job_type = 'web_scraping';
UPDATE background_jobs SET status = 'completed', finished_at = now()
 WHERE id = (SELECT min(id) FROM background_jobs WHERE job_type = 'web_scraping');
UPDATE background_jobs SET status = 'failed', finished_at = now(),
       started_at = now() - interval '10 minutes'
 WHERE id = (SELECT max(id) FROM background_jobs WHERE job_type = 'web_scraping');
DELETE FROM background_jobs WHERE job_type = 'report';
SELECT * FROM pg_temp.job_moves();
SELECT * FROM pg_temp.counter_moves();
SELECT round((SELECT value FROM scrape_counters() WHERE name = 'job_ms' AND label = 'sum_us')
             - (SELECT value FROM counters_before WHERE name = 'job_ms' AND label = 'sum_us'), -6)
       / 1000000 AS job_seconds_added;

-- counted events: SQL's counters apply at COMMIT too
SELECT _scrape_count('robots_skips', 3);
SELECT _scrape_count('products_written', 2);
BEGIN;
SELECT _scrape_count('retries', 100);
ROLLBACK;
SELECT * FROM pg_temp.counter_moves() WHERE name NOT LIKE 'job_ms';

-- a savepoint rolled back takes its reports with it, and those of the
-- savepoints released inside it; a released one hands them to its parent;
-- so does a PL/pgSQL exception block that catches an error
CREATE TEMP TABLE moves_before AS SELECT * FROM pg_temp.counter_moves();
CREATE TEMP TABLE job_moves_before AS SELECT * FROM pg_temp.job_moves();
BEGIN;
SAVEPOINT a;
INSERT INTO background_jobs (job_type, status) VALUES ('report', 'pending');
SELECT _scrape_count('retries', 10);
SAVEPOINT b;
SELECT _scrape_count('retries', 20);
RELEASE b;
ROLLBACK TO a;
SAVEPOINT c;
INSERT INTO background_jobs (job_type, status) VALUES ('report', 'processing');
SELECT _scrape_count('retries', 1);
SELECT _scrape_count('retries', 1);
RELEASE c;
DO $$
BEGIN
    PERFORM _scrape_count('retries', 1000);
    INSERT INTO background_jobs (job_type, status) VALUES ('report', 'failed');
    RAISE EXCEPTION 'undo';
EXCEPTION WHEN raise_exception THEN
    PERFORM _scrape_count('deferrals', 4);
END $$;
COMMIT;
SELECT m.name, m.label, m.moved - coalesce(b.moved, 0) AS moved
  FROM pg_temp.counter_moves() m LEFT JOIN moves_before b USING (name, label)
 WHERE m.moved <> coalesce(b.moved, 0) AND m.name NOT LIKE 'job_ms';
SELECT m.job_type, m.status, m.moved - coalesce(b.moved, 0) AS moved
  FROM pg_temp.job_moves() m LEFT JOIN job_moves_before b USING (job_type, status)
 WHERE m.moved <> coalesce(b.moved, 0);
DELETE FROM background_jobs WHERE job_type = 'report';

SELECT _scrape_count('no_such_counter', 1);
SELECT _scrape_quantile('fetch_ms', 2);
SELECT _scrape_quantile('no_such_histogram', 0.5);
SELECT * FROM _scrape_quantiles(ARRAY[0.5, 2]);
-- every histogram's quantiles at once (what scrape_metrics() reads) are
-- those asked one at a time
SELECT q.histogram,
       q.quantiles IS NOT DISTINCT FROM ARRAY[_scrape_quantile(q.histogram, 0.5),
                                              _scrape_quantile(q.histogram, 0.95),
                                              _scrape_quantile(q.histogram, 0.99)] AS same,
       q.quantiles[2] IS NOT NULL AS has_values
  FROM _scrape_quantiles(ARRAY[0.5, 0.95, 0.99]) q ORDER BY 1;

-- the seed's fields and the new ones, one row; the queue depth counts
-- pending pages (the live rows only)
SELECT scrape_submit_urls(ARRAY['http://m.example/1', 'http://m.example/2',
                                'http://m.example/3']) IS NOT NULL AS submitted;
SELECT queue_depth, pending_pages, retry_waiting_pages, circuit_waiting_pages
  FROM scrape_metrics();
SELECT count(*) AS columns FROM (SELECT (jsonb_each(to_jsonb(m))).* FROM scrape_metrics() m) c;

-- job_history is pruned by scrape_jobs.history_retention, in batches
SET scrape_jobs.history_retention = '1h';
INSERT INTO job_history (job_id, event, created_at)
SELECT (SELECT min(id) FROM background_jobs), 'requeued', now() - interval '2 hours'
  FROM generate_series(1, 5);
SELECT scrape_prune_history(3) AS pruned, scrape_prune_history(3) AS then,
       scrape_prune_history(3) AS nothing_left;
SELECT count(*) AS recent_kept FROM job_history WHERE created_at > now() - interval '1 hour';
SELECT scrape_prune_history(0);
RESET scrape_jobs.history_retention;
