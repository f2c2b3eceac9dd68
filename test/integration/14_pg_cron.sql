-- scrape_detect_stuck() scheduled from pg_cron really runs and recovers a
-- stuck job.  The launcher's own monitor is slowed down for the test, so
-- the recovery is pg_cron's; pg_cron 1.4 has minute granularity, so this
-- test waits up to 90 s.
\ir helpers.psql
SELECT plan(5);

CREATE EXTENSION IF NOT EXISTS pg_cron;
ALTER SYSTEM SET scrape_jobs.monitor_interval = '1h';
SELECT pg_reload_conf() \gset
SELECT pg_sleep(2) \gset

-- a job stuck for real: its page in flight for a worker that does not
-- exist, no heartbeat for an hour
SELECT pg_temp.url('/ok?cron=' || md5(random()::text)) AS u \gset
WITH j AS (
    INSERT INTO background_jobs (status, current_stage, attempts, started_at,
                                 last_heartbeat, metadata)
    VALUES ('processing', 'scraping', 1, now() - interval '1 hour',
            now() - interval '1 hour', '{}')
    RETURNING id
), s AS (
    INSERT INTO scraping_sessions (background_job_id, source_url, scraping_mode,
                                   status, total_pages, pages_known, started_at)
    SELECT j.id, :'u', 'single', 'running', 1, 1, now() - interval '1 hour' FROM j
    RETURNING id, background_job_id
), p AS (
    INSERT INTO scraping_pages (session_id, url, status, attempts, claimed_by,
                                claim_lease, claimed_at)
    SELECT s.id, :'u', 'fetching', 1, 424242, 1, now() - interval '1 hour' FROM s
)
SELECT s.id AS sid, s.background_job_id AS jid FROM s \gset

SELECT cron.schedule('scrape-stuck', '* * * * *', 'SELECT scrape.scrape_detect_stuck()') AS cron_job \gset
SELECT ok(pg_temp.eventually(format(
    $$SELECT EXISTS (SELECT 1 FROM job_history WHERE job_id = %s AND event = 'recovered')$$,
    :jid), '90 s'), 'pg_cron ran scrape_detect_stuck() and it recovered the job');
SELECT is(scrape_wait(:sid, '30 s'), 'completed', 'the recovered job completes');
SELECT is(count(*), 1::bigint, 'one job_stuck alert') FROM alerts
 WHERE job_id = :jid AND kind = 'job_stuck';
SELECT ok(EXISTS (SELECT 1 FROM cron.job_run_details
                   WHERE jobid = :cron_job AND status = 'succeeded'),
          'pg_cron recorded a successful run');
SELECT ok(cron.unschedule(:cron_job), 'unscheduled');

ALTER SYSTEM RESET scrape_jobs.monitor_interval;
SELECT pg_reload_conf() \gset
SELECT * FROM finish();
