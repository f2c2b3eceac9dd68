/*
 * install/stages.sql
 *
 * The stages after scraping (src/stages.c): entering a stage, claiming a
 * batch of extraction work (pages are extracted, and their products
 * written, as they are stored, by every worker: 0.1.7), storing it, and
 * ending the stages when nothing is left.
 */

-- Move a job (whose session's row lock the caller holds) to its next stage
-- after scraping: extracting, then creating_products, with a fresh
-- heartbeat.  Pages are extracted as they are stored (0.1.7): the
-- extracting stage is what is left of that work when the last page is
-- final, and it may be nothing (_scrape_finish_stages then ends it at
-- once).  The workers are woken at COMMIT to take what is left.
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
    UPDATE @extschema@.scraping_sessions s
       SET progress_percentage = @extschema@._scrape_stage_progress(
               p_to, CASE WHEN p_to = 'extracting' THEN s.pages_extracted ELSE 0 END,
               s.pages_done),
           updated_at = now()
     WHERE s.id = p_session_id;
    UPDATE @extschema@.background_jobs j
       SET current_stage = p_to,
           progress = s.progress_percentage,
           last_heartbeat = now(), updated_at = now()
      FROM @extschema@.scraping_sessions s
     WHERE j.id = p_job_id AND s.id = p_session_id;
    SELECT @extschema@._scrape_notify_progress(ARRAY[p_session_id], true);
    SELECT @extschema@._scrape_wake(true, false, false);
$$;

-- End the stages of a job (whose session's row lock the caller holds) if
-- its pages are all final and all extracted: creating_products (whose work
-- was done with each batch's extraction) and then completed.  Returns
-- whether it ended them.
CREATE OR REPLACE FUNCTION @extschema@._scrape_finish_stages(p_session_id bigint,
                                                  p_job_id bigint)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s @extschema@.scraping_sessions;
BEGIN
    SELECT * INTO s FROM @extschema@.scraping_sessions WHERE id = p_session_id;
    IF s.status IS DISTINCT FROM 'running'
       OR NOT EXISTS (SELECT 1 FROM @extschema@.background_jobs j
                       WHERE j.id = p_job_id AND j.status = 'processing'
                         AND j.current_stage IN ('extracting', 'creating_products'))
       OR EXISTS (SELECT 1 FROM @extschema@.scraping_pages p
                   WHERE p.session_id = p_session_id AND p.status = 'done'
                     AND p.kind = 'page' AND p.extracted_at IS NULL) THEN
        RETURN false;
    END IF;
    IF (SELECT current_stage FROM @extschema@.background_jobs WHERE id = p_job_id)
       = 'extracting' THEN
        PERFORM @extschema@._scrape_enter_stage(p_session_id, p_job_id,
                                                'creating_products');
    END IF;
    -- (the batches counted what each wrote, a product twice if two of
    -- them wrote it: the session's products are those it saw last)
    UPDATE @extschema@.scraping_sessions ss
       SET products_found = (SELECT count(*) FROM @extschema@.products pr
                              WHERE pr.session_id = p_session_id)
     WHERE ss.id = p_session_id
    RETURNING ss.products_found INTO s.products_found;
    UPDATE @extschema@.background_jobs
       SET metadata = metadata || jsonb_build_object('products', s.products_found)
     WHERE id = p_job_id;
    PERFORM @extschema@._scrape_end_job(p_session_id, p_job_id, 'completed',
                                        NULL, s.pages_done, s.pages_failed);
    PERFORM @extschema@._scrape_wake(false, false, true);
    RETURN true;
END;
$$;

-- The next batch of extraction work: up to p_limit done pages of one
-- running session that are not extracted yet, locked (SKIP LOCKED: every
-- worker takes batches, several of one session at once, while the
-- session's other pages download).  A session still scraping gives a batch
-- only of at least p_min pages (fewer cost a transaction each); one past
-- scraping gives what it has.  No row if there is none.
CREATE OR REPLACE FUNCTION @extschema@._scrape_claim_extraction(p_limit integer,
                                                     p_min integer)
RETURNS TABLE (session_id bigint, job_id bigint, page_ids bigint[],
               rule_names text[], rule_xpaths text[])
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r     record;
    v_ids bigint[];
BEGIN
    FOR r IN
        SELECT s.id AS sid, s.background_job_id AS jid,
               j.current_stage = 'scraping' AS scraping, s.options
          FROM @extschema@.scraping_sessions s
          JOIN @extschema@.background_jobs j ON j.id = s.background_job_id
         WHERE s.status = 'running' AND j.status = 'processing'
           AND EXISTS (SELECT 1 FROM @extschema@.scraping_pages p
                        WHERE p.session_id = s.id AND p.status = 'done'
                          AND p.kind = 'page' AND p.extracted_at IS NULL)
         -- sessions past scraping first: the rest of their work is all
         -- that stands between them and completed
         ORDER BY j.current_stage = 'scraping', s.id
         LIMIT 50
    LOOP
        -- (counted before anything is locked: a lock is a write, and most
        -- sessions that scrape have too few pages yet)
        IF r.scraping AND (SELECT count(*) FROM (
                               SELECT 1 FROM @extschema@.scraping_pages p
                                WHERE p.session_id = r.sid AND p.status = 'done'
                                  AND p.kind = 'page' AND p.extracted_at IS NULL
                                LIMIT least(p_min, p_limit)) AS c) < least(p_min, p_limit) THEN
            CONTINUE;
        END IF;
        v_ids := ARRAY(SELECT p.id FROM @extschema@.scraping_pages p
                        WHERE p.session_id = r.sid AND p.status = 'done'
                          AND p.kind = 'page' AND p.extracted_at IS NULL
                        ORDER BY p.id LIMIT p_limit
                          FOR UPDATE SKIP LOCKED);
        IF cardinality(v_ids) > 0 THEN
            RETURN QUERY
            SELECT r.sid, r.jid, v_ids,
                   ARRAY(SELECT e.key FROM jsonb_each_text(coalesce(r.options -> 'extract', '{}')) e
                          ORDER BY e.key),
                   ARRAY(SELECT e.value FROM jsonb_each_text(coalesce(r.options -> 'extract', '{}')) e
                          ORDER BY e.key);
            RETURN;
        END IF;
    END LOOP;
END;
$$;

-- Store a batch of extraction (pages p_ids, locked by the claim): each
-- page's structured document (p_docs[i], NULL: nothing found) and, for the
-- pages not parsed when they were fetched (all but a crawl's: p_links not
-- NULL), their title, description, canonical URL, language and links, from
-- the same parse; their products; the session's counts; and, when the
-- batch was the last work of a session past scraping, the end of its
-- stages.  The session's row lock is taken first, so that of two batches
-- ending at once the second sees the first's pages extracted.
CREATE OR REPLACE FUNCTION @extschema@._scrape_record_extraction(
    p_session_id bigint, p_job_id bigint, p_ids bigint[], p_docs text[],
    p_titles text[] DEFAULT NULL, p_descriptions text[] DEFAULT NULL,
    p_canonicals text[] DEFAULT NULL, p_langs text[] DEFAULT NULL,
    p_links text[] DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_progress smallint;
    v_found    integer;
    v_stage    text;
BEGIN
    PERFORM 1 FROM @extschema@.scraping_sessions WHERE id = p_session_id FOR UPDATE;
    UPDATE @extschema@.scraping_pages p
       SET structured = d.doc::jsonb,
           title = CASE WHEN d.links IS NULL THEN p.title ELSE d.title END,
           description = CASE WHEN d.links IS NULL THEN p.description
                              ELSE d.description END,
           canonical_url = CASE WHEN d.links IS NULL THEN p.canonical_url
                                ELSE d.canonical END,
           lang = CASE WHEN d.links IS NULL THEN p.lang ELSE d.lang END,
           links = coalesce(d.links::jsonb, p.links),
           extracted_at = now(),
           updated_at = now()
      FROM unnest(p_ids, p_docs, p_titles, p_descriptions, p_canonicals,
                  p_langs, p_links)
           AS d(id, doc, title, description, canonical, lang, links)
     WHERE p.id = d.id AND p.session_id = p_session_id
       AND p.status = 'done' AND p.extracted_at IS NULL;

    v_found := @extschema@._scrape_write_products(p_session_id, p_ids);
    SELECT current_stage INTO v_stage FROM @extschema@.background_jobs WHERE id = p_job_id;

    UPDATE @extschema@.scraping_sessions s
       SET pages_extracted = s.pages_extracted + cardinality(p_ids),
           products_found = s.products_found + v_found,
           progress_percentage = CASE WHEN v_stage = 'extracting'
               THEN @extschema@._scrape_stage_progress(
                        'extracting', s.pages_extracted + cardinality(p_ids), s.pages_done)
               ELSE s.progress_percentage END,
           updated_at = now()
     WHERE s.id = p_session_id
    RETURNING s.progress_percentage INTO v_progress;
    UPDATE @extschema@.background_jobs
       SET progress = v_progress, last_heartbeat = now(), updated_at = now()
     WHERE id = p_job_id;
    PERFORM @extschema@._scrape_notify_progress(ARRAY[p_session_id], false);

    PERFORM @extschema@._scrape_count('pages_extracted', cardinality(p_ids));
    PERFORM @extschema@._scrape_finish_stages(p_session_id, p_job_id);
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
