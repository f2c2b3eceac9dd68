/*
 * install/updates/0.1.5--0.1.6.sql
 *
 * 0.1.6:
 * - issue 14, item 6, claims that know hosts: every page records its URL's
 *   host, and a claim takes a session's pages in turns between its hosts,
 *   the hosts the claiming worker reports as busy last (_scrape_claim in
 *   install/queue.sql, which gains p_busy_hosts);
 * - one helper decides which held pages had started, for the release of a
 *   dead worker's pages and the recovery of a stuck job
 *   (_scrape_pages_started);
 * - a page whose parse crashes the extracting stage is counted
 *   (scraping_pages.extraction_crashes, _scrape_note_extraction_crash) and
 *   passed by after max_attempts crashes, instead of crashing the server
 *   in a loop;
 * - issue 15: a robots.txt answered 4xx is a page done, not failed
 *   (_scrape_record_results).
 */

-- (no default: ADD COLUMN would store it as the column's missing value,
-- which a fresh install's column does not have)
ALTER TABLE @extschema@.scraping_pages ADD COLUMN host text;

-- Only pending pages are claimed: the others keep NULL (their host is in
-- their url).  One pass; an upgrade of a database with a large queue
-- writes those rows once.
UPDATE @extschema@.scraping_pages
   SET host = coalesce(@extschema@._scrape_host(url), '')
 WHERE status = 'pending';

ALTER TABLE @extschema@.scraping_pages ADD COLUMN extraction_crashes integer;

CREATE INDEX scraping_pages_pending_host_idx
    ON @extschema@.scraping_pages (session_id, host, id) WHERE status = 'pending';

-- (the claim gains an argument: CREATE OR REPLACE cannot add one)
DROP FUNCTION @extschema@._scrape_claim(bigint, integer);

-- (0.1.3's index of pending pages by session: the one above serves its
-- walk of the sessions, and a claim no longer reads a session's pages in
-- id order)
DROP INDEX @extschema@.scraping_pages_pending_session_idx;

-- (the history's events gain extraction_crashed)
ALTER TABLE @extschema@.job_history DROP CONSTRAINT job_history_event_check;
ALTER TABLE @extschema@.job_history ADD CONSTRAINT job_history_event_check
    CHECK (event IN ('created', 'claimed', 'stage_changed',
                     'completed', 'failed', 'cancelled',
                     'work_released', 'retry_scheduled',
                     'heartbeat_gap', 'recovered',
                     'dead_lettered', 'requeued',
                     'extraction_crashed',
                     'page_claimed', 'page_done', 'page_failed',
                     'page_skipped', 'page_deferred',
                     'pages_claimed', 'pages_done'));
