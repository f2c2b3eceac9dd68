/*
 * install/progress.sql
 *
 * Progress of a session through its stages, and its notifications
 * (README, "Notifications").
 */

-- A session's progress, 0 to 100, through its stages: scraping is 0-80
-- (pages that reached a final state, done, failed or skipped, out of the
-- pages known), extracting 80-95 and creating_products 95-100 (the done
-- pages the stage has gone through), 100 when the job ends.
CREATE OR REPLACE FUNCTION @extschema@._scrape_progress(p_finished bigint, p_total bigint)
RETURNS smallint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT least(80, (80 * p_finished) / greatest(p_total, 1))::smallint;
$$;

CREATE OR REPLACE FUNCTION @extschema@._scrape_stage_progress(p_stage text, p_done bigint,
                                                   p_total bigint)
RETURNS smallint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE p_stage
           WHEN 'extracting' THEN 80 + least(15, (15 * p_done) / greatest(p_total, 1))
           WHEN 'creating_products' THEN 95 + least(5, (5 * p_done) / greatest(p_total, 1))
           ELSE 100 END::smallint;
$$;

-- Notify the progress of the sessions given: always when p_force (a stage
-- or status changed), else at most once a second per session.  Any role
-- can LISTEN on any channel (privileges do not apply to channels), so the
-- public channel scrape_jobs_progress names the session and its job and
-- says nothing else (0.1.7 also sent the status, the stage and the counts
-- there, for every role to read of every workspace); the whole payload
-- goes to the workspace's own channel, whose name only its members learn
-- (scrape_channel()).  README, "Notifications".  NOTIFY is delivered at
-- COMMIT, so a listener never hears of a change that rolled back.
CREATE OR REPLACE FUNCTION @extschema@._scrape_notify_progress(p_sessions bigint[],
                                                    p_force boolean)
RETURNS void
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH due AS (
        UPDATE @extschema@.scraping_sessions s
           SET notified_at = clock_timestamp()
         WHERE s.id = ANY (p_sessions)
           AND (p_force OR s.notified_at IS NULL
                OR s.notified_at <= clock_timestamp() - interval '1 second')
        RETURNING s.id, s.background_job_id, s.workspace_id, s.status,
                  s.progress_percentage, s.pages_known, s.pages_done, s.pages_failed
    )
    SELECT pg_notify('scrape_jobs_progress',
                     json_build_object('session_id', d.id,
                                       'job_id', d.background_job_id)::text),
           pg_notify(@extschema@._scrape_channel(d.workspace_id),
                     json_build_object('event', 'progress',
                                       'session_id', d.id, 'job_id', j.id,
                                       'status', d.status, 'stage', j.current_stage,
                                       'progress', d.progress_percentage,
                                       'pages_known', d.pages_known,
                                       'pages_done', d.pages_done,
                                       'pages_failed', d.pages_failed)::text)
      FROM due d JOIN @extschema@.background_jobs j ON j.id = d.background_job_id
     ORDER BY d.id;
$$;
