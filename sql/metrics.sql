-- scrape_metrics() over a known set of jobs.
DELETE FROM background_jobs;
SELECT * FROM scrape_metrics();

INSERT INTO background_jobs (status, started_at, finished_at) VALUES
    ('pending', NULL, NULL),
    ('processing', now() - interval '1 minute', NULL),
    ('completed', now() - interval '3 minutes', now() - interval '1 minute'),
    ('completed', now() - interval '4 minutes', now() - interval '2 minutes'),
    ('failed', now() - interval '20 minutes', now() - interval '10 minutes'),
    ('completed', now() - interval '2 hours', now() - interval '110 minutes'),
    ('cancelled', now() - interval '2 hours', now() - interval '1 hour');
-- another job type sharing the unified table is not counted
INSERT INTO background_jobs (job_type, status, started_at, finished_at)
VALUES ('report', 'failed', now() - interval '1 minute', now());

SELECT scrape_submit_urls(ARRAY['http://m.example/1', 'http://m.example/2',
                                'http://m.example/3']) IS NOT NULL AS submitted;

-- total 8 web-scraping jobs (7 above and the submitted one); 2 finished in
-- the last 5 minutes: 0.4 per minute; 1 failed of 4 finished: 0.25; mean
-- processing time (2 + 2 + 10 + 10) / 4 = 6 minutes; 3 pages pending.
SELECT * FROM scrape_metrics();
