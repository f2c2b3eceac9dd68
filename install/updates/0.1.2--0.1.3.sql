/*
 * install/updates/0.1.2--0.1.3.sql
 *
 * 0.1.3 (issue 14, fair claims): claims take pages in turns between the
 * sessions that have pending pages, through a new partial index of the
 * pending pages by session (built here, under a SHARE lock on
 * scraping_pages for the time of the build); _scrape_claim in
 * install/queue.sql.
 */
CREATE INDEX scraping_pages_pending_session_idx
    ON @extschema@.scraping_pages (session_id, id) WHERE status = 'pending';
