/*
 * install/api.sql
 *
 * The public API that is not submission (src/api.c): status, cancel, wait,
 * workers, circuit breakers, SSRF check, the dead-letter view.
 */

CREATE OR REPLACE VIEW @extschema@.scrape_dead_letters
    WITH (security_invoker = true) AS
SELECT d.id, d.job_id, d.session_id, s.source_url, d.reason, d.attempts,
       d.first_attempt_at, d.dead_at,
       jsonb_array_length(d.errors) AS errors,
       d.errors -> -1 AS last_error,
       j.status AS job_status
  FROM @extschema@.dead_letter_jobs d
  JOIN @extschema@.background_jobs j ON j.id = d.job_id
  LEFT JOIN @extschema@.scraping_sessions s ON s.id = d.session_id
 WHERE d.requeued_at IS NULL;

CREATE OR REPLACE FUNCTION @extschema@.scrape_status(session_id bigint)
RETURNS TABLE (session_id bigint, job_id bigint, status text,
               job_status text, stage text, progress smallint,
               pages_known integer, pages_done integer, pages_failed integer,
               pages_pending bigint, started_at timestamptz,
               finished_at timestamptz, duration interval, last_error text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT s.id, j.id, s.status, j.status, j.current_stage, j.progress,
           s.pages_known, s.pages_done, s.pages_failed,
           (SELECT count(*) FROM @extschema@.scraping_pages p
             WHERE p.session_id = s.id
               AND p.status IN ('pending', 'fetching')),
           s.started_at, s.finished_at,
           coalesce(s.finished_at, now()) - s.started_at,
           j.last_error
      FROM @extschema@.scraping_sessions s
      JOIN @extschema@.background_jobs j ON j.id = s.background_job_id
     WHERE s.id = $1
       AND @extschema@._scrape_caller_sees(s.workspace_id);
$$;

-- Cancel a session: its pending and in-flight pages become cancelled, its job
-- is fenced (lease bumped) so no worker writes for it again, and the workers
-- are told at COMMIT to drop its transfers.  Pages already stored stay.
-- Returns false when the session does not exist or has already ended.
CREATE OR REPLACE FUNCTION @extschema@.scrape_cancel(session_id bigint)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_job_id bigint;
    v_pages  integer;
BEGIN
    -- another tenant's session is as good as absent
    IF NOT @extschema@._scrape_caller_sees_session($1) THEN
        RETURN false;
    END IF;
    PERFORM 1 FROM @extschema@.scraping_pages p
     WHERE p.session_id = $1 AND p.status IN ('pending', 'fetching')
     ORDER BY p.id FOR UPDATE;

    UPDATE @extschema@.scraping_sessions s
       SET status = 'cancelled', finished_at = now(), updated_at = now()
     WHERE s.id = $1 AND s.status IN ('pending', 'running')
    RETURNING s.background_job_id INTO v_job_id;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    UPDATE @extschema@.scraping_pages p
       SET status = 'cancelled', claimed_by = NULL, error_class = 'cancelled',
           updated_at = now()
     WHERE p.session_id = $1 AND p.status IN ('pending', 'fetching');
    GET DIAGNOSTICS v_pages = ROW_COUNT;

    UPDATE @extschema@.background_jobs j
       SET status = 'cancelled', lease = j.lease + 1, finished_at = now(),
           updated_at = now()
     WHERE j.id = v_job_id;

    INSERT INTO @extschema@.job_history (job_id, session_id, event, detail)
    VALUES (v_job_id, $1, 'cancelled',
            jsonb_build_object('pages_cancelled', v_pages));
    PERFORM @extschema@._scrape_notify_progress(ARRAY[$1], true);

    PERFORM @extschema@._scrape_wake(false, true, true);
    RETURN true;
END;
$$;

-- Block until the session ends or the timeout passes; returns its status.
CREATE OR REPLACE FUNCTION @extschema@.scrape_wait(session_id bigint,
                                        timeout interval DEFAULT '5 minutes')
RETURNS text
AS 'MODULE_PATHNAME', 'scrape_wait'
LANGUAGE C VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION @extschema@.scrape_workers()
RETURNS TABLE (worker integer, pid integer, state text, job_id bigint,
               transfers integer, pages_fetched bigint, claims bigint,
               started_at timestamptz, last_activity timestamptz)
AS 'MODULE_PATHNAME', 'scrape_workers'
LANGUAGE C VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

-- The launcher and the state of the extension it found: running,
-- waiting_for_extension or waiting_for_update (the library serves another
-- version than the one installed: README, "Upgrades").
CREATE OR REPLACE FUNCTION @extschema@.scrape_launcher()
RETURNS TABLE (pid integer, database text, state text,
               installed_version text, library_version text, detail text)
AS 'MODULE_PATHNAME', 'scrape_launcher'
LANGUAGE C VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

-- Which worker a claim token belongs to ("worker 1, pid 4242"), for
-- job_history.
CREATE OR REPLACE FUNCTION @extschema@._scrape_worker_label(token bigint)
RETURNS text
AS 'MODULE_PATHNAME', 'scrape_worker_label'
LANGUAGE C STABLE STRICT
SET search_path = pg_catalog, pg_temp;

-- Per-host circuit breakers and connection counts, from shared memory.
CREATE OR REPLACE FUNCTION @extschema@.scrape_circuit_breakers()
RETURNS TABLE (host text, state text, consecutive_failures integer,
               opened_at timestamptz, next_probe_at timestamptz,
               active_connections integer, requests bigint, failures bigint)
AS 'MODULE_PATHNAME', 'scrape_circuit_breakers'
LANGUAGE C VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION @extschema@.scrape_check_address(address text, host text DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'scrape_check_address'
LANGUAGE C STABLE
SET search_path = pg_catalog, pg_temp;

-- What an HTML page says about itself, as the workers store it: title,
-- description, canonical URL, language and links (resolved, normalised).
