-- Submitting work: the rows a submit creates, in one transaction.
-- No workers run in this database, so everything stays pending.

SELECT scrape_submit('HTTPS://Example.COM/shop?page=1#reviews') AS sid \gset

-- The job came first, and its metadata already names the session.
SELECT j.job_type, j.status, j.progress, j.current_stage, j.attempts,
       j.max_attempts, j.lease, j.last_heartbeat IS NULL AS no_heartbeat,
       j.started_at IS NULL AS not_started,
       (j.metadata ->> 'session_id')::bigint = s.id AS metadata_names_session,
       j.metadata - 'session_id' AS metadata
  FROM background_jobs j
  JOIN scraping_sessions s ON s.background_job_id = j.id
 WHERE s.id = :sid;

SELECT source_url, status, scraping_mode, progress_percentage, total_pages,
       pages_known, pages_done, pages_failed, options, workspace_id
  FROM scraping_sessions WHERE id = :sid;

SELECT url, status, attempts, depth, claimed_by, body
  FROM scraping_pages WHERE session_id = :sid;

SELECT event, detail FROM job_history
 WHERE session_id = :sid ORDER BY id;

SELECT status, job_status, stage, progress, pages_known, pages_done,
       pages_failed, pages_pending, started_at, finished_at
  FROM scrape_status(:sid);

-- An unknown session has no status row.
SELECT count(*) FROM scrape_status(424242);

-- A session that is still pending when the wait times out.
SELECT scrape_wait(:sid, '20 ms');

-- Workspace, page cap and options are kept.
SELECT scrape_submit('http://example.net/', 'single', 5,
                     '6f1c8a3e-0000-4000-8000-000000000001',
                     '{"request_timeout": "15s", "user_agent": "test-agent/1"}')
       AS wid \gset
SELECT workspace_id, total_pages, options, metadata ->> 'total_pages' AS meta_total
  FROM scraping_sessions s JOIN background_jobs j ON j.id = s.background_job_id
 WHERE s.id = :wid;

-- A list: URLs are normalised, duplicates collapse, first appearance wins.
SELECT scrape_submit_urls(ARRAY['http://a.example/2', 'HTTP://A.EXAMPLE/1',
                                'http://a.example:80/1', 'http://a.example/2#x'])
       AS lid \gset
SELECT source_url, scraping_mode, total_pages, pages_known
  FROM scraping_sessions WHERE id = :lid;
SELECT url FROM scraping_pages WHERE session_id = :lid ORDER BY id;

-- Pages are inserted in batches of scrape_jobs.batch_size (100), not one
-- INSERT per page: count the INSERT statements with a statement trigger.
CREATE TEMP TABLE insert_statements (n int);
CREATE FUNCTION pg_temp.count_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO insert_statements VALUES (1);
    RETURN NULL;
END;
$$;
CREATE TRIGGER count_page_inserts AFTER INSERT ON scraping_pages
    FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.count_insert();
SELECT scrape_submit_urls(array(SELECT 'http://b.example/' || g
                                  FROM generate_series(1, 250) g)) AS bid \gset
SELECT count(*) AS insert_statements FROM insert_statements;
SELECT pages_known FROM scraping_sessions WHERE id = :bid;
-- so are the pages a crawl discovers: a page with 250 links in scope
SELECT count(*) FILTER (WHERE scrape_cancel(id)) AS cancelled_first  -- (the claim is FIFO)
  FROM scraping_sessions WHERE status IN ('pending', 'running');
TRUNCATE insert_statements;
SELECT scrape_submit('http://c.example/', 'crawl', 1000,
                     options => '{"obey_robots": false}') AS cid \gset
SELECT page_id AS c_page, lease AS c_lease FROM _scrape_claim(9, 100) WHERE session_id = :cid \gset
SELECT _scrape_record_results(9, ARRAY[:c_page]::bigint[], ARRAY[:c_lease]::bigint[], ARRAY[true],
    ARRAY[200], ARRAY['text/html'], ARRAY[NULL::text], ARRAY['<html></html>'],
    ARRAY[13::bigint], ARRAY[1.0::float8], ARRAY[NULL::text], ARRAY[NULL::text],
    ARRAY[false], ARRAY[NULL::integer], ARRAY[NULL::integer], ARRAY[NULL::text],
    ARRAY[NULL::text], ARRAY[NULL::text], ARRAY[NULL::text],
    ARRAY[(SELECT jsonb_agg(jsonb_build_object('url', 'http://c.example/' || g, 'nofollow', false))
             FROM generate_series(1, 250) g)::text]) AS accepted;
SELECT count(*) AS insert_statements FROM insert_statements;
SELECT pages_known FROM scraping_sessions WHERE id = :cid;
DROP TRIGGER count_page_inserts ON scraping_pages;

-- A submit that rolls back leaves nothing behind.
BEGIN;
SELECT scrape_submit('http://rolled.example/') IS NOT NULL AS submitted;
ROLLBACK;
SELECT count(*) FROM scraping_sessions WHERE source_url = 'http://rolled.example/';
SELECT count(*) FROM background_jobs WHERE metadata ->> 'source_url' = 'http://rolled.example/';
