/*
 * install/alerts.sql
 *
 * The alert outbox and its delivery to Sentry (src/alerts.c, the alerter
 * worker): recording, envelopes, what is due, the outcome of a delivery.
 */

-- Record an alert in the outbox (same transaction as its cause).
CREATE OR REPLACE FUNCTION @extschema@._scrape_record_alert(
    p_kind text, p_job_id bigint, p_session_id bigint, p_host text,
    p_message text, p_detail jsonb DEFAULT '{}')
RETURNS bigint
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH a AS (
        INSERT INTO @extschema@.alerts (kind, job_id, session_id, host, message, detail)
        VALUES (p_kind, p_job_id, p_session_id, p_host, p_message,
                coalesce(p_detail, '{}'))
        RETURNING id, kind, job_id, session_id, message
    )
    -- the public channel's payload names the alert, not what it says (not
    -- its kind either, since 0.1.8): a listener of another workspace
    -- learns nothing it could not count, and reads the row itself through
    -- row-level security; the workspace's own channel (scrape_channel())
    -- has the kind and the message
    SELECT a.id
      FROM a,
           LATERAL (SELECT pg_notify('scrape_jobs_alerts',
                       json_build_object('alert_id', a.id,
                                         'job_id', a.job_id,
                                         'session_id', a.session_id)::text),
                           pg_notify(@extschema@._scrape_channel(
                                         (SELECT s.workspace_id
                                            FROM @extschema@.scraping_sessions s
                                           WHERE s.id = a.session_id)),
                       json_build_object('event', 'alert', 'alert_id', a.id,
                                         'kind', a.kind, 'job_id', a.job_id,
                                         'session_id', a.session_id,
                                         'message', left(a.message, 1000))::text),
                           @extschema@._scrape_wake(false, false, false, true),
                           @extschema@._scrape_count('alerts', 1)) n;
$$;

-- The Sentry envelope of an alert (https://develop.sentry.dev/sdk/envelopes/):
-- a header line, an item header line and the event.
CREATE OR REPLACE FUNCTION @extschema@._scrape_sentry_envelope(a @extschema@.alerts)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_job_type text;
    v_event    text;
BEGIN
    SELECT j.job_type INTO v_job_type FROM @extschema@.background_jobs j
     WHERE j.id = a.job_id;
    v_event := jsonb_strip_nulls(jsonb_build_object(
        'event_id', a.event_id,
        'timestamp', round(extract(epoch FROM a.created_at), 3),
        'platform', 'c',
        'logger', 'scrape_jobs',
        'level', CASE a.kind WHEN 'job_stuck' THEN 'warning'
                             WHEN 'circuit_opened' THEN 'warning'
                             ELSE 'error' END,
        'message', jsonb_build_object('formatted', a.message),
        'environment', nullif(current_setting('scrape_jobs.sentry_environment'), ''),
        'release', nullif(current_setting('scrape_jobs.sentry_release'), ''),
        'tags', jsonb_strip_nulls(jsonb_build_object(
            'alert_kind', a.kind,
            'job_id', a.job_id::text,
            'session_id', a.session_id::text,
            'job_type', coalesce(v_job_type, CASE WHEN a.job_id IS NOT NULL THEN 'web_scraping' END),
            'host', left(a.host, 200))),
        'extra', a.detail || jsonb_build_object('alert_id', a.id),
        'fingerprint', jsonb_build_array('scrape_jobs', a.kind)))::text;
    RETURN jsonb_build_object('event_id', a.event_id,
                              'sent_at', to_char(now() AT TIME ZONE 'UTC',
                                                 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::text
        || E'\n'
        || jsonb_build_object('type', 'event', 'length', octet_length(v_event))::text
        || E'\n' || v_event || E'\n';
END;
$$;

-- Alerts due for delivery, oldest first.
CREATE OR REPLACE FUNCTION @extschema@._scrape_alerts_due(p_limit integer)
RETURNS TABLE (alert_id bigint, envelope text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT a.id, @extschema@._scrape_sentry_envelope(a)
      FROM @extschema@.alerts a
     WHERE a.delivered_at IS NULL
       AND (a.next_delivery_at IS NULL OR a.next_delivery_at <= now())
     ORDER BY a.id
     LIMIT p_limit;
$$;

-- When the next alert waiting for a retry is due (NULL: none waits).
CREATE OR REPLACE FUNCTION @extschema@._scrape_next_alert_due()
RETURNS timestamptz
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT min(a.next_delivery_at) FROM @extschema@.alerts a
     WHERE a.delivered_at IS NULL;
$$;

-- The outcome of a delivery: delivered, or failed with the error (and the
-- server's Retry-After, if it gave one) and retried after a backoff.
CREATE OR REPLACE FUNCTION @extschema@._scrape_alert_delivery(p_id bigint, p_ok boolean,
                                                   p_error text,
                                                   p_retry_after_ms integer)
RETURNS void
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    UPDATE @extschema@.alerts
       SET delivered_at = CASE WHEN p_ok THEN now() END,
           delivery_attempts = delivery_attempts + 1,
           last_delivery_error = CASE WHEN p_ok THEN last_delivery_error ELSE p_error END,
           next_delivery_at = CASE WHEN p_ok THEN NULL
                                   ELSE now() + @extschema@._scrape_backoff(
                                            delivery_attempts + 1, p_retry_after_ms) END
     WHERE id = p_id AND delivered_at IS NULL;
$$;
