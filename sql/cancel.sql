-- Cancelling a session.
SELECT scrape_submit_urls(ARRAY['http://d.example/1', 'http://d.example/2']) AS cid \gset

SELECT scrape_cancel(:cid);
SELECT status, job_status, stage, pages_pending, finished_at IS NOT NULL AS finished
  FROM scrape_status(:cid);
SELECT status, error_class, count(*)
  FROM scraping_pages WHERE session_id = :cid GROUP BY 1, 2;
-- the lease moved on, fencing out any worker that held the job
SELECT j.status, j.lease FROM background_jobs j
  JOIN scraping_sessions s ON s.background_job_id = j.id WHERE s.id = :cid;
SELECT event, detail FROM job_history WHERE session_id = :cid ORDER BY id;

-- An ended session cannot be cancelled again; an unknown one neither.
SELECT scrape_cancel(:cid);
SELECT scrape_cancel(424242);

-- Waiting for a cancelled session returns at once.
SELECT scrape_wait(:cid, '1 minute');
