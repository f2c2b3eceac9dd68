/*
 * install/stages.sql
 *
 * The stages after scraping (src/stages.c): entering a stage, claiming a
 * session's stage work, storing a batch of the extracting stage.
 */

-- Move a job (whose session's row lock the caller holds) to its next stage
-- after scraping: extracting, then creating_products.  The stage starts
-- from the session's first page (stage_cursor 0) with a fresh heartbeat;
-- the workers are woken at COMMIT to take it (_scrape_claim_stage).
CREATE OR REPLACE FUNCTION @extschema@._scrape_enter_stage(p_session_id bigint,
                                                p_job_id bigint, p_to text)
RETURNS void
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO @extschema@.job_history (job_id, session_id, event, detail)
    SELECT p_job_id, p_session_id, 'stage_changed',
           jsonb_build_object('from', j.current_stage, 'to', p_to)
      FROM @extschema@.background_jobs j WHERE j.id = p_job_id;
    UPDATE @extschema@.scraping_sessions
       SET stage_cursor = 0,
           progress_percentage = @extschema@._scrape_stage_progress(p_to, 0, 1),
           updated_at = now()
     WHERE id = p_session_id;
    UPDATE @extschema@.background_jobs
       SET current_stage = p_to,
           progress = @extschema@._scrape_stage_progress(p_to, 0, 1),
           last_heartbeat = now(), updated_at = now()
     WHERE id = p_job_id;
    SELECT @extschema@._scrape_notify_progress(ARRAY[p_session_id], true);
    SELECT @extschema@._scrape_wake(true, false, false);
$$;

-- The next session with stage work, locked for this batch; no row if none.
-- The stage is read again after the lock: a session locked as another
-- worker's batch committed is seen in its new version, but the job row of
-- the first statement's snapshot could still name the stage before.
CREATE OR REPLACE FUNCTION @extschema@._scrape_claim_stage()
RETURNS TABLE (session_id bigint, job_id bigint, stage text, stage_cursor bigint,
               rule_names text[], rule_xpaths text[])
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_session bigint;
    v_job     bigint;
BEGIN
    SELECT s.id, j.id INTO v_session, v_job
      FROM @extschema@.background_jobs j
      JOIN @extschema@.scraping_sessions s ON s.background_job_id = j.id
     WHERE j.status = 'processing'
       AND j.current_stage IN ('extracting', 'creating_products')
       AND s.status = 'running'
     ORDER BY j.id
     LIMIT 1
       FOR UPDATE OF s SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    -- a new statement, a new snapshot: the job as it is now
    RETURN QUERY
    SELECT s.id, j.id, j.current_stage, s.stage_cursor,
           ARRAY(SELECT e.key FROM jsonb_each_text(coalesce(s.options -> 'extract', '{}')) e
                  ORDER BY e.key),
           ARRAY(SELECT e.value FROM jsonb_each_text(coalesce(s.options -> 'extract', '{}')) e
                  ORDER BY e.key)
      FROM @extschema@.background_jobs j
      JOIN @extschema@.scraping_sessions s ON s.background_job_id = j.id
     WHERE s.id = v_session AND j.id = v_job
       AND j.status = 'processing' AND s.status = 'running'
       AND j.current_stage IN ('extracting', 'creating_products');
END;
$$;

-- Store a batch of the extracting stage: each page's structured document
-- (p_docs[i] for page p_ids[i], NULL: nothing found) and, for the pages not
-- parsed when they were fetched (all but a crawl's: p_links not NULL), their
-- title, description, canonical URL, language and links, from the same
-- parse; move the checkpoint to p_last and, when p_finished, go on to
-- creating_products.
CREATE OR REPLACE FUNCTION @extschema@._scrape_record_extraction(
    p_session_id bigint, p_job_id bigint, p_ids bigint[], p_docs text[],
    p_last bigint, p_finished boolean,
    p_titles text[] DEFAULT NULL, p_descriptions text[] DEFAULT NULL,
    p_canonicals text[] DEFAULT NULL, p_langs text[] DEFAULT NULL,
    p_links text[] DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_progress smallint;
BEGIN
    UPDATE @extschema@.scraping_pages p
       SET structured = d.doc::jsonb,
           title = CASE WHEN d.links IS NULL THEN p.title ELSE d.title END,
           description = CASE WHEN d.links IS NULL THEN p.description
                              ELSE d.description END,
           canonical_url = CASE WHEN d.links IS NULL THEN p.canonical_url
                                ELSE d.canonical END,
           lang = CASE WHEN d.links IS NULL THEN p.lang ELSE d.lang END,
           links = coalesce(d.links::jsonb, p.links),
           updated_at = now()
      FROM unnest(p_ids, p_docs, p_titles, p_descriptions, p_canonicals,
                  p_langs, p_links)
           AS d(id, doc, title, description, canonical, lang, links)
     WHERE p.id = d.id AND p.session_id = p_session_id
       AND (d.doc IS NOT NULL OR p.structured IS NOT NULL OR d.links IS NOT NULL);

    UPDATE @extschema@.scraping_sessions s
       SET stage_cursor = greatest(s.stage_cursor, p_last),
           pages_extracted = s.pages_extracted + cardinality(p_ids),
           progress_percentage = @extschema@._scrape_stage_progress(
               'extracting', s.pages_extracted + cardinality(p_ids), s.pages_done),
           updated_at = now()
     WHERE s.id = p_session_id
    RETURNING s.progress_percentage INTO v_progress;
    UPDATE @extschema@.background_jobs
       SET progress = v_progress, last_heartbeat = now(), updated_at = now()
     WHERE id = p_job_id;
    PERFORM @extschema@._scrape_notify_progress(ARRAY[p_session_id], false);

    PERFORM @extschema@._scrape_count('pages_extracted', cardinality(p_ids));
    IF p_finished THEN
        PERFORM @extschema@._scrape_enter_stage(p_session_id, p_job_id,
                                                'creating_products');
    END IF;
END;
$$;

-- A crash of the extracting stage while it parsed p_page_id (the launcher
-- found the page in a dead worker's extraction marker: src/journal.h).
-- Returns the page's crashes so far, NULL if the page is gone.  The stage
-- passes the page by after scrape_jobs.max_attempts of them, with an
-- extraction_error in its document, so that one page cannot crash the
-- server in a loop.
CREATE OR REPLACE FUNCTION @extschema@._scrape_note_extraction_crash(p_page_id bigint)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_crashes integer;
    v_session bigint;
BEGIN
    UPDATE @extschema@.scraping_pages
       SET extraction_crashes = coalesce(extraction_crashes, 0) + 1,
           updated_at = now()
     WHERE id = p_page_id
    RETURNING extraction_crashes, session_id INTO v_crashes, v_session;
    IF v_session IS NOT NULL THEN
        INSERT INTO @extschema@.job_history (job_id, session_id, event, detail)
        SELECT s.background_job_id, s.id, 'extraction_crashed',
               jsonb_build_object('page_id', p_page_id, 'crashes', v_crashes,
                                  'max_attempts',
                                  current_setting('scrape_jobs.max_attempts')::integer)
          FROM @extschema@.scraping_sessions s WHERE s.id = v_session;
    END IF;
    RETURN v_crashes;
END;
$$;
