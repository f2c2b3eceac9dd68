/*
 * install/updates/0.1.6--0.1.7.sql
 *
 * 0.1.7 (issue 16, what users wait for): pages are extracted, and their
 * products written, as they are stored, by every worker, while the
 * session's other pages download; the extracting and creating_products
 * stages are what is left when the last page is final.
 * - scraping_pages.extracted_at marks the extracted pages, and the partial
 *   index scraping_pages_unextracted_idx finds the rest;
 * - _scrape_claim_extraction (replacing _scrape_claim_stage) hands out
 *   batches of pages, not sessions; _scrape_record_extraction writes their
 *   products too (_scrape_write_products, replacing
 *   _scrape_create_products) and ends the stages (_scrape_finish_stages);
 * - the sessions' stage checkpoint (stage_cursor) is gone with the walk it
 *   served.
 */

ALTER TABLE @extschema@.scraping_pages ADD COLUMN extracted_at timestamptz;

-- The pages already through the stages, or that never will be: those of
-- ended sessions, and of a session in creating_products those before its
-- checkpoint (their products are written).  The others are extracted
-- again, products included: a session in extracting had written no
-- product yet.
UPDATE @extschema@.scraping_pages p
   SET extracted_at = coalesce(s.finished_at, now())
  FROM @extschema@.scraping_sessions s
  JOIN @extschema@.background_jobs j ON j.id = s.background_job_id
 WHERE p.session_id = s.id AND p.status = 'done' AND p.kind = 'page'
   AND (s.status NOT IN ('pending', 'running')
        OR (j.current_stage = 'creating_products' AND p.id <= s.stage_cursor));

CREATE INDEX scraping_pages_unextracted_idx
    ON @extschema@.scraping_pages (session_id, id)
    WHERE status = 'done' AND kind = 'page' AND extracted_at IS NULL;

DROP FUNCTION @extschema@._scrape_claim_stage();
DROP FUNCTION @extschema@._scrape_create_products(bigint, bigint, integer);
-- (its arguments change: the checkpoint and the last-batch flag are gone)
DROP FUNCTION @extschema@._scrape_record_extraction(bigint, bigint, bigint[], text[],
                                                    bigint, boolean, text[], text[],
                                                    text[], text[], text[]);

ALTER TABLE @extschema@.scraping_sessions DROP COLUMN stage_cursor;
