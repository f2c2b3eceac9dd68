-- Retention of page bodies (scrape_jobs.body_retention): the bodies of
-- sessions that finished long enough ago are emptied in bounded batches;
-- the page rows, what was extracted and the products stay.
SET scrape_jobs.body_retention = '7d';
CREATE TEMP TABLE r AS
SELECT scrape_submit_urls(array(SELECT 'http://old.example/' || g FROM generate_series(1, 5) g)) AS old_sid,
       scrape_submit_urls(ARRAY['http://recent.example/1', 'http://recent.example/2']) AS recent_sid,
       scrape_submit_urls(ARRAY['http://dead.example/1']) AS dead_sid;
SELECT old_sid, recent_sid, dead_sid FROM r \gset
-- as the workers and the stages would have left them
UPDATE scraping_pages SET status = 'done', http_status = 200, body = '<title>t</title>' || url,
       title = 't', structured = '{"json_ld": []}', fetched_at = now()
 WHERE session_id IN (:old_sid, :recent_sid, :dead_sid);
UPDATE scraping_sessions SET status = 'completed', finished_at = now() - interval '8 days'
 WHERE id = :old_sid;
UPDATE scraping_sessions SET status = 'completed', finished_at = now() - interval '1 day'
 WHERE id = :recent_sid;
UPDATE scraping_sessions SET status = 'dead', finished_at = now() - interval '30 days'
 WHERE id = :dead_sid;
INSERT INTO products (product_key, url, name, raw, session_id, page_id)
SELECT 'url:' || url, url, 'kept', '{}', session_id, id
  FROM scraping_pages WHERE session_id = :old_sid ORDER BY id LIMIT 1;

-- bounded batches, oldest session first
SELECT scrape_prune_bodies(2) AS pruned;
SELECT count(*) FILTER (WHERE body IS NULL) AS emptied, count(*) AS pages
  FROM scraping_pages WHERE session_id = :old_sid;
SELECT scrape_prune_bodies(10) AS pruned;
SELECT scrape_prune_bodies(10) AS pruned;
-- what stays
SELECT count(*) AS pages, count(title) AS titles, count(structured) AS structured,
       count(body) AS bodies, count(body_pruned_at) AS marked
  FROM scraping_pages WHERE session_id = :old_sid;
SELECT bodies_pruned_at IS NOT NULL AS session_marked FROM scraping_sessions WHERE id = :old_sid;
SELECT name FROM products WHERE session_id = :old_sid;
-- a recent session, and a dead-lettered one (a requeue would resume it),
-- keep their bodies
SELECT session_id = :recent_sid AS recent, count(body) AS bodies
  FROM scraping_pages WHERE session_id IN (:recent_sid, :dead_sid)
 GROUP BY 1 ORDER BY 1;
-- a shorter retention reaches the recent one; -1 keeps everything
SET scrape_jobs.body_retention = -1;
SELECT scrape_prune_bodies() AS pruned;
SET scrape_jobs.body_retention = '1h';
SELECT scrape_prune_bodies() AS pruned;
-- the monitor runs a batch of it
UPDATE scraping_pages SET body = 'again', body_pruned_at = NULL WHERE session_id = :recent_sid;
UPDATE scraping_sessions SET bodies_pruned_at = NULL WHERE id = :recent_sid;
SELECT recovered, pruned >= 0 AS history_pruned, bodies_pruned FROM scrape_monitor();
-- bad input
\set VERBOSITY terse
SELECT scrape_prune_bodies(0);
\set VERBOSITY default
RESET scrape_jobs.body_retention;
DELETE FROM products WHERE name = 'kept';
DELETE FROM background_jobs WHERE id IN (SELECT background_job_id FROM scraping_sessions
                                          WHERE id IN (:old_sid, :recent_sid, :dead_sid));
