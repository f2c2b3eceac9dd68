/*
 * install/monitor.sql
 *
 * The monitor (src/launcher.c runs scrape_monitor() every monitor_interval;
 * pg_cron can too): stuck jobs recovered from their checkpoint, dead letters
 * requeued, old history and bodies pruned.
 */

-- Recover one stuck job (caller: scrape_detect_stuck).  Takes the locks in
-- the global order and re-checks under them, so two monitors running at
-- once recover a job once.  Its in-flight pages go back to pending (pages
-- already stored stay: that is the checkpoint), the lease moves on (fencing
-- out the frozen worker), and the job is requeued with backoff or, out of
-- attempts, dead-lettered.  Returns whether it recovered the job.
CREATE OR REPLACE FUNCTION @extschema@._scrape_recover_job(p_job_id bigint,
                                                p_timeout interval)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_session bigint;
    j         @extschema@.background_jobs;
    v_pages   integer;
    v_delay   interval;
    v_reason  text;
BEGIN
    SELECT s.id INTO v_session FROM @extschema@.scraping_sessions s
     WHERE s.background_job_id = p_job_id;
    -- pending pages too: a claim in progress holds them (and takes no job
    -- lock), so we wait for it and then take back what it claimed
    PERFORM 1 FROM @extschema@.scraping_pages p
     WHERE p.session_id = v_session AND p.status IN ('pending', 'fetching')
     ORDER BY p.id FOR UPDATE;
    PERFORM 1 FROM @extschema@.scraping_sessions s WHERE s.id = v_session
       FOR UPDATE;
    SELECT * INTO j FROM @extschema@.background_jobs WHERE id = p_job_id
       FOR UPDATE;
    IF NOT FOUND OR j.status <> 'processing'
       OR j.last_heartbeat >= now() - p_timeout
       OR NOT EXISTS (SELECT 1 FROM @extschema@.scraping_pages p
                       WHERE p.session_id = v_session AND p.status = 'fetching') THEN
        RETURN false;           -- someone else got there, or it came back
    END IF;

    v_reason := format('no heartbeat since %s', j.last_heartbeat);
    INSERT INTO @extschema@.job_history (job_id, session_id, event, detail)
    VALUES (j.id, v_session, 'heartbeat_gap',
            jsonb_build_object('last_heartbeat', j.last_heartbeat,
                               'gap_s', round(extract(epoch FROM now() - j.last_heartbeat))));
    -- a page the frozen worker had started pays its attempt (the server
    -- may have answered it); one still in its backlog gets it back (the
    -- worker's journal tells which: _scrape_pages_started)
    WITH held AS MATERIALIZED (
        SELECT st.page_id AS id, st.started
          FROM @extschema@._scrape_pages_started(
                   array(SELECT q.id FROM @extschema@.scraping_pages q
                          WHERE q.session_id = v_session AND q.status = 'fetching')) AS st
    ), back AS (
        UPDATE @extschema@.scraping_pages p
           SET status = 'pending', claimed_by = NULL, claim_lease = NULL,
               attempts = CASE WHEN h.started THEN p.attempts ELSE p.attempts - 1 END,
               updated_at = now()
          FROM held h
         WHERE p.id = h.id
        RETURNING p.id, p.attempts, h.started
    ), logged AS (
        INSERT INTO @extschema@.scraping_page_attempts
               (page_id, session_id, attempt, error_class, error, retryable,
                outcome)
        SELECT back.id, v_session, back.attempts, 'job_stuck', v_reason, true,
               'released'
          FROM back
         WHERE back.started
    )
    SELECT count(*) INTO v_pages FROM back;

    INSERT INTO @extschema@.job_history (job_id, session_id, event, detail)
    VALUES (j.id, v_session, 'recovered',
            jsonb_build_object('reason', 'stuck', 'last_heartbeat', j.last_heartbeat,
                               'pages_returned', v_pages, 'attempt', j.attempts));
    PERFORM @extschema@._scrape_record_alert(
        'job_stuck', j.id, v_session, NULL,
        format('job %s was stuck: %s', j.id, v_reason),
        jsonb_build_object('last_heartbeat', j.last_heartbeat,
                           'pages_returned', v_pages, 'attempts', j.attempts));

    IF j.attempts >= j.max_attempts THEN
        UPDATE @extschema@.background_jobs SET last_error = v_reason
         WHERE id = j.id;
        PERFORM @extschema@._scrape_dead_letter(j.id, v_reason);
    ELSE
        v_delay := @extschema@._scrape_backoff(j.attempts);
        UPDATE @extschema@.scraping_pages p
           SET not_before = greatest(p.not_before, now() + v_delay)
         WHERE p.session_id = v_session AND p.status = 'pending';
        UPDATE @extschema@.scraping_sessions
           SET status = 'pending', updated_at = now()
         WHERE id = v_session;
        UPDATE @extschema@.background_jobs
           SET status = 'pending', current_stage = 'initializing',
               lease = lease + 1, last_error = v_reason, updated_at = now()
         WHERE id = j.id;
        INSERT INTO @extschema@.job_history (job_id, session_id, event, detail)
        VALUES (j.id, v_session, 'retry_scheduled',
                jsonb_build_object('attempt', j.attempts + 1,
                                   'delay_ms', round(extract(epoch FROM v_delay) * 1000),
                                   'reason', 'stuck'));
        PERFORM @extschema@._scrape_wake(true, true, false);
    END IF;
    RETURN true;
END;
$$;

-- A job in a stage after scraping (extracting, creating_products) whose
-- batches stopped coming for p_timeout.  A batch of extraction is one
-- transaction that holds the rows of the pages it extracts: a job whose
-- pages nobody holds is queued, waiting for a free worker, however long
-- the backlog, and not stuck (0.1.1 dead-lettered such jobs).  One whose
-- pages a transaction has held since before p_timeout (a transaction that
-- began then) is a batch that stopped moving, a frozen worker's: alerted
-- once for that hold (it cannot be taken back while its transaction lives;
-- a worker that dies drops it and its pages are extracted by another).
-- Returns whether it alerted.
CREATE OR REPLACE FUNCTION @extschema@._scrape_recover_stage(p_job_id bigint,
                                                  p_timeout interval)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s        @extschema@.scraping_sessions;
    j        @extschema@.background_jobs;
    v_since  timestamptz;
BEGIN
    SELECT * INTO s FROM @extschema@.scraping_sessions WHERE background_job_id = p_job_id;
    -- (the job's row, so that two monitors at once alert a hold once: the
    -- second passes it by, and a later one sees the first's alert)
    SELECT * INTO j FROM @extschema@.background_jobs WHERE id = p_job_id
       FOR UPDATE SKIP LOCKED;
    -- Who holds the session's extraction work, and since when: the oldest
    -- transaction that locked one of its pages still to extract (the row's
    -- xmax) if it is still running, read without taking a lock.  None: the
    -- job is queued.  A batch that has just taken a job that waited long
    -- in the queue is not stuck either.
    SELECT min(a.xact_start) INTO v_since
      FROM @extschema@.scraping_pages p
      JOIN pg_catalog.pg_stat_activity a ON a.backend_xid = p.xmax
     WHERE p.session_id = s.id AND p.status = 'done' AND p.kind = 'page'
       AND p.extracted_at IS NULL;
    IF j.id IS NULL OR j.status <> 'processing'
       OR j.current_stage NOT IN ('extracting', 'creating_products')
       OR j.last_heartbeat >= now() - p_timeout
       OR v_since IS NULL OR v_since >= now() - p_timeout
       OR EXISTS (SELECT 1 FROM @extschema@.alerts a
                   WHERE a.job_id = p_job_id AND a.kind = 'job_stuck'
                     AND a.created_at >= v_since) THEN
        RETURN false;
    END IF;
    INSERT INTO @extschema@.job_history (job_id, session_id, event, detail)
    VALUES (j.id, s.id, 'heartbeat_gap',
            jsonb_build_object('last_heartbeat', j.last_heartbeat, 'stage', j.current_stage,
                               'gap_s', round(extract(epoch FROM now() - j.last_heartbeat)),
                               'held_since', v_since));
    PERFORM @extschema@._scrape_record_alert(
        'job_stuck', j.id, s.id, NULL,
        format('job %s is stuck: a batch of stage %s has held it since %s',
               j.id, j.current_stage, v_since),
        jsonb_build_object('last_heartbeat', j.last_heartbeat,
                           'stage', j.current_stage, 'attempts', j.attempts,
                           'held_since', v_since));
    RETURN true;
END;
$$;

-- Delete job_history rows older than scrape_jobs.history_retention, at
-- most p_batch of the oldest at a time (the monitor runs one batch per
-- pass, so pruning never holds long locks or bloats one transaction).
-- Returns the number deleted.
CREATE OR REPLACE FUNCTION @extschema@.scrape_prune_history(batch integer DEFAULT 10000)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_keep interval := current_setting('scrape_jobs.history_retention')::interval;
    v_n    bigint;
BEGIN
    IF batch IS NULL OR batch < 1 THEN
        RAISE EXCEPTION 'batch must be a positive number of rows'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    DELETE FROM @extschema@.job_history h
     WHERE h.id IN (SELECT o.id FROM @extschema@.job_history o
                     WHERE o.created_at < now() - v_keep
                     ORDER BY o.created_at LIMIT batch);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END;
$$;

-- Empty the bodies of the pages of sessions that finished (completed, failed
-- or cancelled) longer than scrape_jobs.body_retention ago, at most p_batch
-- pages per call, oldest sessions first: a platform that re-scrapes the
-- same shops would otherwise keep every body forever.  What was extracted
-- stays (the page rows with their title, links and structured data, and
-- the products); body_pruned_at says why body is NULL.  A dead-lettered
-- session keeps its bodies until it ends, since a requeue resumes it.
-- Returns the number of bodies emptied.
CREATE OR REPLACE FUNCTION @extschema@.scrape_prune_bodies(batch integer DEFAULT 1000)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_keep    interval := current_setting('scrape_jobs.body_retention')::interval;
    v_session bigint;
    v_left    bigint := batch;
    v_n       bigint;
BEGIN
    IF batch IS NULL OR batch < 1 THEN
        RAISE EXCEPTION 'batch must be at least 1'
              USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF v_keep < interval '0' THEN          -- -1: keep bodies forever
        RETURN 0;
    END IF;
    FOR v_session IN
        SELECT s.id FROM @extschema@.scraping_sessions s
         WHERE s.bodies_pruned_at IS NULL
           AND s.status IN ('completed', 'failed', 'cancelled')
           AND s.finished_at < now() - v_keep
         ORDER BY s.finished_at
    LOOP
        -- pages before their session, the global lock order (queue.sql)
        UPDATE @extschema@.scraping_pages p
           SET body = NULL, body_pruned_at = now()
         WHERE p.id IN (SELECT b.id FROM @extschema@.scraping_pages b
                         WHERE b.session_id = v_session AND b.body IS NOT NULL
                         ORDER BY b.id LIMIT v_left);
        GET DIAGNOSTICS v_n = ROW_COUNT;
        v_left := v_left - v_n;
        IF v_left <= 0 THEN
            EXIT;                          -- the rest of it at the next call
        END IF;
        UPDATE @extschema@.scraping_sessions SET bodies_pruned_at = now()
         WHERE id = v_session;
    END LOOP;
    RETURN batch - v_left;
END;
$$;

-- Find the jobs whose heartbeat stopped for scrape_jobs.stuck_timeout while
-- pages of theirs are in flight, and recover them (see _scrape_recover_job),
-- and alert the jobs whose extracting or creating_products batch stopped
-- moving while it holds them (_scrape_recover_stage).
-- A processing job with nothing in flight (its pages wait for a retry, a
-- host, or a free worker) is queued, not stuck: no worker holds it.  The launcher runs it every
-- scrape_jobs.monitor_interval; pg_cron can too.  Returns the number of
-- jobs recovered (a stage's stuck batch is alerted, not counted).
CREATE OR REPLACE FUNCTION @extschema@.scrape_detect_stuck()
RETURNS integer
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_timeout interval := current_setting('scrape_jobs.stuck_timeout')::interval;
    v_job     bigint;
    v_session bigint;
    v_n       integer := 0;
BEGIN
    FOR v_job IN
        SELECT j.id FROM @extschema@.background_jobs j
         WHERE j.status = 'processing'
           AND (j.last_heartbeat IS NULL OR j.last_heartbeat < now() - v_timeout)
           AND EXISTS (SELECT 1 FROM @extschema@.scraping_sessions s
                         JOIN @extschema@.scraping_pages p ON p.session_id = s.id
                        WHERE s.background_job_id = j.id
                          AND p.status = 'fetching')
         ORDER BY j.id
    LOOP
        IF @extschema@._scrape_recover_job(v_job, v_timeout) THEN
            v_n := v_n + 1;
        END IF;
    END LOOP;
    -- jobs in a stage after scraping whose batches stopped coming: alerted
    -- if a batch holds them, else queued (_scrape_recover_stage)
    FOR v_job, v_session IN
        SELECT j.id, s.id FROM @extschema@.background_jobs j
          JOIN @extschema@.scraping_sessions s ON s.background_job_id = j.id
         WHERE j.status = 'processing'
           AND j.current_stage IN ('extracting', 'creating_products')
           AND j.last_heartbeat < now() - v_timeout
         ORDER BY j.id
    LOOP
        IF NOT EXISTS (SELECT 1 FROM @extschema@.scraping_pages p
                        WHERE p.session_id = v_session AND p.status = 'done'
                          AND p.kind = 'page' AND p.extracted_at IS NULL) THEN
            -- nothing left to extract (a job an upgrade left in a stage):
            -- it is done, not stuck
            PERFORM 1 FROM @extschema@.scraping_sessions WHERE id = v_session
               FOR UPDATE SKIP LOCKED;
            IF FOUND THEN
                PERFORM @extschema@._scrape_finish_stages(v_session, v_job);
            END IF;
        ELSE
            PERFORM @extschema@._scrape_recover_stage(v_job, v_timeout);
        END IF;
    END LOOP;
    RETURN v_n;
END;
$$;

-- One pass of the monitor: recover stuck jobs, prune one batch of old
-- history and one batch of old bodies.  The launcher runs it every scrape_jobs.monitor_interval; it can
-- be scheduled from pg_cron as well (README, "Stuck jobs").
CREATE OR REPLACE FUNCTION @extschema@.scrape_monitor(OUT recovered integer, OUT pruned bigint,
                                                   OUT bodies_pruned bigint)
RETURNS record
LANGUAGE sql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT @extschema@.scrape_detect_stuck(), @extschema@.scrape_prune_history(),
           @extschema@.scrape_prune_bodies();
$$;

-- Put a dead-lettered job back to work from its checkpoint: pages already
-- stored stay stored; its parked pages, and the pages that failed with a
-- retryable error, are fetched again with a fresh set of attempts.
CREATE OR REPLACE FUNCTION @extschema@.scrape_requeue_dead(job_id bigint)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_session bigint;
    v_status  text;
    v_pages   integer;
    v_failed  integer;
BEGIN
    IF $1 IS NULL THEN
        RAISE EXCEPTION 'job id must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT s.id INTO v_session FROM @extschema@.scraping_sessions s
     WHERE s.background_job_id = $1
       AND @extschema@._scrape_caller_sees(s.workspace_id);
    IF v_session IS NULL THEN
        RAISE EXCEPTION 'job % does not exist', $1
            USING ERRCODE = 'undefined_object';
    END IF;
    PERFORM 1 FROM @extschema@.scraping_pages p
     WHERE p.session_id = v_session AND p.status IN ('dead', 'failed')
     ORDER BY p.id FOR UPDATE;
    PERFORM 1 FROM @extschema@.scraping_sessions s WHERE s.id = v_session
       FOR UPDATE;
    SELECT j.status INTO v_status FROM @extschema@.background_jobs j
     WHERE j.id = $1 FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'job % does not exist', $1
            USING ERRCODE = 'undefined_object';
    ELSIF v_status <> 'dead' THEN
        RAISE EXCEPTION 'job % is not in the dead-letter queue', $1
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('Its status is "%s".', v_status);
    END IF;

    WITH target AS (
        SELECT p.id, p.status AS old_status
          FROM @extschema@.scraping_pages p
         WHERE p.session_id = v_session
           AND (p.status = 'dead'
                OR (p.status = 'failed'
                    AND EXISTS (SELECT 1 FROM @extschema@.scraping_page_attempts a
                                 WHERE a.page_id = p.id AND a.outcome = 'failed'
                                   AND a.retryable)))
    ), revived AS (
        UPDATE @extschema@.scraping_pages p
           SET status = 'pending', attempts = 0, not_before = NULL,
               claimed_by = NULL, claim_lease = NULL, updated_at = now()
          FROM target t
         WHERE p.id = t.id
        RETURNING t.old_status
    )
    SELECT count(*), count(*) FILTER (WHERE revived.old_status = 'failed')
      INTO v_pages, v_failed FROM revived;

    IF v_pages = 0 AND NOT EXISTS (SELECT 1 FROM @extschema@.scraping_pages p
                                    WHERE p.session_id = v_session
                                      AND p.status = 'pending') THEN
        -- nothing to fetch again: it died in a stage after scraping, which
        -- resumes from its checkpoint
        UPDATE @extschema@.scraping_sessions
           SET status = 'running', finished_at = NULL, updated_at = now()
         WHERE id = v_session;
        UPDATE @extschema@.background_jobs
           SET status = 'processing', attempts = 0, lease = lease + 1,
               current_stage = CASE WHEN current_stage IN ('extracting', 'creating_products')
                                    THEN current_stage ELSE 'extracting' END,
               finished_at = NULL, last_heartbeat = now(), updated_at = now()
         WHERE id = $1;
        -- (with nothing left to extract, it ends here)
        PERFORM @extschema@._scrape_finish_stages(v_session, $1);
    ELSE
        UPDATE @extschema@.scraping_sessions
           SET status = 'pending', finished_at = NULL,
               pages_failed = pages_failed - v_failed,
               progress_percentage = @extschema@._scrape_progress(
                   pages_done + pages_failed - v_failed + pages_skipped, pages_known),
               updated_at = now()
         WHERE id = v_session;
        UPDATE @extschema@.background_jobs
           SET status = 'pending', current_stage = 'initializing', attempts = 0,
               lease = lease + 1, finished_at = NULL, progress = (
                   SELECT s.progress_percentage FROM @extschema@.scraping_sessions s
                    WHERE s.id = v_session),
               updated_at = now()
         WHERE id = $1;
    END IF;
    UPDATE @extschema@.dead_letter_jobs d SET requeued_at = now()
     WHERE d.job_id = $1 AND d.requeued_at IS NULL;
    INSERT INTO @extschema@.job_history (job_id, session_id, event, detail)
    VALUES ($1, v_session, 'requeued', jsonb_build_object('pages', v_pages));
    PERFORM @extschema@._scrape_notify_progress(ARRAY[v_session], true);
    PERFORM @extschema@._scrape_wake(true, false, false);
    RETURN true;
END;
$$;
