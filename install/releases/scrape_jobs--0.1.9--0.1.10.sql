-- scrape_jobs 0.1.9 -> 0.1.10: built by install/build.sh from install/*.sql; do not edit.
\echo Use "ALTER EXTENSION scrape_jobs UPDATE TO '0.1.10'" to load this file. \quit

-- ======== install/updates/0.1.9--0.1.10.sql ========

/*
 * install/updates/0.1.9--0.1.10.sql
 *
 * 0.1.10: _scrape_claim checks again, when it locks its candidates, that
 * they are due.  A candidate read as due could meanwhile be claimed,
 * fetched and given a retry's backoff by another worker, and the claim
 * then took it at once: a retry ran before its backoff was over.  Only
 * the function body changes (the parts replace it); no table changes.
 */

-- ======== install/tenancy.sql ========

/*
 * install/tenancy.sql
 *
 * Tenancy: workspaces, who is a member, and the row-level security that
 * confines every role to its workspaces' rows (README, "Workspaces").
 * Called by every API function (src/api.c implements _scrape_caller).
 */

-- The role calling the API (the outer user, even inside SECURITY DEFINER).
CREATE OR REPLACE FUNCTION @extschema@._scrape_caller()
RETURNS oid
AS 'MODULE_PATHNAME', 'scrape_caller'
LANGUAGE C STABLE;

-- May p_role see every workspace?  Superusers and members of the
-- extension's owner may (they administer it).
CREATE OR REPLACE FUNCTION @extschema@._scrape_is_admin(p_role oid)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.oid = p_role), false)
        OR pg_catalog.pg_has_role(p_role,
               (SELECT e.extowner FROM pg_catalog.pg_extension e
                 WHERE e.extname = 'scrape_jobs'), 'MEMBER');
$$;

-- Is p_role a member of workspace p_workspace?
CREATE OR REPLACE FUNCTION @extschema@._scrape_is_member(p_role oid, p_workspace uuid)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (
        SELECT 1 FROM @extschema@.workspace_members m
          JOIN pg_catalog.pg_roles r ON r.rolname = m.role_name
         WHERE m.workspace_id = p_workspace
           AND pg_catalog.pg_has_role(p_role, r.oid, 'MEMBER'));
$$;

-- May the API's caller see this workspace (NULL: the sessions without one)?
CREATE OR REPLACE FUNCTION @extschema@._scrape_caller_sees(p_workspace uuid)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT @extschema@._scrape_is_admin(@extschema@._scrape_caller())
        OR (p_workspace IS NOT NULL
            AND @extschema@._scrape_is_member(@extschema@._scrape_caller(), p_workspace));
$$;

-- May the API's caller see this session?  Unknown sessions: false.
CREATE OR REPLACE FUNCTION @extschema@._scrape_caller_sees_session(p_session_id bigint)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((SELECT @extschema@._scrape_caller_sees(s.workspace_id)
                       FROM @extschema@.scraping_sessions s
                      WHERE s.id = p_session_id), false);
$$;

-- Refuse a submit to a workspace the caller is not a member of, and keep
-- the number of live sessions per workspace under its limit.
CREATE OR REPLACE FUNCTION @extschema@._scrape_check_workspace(p_workspace uuid)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_caller oid := @extschema@._scrape_caller();
    v_limit  integer := current_setting('scrape_jobs.max_live_sessions_per_workspace')::integer;
    v_live   bigint;
BEGIN
    IF NOT @extschema@._scrape_is_admin(v_caller) THEN
        IF p_workspace IS NULL THEN
            RAISE EXCEPTION 'a workspace is required'
                USING ERRCODE = 'insufficient_privilege',
                      HINT = 'Pass the workspace_id of a workspace you are a member of.';
        ELSIF NOT @extschema@._scrape_is_member(v_caller, p_workspace) THEN
            RAISE EXCEPTION 'permission denied for workspace %', p_workspace
                USING ERRCODE = 'insufficient_privilege',
                      DETAIL = format('Role "%s" is not a member of it.',
                                      pg_catalog.pg_get_userbyid(v_caller));
        END IF;
    END IF;

    IF p_workspace IS NOT NULL AND v_limit > 0 THEN
        -- one submit per workspace at a time, so the count is exact
        PERFORM pg_catalog.pg_advisory_xact_lock(
            pg_catalog.hashtext('scrape_jobs workspace ' || p_workspace::text));
        SELECT count(*) INTO v_live FROM @extschema@.scraping_sessions s
         WHERE s.workspace_id = p_workspace AND s.status IN ('pending', 'running');
        IF v_live >= v_limit THEN
            RAISE EXCEPTION 'workspace % has too many live sessions', p_workspace
                USING ERRCODE = 'configuration_limit_exceeded',
                      DETAIL = format('It has %s pending or running sessions; the limit is %s.',
                                      v_live, v_limit),
                      HINT = 'Wait for sessions to end, or raise "scrape_jobs.max_live_sessions_per_workspace".';
        END IF;
    END IF;
END;
$$;

-- No policy: no row for anyone but the owner, even after a careless GRANT
-- SELECT ON ALL TABLES IN SCHEMA scrape.
ALTER TABLE @extschema@.channel_key ENABLE ROW LEVEL SECURITY;

ALTER TABLE @extschema@.workspace_members ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS own_memberships ON @extschema@.workspace_members;
CREATE POLICY own_memberships ON @extschema@.workspace_members
    USING (EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                    WHERE r.rolname = workspace_members.role_name
                      AND pg_catalog.pg_has_role(current_user, r.oid, 'MEMBER')));

ALTER TABLE @extschema@.scraping_sessions ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS workspace_sessions ON @extschema@.scraping_sessions;
CREATE POLICY workspace_sessions ON @extschema@.scraping_sessions
    USING (workspace_id IN (SELECT m.workspace_id FROM @extschema@.workspace_members m))
    WITH CHECK (workspace_id IN (SELECT m.workspace_id FROM @extschema@.workspace_members m));

ALTER TABLE @extschema@.scraping_pages ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS workspace_pages ON @extschema@.scraping_pages;
CREATE POLICY workspace_pages ON @extschema@.scraping_pages
    USING (EXISTS (SELECT 1 FROM @extschema@.scraping_sessions s
                    WHERE s.id = scraping_pages.session_id));

ALTER TABLE @extschema@.background_jobs ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS workspace_jobs ON @extschema@.background_jobs;
CREATE POLICY workspace_jobs ON @extschema@.background_jobs
    USING (job_type <> 'web_scraping'
           OR EXISTS (SELECT 1 FROM @extschema@.scraping_sessions s
                       WHERE s.background_job_id = background_jobs.id));

ALTER TABLE @extschema@.job_history ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS workspace_history ON @extschema@.job_history;
CREATE POLICY workspace_history ON @extschema@.job_history
    USING (EXISTS (SELECT 1 FROM @extschema@.background_jobs j
                    WHERE j.id = job_history.job_id));

ALTER TABLE @extschema@.scraping_page_attempts ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS workspace_attempts ON @extschema@.scraping_page_attempts;
CREATE POLICY workspace_attempts ON @extschema@.scraping_page_attempts
    USING (EXISTS (SELECT 1 FROM @extschema@.scraping_sessions s
                    WHERE s.id = scraping_page_attempts.session_id));

ALTER TABLE @extschema@.dead_letter_jobs ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS workspace_dead_letters ON @extschema@.dead_letter_jobs;
CREATE POLICY workspace_dead_letters ON @extschema@.dead_letter_jobs
    USING (EXISTS (SELECT 1 FROM @extschema@.scraping_sessions s
                    WHERE s.id = dead_letter_jobs.session_id));

ALTER TABLE @extschema@.products ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS workspace_products ON @extschema@.products;
CREATE POLICY workspace_products ON @extschema@.products
    USING (workspace_id IN (SELECT m.workspace_id FROM @extschema@.workspace_members m))
    WITH CHECK (workspace_id IN (SELECT m.workspace_id FROM @extschema@.workspace_members m));

ALTER TABLE @extschema@.alerts ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS workspace_alerts ON @extschema@.alerts;
CREATE POLICY workspace_alerts ON @extschema@.alerts
    USING (EXISTS (SELECT 1 FROM @extschema@.scraping_sessions s
                    WHERE s.id = alerts.session_id));

-- The notification channel of a workspace (NULL: the sessions without one,
-- and host alerts): "scrape_jobs_" and 32 hex digits of a SHA-256 of the
-- extension's secret key and the workspace.  No check: for the functions
-- that notify.
CREATE OR REPLACE FUNCTION @extschema@._scrape_channel(p_workspace uuid)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT 'scrape_jobs_'
           || left(encode(sha256(k.key || convert_to(coalesce(p_workspace::text, 'admin'),
                                                      'UTF8')), 'hex'), 32)
      FROM @extschema@.channel_key k;
$$;

-- The channel a workspace's notifications go to, with what they say in
-- full (README, "Notifications"), for a member of the workspace (NULL: for
-- an administrator, the sessions without a workspace); 42501 for anyone
-- else, who must not learn the name.
CREATE OR REPLACE FUNCTION @extschema@.scrape_channel(workspace_id uuid DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT @extschema@._scrape_caller_sees(workspace_id) THEN
        RAISE EXCEPTION 'permission denied for the notifications of workspace %',
                        coalesce(workspace_id::text, '(none)')
            USING ERRCODE = 'insufficient_privilege',
                  HINT = CASE WHEN workspace_id IS NULL
                              THEN 'The sessions without a workspace are for administrators.'
                              ELSE 'An administrator adds the role to scrape.workspace_members.' END;
    END IF;
    RETURN @extschema@._scrape_channel(workspace_id);
END;
$$;

-- ======== install/metrics.sql ========

/*
 * install/metrics.sql
 *
 * Metrics: the running counters and histograms in shared memory
 * (src/metrics.c), the trigger that moves the job gauges, scrape_metrics(),
 * scrape_host_stats() and the Prometheus text (README, "Metrics").
 */

-- Metrics in shared memory (src/metrics.c).  _scrape_count adds to a
-- counter, _scrape_job_transition reports a job's status change; both are
-- applied when the transaction commits.
CREATE OR REPLACE FUNCTION @extschema@._scrape_count(name text, n bigint)
RETURNS void
AS 'MODULE_PATHNAME', 'scrape_count'
LANGUAGE C STRICT VOLATILE;

CREATE OR REPLACE FUNCTION @extschema@._scrape_job_transition(job_type text, old_status text,
                                                   new_status text,
                                                   duration_ms double precision)
RETURNS void
AS 'MODULE_PATHNAME', 'scrape_job_transition'
LANGUAGE C VOLATILE;

-- Every counter and histogram bucket (histograms in ms: "le:<bound>"
-- buckets, not cumulative, "count" and "sum_us").
CREATE OR REPLACE FUNCTION @extschema@.scrape_counters()
RETURNS TABLE (name text, label text, value bigint)
AS 'MODULE_PATHNAME', 'scrape_counters'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;

-- Jobs by type and status, kept by the trigger below.
CREATE OR REPLACE FUNCTION @extschema@.scrape_job_counts()
RETURNS TABLE (job_type text, status text, jobs bigint)
AS 'MODULE_PATHNAME', 'scrape_job_counts'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION @extschema@._scrape_quantile(histogram text, q double precision)
RETURNS double precision
AS 'MODULE_PATHNAME', 'scrape_quantile'
LANGUAGE C STRICT VOLATILE;

CREATE OR REPLACE FUNCTION @extschema@._scrape_quantiles(qs double precision[])
RETURNS TABLE (histogram text, quantiles double precision[])
AS 'MODULE_PATHNAME', 'scrape_quantiles'
LANGUAGE C STRICT VOLATILE;

CREATE OR REPLACE FUNCTION @extschema@._scrape_rates(OUT pages_last_minute bigint,
                                          OUT jobs_finished_last_5min bigint,
                                          OUT restored boolean)
RETURNS record
AS 'MODULE_PATHNAME', 'scrape_rates'
LANGUAGE C VOLATILE;

-- Every status change of a job moves the gauges of scrape_job_counts().
CREATE OR REPLACE FUNCTION @extschema@._scrape_jobs_count_trigger()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM @extschema@._scrape_job_transition(NEW.job_type, NULL, NEW.status, NULL);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM @extschema@._scrape_job_transition(OLD.job_type, OLD.status, NULL, NULL);
    ELSIF OLD.status IS DISTINCT FROM NEW.status THEN
        PERFORM @extschema@._scrape_job_transition(
            NEW.job_type, OLD.status, NEW.status,
            CASE WHEN NEW.status IN ('completed', 'failed', 'dead')
                      AND NEW.started_at IS NOT NULL
                 THEN extract(epoch FROM coalesce(NEW.finished_at, now()) - NEW.started_at)
                      * 1000 END);
    END IF;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER background_jobs_count
    AFTER INSERT OR DELETE OR UPDATE OF status ON @extschema@.background_jobs
    FOR EACH ROW EXECUTE FUNCTION @extschema@._scrape_jobs_count_trigger();

-- The queue's health.  Definitions (README, "Metrics"):
--   total/queued/processing/completed/failed_jobs: web_scraping jobs by
--     status (queued = pending; failed = failed or dead);
--   throughput_per_minute: jobs that finished (completed, failed or dead)
--     in the last 5 minutes, divided by 5;
--   error_rate: failed / (completed + failed), over all finished jobs, 0..1;
--   average_processing_time: mean of finished_at - started_at over finished
--     jobs;
--   queue_depth: pages waiting to be fetched (status pending).
-- Read from running counters in shared memory (src/metrics.c), never from
-- the history; the rest is in the README.
CREATE OR REPLACE FUNCTION @extschema@.scrape_metrics()
RETURNS TABLE (total_jobs bigint, queued_jobs bigint, processing_jobs bigint,
               completed_jobs bigint, failed_jobs bigint,
               throughput_per_minute double precision,
               error_rate double precision,
               average_processing_time interval, queue_depth bigint,
               pages_fetched bigint, bytes_fetched bigint,
               pages_per_minute bigint, retries bigint, robots_skips bigint,
               fetch_ms_mean double precision, fetch_ms_p50 double precision,
               fetch_ms_p95 double precision, fetch_ms_p99 double precision,
               page_ms_mean double precision, page_ms_p50 double precision,
               page_ms_p95 double precision, page_ms_p99 double precision,
               session_ms_mean double precision, session_ms_p50 double precision,
               session_ms_p95 double precision, session_ms_p99 double precision,
               responses jsonb, errors jsonb,
               pending_pages bigint, retry_waiting_pages bigint,
               circuit_waiting_pages bigint)
LANGUAGE sql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH j AS (
        SELECT coalesce(sum(jobs), 0)::bigint AS total,
               coalesce(sum(jobs) FILTER (WHERE status = 'pending'), 0)::bigint AS queued,
               coalesce(sum(jobs) FILTER (WHERE status = 'processing'), 0)::bigint AS processing,
               coalesce(sum(jobs) FILTER (WHERE status = 'completed'), 0)::bigint AS completed,
               coalesce(sum(jobs) FILTER (WHERE status IN ('failed', 'dead')), 0)::bigint AS failed
          FROM @extschema@.scrape_job_counts()
         WHERE job_type = 'web_scraping'
    ), counters AS MATERIALIZED (
        -- one snapshot of the counters for every field below
        SELECT * FROM @extschema@.scrape_counters()
    ), c AS (
        SELECT coalesce(jsonb_object_agg(c.name || ':' || c.label, c.value), '{}') AS v
          FROM counters c
    ), q AS MATERIALIZED (
        -- p50, p95, p99 of every histogram, from one snapshot
        SELECT * FROM @extschema@._scrape_quantiles(ARRAY[0.5, 0.95, 0.99])
    ), w AS (
        -- live rows only (partial indexes): cheap whatever the history
        SELECT count(*) FILTER (WHERE p.not_before IS NULL OR p.not_before <= now()) AS ready,
               count(*) FILTER (WHERE p.not_before > now() AND p.waiting_for = 'retry') AS retry,
               count(*) FILTER (WHERE p.not_before > now() AND p.waiting_for = 'circuit') AS circuit,
               count(*) AS pending
          FROM @extschema@.scraping_pages p WHERE p.status = 'pending'
    )
    SELECT j.total, j.queued, j.processing, j.completed, j.failed,
           r.jobs_finished_last_5min / 5.0,
           CASE WHEN j.completed + j.failed = 0 THEN 0
                ELSE j.failed::double precision / (j.completed + j.failed) END,
           CASE WHEN (c.v ->> 'job_ms:count')::bigint > 0
                THEN ((c.v ->> 'job_ms:sum_us')::numeric / (c.v ->> 'job_ms:count')::bigint)
                     * interval '1 microsecond' END,
           w.pending,
           (c.v ->> 'pages_fetched:')::bigint, (c.v ->> 'bytes_fetched:')::bigint,
           r.pages_last_minute,
           (c.v ->> 'retries:')::bigint, (c.v ->> 'robots_skips:')::bigint,
           (c.v ->> 'fetch_ms:sum_us')::double precision / 1000
               / nullif((c.v ->> 'fetch_ms:count')::bigint, 0),
           qf.quantiles[1], qf.quantiles[2], qf.quantiles[3],
           (c.v ->> 'page_ms:sum_us')::double precision / 1000
               / nullif((c.v ->> 'page_ms:count')::bigint, 0),
           qp.quantiles[1], qp.quantiles[2], qp.quantiles[3],
           (c.v ->> 'job_ms:sum_us')::double precision / 1000
               / nullif((c.v ->> 'job_ms:count')::bigint, 0),
           qj.quantiles[1], qj.quantiles[2], qj.quantiles[3],
           (SELECT coalesce(jsonb_object_agg(x.label, x.value), '{}')
              FROM counters x WHERE x.name = 'responses'),
           (SELECT coalesce(jsonb_object_agg(x.label, x.value), '{}')
              FROM counters x WHERE x.name = 'errors'),
           w.ready, w.retry, w.circuit
      FROM j, c, w, @extschema@._scrape_rates() r,
           q qf, q qp, q qj
     WHERE qf.histogram = 'fetch_ms' AND qp.histogram = 'page_ms'
       AND qj.histogram = 'job_ms';
$$;

-- Would the fetcher connect to this address (for a URL with this host)?
-- NULL if so, else the reason it is refused (README, "SSRF defences").
-- Per host the workers have talked to since the server started: finished
-- requests, failures (in all and by error class), mean and p95 fetch time,
-- circuit state, connections in flight, current gap between requests.
CREATE OR REPLACE FUNCTION @extschema@.scrape_host_stats()
RETURNS TABLE (host text, requests bigint, errors bigint, errors_by_class jsonb,
               latency_mean_ms double precision, latency_p95_ms double precision,
               circuit_state text, consecutive_failures integer,
               active_connections integer, delay_ms integer)
AS 'MODULE_PATHNAME', 'scrape_host_stats'
LANGUAGE C VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

-- A Prometheus label value: backslash, double quote and newline escaped.
CREATE OR REPLACE FUNCTION @extschema@._scrape_prom_label(v text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT replace(replace(replace(v, E'\\', E'\\\\'), '"', E'\\"'), E'\n', E'\\n');
$$;

-- The metrics in the Prometheus text exposition format (version 0.0.4),
-- for an exporter's custom query or a one-line HTTP wrapper (README,
-- "Metrics").  Every family has its HELP and TYPE lines; histograms are in
-- seconds with cumulative buckets.
CREATE OR REPLACE FUNCTION @extschema@.scrape_metrics_prometheus()
RETURNS text
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    o     text := '';
    r     record;
    h     text;
    v_cum bigint;
    m     record;
    v_counters jsonb;
    v_requests text;
    v_errors   text;
    v_latency  text;
    v_circuit  text;
    v_delay    text;
BEGIN
    SELECT * INTO m FROM @extschema@.scrape_metrics();
    -- One reading of the counters serves the whole text (they were read 8
    -- times): cheaper, and a histogram's buckets, sum and count come from
    -- the same moment.
    SELECT coalesce(jsonb_agg(to_jsonb(c)), '[]') INTO v_counters
      FROM @extschema@.scrape_counters() c;

    o := o || E'# HELP scrape_jobs_jobs Jobs by type and status.\n# TYPE scrape_jobs_jobs gauge\n';
    FOR r IN SELECT * FROM @extschema@.scrape_job_counts() ORDER BY 1, 2 LOOP
        o := o || format(E'scrape_jobs_jobs{job_type="%s",status="%s"} %s\n',
                         @extschema@._scrape_prom_label(r.job_type), r.status, r.jobs);
    END LOOP;

    FOR r IN SELECT c.name, c.value FROM jsonb_to_recordset(v_counters) AS c(name text, label text, value bigint)
              WHERE c.label = '' ORDER BY c.name LOOP
        o := o || format(E'# HELP scrape_jobs_%1$s_total Running count of %2$s since the counters began.\n'
                         '# TYPE scrape_jobs_%1$s_total counter\n'
                         'scrape_jobs_%1$s_total %3$s\n',
                         r.name, replace(r.name, '_', ' '), r.value);
    END LOOP;

    o := o || E'# HELP scrape_jobs_responses_total Finished transfers by HTTP status code (none: no response).\n'
              '# TYPE scrape_jobs_responses_total counter\n';
    FOR r IN SELECT c.label, c.value FROM jsonb_to_recordset(v_counters) AS c(name text, label text, value bigint)
              WHERE c.name = 'responses' ORDER BY c.label LOOP
        o := o || format(E'scrape_jobs_responses_total{code="%s"} %s\n', r.label, r.value);
    END LOOP;
    o := o || E'# HELP scrape_jobs_errors_total Failed transfers by error class.\n'
              '# TYPE scrape_jobs_errors_total counter\n';
    FOR r IN SELECT c.label, c.value FROM jsonb_to_recordset(v_counters) AS c(name text, label text, value bigint)
              WHERE c.name = 'errors' ORDER BY c.label LOOP
        o := o || format(E'scrape_jobs_errors_total{class="%s"} %s\n', r.label, r.value);
    END LOOP;

    FOREACH h IN ARRAY ARRAY['fetch', 'page', 'job'] LOOP
        o := o || format(E'# HELP scrape_jobs_%1$s_duration_seconds %2$s\n'
                         '# TYPE scrape_jobs_%1$s_duration_seconds histogram\n', h,
                         CASE h WHEN 'fetch' THEN 'Time of one transfer, request to last byte.'
                                WHEN 'page' THEN 'Time of a page, claimed to result written.'
                                ELSE 'Time of a job, started to finished.' END);
        v_cum := 0;
        FOR r IN SELECT c.label, c.value FROM jsonb_to_recordset(v_counters) AS c(name text, label text, value bigint)
                  WHERE c.name = h || '_ms' AND c.label LIKE 'le:%'
                  ORDER BY CASE WHEN c.label = 'le:+Inf' THEN 'Infinity'::float8
                                ELSE substr(c.label, 4)::float8 END
        LOOP
            v_cum := v_cum + r.value;
            o := o || format(E'scrape_jobs_%s_duration_seconds_bucket{le="%s"} %s\n', h,
                             CASE WHEN r.label = 'le:+Inf' THEN '+Inf'
                                  ELSE (substr(r.label, 4)::numeric / 1000)::text END,
                             v_cum);
        END LOOP;
        o := o || format(E'scrape_jobs_%1$s_duration_seconds_sum %2$s\n'
                         'scrape_jobs_%1$s_duration_seconds_count %3$s\n', h,
                         (SELECT c.value FROM jsonb_to_recordset(v_counters) AS c(name text, label text, value bigint)
                           WHERE c.name = h || '_ms' AND c.label = 'sum_us')::numeric / 1000000,
                         (SELECT c.value FROM jsonb_to_recordset(v_counters) AS c(name text, label text, value bigint)
                           WHERE c.name = h || '_ms' AND c.label = 'count'));
    END LOOP;

    o := o || format(E'# HELP scrape_jobs_queue_pages Pages waiting: ready to fetch, waiting for a retry, or for an open circuit.\n'
                     '# TYPE scrape_jobs_queue_pages gauge\n'
                     'scrape_jobs_queue_pages{state="ready"} %s\n'
                     'scrape_jobs_queue_pages{state="retry"} %s\n'
                     'scrape_jobs_queue_pages{state="circuit"} %s\n'
                     '# HELP scrape_jobs_pages_per_minute Transfers finished in the last minute.\n'
                     '# TYPE scrape_jobs_pages_per_minute gauge\n'
                     'scrape_jobs_pages_per_minute %s\n'
                     '# HELP scrape_jobs_throughput_per_minute Jobs finished per minute over the last 5 minutes.\n'
                     '# TYPE scrape_jobs_throughput_per_minute gauge\n'
                     'scrape_jobs_throughput_per_minute %s\n'
                     '# HELP scrape_jobs_error_rate Failed over finished web_scraping jobs.\n'
                     '# TYPE scrape_jobs_error_rate gauge\n'
                     'scrape_jobs_error_rate %s\n'
                     '# HELP scrape_jobs_workers Fetch workers running.\n'
                     '# TYPE scrape_jobs_workers gauge\n'
                     'scrape_jobs_workers %s\n',
                     m.pending_pages, m.retry_waiting_pages, m.circuit_waiting_pages,
                     m.pages_per_minute, m.throughput_per_minute, m.error_rate,
                     (SELECT count(*) FROM @extschema@.scrape_workers()));

    -- The host families, from one reading of the host table: a family's
    -- lines must stand together, so each is aggregated in its own column.
    SELECT coalesce(string_agg(format(E'scrape_jobs_host_requests_total{host="%s"} %s\n',
                                      @extschema@._scrape_prom_label(hs.host), hs.requests),
                               '' ORDER BY hs.host), ''),
           coalesce(string_agg((SELECT string_agg(
                                    format(E'scrape_jobs_host_errors_total{host="%s",class="%s"} %s\n',
                                           @extschema@._scrape_prom_label(hs.host), e.key, e.value),
                                    '' ORDER BY e.key)
                                  FROM jsonb_each_text(hs.errors_by_class) e),
                               '' ORDER BY hs.host), ''),
           coalesce(string_agg(format(E'scrape_jobs_host_latency_seconds{host="%1$s",stat="mean"} %2$s\n'
                                      'scrape_jobs_host_latency_seconds{host="%1$s",stat="p95"} %3$s\n',
                                      @extschema@._scrape_prom_label(hs.host),
                                      round((hs.latency_mean_ms / 1000)::numeric, 6),
                                      round((hs.latency_p95_ms / 1000)::numeric, 6)),
                               '' ORDER BY hs.host) FILTER (WHERE hs.requests > 0), ''),
           coalesce(string_agg(format(E'scrape_jobs_host_circuit_open{host="%s"} %s\n',
                                      @extschema@._scrape_prom_label(hs.host),
                                      CASE WHEN hs.circuit_state = 'closed' THEN 0 ELSE 1 END),
                               '' ORDER BY hs.host), ''),
           coalesce(string_agg(format(E'scrape_jobs_host_delay_seconds{host="%s"} %s\n',
                                      @extschema@._scrape_prom_label(hs.host), hs.delay_ms / 1000.0),
                               '' ORDER BY hs.host), '')
      INTO v_requests, v_errors, v_latency, v_circuit, v_delay
      FROM @extschema@.scrape_host_stats() hs;
    o := o || E'# HELP scrape_jobs_host_requests_total Finished requests per host.\n'
              '# TYPE scrape_jobs_host_requests_total counter\n' || v_requests
           || E'# HELP scrape_jobs_host_errors_total Failed requests per host and error class.\n'
              '# TYPE scrape_jobs_host_errors_total counter\n' || v_errors
           || E'# HELP scrape_jobs_host_latency_seconds Mean and 95th percentile fetch time per host.\n'
              '# TYPE scrape_jobs_host_latency_seconds gauge\n' || v_latency
           || E'# HELP scrape_jobs_host_circuit_open Whether a host\'s circuit is open (1) or not (0; half-open counts as open).\n'
              '# TYPE scrape_jobs_host_circuit_open gauge\n' || v_circuit
           || E'# HELP scrape_jobs_host_delay_seconds The gap between two requests to a host.\n'
              '# TYPE scrape_jobs_host_delay_seconds gauge\n' || v_delay;
    RETURN o;
END;
$$;

-- ======== install/progress.sql ========

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

-- ======== install/alerts.sql ========

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

-- ======== install/extraction.sql ========

/*
 * install/extraction.sql
 *
 * What the workers' parsers make of a page, callable from SQL
 * (src/extract_sql.c): HTML metadata and structured data, prices,
 * availability, XPath checks.
 */

-- What the workers make of an HTML page: what the scraping stage stores
-- (title, description, canonical, lang, links) and the extracting stage's
-- document ("structured"), with rules as options.extract gives them.
CREATE OR REPLACE FUNCTION @extschema@.scrape_parse_html(html text, url text,
                                              rules jsonb DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'scrape_parse_html'
LANGUAGE C IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp;

-- A price as written on a page ("$1,299.00", "1 299,00 zł", "Free"): its
-- amount and ISO 4217 currency (NULL when the text names none).  NULLs when
-- no amount can be read.
CREATE OR REPLACE FUNCTION @extschema@.scrape_parse_price(price text,
                                               OUT amount numeric,
                                               OUT currency text)
RETURNS record
AS 'MODULE_PATHNAME', 'scrape_parse_price'
LANGUAGE C IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp;

-- An availability (schema.org URL, or words such as "in stock", "sold
-- out") as a schema.org ItemAvailability term, or NULL.
CREATE OR REPLACE FUNCTION @extschema@.scrape_normalize_availability(availability text)
RETURNS text
AS 'MODULE_PATHNAME', 'scrape_normalize_availability'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp;

-- NULL if the XPath expression compiles, else libxml2's reason.
CREATE OR REPLACE FUNCTION @extschema@._scrape_xpath_error(xpath text)
RETURNS text
AS 'MODULE_PATHNAME', 'scrape_xpath_error'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp;

-- ======== install/submission.sql ========

/*
 * install/submission.sql
 *
 * Submission: options validated, the job row first, then its session, then
 * its pages, in the caller's transaction (README, "Submitting").
 */

-- Validate and normalise a URL with libcurl's URL parser; raises on bad input.
CREATE OR REPLACE FUNCTION @extschema@._scrape_check_url(url text)
RETURNS text
AS 'MODULE_PATHNAME', 'scrape_check_url'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

-- Ask for the workers (and scrape_wait callers) to be woken at COMMIT.
CREATE OR REPLACE FUNCTION @extschema@._scrape_wake(new_work boolean, cancelled boolean,
                                         session_done boolean,
                                         alert boolean DEFAULT false)
RETURNS void
AS 'MODULE_PATHNAME', 'scrape_wake'
LANGUAGE C STRICT VOLATILE;

-- An interval-valued option as the milliseconds the workers use: a JSON
-- string that PostgreSQL reads as an interval, measured as extract(epoch)
-- measures it (a month is 30 days, a year 365.25) and checked against the
-- option's range by that same length, so that what passes is what is
-- stored and used.  (0.1.7 checked the interval by interval comparison,
-- which counts a year as 360 days, and converted it in every claim: "10
-- years -3599 days" passed as under a day and then overflowed the claim's
-- integer cast.)  The ranges are here only.  Raises 22023; NULL (the
-- option not given) gives NULL.
CREATE OR REPLACE FUNCTION @extschema@._scrape_option_ms(p_key text, p_value jsonb)
RETURNS integer
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_ms  numeric;
    v_min numeric := CASE p_key WHEN 'per_host_delay' THEN 0 ELSE 1 END;
    v_max numeric := CASE p_key WHEN 'per_host_delay' THEN 3600000 ELSE 86400000 END;
BEGIN
    IF p_value IS NULL THEN
        RETURN NULL;                    -- not given: the setting decides
    END IF;
    IF p_key IS NULL OR p_key NOT IN ('request_timeout', 'connect_timeout', 'per_host_delay') THEN
        RAISE EXCEPTION 'option "%" is not an interval', p_key
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF jsonb_typeof(p_value) = 'string' THEN
        BEGIN
            v_ms := extract(epoch FROM (p_value #>> '{}')::interval) * 1000;
        EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow
                       OR interval_field_overflow OR invalid_text_representation THEN
            v_ms := NULL;
        END;
    END IF;
    IF v_ms IS NULL OR v_ms < v_min OR v_ms > v_max THEN
        RAISE EXCEPTION 'invalid value for option "%": %', p_key, p_value
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = CASE p_key
                         WHEN 'per_host_delay' THEN 'Give an interval from 0 to one hour, such as "500ms".'
                         ELSE 'Give a positive interval of at most one day, such as "15s".' END;
    END IF;
    RETURN round(v_ms)::integer;
END;
$$;

-- Check one crawl option (and that the session is a crawl).
CREATE OR REPLACE FUNCTION @extschema@._scrape_check_crawl_option(p_key text, p_value jsonb,
                                                       p_mode text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_pattern text;
    v_ok      boolean;
BEGIN
    IF p_mode NOT IN ('crawl', 'sitemap') THEN
        RAISE EXCEPTION 'option "%" applies to crawl and sitemap sessions only', p_key
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    CASE p_key
    WHEN 'scope' THEN
        v_ok := jsonb_typeof(p_value) = 'string'
                AND (p_value #>> '{}') IN ('host', 'domain', 'prefix');
        IF NOT v_ok THEN
            RAISE EXCEPTION 'invalid value for option "scope": %', p_value
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Use "host", "domain" or "prefix".';
        END IF;
    WHEN 'max_depth' THEN
        v_ok := jsonb_typeof(p_value) = 'number' AND (p_value #>> '{}') ~ '^[0-9]+$'
                AND (p_value #>> '{}')::numeric <= 100;
        IF NOT v_ok THEN
            RAISE EXCEPTION 'invalid value for option "max_depth": %', p_value
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Give a whole number from 0 to 100.';
        END IF;
    WHEN 'follow_nofollow', 'obey_robots' THEN
        IF jsonb_typeof(p_value) <> 'boolean' THEN
            RAISE EXCEPTION 'invalid value for option "%": %', p_key, p_value
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Give true or false.';
        END IF;
    ELSE    -- include, exclude: a regular expression or an array of them
        IF jsonb_typeof(p_value) NOT IN ('string', 'array') THEN
            RAISE EXCEPTION 'invalid value for option "%": %', p_key, p_value
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Give a POSIX regular expression, or an array of them.';
        END IF;
        FOR v_pattern IN
            SELECT x FROM jsonb_array_elements_text(
                CASE jsonb_typeof(p_value) WHEN 'array' THEN p_value
                     ELSE jsonb_build_array(p_value) END) AS x
        LOOP
            PERFORM '' ~ v_pattern;     -- raises on a bad expression
        END LOOP;
    END CASE;
END;
$$;

-- options.extract: {"field": "XPath expression", ...}, at most 50 fields
-- named like SQL identifiers, each expression at most 1000 characters and
-- valid for libxml2.
CREATE OR REPLACE FUNCTION @extschema@._scrape_check_extract(p_value jsonb)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k       text;
    v       jsonb;
    v_error text;
BEGIN
    IF jsonb_typeof(p_value) <> 'object' OR (SELECT count(*) FROM jsonb_object_keys(p_value)) > 50 THEN
        RAISE EXCEPTION 'invalid value for option "extract"'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Give an object of at most 50 fields, each an XPath expression: {"price": "//span[@class=''price'']"}.';
    END IF;
    FOR k, v IN SELECT * FROM jsonb_each(p_value) LOOP
        IF k !~ '^[A-Za-z_][A-Za-z0-9_]{0,62}$' THEN
            RAISE EXCEPTION 'invalid field name in option "extract": "%"', k
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Field names are letters, digits and underscores, at most 63, not starting with a digit.';
        END IF;
        IF jsonb_typeof(v) <> 'string' OR length(v #>> '{}') NOT BETWEEN 1 AND 1000 THEN
            RAISE EXCEPTION 'invalid XPath expression for field "%" of option "extract"', k
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Give a string of 1 to 1000 characters.';
        END IF;
        v_error := @extschema@._scrape_xpath_error(v #>> '{}');
        IF v_error IS NOT NULL THEN
            RAISE EXCEPTION 'invalid XPath expression for field "%" of option "extract"', k
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = format('libxml2: %s', v_error);
        END IF;
    END LOOP;
END;
$$;

-- Validate the options object of a session of mode p_mode; returns it
-- (never NULL).
CREATE OR REPLACE FUNCTION @extschema@._scrape_check_options(options jsonb, p_mode text)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k text;
    v jsonb;
BEGIN
    IF options IS NULL THEN
        RETURN '{}'::jsonb;
    END IF;
    IF jsonb_typeof(options) <> 'object' THEN
        RAISE EXCEPTION 'options must be a JSON object'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The value given is a JSON %s.',
                                  jsonb_typeof(options));
    END IF;
    FOR k, v IN SELECT * FROM jsonb_each(options) LOOP
        CASE k
        WHEN 'request_timeout', 'connect_timeout', 'per_host_delay' THEN
            PERFORM @extschema@._scrape_option_ms(k, v);
        WHEN 'max_attempts' THEN
            IF jsonb_typeof(v) <> 'number' OR (v #>> '{}') !~ '^[0-9]+$'
               OR (v #>> '{}')::numeric NOT BETWEEN 1 AND 100 THEN
                RAISE EXCEPTION 'invalid value for option "%": %', k, v
                    USING ERRCODE = 'invalid_parameter_value',
                          HINT = 'Give a whole number from 1 to 100.';
            END IF;
        WHEN 'per_host_max_connections' THEN
            IF jsonb_typeof(v) <> 'number' OR (v #>> '{}') !~ '^[0-9]+$'
               OR (v #>> '{}')::numeric NOT BETWEEN 1 AND 1000 THEN
                RAISE EXCEPTION 'invalid value for option "%": %', k, v
                    USING ERRCODE = 'invalid_parameter_value',
                          HINT = 'Give a whole number from 1 to 1000.';
            END IF;
        WHEN 'scope', 'max_depth', 'include', 'exclude', 'follow_nofollow',
             'obey_robots' THEN
            PERFORM @extschema@._scrape_check_crawl_option(k, v, p_mode);
        WHEN 'extract' THEN
            PERFORM @extschema@._scrape_check_extract(v);
        WHEN 'user_agent' THEN
            IF jsonb_typeof(v) <> 'string' OR length(v #>> '{}') = 0
               OR length(v #>> '{}') > 512 OR (v #>> '{}') ~ '[\r\n]' THEN
                RAISE EXCEPTION 'invalid value for option "%"', k
                    USING ERRCODE = 'invalid_parameter_value',
                          HINT = 'Give a non-empty string of at most 512 characters without line breaks.';
            END IF;
        ELSE
            RAISE EXCEPTION 'unrecognized option "%"', k
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Valid options are request_timeout, connect_timeout, user_agent, max_attempts, per_host_max_connections, per_host_delay, extract, and for crawls scope, max_depth, include, exclude, follow_nofollow and obey_robots.';
        END CASE;
    END LOOP;
    RETURN options;
END;
$$;

-- Create a job, its session and its pages in the caller's transaction, in
-- the order the job model prescribes: background_jobs first (its metadata
-- already names the session), then the session, then the pages in batches.
CREATE OR REPLACE FUNCTION @extschema@._scrape_create_session(
    p_urls text[], p_source_url text, p_mode text, p_total_pages integer,
    p_workspace_id uuid, p_options jsonb)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_session_id bigint;
    v_job_id     bigint;
    v_batch      integer := current_setting('scrape_jobs.batch_size')::integer;
    v_n          integer := cardinality(p_urls);
    v_inserted   bigint := 0;
    v_rows       bigint;
    i            integer;
BEGIN
    v_session_id := nextval(pg_get_serial_sequence(
                        '@extschema@.scraping_sessions', 'id'));

    INSERT INTO @extschema@.background_jobs
           (job_type, status, progress, current_stage, metadata, max_attempts)
    VALUES ('web_scraping', 'pending', 0, 'initializing',
            jsonb_build_object('session_id', v_session_id,
                               'source_url', p_source_url,
                               'scraping_mode', p_mode,
                               'total_pages', p_total_pages),
            coalesce((p_options ->> 'max_attempts')::integer,
                     current_setting('scrape_jobs.max_attempts')::integer))
    RETURNING id INTO v_job_id;

    INSERT INTO @extschema@.scraping_sessions
           (id, background_job_id, workspace_id, source_url, scraping_mode,
            total_pages, options, request_timeout_ms, connect_timeout_ms,
            per_host_delay_ms, per_host_max_connections)
    VALUES (v_session_id, v_job_id, p_workspace_id, p_source_url, p_mode,
            p_total_pages, p_options,
            @extschema@._scrape_option_ms('request_timeout', p_options -> 'request_timeout'),
            @extschema@._scrape_option_ms('connect_timeout', p_options -> 'connect_timeout'),
            @extschema@._scrape_option_ms('per_host_delay', p_options -> 'per_host_delay'),
            (p_options ->> 'per_host_max_connections')::integer);

    -- New pages go in batches (scrape_jobs.batch_size, 100 by default).
    i := 1;
    WHILE i <= v_n LOOP
        INSERT INTO @extschema@.scraping_pages (session_id, url, host)
        SELECT v_session_id, u, coalesce(@extschema@._scrape_host(u), '')
          FROM unnest(p_urls[i : i + v_batch - 1]) AS u
        ON CONFLICT (session_id, url) DO NOTHING;
        GET DIAGNOSTICS v_rows = ROW_COUNT;
        v_inserted := v_inserted + v_rows;
        i := i + v_batch;
    END LOOP;

    UPDATE @extschema@.scraping_sessions
       SET pages_known = v_inserted
     WHERE id = v_session_id;

    INSERT INTO @extschema@.job_history (job_id, session_id, event, detail)
    VALUES (v_job_id, v_session_id, 'created',
            jsonb_build_object('source_url', p_source_url,
                               'scraping_mode', p_mode,
                               'pages', v_inserted));

    PERFORM @extschema@._scrape_wake(true, false, false);
    RETURN v_session_id;
END;
$$;

-- Refuse a session larger than scrape_jobs.max_pages_per_session.
CREATE OR REPLACE FUNCTION @extschema@._scrape_check_page_cap(p_pages integer)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_max integer := current_setting('scrape_jobs.max_pages_per_session')::integer;
BEGIN
    IF p_pages > v_max THEN
        RAISE EXCEPTION 'a session cannot have more than % pages', v_max
            USING ERRCODE = 'program_limit_exceeded',
                  DETAIL = format('%s pages were asked for.', p_pages),
                  HINT = 'Split the work into several sessions, or raise "scrape_jobs.max_pages_per_session".';
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION @extschema@.scrape_submit(
    source_url text,
    scraping_mode text DEFAULT 'single',
    total_pages integer DEFAULT NULL,
    workspace_id uuid DEFAULT NULL,
    options jsonb DEFAULT '{}')
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_url  text;
    v_opts jsonb;
    v_sid  bigint;
BEGIN
    v_url := @extschema@._scrape_check_url(source_url);

    IF scraping_mode IS NULL THEN
        RAISE EXCEPTION 'scraping mode must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    ELSIF scraping_mode NOT IN ('single', 'crawl', 'sitemap') THEN
        RAISE EXCEPTION 'unrecognized scraping mode "%"', scraping_mode
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use mode "single", "crawl" or "sitemap", or scrape_submit_urls() for a list of URLs.';
    END IF;

    IF total_pages IS NOT NULL AND total_pages < 1 THEN
        RAISE EXCEPTION 'total_pages must be a positive number'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The value given is %s.', total_pages);
    END IF;
    PERFORM @extschema@._scrape_check_page_cap(total_pages);

    v_opts := @extschema@._scrape_check_options(options, scraping_mode);
    PERFORM @extschema@._scrape_check_workspace(workspace_id);

    v_sid := @extschema@._scrape_create_session(
        ARRAY[v_url], v_url, scraping_mode,
        coalesce(total_pages,
                 CASE scraping_mode
                     WHEN 'single' THEN 1
                     ELSE least(
                         current_setting('scrape_jobs.crawl_max_pages')::integer,
                         current_setting('scrape_jobs.max_pages_per_session')::integer)
                     END),
        workspace_id, v_opts);
    IF scraping_mode = 'sitemap' THEN
        PERFORM @extschema@._scrape_seed_sitemaps(v_sid, v_url);
    END IF;
    RETURN v_sid;
END;
$$;

CREATE OR REPLACE FUNCTION @extschema@.scrape_submit_urls(
    urls text[],
    workspace_id uuid DEFAULT NULL,
    options jsonb DEFAULT '{}')
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_urls text[];
    v_opts jsonb;
BEGIN
    IF urls IS NULL THEN
        RAISE EXCEPTION 'list of URLs must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    ELSIF cardinality(urls) = 0 THEN
        RAISE EXCEPTION 'list of URLs must not be empty'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF array_ndims(urls) > 1 THEN
        RAISE EXCEPTION 'list of URLs must be a one-dimensional array'
            USING ERRCODE = 'array_subscript_error';
    END IF;

    -- The cap first, on the distinct URLs as given (normalising can only
    -- merge more of them): a list of a million is refused at once, not
    -- after a million URLs were parsed.
    IF cardinality(urls) > current_setting('scrape_jobs.max_pages_per_session')::integer THEN
        PERFORM @extschema@._scrape_check_page_cap(
            (SELECT count(DISTINCT u)::integer FROM unnest(urls) AS u));
    END IF;

    -- Normalise every URL (raising on the first bad one), then collapse
    -- duplicates, keeping the order in which URLs first appear.
    SELECT array_agg(n.url ORDER BY n.first)
      INTO v_urls
      FROM (SELECT c.url, min(c.ord) AS first
              FROM (SELECT @extschema@._scrape_check_url(u) AS url, ord
                      FROM unnest(urls) WITH ORDINALITY AS t(u, ord)) AS c
             GROUP BY c.url) AS n;

    PERFORM @extschema@._scrape_check_page_cap(cardinality(v_urls));
    v_opts := @extschema@._scrape_check_options(options, 'list');
    PERFORM @extschema@._scrape_check_workspace(workspace_id);

    RETURN @extschema@._scrape_create_session(
        v_urls, v_urls[1], 'list', cardinality(v_urls), workspace_id, v_opts);
END;
$$;

-- ======== install/discovery.sql ========

/*
 * install/discovery.sql
 *
 * Discovery: URL parts (src/url.c), robots.txt (src/robots.c), sitemaps and
 * crawl links (src/sitemap.c): what a crawl may fetch and what it queues.
 */

-- The origin of a URL (scheme://host[:port]), the key of robots.txt.
CREATE OR REPLACE FUNCTION @extschema@._scrape_origin(url text)
RETURNS text
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'scrape_url_origin';

-- The path and query of a URL, as robots.txt rules see it.
CREATE OR REPLACE FUNCTION @extschema@._scrape_path(url text)
RETURNS text
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'scrape_url_path';

-- The host of a URL, lower-case.
CREATE OR REPLACE FUNCTION @extschema@._scrape_host(url text)
RETURNS text
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'scrape_url_host';

-- robots.txt for the candidate pages of a claim (RFC 9309), when their
-- session is a crawl that obeys it.  Returns the pages to fetch now, and
-- those to skip with the rule that disallows them.  A page whose origin's
-- robots.txt is not known yet waits (200 ms at a time) while that file is
-- queued as a page of kind robots in the same session; a 5xx or no answer
-- disallows everything until the cached answer expires; a 4xx allows all.
CREATE OR REPLACE FUNCTION @extschema@._scrape_robots_gate(p_pages bigint[],
    OUT to_fetch bigint[], OUT to_skip bigint[], OUT rules text[])
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
    v record;
BEGIN
    to_fetch := '{}';
    to_skip := '{}';
    rules := '{}';
    FOR r IN
        SELECT p.id, p.url, p.session_id, p.kind, s.scraping_mode, s.options,
               rc.http_status, rc.body, rc.expires_at
          FROM @extschema@.scraping_pages p
          JOIN @extschema@.scraping_sessions s ON s.id = p.session_id
          LEFT JOIN @extschema@.robots_cache rc
                 ON rc.origin = @extschema@._scrape_origin(p.url)
                AND rc.expires_at > now()
         WHERE p.id = ANY (p_pages)
         ORDER BY p.id
    LOOP
        IF r.scraping_mode NOT IN ('crawl', 'sitemap') OR r.kind <> 'page'
           OR NOT coalesce((r.options ->> 'obey_robots')::boolean,
                           current_setting('scrape_jobs.obey_robots')::boolean) THEN
            to_fetch := to_fetch || r.id;
        ELSIF r.http_status IS NULL THEN
            INSERT INTO @extschema@.scraping_pages (session_id, url, kind, host)
            VALUES (r.session_id, @extschema@._scrape_origin(r.url) || '/robots.txt',
                    'robots', coalesce(@extschema@._scrape_host(r.url), ''))
            ON CONFLICT (session_id, url) DO UPDATE
               SET status = 'pending', attempts = 0, not_before = NULL,
                   updated_at = now()
             WHERE scraping_pages.kind = 'robots'
               AND scraping_pages.status IN ('done', 'failed');
            UPDATE @extschema@.scraping_pages SET not_before = now() + interval '200 ms'
             WHERE id = r.id;
        ELSIF r.http_status BETWEEN 200 AND 299 THEN
            SELECT * INTO v FROM @extschema@.scrape_robots_check(
                r.body, @extschema@._scrape_path(r.url), r.options ->> 'user_agent');
            IF v.allowed THEN
                to_fetch := to_fetch || r.id;
            ELSE
                to_skip := to_skip || r.id;
                rules := rules || v.rule;
            END IF;
        ELSIF r.http_status BETWEEN 400 AND 499 THEN
            to_fetch := to_fetch || r.id;
        ELSE
            UPDATE @extschema@.scraping_pages SET not_before = r.expires_at
             WHERE id = r.id;
        END IF;
    END LOOP;
END;
$$;

-- The first documents of a sitemap session: the URL itself when it names a
-- sitemap; for a site root, its /sitemap.xml and its robots.txt (whose
-- Sitemap: lines are followed, _scrape_discover).  The seed row that
-- _scrape_create_session made becomes the first of them.
CREATE OR REPLACE FUNCTION @extschema@._scrape_seed_sitemaps(p_session_id bigint, p_url text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_origin text := @extschema@._scrape_origin(p_url);
BEGIN
    IF @extschema@._scrape_path(p_url) = '/' THEN
        UPDATE @extschema@.scraping_pages SET url = v_origin || '/sitemap.xml', kind = 'sitemap'
         WHERE session_id = p_session_id;
        INSERT INTO @extschema@.scraping_pages (session_id, url, kind, host)
        VALUES (p_session_id, v_origin || '/robots.txt', 'robots',
                coalesce(@extschema@._scrape_host(p_url), ''))
        ON CONFLICT (session_id, url) DO NOTHING;
    ELSE
        UPDATE @extschema@.scraping_pages SET kind = 'sitemap'
         WHERE session_id = p_session_id;
    END IF;
    UPDATE @extschema@.scraping_sessions SET pages_known = 0 WHERE id = p_session_id;
END;
$$;

-- A URL canonicalised, or NULL when it is not one we would fetch.
CREATE OR REPLACE FUNCTION @extschema@._scrape_try_url(p_url text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN @extschema@._scrape_check_url(p_url);
EXCEPTION WHEN invalid_parameter_value OR null_value_not_allowed THEN
    RETURN NULL;
END;
$$;

-- Is url within the crawl scope of seed?  host: the same host; domain:
-- the seed's host (less a leading "www.") or a subdomain of it; prefix:
-- under the seed's directory.  In C (src/url.c): a crawl asks it of every
-- link it finds.
CREATE OR REPLACE FUNCTION @extschema@._scrape_in_scope(p_seed text, p_url text, p_scope text)
RETURNS boolean
LANGUAGE c IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'scrape_url_in_scope';

-- The patterns of an include / exclude option (a string or an array).
CREATE OR REPLACE FUNCTION @extschema@._scrape_patterns(p_value jsonb)
RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE jsonb_typeof(p_value)
        WHEN 'string' THEN ARRAY[p_value #>> '{}']
        WHEN 'array' THEN ARRAY(SELECT jsonb_array_elements_text(p_value))
        ELSE '{}'::text[] END;
$$;

-- Queue the links of crawl pages just stored (among p_page_ids): in scope,
-- under max_depth (default 3), matching include and not exclude, not
-- nofollow unless follow_nofollow, at most total_pages in the session.  One
-- row per canonical URL per session, inserted scrape_jobs.batch_size rows
-- per statement (ON CONFLICT DO NOTHING); the caller holds the session locks.
CREATE OR REPLACE FUNCTION @extschema@._scrape_discover(p_page_ids bigint[])
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_added  integer := 0;
    v_batch  integer := current_setting('scrape_jobs.batch_size')::integer;
    v_sess   bigint[];
    v_url    text[];
    v_depth  integer[];
    v_found  bigint[];
    v_kind   text[];
    v_n      integer;
    v_from   integer := 1;
    v_rows   integer;
BEGIN
    WITH src AS (
        -- crawl pages with links; sitemaps with URLs; a sitemap session's
        -- robots.txt with Sitemap: lines
        SELECT p.id, p.session_id, p.depth, p.kind, s.scraping_mode,
               s.source_url, s.options, s.total_pages - s.pages_known AS room,
               CASE WHEN p.kind = 'robots' THEN
                        (SELECT jsonb_agg(jsonb_build_object('url', u.url, 'sitemap', true))
                           FROM @extschema@.scrape_robots_sitemaps(p.body) AS sm(raw),
                                LATERAL (SELECT @extschema@._scrape_try_url(sm.raw) AS url) u
                          WHERE u.url IS NOT NULL)
                    ELSE p.links END AS links
          FROM @extschema@.scraping_pages p
          JOIN @extschema@.scraping_sessions s ON s.id = p.session_id
         WHERE p.id = ANY (p_page_ids)
           AND p.status = 'done' AND s.status = 'running'
           AND s.pages_known < s.total_pages
           AND ((s.scraping_mode = 'crawl' AND p.kind = 'page'
                 AND p.depth < coalesce((s.options ->> 'max_depth')::integer, 3))
                OR (s.scraping_mode = 'sitemap' AND p.kind = 'sitemap')
                OR (s.scraping_mode = 'sitemap' AND p.kind = 'robots'
                    AND p.http_status BETWEEN 200 AND 299))
    ), candidates AS (
        SELECT src.session_id, src.id AS found_on,
               CASE WHEN coalesce((l ->> 'sitemap')::boolean, false)
                    THEN src.depth + 1
                    WHEN src.scraping_mode = 'sitemap' THEN 0
                    ELSE src.depth + 1 END AS depth,
               CASE WHEN coalesce((l ->> 'sitemap')::boolean, false)
                    THEN 'sitemap' ELSE 'page' END AS kind,
               l ->> 'url' AS url, src.room,
               row_number() OVER (PARTITION BY src.session_id
                                  ORDER BY src.id, o) AS n
          FROM src,
               LATERAL jsonb_array_elements(coalesce(src.links, '[]')) WITH ORDINALITY AS e(l, o)
         WHERE (NOT coalesce((l ->> 'nofollow')::boolean, false)
                OR coalesce((src.options ->> 'follow_nofollow')::boolean, false))
           -- sitemap indexes nest at most three levels
           AND NOT (coalesce((l ->> 'sitemap')::boolean, false) AND src.depth >= 3)
           -- (the URL limit of src/urlcore.h, which the links found are
           -- held to: this keeps out the longer ones that 0.1.7 kept, for
           -- the unique index of (session_id, url))
           AND octet_length(l ->> 'url') <= 2048
           AND @extschema@._scrape_path(l ->> 'url') <> '/robots.txt'
           AND @extschema@._scrape_in_scope(src.source_url, l ->> 'url',
                                            src.options ->> 'scope')
           AND (NOT src.options ? 'include'
                OR (l ->> 'url') ~ ANY (@extschema@._scrape_patterns(src.options -> 'include')))
           AND NOT (src.options ? 'exclude'
                    AND (l ->> 'url') ~ ANY (@extschema@._scrape_patterns(src.options -> 'exclude')))
           AND NOT EXISTS (SELECT 1 FROM @extschema@.scraping_pages q
                            WHERE q.session_id = src.session_id AND q.url = l ->> 'url')
    ), chosen AS (
        SELECT c.*
          FROM (SELECT DISTINCT ON (c.session_id, c.url) c.*
                  FROM candidates c ORDER BY c.session_id, c.url, c.n) AS c
         WHERE c.n <= c.room OR c.kind = 'sitemap'
    )
    SELECT array_agg(c.session_id ORDER BY c.session_id, c.url),
           array_agg(c.url ORDER BY c.session_id, c.url),
           array_agg(c.depth ORDER BY c.session_id, c.url),
           array_agg(c.found_on ORDER BY c.session_id, c.url),
           array_agg(c.kind ORDER BY c.session_id, c.url)
      INTO v_sess, v_url, v_depth, v_found, v_kind
      FROM chosen c;
    v_n := coalesce(cardinality(v_url), 0);

    -- written like the pages of a submit: batch_size rows per INSERT
    WHILE v_from <= v_n LOOP
        WITH added AS (
            INSERT INTO @extschema@.scraping_pages (session_id, url, depth, found_on, kind, host)
            SELECT n.*, coalesce(@extschema@._scrape_host(n.url), '')
              FROM unnest(v_sess[v_from:v_from + v_batch - 1],
                          v_url[v_from:v_from + v_batch - 1],
                          v_depth[v_from:v_from + v_batch - 1],
                          v_found[v_from:v_from + v_batch - 1],
                          v_kind[v_from:v_from + v_batch - 1])
                   AS n(session_id, url, depth, found_on, kind)
            ON CONFLICT (session_id, url) DO NOTHING
            RETURNING session_id, kind
        ), counted AS (
            UPDATE @extschema@.scraping_sessions s
               SET pages_known = s.pages_known + a.n,
                   progress_percentage = @extschema@._scrape_progress(
                       s.pages_done + s.pages_failed + s.pages_skipped, s.pages_known + a.n),
                   updated_at = now()
              FROM (SELECT added.session_id, count(*) FILTER (WHERE added.kind = 'page') AS n,
                           count(*) AS rows
                      FROM added GROUP BY 1) AS a
             WHERE s.id = a.session_id
            RETURNING a.rows
        )
        SELECT coalesce(sum(counted.rows), 0) INTO v_rows FROM counted;
        v_added := v_added + v_rows;
        v_from := v_from + v_batch;
    END LOOP;

    IF v_added > 0 THEN
        PERFORM @extschema@._scrape_wake(true, false, false);
    END IF;
    RETURN v_added;
END;
$$;

-- robots.txt (RFC 9309), as the crawler reads it: may this User-Agent
-- (default scrape_jobs.user_agent) fetch this path?
CREATE OR REPLACE FUNCTION @extschema@.scrape_robots_check(robots_txt text, path text,
                                                user_agent text DEFAULT NULL)
RETURNS TABLE (allowed boolean, crawl_delay double precision, rule text)
AS 'MODULE_PATHNAME', 'scrape_robots_check'
LANGUAGE C STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION @extschema@.scrape_robots_sitemaps(robots_txt text)
RETURNS SETOF text
AS 'MODULE_PATHNAME', 'scrape_robots_sitemaps'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp;

-- ======== install/queue.sql ========

/*
 * install/queue.sql
 *
 * The page queue, as the fetch workers use it (src/queue.c): claims, result
 * writes, heartbeats, backoff, finishing sessions, dead-lettering, orphans.
 *
 * Lock order, followed by every function that changes job state, so that
 * workers, cancels and recoveries never deadlock:
 *     scraping_pages (ascending id) -> scraping_sessions (ascending id)
 *     -> background_jobs (ascending id).
 * Claims take page locks with SKIP LOCKED and so never wait on them.
 */

-- The gap between two requests to a page's host: the session's option
-- (p_delay_ms, validated at submit) or the GUC, and for a crawl at least the
-- Crawl-delay of the host's robots.txt (capped by
-- scrape_jobs.max_crawl_delay).  NULL: the worker's own setting.  (The
-- worker never goes below scrape_jobs.per_host_delay whatever this says.)
CREATE OR REPLACE FUNCTION @extschema@._scrape_host_delay_ms(p_mode text, p_delay_ms integer,
                                                  p_user_agent text, p_url text)
RETURNS integer
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_crawl double precision;
BEGIN
    IF p_mode NOT IN ('crawl', 'sitemap') THEN
        RETURN p_delay_ms;
    END IF;
    SELECT (@extschema@.scrape_robots_check(rc.body, '/', p_user_agent)).crawl_delay
      INTO v_crawl
      FROM @extschema@.robots_cache rc
     WHERE rc.origin = @extschema@._scrape_origin(p_url)
       AND rc.http_status BETWEEN 200 AND 299;
    IF v_crawl IS NULL THEN
        RETURN p_delay_ms;
    END IF;
    RETURN greatest(coalesce(p_delay_ms,
                             extract(epoch FROM current_setting('scrape_jobs.per_host_delay')::interval)
                             * 1000),
                    least(v_crawl * 1000,
                          extract(epoch FROM current_setting('scrape_jobs.max_crawl_delay')::interval)
                          * 1000))::integer;
END;
$$;

-- A session's candidates for a claim, in turns between its hosts: the
-- first due page of each of its first p_limit hosts (in a random order), then
-- the second of each..., up to p_limit pages; the pages of p_busy_hosts
-- after the others, none of p_full_hosts.  Both walks go through
-- scraping_pages_pending_host_idx.
CREATE OR REPLACE FUNCTION @extschema@._scrape_session_turns(p_session bigint, p_limit integer,
                                                            p_busy_hosts text[],
                                                            p_full_hosts text[],
    OUT id bigint, OUT busy boolean, OUT turn bigint)
RETURNS SETOF record
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH RECURSIVE hosts(host) AS (
        (SELECT q.host FROM @extschema@.scraping_pages q
          WHERE q.session_id = p_session AND q.status = 'pending'
          ORDER BY q.host LIMIT 1)
        UNION ALL
        SELECT (SELECT q.host FROM @extschema@.scraping_pages q
                 WHERE q.session_id = p_session AND q.status = 'pending'
                   AND q.host > hosts.host
                 ORDER BY q.host LIMIT 1)
          FROM hosts WHERE hosts.host IS NOT NULL
    ), chosen AS (
        -- each host's share of the claim: of p_limit among the hosts that
        -- are not busy, or among all for a busy one
        -- (in a random order: a claim smaller than the number of hosts,
        -- all busy, would otherwise always serve the same first ones)
        SELECT h.host, h.busy, row_number() OVER (ORDER BY random()) AS rank,
               CASE WHEN h.busy THEN count(*) OVER ()
                    ELSE greatest(count(*) FILTER (WHERE NOT h.busy) OVER (), 1)
               END AS n
          FROM (SELECT hosts.host, hosts.host = ANY (p_busy_hosts) AS busy
                  FROM hosts
                 WHERE hosts.host IS NOT NULL
                   AND NOT (hosts.host = ANY (p_full_hosts))
                 LIMIT p_limit) AS h
    )
    SELECT p.id, c.busy,
           row_number() OVER (ORDER BY c.busy, p.k, c.rank) AS turn
      FROM chosen c
     CROSS JOIN LATERAL (
           SELECT q.id, row_number() OVER (ORDER BY q.id) AS k
             FROM @extschema@.scraping_pages q
            WHERE q.session_id = p_session AND q.host = c.host
              AND q.status = 'pending'
              AND (q.not_before IS NULL OR q.not_before <= now())
            ORDER BY q.id
            LIMIT (p_limit + c.n - 1) / c.n) AS p
     ORDER BY 3
     LIMIT p_limit
$$;

-- The oldest session with pending pages of each of up to p_limit
-- workspaces, from a random one on (and of the sessions without a
-- workspace): the claim's turns between workspaces take these besides the
-- p_limit oldest sessions of all, so that a workspace whose sessions all
-- come after another's hundred still has a turn in every claim (0.1.7
-- took the turns among the oldest sessions only).  Each workspace's first
-- 20 live sessions are looked at: one whose sessions all wait on pages in
-- flight has its turn when they are done.  The walk over the workspaces
-- goes through scraping_sessions_live_workspace_idx.
CREATE OR REPLACE FUNCTION @extschema@._scrape_workspace_firsts(p_limit integer,
                                                               OUT sid bigint)
RETURNS SETOF bigint
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH RECURSIVE start(w) AS (SELECT gen_random_uuid()),
    up(w) AS (
        (SELECT s.workspace_id FROM @extschema@.scraping_sessions s, start
          WHERE s.status IN ('pending', 'running') AND s.workspace_id >= start.w
          ORDER BY s.workspace_id LIMIT 1)
        UNION ALL
        SELECT (SELECT s.workspace_id FROM @extschema@.scraping_sessions s
                 WHERE s.status IN ('pending', 'running') AND s.workspace_id > up.w
                 ORDER BY s.workspace_id LIMIT 1)
          FROM up WHERE up.w IS NOT NULL
    ),
    around(w) AS (
        (SELECT s.workspace_id FROM @extschema@.scraping_sessions s
          WHERE s.status IN ('pending', 'running') AND s.workspace_id IS NOT NULL
          ORDER BY s.workspace_id LIMIT 1)
        UNION ALL
        SELECT (SELECT s.workspace_id FROM @extschema@.scraping_sessions s, start
                 WHERE s.status IN ('pending', 'running') AND s.workspace_id > around.w
                   AND s.workspace_id < start.w
                 ORDER BY s.workspace_id LIMIT 1)
          FROM around WHERE around.w IS NOT NULL
    ),
    workspaces(w) AS (
        SELECT x.w FROM ((SELECT up.w, 1 AS part FROM up WHERE up.w IS NOT NULL LIMIT p_limit)
                         UNION ALL
                         (SELECT around.w, 2 FROM around, start
                           WHERE around.w IS NOT NULL AND around.w < start.w LIMIT p_limit)) AS x
         ORDER BY x.part LIMIT p_limit
    )
    SELECT f.sid
      FROM workspaces ws,
           LATERAL (SELECT c.id AS sid
                      FROM (SELECT s.id FROM @extschema@.scraping_sessions s
                             WHERE s.status IN ('pending', 'running')
                               AND s.workspace_id = ws.w
                             ORDER BY s.workspace_id, s.id LIMIT 20) AS c
                     WHERE EXISTS (SELECT 1 FROM @extschema@.scraping_pages q
                                    WHERE q.session_id = c.id AND q.status = 'pending')
                     ORDER BY c.id LIMIT 1) AS f
    UNION ALL
    (SELECT c.id
       FROM (SELECT s.id FROM @extschema@.scraping_sessions s
              WHERE s.status IN ('pending', 'running') AND s.workspace_id IS NULL
              ORDER BY s.workspace_id, s.id LIMIT 20) AS c
      WHERE EXISTS (SELECT 1 FROM @extschema@.scraping_pages q
                     WHERE q.session_id = c.id AND q.status = 'pending')
      ORDER BY 1 LIMIT 1)
$$;

-- Claim up to p_limit due pending pages for worker p_worker.  Starts the jobs
-- they belong to (pending -> processing, stage scraping) and returns what the
-- worker needs to fetch each page, with the lease it must write back with.
-- p_busy_hosts: hosts whose pages already wait in the worker's backlog for
-- a free connection or their delay; their pages come last.  p_full_hosts:
-- those of them of which the backlog holds all the host can start soon;
-- none of their pages is claimed (0.1.8 took them last, and a backlog full
-- of one slow host's pages left the worker no room for other sessions').
--
-- Locks: the pages first (SKIP LOCKED, so workers claim side by side).  A
-- claim for jobs already processing takes no session or job row lock: the
-- result writes of the other workers hold those until they commit, and
-- waiting for them would stall this worker's transfers.  The lease read is
-- still current, because everything that changes a processing job's lease
-- (cancel, stuck-job recovery, dead-lettering) locks the session's pending
-- and fetching pages before the job: it either holds our pages already (we
-- skip them) or waits for our commit and then takes back what we claimed.
-- Starting a pending job does lock its session and job, in id order.
CREATE OR REPLACE FUNCTION @extschema@._scrape_claim(p_worker bigint, p_limit integer,
                                                    p_busy_hosts text[] DEFAULT '{}',
                                                    p_full_hosts text[] DEFAULT '{}')
RETURNS TABLE (page_id bigint, job_id bigint, session_id bigint,
               lease bigint, url text, attempt integer,
               request_timeout_ms integer, connect_timeout_ms integer,
               user_agent text, per_host_max_connections integer,
               per_host_delay_ms integer, kind text, follow_links boolean)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_candidates bigint[];
    v_pages    bigint[];
    v_page_sessions bigint[];
    v_sessions bigint[];
    v_skipped  bigint[] := '{}';
    v_rules    text[] := '{}';
    v_started  bigint[];
    v_robots   boolean;
    v_pending  boolean;
    v_history  text := current_setting('scrape_jobs.page_history');
    -- who claims, for a person reading job_history (the token is the fence)
    v_worker   text := @extschema@._scrape_worker_label(p_worker);
    v_obey     boolean := current_setting('scrape_jobs.obey_robots')::boolean;
    v_beat     interval := current_setting('scrape_jobs.heartbeat_interval')::interval;
    v_busy     text[] := coalesce(p_busy_hosts, '{}');
    v_full     text[] := coalesce(p_full_hosts, '{}');
BEGIN
    -- Pages first, in turns: between workspaces, within a workspace
    -- between its sessions, within a session between its hosts.  Of the
    -- first p_limit sessions that have pending pages (a loose scan of the
    -- pending pages' index), and of each session's first p_limit hosts
    -- (the same loose scan, one level down), a session's turns take the
    -- first due page of each host, then the second of each...; the
    -- workspaces' turns take the first turn of a session of each
    -- workspace, then the next session's..., a workspace's sessions in
    -- order (sessions without a workspace are one workspace).  So a small
    -- session submitted behind a large one starts with the next claim
    -- instead of after it (0.1.2 took the oldest pages of all), a tenant
    -- with many sessions does not crowd out one with a single session
    -- (0.1.3 gave every session a turn), and a session's pages on a slow
    -- host do not fill a worker's backlog while its other hosts wait
    -- (0.1.5 took a session's pages in id order).  The pages of the
    -- worker's busy hosts come after all the others.  The oldest due
    -- pages of all come after the turns, so that sessions whose pages all
    -- wait (for a retry) cannot leave a claim empty.  SKIP LOCKED lets
    -- workers claim side by side, the second taking what the first left.
    SELECT array_agg(x.id ORDER BY x.busy, x.turn, x.id)
      INTO v_candidates
      FROM (SELECT DISTINCT ON (y.id) y.id, y.busy, y.turn
              FROM ((WITH RECURSIVE live(sid) AS (
                         (SELECT q.session_id FROM @extschema@.scraping_pages q
                           WHERE q.status = 'pending'
                           ORDER BY q.session_id LIMIT 1)
                         UNION ALL
                         SELECT (SELECT q.session_id FROM @extschema@.scraping_pages q
                                  WHERE q.status = 'pending' AND q.session_id > live.sid
                                  ORDER BY q.session_id LIMIT 1)
                           FROM live WHERE live.sid IS NOT NULL)
                     SELECT t.id, t.busy,
                            row_number() OVER (PARTITION BY l.workspace_id
                                               ORDER BY t.busy, t.turn, l.sid) AS turn
                       FROM (SELECT f.sid, s.workspace_id
                               FROM ((SELECT live.sid FROM live WHERE live.sid IS NOT NULL
                                       LIMIT p_limit)
                                     UNION
                                     SELECT w.sid FROM @extschema@._scrape_workspace_firsts(p_limit) AS w) AS f
                               JOIN @extschema@.scraping_sessions s ON s.id = f.sid) AS l
                      CROSS JOIN LATERAL @extschema@._scrape_session_turns(l.sid, p_limit, v_busy, v_full) AS t
                      ORDER BY 2, 3, 1
                      LIMIT 2 * p_limit)
                    UNION ALL
                    (SELECT q.id, coalesce(q.host = ANY (v_busy), false),
                            p_limit::bigint * p_limit + 1 AS turn
                       FROM @extschema@.scraping_pages q
                      WHERE q.status = 'pending'
                        AND (q.not_before IS NULL OR q.not_before <= now())
                      ORDER BY q.id
                      LIMIT 2 * p_limit)) AS y
             ORDER BY y.id, y.turn) AS x;
    -- (the candidates by key, in their order: a join the planner would
    -- rather hash against the whole table)
    SELECT array_agg(c.id ORDER BY c.id), array_agg(c.session_id ORDER BY c.id)
      INTO v_pages, v_page_sessions
      FROM (SELECT p.id, p.session_id
              FROM unnest(v_candidates) WITH ORDINALITY AS k(id, ord)
              JOIN @extschema@.scraping_pages p ON p.id = k.id
             WHERE p.status = 'pending'
               -- due again under this statement's snapshot: a candidate
               -- read as due may since have been claimed, fetched and
               -- given a retry's backoff by another worker (0.1.9 ran such
               -- a retry early)
               AND (p.not_before IS NULL OR p.not_before <= now())
               -- (the oldest due pages of all may be a full host's)
               AND NOT coalesce(p.host = ANY (v_full), false)
             ORDER BY k.ord
             LIMIT p_limit
               FOR UPDATE OF p SKIP LOCKED) AS c;

    IF v_pages IS NULL THEN
        RETURN;
    END IF;

    -- Their sessions, whether robots.txt has a say, whether a job starts.
    SELECT array_agg(s.id),
           bool_or(s.scraping_mode IN ('crawl', 'sitemap')
                   AND coalesce((s.options ->> 'obey_robots')::boolean, v_obey)),
           bool_or(j.status = 'pending')
      INTO v_sessions, v_robots, v_pending
      FROM @extschema@.scraping_sessions s
      JOIN @extschema@.background_jobs j ON j.id = s.background_job_id
     WHERE s.id IN (SELECT DISTINCT x.sid FROM unnest(v_page_sessions) AS x(sid));

    -- robots.txt decides for crawl pages: some wait for it, some are skipped
    IF v_robots THEN
        SELECT g.to_fetch, g.to_skip, g.rules INTO v_pages, v_skipped, v_rules
          FROM @extschema@._scrape_robots_gate(v_pages) AS g;
        -- the pages to fetch with their sessions, and the sessions of those
        -- and of the skipped ones, in one reading
        SELECT array_agg(p.id ORDER BY p.id) FILTER (WHERE p.id = ANY (v_pages)),
               array_agg(p.session_id ORDER BY p.id) FILTER (WHERE p.id = ANY (v_pages)),
               array_agg(DISTINCT p.session_id)
          INTO v_pages, v_page_sessions, v_sessions
          FROM @extschema@.scraping_pages p
         WHERE p.id = ANY (v_pages || v_skipped);
        IF v_sessions IS NULL THEN
            RETURN;
        END IF;
    END IF;

    IF v_pending OR cardinality(v_skipped) > 0 THEN
        -- Sessions and jobs, in id order: the job row lock serialises us
        -- with cancel and recovery while the job starts.
        PERFORM 1 FROM @extschema@.scraping_sessions s
         WHERE s.id = ANY (v_sessions) ORDER BY s.id FOR UPDATE;
        PERFORM 1 FROM @extschema@.background_jobs j
         WHERE j.id IN (SELECT s.background_job_id
                          FROM @extschema@.scraping_sessions s
                         WHERE s.id = ANY (v_sessions))
         ORDER BY j.id FOR UPDATE;
    END IF;

    -- A job that waited for a free worker gets a fresh heartbeat with its
    -- new pages in flight, so the monitor does not take it for stuck.  A
    -- job whose heartbeat is recent (the result writes keep it so) is left
    -- alone, and so is one whose row another transaction holds (a result
    -- write or a heartbeat, which renews it anyway): waiting for that row
    -- here, after this pass's result write locked its own sessions and
    -- jobs, could deadlock with a writer that locks in the global order.
    UPDATE @extschema@.background_jobs j
       SET last_heartbeat = now()
     WHERE j.id IN (SELECT k.id
                      FROM @extschema@.background_jobs k
                      JOIN @extschema@.scraping_sessions s ON s.background_job_id = k.id
                     WHERE s.id = ANY (v_sessions)
                       AND k.status = 'processing'
                       AND k.last_heartbeat < now() - v_beat
                     ORDER BY k.id
                       FOR UPDATE OF k SKIP LOCKED);

    IF v_pending THEN
        WITH started AS (
            UPDATE @extschema@.background_jobs j
               SET status = 'processing',
                   current_stage = 'scraping',
                   attempts = j.attempts + 1,
                   started_at = coalesce(j.started_at, now()),
                   last_heartbeat = now(),
                   updated_at = now()
              FROM @extschema@.scraping_sessions s
             WHERE s.id = ANY (v_sessions)
               AND j.id = s.background_job_id
               AND j.status = 'pending'
            RETURNING j.id, s.id AS session_id
        ), running AS (
            UPDATE @extschema@.scraping_sessions s
               SET status = 'running', started_at = coalesce(s.started_at, now()),
                   updated_at = now()
              FROM started
             WHERE s.id = started.session_id
        )
        , history AS (
            INSERT INTO @extschema@.job_history (job_id, session_id, event, detail)
            SELECT started.id, started.session_id, e.event, e.detail
              FROM started,
                   LATERAL (VALUES
                       ('claimed', jsonb_build_object('worker', v_worker, 'token', p_worker::text)),
                       ('stage_changed', jsonb_build_object('from', 'initializing',
                                                            'to', 'scraping'))
                   ) AS e(event, detail)
        )
        SELECT array_agg(started.session_id) INTO v_started FROM started;
        IF v_started IS NOT NULL THEN
            PERFORM @extschema@._scrape_notify_progress(v_started, true);
        END IF;
    END IF;

    -- pages robots.txt disallows end as skipped, not failed
    IF cardinality(v_skipped) > 0 THEN
        PERFORM @extschema@._scrape_count('robots_skips', cardinality(v_skipped));
        WITH skipped AS (
            UPDATE @extschema@.scraping_pages p
               SET status = 'skipped', error_class = 'robots',
                   error = 'disallowed by robots.txt (' || x.rule || ')',
                   fetched_at = now(), updated_at = now()
              FROM unnest(v_skipped, v_rules) AS x(id, rule)
             WHERE p.id = x.id
            RETURNING p.id, p.session_id, x.rule
        ), page_events AS (
            INSERT INTO @extschema@.job_history (job_id, session_id, event, detail)
            SELECT s.background_job_id, sk.session_id, 'page_skipped',
                   jsonb_build_object('page_id', sk.id, 'reason', 'robots', 'rule', sk.rule)
              FROM skipped sk JOIN @extschema@.scraping_sessions s ON s.id = sk.session_id
             WHERE v_history <> 'off'
        ), per_session AS (
            SELECT skipped.session_id, count(*) AS n FROM skipped GROUP BY 1
        )
        UPDATE @extschema@.scraping_sessions s
           SET pages_skipped = s.pages_skipped + ps.n,
               progress_percentage = @extschema@._scrape_progress(
                   s.pages_done + s.pages_failed + s.pages_skipped + ps.n, s.pages_known),
               updated_at = now()
          FROM per_session ps
         WHERE s.id = ps.session_id;
    END IF;

    -- The pages are joined by primary key alone (their sessions come from
    -- the first query): given a condition on session_id, the planner took
    -- the session's index and read every page of a session of thousands
    -- submitted moments before, whose statistics it does not know yet.
    RETURN QUERY
    WITH live AS MATERIALIZED (
        -- a session's settings are read once here, not once per page
        -- (the limits as validated at submit: nothing here can fail on
        -- what a session stores)
        SELECT s.id AS sid, j.id AS jid, j.lease, s.scraping_mode,
               s.request_timeout_ms AS request_timeout,
               s.connect_timeout_ms AS connect_timeout,
               s.options ->> 'user_agent' AS user_agent,
               s.per_host_max_connections AS max_connections,
               s.per_host_delay_ms AS delay
          FROM @extschema@.scraping_sessions s
          JOIN @extschema@.background_jobs j ON j.id = s.background_job_id
         WHERE s.id = ANY (v_sessions) AND j.status = 'processing'
    ), claimed AS (
        UPDATE @extschema@.scraping_pages p
           SET status = 'fetching',
               claimed_by = p_worker,
               claim_lease = l.lease,
               claimed_at = now(),
               attempts = p.attempts + 1,
               updated_at = now()
          FROM unnest(v_pages, v_page_sessions) AS x(id, sid)
          JOIN live l ON l.sid = x.sid
         WHERE p.id = x.id
        RETURNING p.id AS c_page, l.jid AS c_job, l.sid AS c_session, l.lease AS c_lease,
                  p.url AS c_url, p.attempts AS c_attempt,
                  -- a robots.txt is fetched with the extension's own
                  -- settings: its outcome is cached for every tenant's
                  -- crawls of that origin, so no session's may shape it
                  CASE WHEN p.kind <> 'robots' THEN l.request_timeout END AS c_request_timeout,
                  CASE WHEN p.kind <> 'robots' THEN l.connect_timeout END AS c_connect_timeout,
                  CASE WHEN p.kind <> 'robots' THEN l.user_agent END AS c_user_agent,
                  CASE WHEN p.kind <> 'robots' THEN l.max_connections END AS c_max_connections,
                  CASE WHEN p.kind = 'robots' THEN NULL
                       WHEN l.scraping_mode IN ('crawl', 'sitemap')
                       THEN @extschema@._scrape_host_delay_ms(l.scraping_mode, l.delay,
                                                              l.user_agent, p.url)
                       ELSE l.delay END AS c_delay,
                  p.kind AS c_kind,
                  -- a crawl's pages are parsed as they are fetched, for their
                  -- links; the others once, in the extracting stage
                  (l.scraping_mode = 'crawl' AND p.kind = 'page') AS c_follow
    ), page_events AS (
        INSERT INTO @extschema@.job_history (job_id, session_id, event, detail)
        SELECT c.c_job, c.c_session, 'page_claimed',
               jsonb_build_object('page_id', c.c_page, 'attempt', c.c_attempt,
                                  'worker', v_worker, 'token', p_worker::text)
          FROM claimed c
         WHERE v_history = 'page'
    ), batch_events AS (
        -- a row per session and claim rather than per page (page_history
        -- = batch): the pages themselves keep claimed_at and attempts
        INSERT INTO @extschema@.job_history (job_id, session_id, event, detail)
        SELECT c.c_job, c.c_session, 'pages_claimed',
               jsonb_build_object('pages', count(*), 'first_page_id', min(c.c_page),
                                  'last_page_id', max(c.c_page),
                                  'worker', v_worker, 'token', p_worker::text)
          FROM claimed c
         WHERE v_history = 'batch'
         GROUP BY c.c_job, c.c_session
    )
    SELECT c.c_page, c.c_job, c.c_session, c.c_lease, c.c_url, c.c_attempt,
           c.c_request_timeout, c.c_connect_timeout, c.c_user_agent,
           c.c_max_connections, c.c_delay, c.c_kind, c.c_follow
      FROM claimed c;

    -- a session whose last pages were skipped is finished here
    IF cardinality(v_skipped) > 0 THEN
        PERFORM @extschema@._scrape_finish_sessions(v_sessions);
    END IF;
END;
$$;

-- Hand back pages a worker claimed and never started: pending again as
-- they were, the claim's attempt given back.  A worker returns the pages
-- beyond what their host can start soon when its backlog is full and
-- other sessions may be waiting (src/worker.c, ReturnExcess).  Fenced like
-- a result: only pages still fetching for p_worker under the lease.  Pages
-- are locked in id order and nothing else is: it runs in a transaction of
-- its own.
CREATE OR REPLACE FUNCTION @extschema@._scrape_return_pages(p_worker bigint,
                                                           p_page_ids bigint[],
                                                           p_leases bigint[])
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_returned integer;
BEGIN
    PERFORM 1 FROM @extschema@.scraping_pages p
     WHERE p.id = ANY (p_page_ids) ORDER BY p.id FOR UPDATE;
    WITH returned AS (
        UPDATE @extschema@.scraping_pages p
           SET status = 'pending', attempts = p.attempts - 1,
               claimed_by = NULL, claim_lease = NULL, updated_at = now()
          FROM unnest(p_page_ids, p_leases) AS r(page_id, lease)
         WHERE p.id = r.page_id AND p.status = 'fetching'
           AND p.claimed_by = p_worker AND p.claim_lease = r.lease
        RETURNING p.id, p.session_id
    ), history AS (
        INSERT INTO @extschema@.job_history (job_id, session_id, event, detail)
        SELECT s.background_job_id, s.id, 'work_released',
               jsonb_build_object('pages', count(*), 'not_started', count(*),
                                  'failed', 0, 'reason', 'backlog full',
                                  'worker', @extschema@._scrape_worker_label(p_worker),
                                  'token', p_worker::text)
          FROM returned r JOIN @extschema@.scraping_sessions s ON s.id = r.session_id
         WHERE current_setting('scrape_jobs.page_history') <> 'off'
         GROUP BY s.id, s.background_job_id
    )
    SELECT count(*) INTO v_returned FROM returned;
    IF v_returned > 0 THEN
        -- another worker, with room, may take them
        PERFORM @extschema@._scrape_wake(true, false, false);
    END IF;
    RETURN v_returned;
END;
$$;

-- Delay before retry number p_attempt + 1 (README, "Retries"):
--   d = least(retry_max_delay, retry_base_delay * 2 ^ (attempt - 1))
--   delay = d/2 + random() * d/2          ("equal jitter": within [d/2, d])
-- A Retry-After the server sent (429, 503) replaces it, capped at
-- retry_max_delay.
CREATE OR REPLACE FUNCTION @extschema@._scrape_backoff(p_attempt integer,
                                            p_retry_after_ms integer DEFAULT NULL)
RETURNS interval
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_base interval := current_setting('scrape_jobs.retry_base_delay')::interval;
    v_max  interval := current_setting('scrape_jobs.retry_max_delay')::interval;
    v_d    interval;
BEGIN
    IF p_retry_after_ms IS NOT NULL AND p_retry_after_ms >= 0 THEN
        RETURN least(v_max, p_retry_after_ms * interval '1 ms');
    END IF;
    v_d := least(v_max, v_base * power(2, greatest(p_attempt, 1) - 1));
    RETURN v_d / 2 + random() * (v_d / 2);
END;
$$;

-- Move a job to the dead-letter queue: a snapshot of it and every error,
-- its unfinished pages parked as 'dead' (a requeue resumes them), the job
-- and session 'dead', an alert.  The caller holds the session and job locks.
CREATE OR REPLACE FUNCTION @extschema@._scrape_dead_letter(p_job_id bigint, p_reason text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    j @extschema@.background_jobs;
    s @extschema@.scraping_sessions;
BEGIN
    SELECT * INTO j FROM @extschema@.background_jobs WHERE id = p_job_id;
    SELECT * INTO s FROM @extschema@.scraping_sessions
     WHERE background_job_id = p_job_id;

    UPDATE @extschema@.scraping_pages p
       SET status = 'dead', claimed_by = NULL, claim_lease = NULL,
           not_before = NULL, updated_at = now()
     WHERE p.session_id = s.id AND p.status IN ('pending', 'fetching');

    INSERT INTO @extschema@.dead_letter_jobs
           (job_id, session_id, reason, attempts, snapshot, errors,
            first_attempt_at)
    VALUES (j.id, s.id, p_reason, j.attempts,
            jsonb_build_object('job', to_jsonb(j), 'session', to_jsonb(s)),
            coalesce((SELECT jsonb_agg(e ORDER BY e.created_at, e.id)
                        FROM (SELECT a.id, a.created_at, p.url, a.attempt,
                                     a.http_status, a.error_class, a.error,
                                     a.outcome
                                FROM @extschema@.scraping_page_attempts a
                                JOIN @extschema@.scraping_pages p ON p.id = a.page_id
                               WHERE a.session_id = s.id
                               ORDER BY a.id DESC LIMIT 1000) AS e),
                     '[]'),
            j.started_at);

    UPDATE @extschema@.background_jobs
       SET status = 'dead', lease = lease + 1, finished_at = now(),
           last_error = coalesce(p_reason, last_error), updated_at = now()
     WHERE id = j.id;
    UPDATE @extschema@.scraping_sessions
       SET status = 'dead', finished_at = now(), updated_at = now()
     WHERE id = s.id;
    PERFORM @extschema@._scrape_notify_progress(ARRAY[s.id], true);

    INSERT INTO @extschema@.job_history (job_id, session_id, event, detail)
    VALUES (j.id, s.id, 'dead_lettered',
            jsonb_build_object('reason', p_reason, 'attempts', j.attempts));
    PERFORM @extschema@._scrape_record_alert(
        'job_dead_lettered', j.id, s.id, NULL,
        format('job %s moved to the dead-letter queue: %s', j.id, p_reason),
        jsonb_build_object('source_url', s.source_url, 'reason', p_reason,
                           'job_runs', j.attempts));
    PERFORM @extschema@._scrape_wake(false, true, true);
END;
$$;

-- End a session and its job as completed or failed: stage done, progress
-- 100, the history.  The caller holds their row locks.
CREATE OR REPLACE FUNCTION @extschema@._scrape_end_job(
    p_session_id bigint, p_job_id bigint, p_status text, p_error text,
    p_pages_done integer, p_pages_failed integer)
RETURNS void
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO @extschema@.job_history (job_id, session_id, event, detail)
    SELECT p_job_id, p_session_id, 'stage_changed',
           jsonb_build_object('from', j.current_stage, 'to', 'done')
      FROM @extschema@.background_jobs j WHERE j.id = p_job_id;
    INSERT INTO @extschema@.job_history (job_id, session_id, event, detail)
    SELECT p_job_id, p_session_id, p_status,
           jsonb_strip_nulls(jsonb_build_object(
               'pages_done', p_pages_done, 'pages_failed', p_pages_failed,
               'products', CASE WHEN p_status = 'completed' THEN s.products_found END,
               'error', p_error))
      FROM @extschema@.scraping_sessions s WHERE s.id = p_session_id;
    UPDATE @extschema@.scraping_sessions
       SET status = p_status, progress_percentage = 100,
           finished_at = now(), updated_at = now()
     WHERE id = p_session_id;
    UPDATE @extschema@.background_jobs
       SET status = p_status, current_stage = 'done', progress = 100,
           finished_at = now(), last_error = coalesce(p_error, last_error),
           updated_at = now()
     WHERE id = p_job_id;
    SELECT @extschema@._scrape_notify_progress(ARRAY[p_session_id], true);
$$;

-- Finish the scraping of the sessions (of p_sessions, whose row locks the
-- caller holds) that have no page left pending or in flight.  A session
-- with at least one page done goes on to its extracting stage.  One whose
-- every page failed fails at once if the failures cannot succeed; if they
-- were retryable (their attempts spent), the job goes to the dead-letter
-- queue at once: a page's max_attempts is its budget in all, and the job's
-- own attempts count its runs for job-level failures only (its worker lost,
-- recovered as stuck).
CREATE OR REPLACE FUNCTION @extschema@._scrape_finish_sessions(p_sessions bigint[])
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r        record;
    v_n      integer := 0;
    v_error  text;
BEGIN
    FOR r IN
        SELECT s.id AS session_id, s.pages_done, s.pages_failed, s.pages_known,
               EXISTS (SELECT 1 FROM @extschema@.scraping_pages d
                        WHERE d.session_id = s.id AND d.kind = 'sitemap'
                          AND d.status = 'failed') AS doc_failed,
               j.id AS job_id, j.attempts, j.max_attempts,
               EXISTS (SELECT 1 FROM @extschema@.scraping_page_attempts a
                        WHERE a.session_id = s.id AND a.outcome = 'failed'
                          AND a.retryable) AS retryable
          FROM @extschema@.scraping_sessions s
          JOIN @extschema@.background_jobs j ON j.id = s.background_job_id
         WHERE s.id = ANY (p_sessions)
           AND s.status = 'running' AND j.status = 'processing'
           AND NOT EXISTS (SELECT 1 FROM @extschema@.scraping_pages p
                            WHERE p.session_id = s.id
                              AND p.status IN ('pending', 'fetching'))
         ORDER BY s.id
    LOOP
        v_n := v_n + 1;
        SELECT CASE WHEN r.pages_known = 0
                    THEN format('no page found; last error: %s',
                                coalesce(p.error, p.error_class))
                    ELSE format('all %s pages failed; last error: %s', r.pages_failed,
                                coalesce(p.error, p.error_class)) END
          INTO v_error
          FROM @extschema@.scraping_pages p
         WHERE p.session_id = r.session_id AND p.status = 'failed'
         ORDER BY p.fetched_at DESC NULLS LAST, p.id DESC LIMIT 1;

        -- a sitemap session that found no page because its sitemaps
        -- failed has failed too
        IF r.pages_done > 0
           OR (r.pages_failed = 0 AND NOT (r.pages_known = 0 AND r.doc_failed)) THEN
            -- scraped: the job goes on to its extracting stage
            PERFORM @extschema@._scrape_enter_stage(r.session_id, r.job_id,
                                                    'extracting');
            -- (its pages may all be extracted already: then it ends here)
            PERFORM @extschema@._scrape_finish_stages(r.session_id, r.job_id);
            CONTINUE;
        ELSIF NOT r.retryable THEN
            PERFORM @extschema@._scrape_end_job(r.session_id, r.job_id, 'failed',
                                                v_error, r.pages_done, r.pages_failed);
        ELSE
            -- Retryable failures that spent their attempts: max_attempts is
            -- a page's budget across every layer, so the job is not run
            -- again for them (0.1.1 gave them a fresh set per job run, 3 x 3
            -- requests); scrape_requeue_dead grants new ones.
            UPDATE @extschema@.background_jobs SET last_error = v_error
             WHERE id = r.job_id;
            PERFORM @extschema@._scrape_dead_letter(r.job_id, v_error);
        END IF;
        PERFORM @extschema@._scrape_wake(false, false, true);
    END LOOP;
    RETURN v_n;
END;
$$;

-- Write a batch of fetch results.  A result is accepted only if the page is
-- still in flight for this worker under the same lease (fencing).  Each
-- accepted result ends as one of:
--   done      2xx;
--   retry     a retryable failure with attempts left: back to pending after
--             a backoff (the attempt is logged);
--   failed    anything else (the attempt is logged);
--   deferred  never fetched (its host's circuit is open): back to pending
--             after p_defer_ms, the attempt not counted.
-- Updates the sessions' counters and progress and finishes the sessions
-- with no page left to fetch.  Returns the number of results accepted.
CREATE OR REPLACE FUNCTION @extschema@._scrape_record_results(
    p_worker bigint, p_page_ids bigint[], p_leases bigint[], p_ok boolean[],
    p_http_status integer[], p_content_type text[], p_final_url text[],
    p_body text[], p_body_size bigint[], p_fetch_ms double precision[],
    p_error_class text[], p_error text[], p_retryable boolean[],
    p_retry_after_ms integer[], p_defer_ms integer[], p_title text[],
    p_description text[], p_canonical text[], p_lang text[], p_links text[])
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_max      integer := current_setting('scrape_jobs.max_attempts')::integer;
    v_accepted integer;
    v_sessions bigint[];
    v_retries  bigint;
    v_deferrals bigint;
    v_discover boolean;
    v_history  text := current_setting('scrape_jobs.page_history');
BEGIN
    -- Pages (ascending), then sessions, then jobs: the global lock order.
    PERFORM 1 FROM @extschema@.scraping_pages p
     WHERE p.id = ANY (p_page_ids) ORDER BY p.id FOR UPDATE;

    WITH r AS (
        SELECT *
          FROM unnest(p_page_ids, p_leases, p_ok, p_http_status,
                      p_content_type, p_final_url, p_body, p_body_size,
                      p_fetch_ms, p_error_class, p_error, p_retryable,
                      p_retry_after_ms, p_defer_ms, p_title, p_description,
                      p_canonical, p_lang, p_links)
               AS r(page_id, lease, ok, http_status, content_type, final_url,
                    body, body_size, fetch_ms, error_class, error, retryable,
                    retry_after_ms, defer_ms, title, description, canonical,
                    lang, links)
    ), b AS (
        -- the accepted results and what each becomes
        SELECT r.*, p.session_id, s.background_job_id AS job_id,
               p.attempts AS attempt, p.kind, p.depth, p.url AS page_url,
               s.scraping_mode,
               CASE WHEN r.defer_ms IS NOT NULL THEN 'deferred'
                    WHEN r.ok THEN 'done'
                    -- a robots.txt answered 4xx was fetched: it means no
                    -- rules (RFC 9309 2.3.1.3), not a failure
                    WHEN p.kind = 'robots' AND r.http_status BETWEEN 400 AND 499 THEN 'done'
                    WHEN r.retryable
                         AND p.attempts < CASE WHEN p.kind = 'robots' THEN v_max
                                               ELSE coalesce((s.options ->> 'max_attempts')::integer,
                                                             v_max) END THEN 'retry'
                    ELSE 'failed' END AS outcome
          FROM r
          -- by primary key only (OFFSET 0 keeps the subquery apart): offered
          -- claimed_by, the planner scanned the worker's whole index per row
          CROSS JOIN LATERAL (SELECT q.* FROM @extschema@.scraping_pages q
                               WHERE q.id = r.page_id OFFSET 0) AS p
          JOIN @extschema@.scraping_sessions s ON s.id = p.session_id
         WHERE p.status = 'fetching'
           AND p.claimed_by = p_worker
           AND p.claim_lease = r.lease
    ), bd AS (
        SELECT b.*,
               CASE b.outcome
                   WHEN 'deferred' THEN b.defer_ms * interval '1 ms'
                   WHEN 'retry' THEN @extschema@._scrape_backoff(b.attempt,
                                                                 b.retry_after_ms)
               END AS delay
          FROM b
    ), upd AS (
        -- final results carry the response; a retry keeps the last error;
        -- a deferral gives the attempt back
        UPDATE @extschema@.scraping_pages p
           SET status = CASE WHEN bd.outcome IN ('done', 'failed')
                             THEN bd.outcome ELSE 'pending' END,
               attempts = CASE WHEN bd.outcome = 'deferred'
                               THEN p.attempts - 1 ELSE p.attempts END,
               not_before = now() + bd.delay,
               waiting_for = CASE bd.outcome WHEN 'retry' THEN 'retry'
                                             WHEN 'deferred' THEN 'circuit' END,
               http_status = CASE WHEN bd.outcome = 'deferred'
                                  THEN p.http_status ELSE bd.http_status END,
               content_type = CASE WHEN bd.outcome IN ('done', 'failed')
                                   THEN bd.content_type ELSE p.content_type END,
               final_url = CASE WHEN bd.outcome IN ('done', 'failed')
                                THEN bd.final_url ELSE p.final_url END,
               body = CASE WHEN bd.outcome IN ('done', 'failed') THEN bd.body END,
               title = CASE WHEN bd.outcome = 'done' THEN bd.title END,
               description = CASE WHEN bd.outcome = 'done' THEN bd.description END,
               canonical_url = CASE WHEN bd.outcome = 'done' THEN bd.canonical END,
               lang = CASE WHEN bd.outcome = 'done' THEN bd.lang END,
               links = CASE WHEN bd.outcome = 'done' THEN bd.links::jsonb END,
               structured = NULL,     -- the extracting stage's
               extracted_at = NULL,
               body_size = CASE WHEN bd.outcome IN ('done', 'failed')
                                THEN bd.body_size ELSE p.body_size END,
               fetch_ms = CASE WHEN bd.outcome = 'deferred'
                               THEN p.fetch_ms ELSE bd.fetch_ms END,
               error_class = CASE WHEN bd.outcome = 'deferred' THEN p.error_class
                                  WHEN bd.outcome = 'done' THEN NULL
                                  ELSE bd.error_class END,
               error = CASE WHEN bd.outcome = 'deferred' THEN p.error
                            WHEN bd.outcome = 'done' THEN NULL
                            ELSE bd.error END,
               claimed_by = NULL,
               claim_lease = NULL,
               fetched_at = CASE WHEN bd.outcome = 'deferred'
                                 THEN p.fetched_at ELSE now() END,
               updated_at = now()
          FROM bd
         WHERE p.id = bd.page_id
    ), logged AS (
        INSERT INTO @extschema@.scraping_page_attempts
               (page_id, session_id, attempt, http_status, error_class, error,
                retryable, outcome)
        SELECT bd.page_id, bd.session_id, bd.attempt, bd.http_status,
               coalesce(bd.error_class, 'other'), bd.error,
               coalesce(bd.retryable, false), bd.outcome
          FROM bd WHERE bd.outcome IN ('retry', 'failed')
    ), page_events AS (
        INSERT INTO @extschema@.job_history (job_id, session_id, event, detail)
        SELECT bd.job_id, bd.session_id, 'page_' || bd.outcome,
               jsonb_strip_nulls(jsonb_build_object(
                   'page_id', bd.page_id, 'attempt', bd.attempt,
                   'http_status', bd.http_status, 'error_class', bd.error_class,
                   'fetch_ms', round(bd.fetch_ms::numeric, 1)))
          FROM bd
         WHERE CASE v_history
                   WHEN 'page' THEN bd.outcome IN ('done', 'failed', 'deferred')
                   -- the exceptions stay itemised; the pages done are counted
                   WHEN 'batch' THEN bd.outcome IN ('failed', 'deferred')
                   ELSE false END
    ), batch_events AS (
        INSERT INTO @extschema@.job_history (job_id, session_id, event, detail)
        SELECT bd.job_id, bd.session_id, 'pages_done',
               jsonb_build_object('pages', count(*), 'first_page_id', min(bd.page_id),
                                  'last_page_id', max(bd.page_id),
                                  'fetch_ms_avg', round(avg(bd.fetch_ms)::numeric, 1))
          FROM bd
         WHERE bd.outcome = 'done' AND v_history = 'batch'
         GROUP BY bd.job_id, bd.session_id
    ), retries AS (
        INSERT INTO @extschema@.job_history (job_id, session_id, event, detail)
        SELECT bd.job_id, bd.session_id, 'retry_scheduled',
               jsonb_build_object('page_id', bd.page_id,
                                  'attempt', bd.attempt + 1,
                                  'delay_ms', round(extract(epoch FROM bd.delay) * 1000),
                                  'error_class', bd.error_class)
          FROM bd WHERE bd.outcome = 'retry'
    ), robots AS (
        -- a crawl's robots.txt: cached for every crawl of that origin, as
        -- one of RFC 9309's outcomes (2.3.1): a response (2xx: its rules,
        -- the fetcher keeps the first 500 KiB; 4xx: none), for 24 hours;
        -- unreachable (a 5xx, or no complete response: a timeout, a reset,
        -- a status kept from a transfer that failed later), stored as 0 or
        -- the 5xx with no body, for 5 minutes
        INSERT INTO @extschema@.robots_cache AS rc
               (origin, http_status, body, fetched_at, expires_at)
        SELECT DISTINCT ON (o.origin) o.origin, u.status,
               CASE WHEN u.status BETWEEN 200 AND 299 THEN coalesce(bd.body, '') END,
               now(),
               now() + CASE WHEN u.status BETWEEN 200 AND 499
                            THEN interval '24 hours' ELSE interval '5 minutes' END
          FROM bd,
               LATERAL (SELECT @extschema@._scrape_origin(bd.page_url) AS origin) o,
               LATERAL (SELECT CASE WHEN bd.outcome = 'done' THEN bd.http_status
                                    WHEN bd.http_status BETWEEN 500 AND 599 THEN bd.http_status
                                    ELSE 0 END AS status) u
         WHERE bd.kind = 'robots' AND bd.outcome IN ('done', 'failed')
        ON CONFLICT (origin) DO UPDATE
           SET http_status = excluded.http_status, body = excluded.body,
               fetched_at = excluded.fetched_at, expires_at = excluded.expires_at
    ), per_session AS (
        SELECT bd.session_id,
               count(*) FILTER (WHERE bd.outcome = 'done' AND bd.kind = 'page') AS done,
               count(*) FILTER (WHERE bd.outcome = 'failed' AND bd.kind = 'page') AS failed
          FROM bd GROUP BY bd.session_id
    ), locked AS (
        -- sessions after pages, in id order
        SELECT s.id
          FROM @extschema@.scraping_sessions s
         WHERE s.id IN (SELECT ps.session_id FROM per_session ps)
         ORDER BY s.id
           FOR UPDATE
    ), counted AS (
        UPDATE @extschema@.scraping_sessions s
           SET pages_done = s.pages_done + ps.done,
               pages_failed = s.pages_failed + ps.failed,
               progress_percentage = @extschema@._scrape_progress(
                   s.pages_done + ps.done + s.pages_failed + ps.failed + s.pages_skipped,
                   s.pages_known),
               updated_at = now()
          FROM per_session ps, locked
         WHERE s.id = ps.session_id AND locked.id = s.id
        RETURNING s.id
    )
    SELECT (SELECT count(*) FROM bd),
           (SELECT array_agg(c.id ORDER BY c.id) FROM counted c),
           (SELECT count(*) FROM bd WHERE bd.outcome = 'retry'),
           (SELECT count(*) FROM bd WHERE bd.outcome = 'deferred'),
           (SELECT coalesce(bool_or(bd.scraping_mode IN ('crawl', 'sitemap')), false)
              FROM bd WHERE bd.outcome = 'done')
      INTO v_accepted, v_sessions, v_retries, v_deferrals, v_discover;
    IF v_retries > 0 THEN
        PERFORM @extschema@._scrape_count('retries', v_retries);
    END IF;
    IF v_deferrals > 0 THEN
        PERFORM @extschema@._scrape_count('deferrals', v_deferrals);
    END IF;

    IF v_sessions IS NOT NULL THEN
        -- A crawl grows by the links of the pages just stored.
        IF v_discover THEN
            PERFORM @extschema@._scrape_discover(p_page_ids);
        END IF;

        -- Mirror progress on the jobs (ascending ids) and keep them alive.
        PERFORM 1 FROM @extschema@.background_jobs j
         WHERE j.id IN (SELECT s.background_job_id
                          FROM @extschema@.scraping_sessions s
                         WHERE s.id = ANY (v_sessions))
         ORDER BY j.id FOR UPDATE;
        UPDATE @extschema@.background_jobs j
           SET progress = s.progress_percentage,
               last_heartbeat = now(),
               updated_at = now()
          FROM @extschema@.scraping_sessions s
         WHERE s.id = ANY (v_sessions) AND j.id = s.background_job_id
           AND j.status = 'processing';
        PERFORM @extschema@._scrape_notify_progress(v_sessions, false);

        -- We hold the sessions' row locks, and every writer of their pages'
        -- final states takes them too, so the fresh snapshots of the next
        -- statements see all other finished pages.
        PERFORM @extschema@._scrape_finish_sessions(v_sessions);
    END IF;
    RETURN v_accepted;
END;
$$;

-- Heartbeat the jobs a worker holds.  Returns the ids of those it no longer
-- owns (cancelled, finished or recovered: lease changed); the worker drops
-- their transfers.  A job row another transaction has locked is skipped,
-- not waited for: that is another live worker's result write or claim for
-- the same job (which keeps it alive), or a cancel or recovery that the
-- next heartbeat will see.  Waiting for it could deadlock, since this runs
-- after the worker's own result write locked its jobs (0.1.1 did).  Whether
-- a job is still ours is read from its last committed version.
CREATE OR REPLACE FUNCTION @extschema@._scrape_heartbeat(p_jobs bigint[],
                                              p_leases bigint[])
RETURNS SETOF bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN QUERY
    WITH want AS (
        SELECT * FROM unnest(p_jobs, p_leases) AS w(job_id, lease)
    ), ours AS (
        SELECT j.id
          FROM @extschema@.background_jobs j
          JOIN want w ON w.job_id = j.id AND w.lease = j.lease
         WHERE j.status = 'processing'
    ), locked AS (
        SELECT j.id
          FROM @extschema@.background_jobs j
          JOIN want w ON w.job_id = j.id AND w.lease = j.lease
         WHERE j.status = 'processing'
         ORDER BY j.id
           FOR UPDATE OF j SKIP LOCKED
    ), beat AS (
        UPDATE @extschema@.background_jobs j
           SET last_heartbeat = now()
          FROM locked
         WHERE j.id = locked.id
        RETURNING j.id
    )
    -- (beat runs to completion though nothing reads it: a data-modifying
    -- WITH always does)
    SELECT w.job_id FROM want w
     WHERE w.job_id NOT IN (SELECT ours.id FROM ours);
END;
$$;

-- The requests the worker of p_token started (page and attempt), from its
-- journal (src/journal.c: a file each worker appends to before its
-- requests start); both NULL when it has none, and then every page it
-- held counts as started.
CREATE OR REPLACE FUNCTION @extschema@._scrape_started_pages(p_token bigint,
                                                  OUT page_ids bigint[],
                                                  OUT attempts integer[])
RETURNS record
AS 'MODULE_PATHNAME', 'scrape_started_pages'
LANGUAGE C VOLATILE STRICT
SET search_path = pg_catalog, pg_temp;

-- Which of p_pages (fetching pages, which the caller has locked) had their
-- request started: those the journal of the worker holding them lists at
-- their current attempt, or every page of a worker without a journal.  The
-- others were still in that worker's backlog.  Used by
-- _scrape_release_orphans and _scrape_recover_job.
CREATE OR REPLACE FUNCTION @extschema@._scrape_pages_started(p_pages bigint[])
RETURNS TABLE (page_id bigint, started boolean)
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH held AS MATERIALIZED (
        SELECT q.id, q.claimed_by, q.attempts
          FROM @extschema@.scraping_pages q
         WHERE q.id = ANY (p_pages) AND q.status = 'fetching'
    ), journal AS MATERIALIZED (
        SELECT t.token, jr.page_ids IS NOT NULL AS journaled, jr.page_ids, jr.attempts
          FROM (SELECT DISTINCT h.claimed_by AS token FROM held h
                 WHERE h.claimed_by IS NOT NULL) AS t,
               LATERAL @extschema@._scrape_started_pages(t.token) AS jr
    ), entries AS (
        SELECT DISTINCT j.token, u.page_id, u.attempt
          FROM journal j, unnest(j.page_ids, j.attempts) AS u(page_id, attempt)
    )
    SELECT h.id, coalesce(NOT j.journaled, true) OR e.page_id IS NOT NULL
      FROM held h
      LEFT JOIN journal j ON j.token = h.claimed_by
      LEFT JOIN entries e
             ON e.token = h.claimed_by AND e.page_id = h.id AND e.attempt = h.attempts
$$;

-- Hand back to the queue the pages held by workers that no longer exist
-- (p_live lists the tokens of the live ones).  Called by the launcher at
-- start-up and whenever a worker exits.  A page whose request had started
-- (the worker's journal lists it: _scrape_pages_started) pays the attempt
-- its claim charged: the server may have seen it, and a page that
-- keeps killing workers is failed with class worker_lost once its attempts
-- are spent.  A page still in the worker's backlog goes back as it was,
-- its attempt given back.  The job goes on.
CREATE OR REPLACE FUNCTION @extschema@._scrape_release_orphans(p_live bigint[])
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_max      integer := current_setting('scrape_jobs.max_attempts')::integer;
    v_released integer;
    v_sessions bigint[];
    v_held     bigint[];
BEGIN
    SELECT array_agg(q.id ORDER BY q.id) INTO v_held
      FROM (SELECT p.id FROM @extschema@.scraping_pages p
             WHERE p.status = 'fetching'
               AND NOT (p.claimed_by = ANY (coalesce(p_live, '{}')))
             ORDER BY p.id
               FOR UPDATE OF p) AS q;
    IF v_held IS NULL THEN
        RETURN 0;
    END IF;

    WITH orphan AS MATERIALIZED (
        SELECT p.id, p.session_id, p.attempts, p.kind, st.started,
               st.started
               AND p.attempts >= CASE WHEN p.kind = 'robots' THEN v_max
                                      ELSE coalesce((s.options ->> 'max_attempts')::integer,
                                                    v_max) END AS spent
          FROM @extschema@._scrape_pages_started(v_held) st
          JOIN @extschema@.scraping_pages p ON p.id = st.page_id
          JOIN @extschema@.scraping_sessions s ON s.id = p.session_id
    ), released AS (
        UPDATE @extschema@.scraping_pages p
           SET status = CASE WHEN o.spent THEN 'failed' ELSE 'pending' END,
               attempts = CASE WHEN o.started THEN p.attempts
                               ELSE p.attempts - 1 END,
               error_class = CASE WHEN o.started THEN 'worker_lost'
                                  ELSE p.error_class END,
               error = CASE WHEN o.started THEN 'the worker fetching the page exited'
                            ELSE p.error END,
               fetched_at = CASE WHEN o.spent THEN now() ELSE p.fetched_at END,
               claimed_by = NULL, claim_lease = NULL, updated_at = now()
          FROM orphan o
         WHERE p.id = o.id
        RETURNING p.id, p.session_id, o.attempts, o.started, o.spent, o.kind
    ), logged AS (
        INSERT INTO @extschema@.scraping_page_attempts
               (page_id, session_id, attempt, error_class, error, retryable,
                outcome)
        SELECT r.id, r.session_id, r.attempts, 'worker_lost',
               'the worker fetching the page exited', true,
               CASE WHEN r.spent THEN 'failed' ELSE 'released' END
          FROM released r
         WHERE r.started
    ), per_session AS (
        SELECT r.session_id, count(*) AS pages,
               count(*) FILTER (WHERE NOT r.started) AS unstarted,
               count(*) FILTER (WHERE r.spent AND r.kind = 'page') AS failed
          FROM released r GROUP BY r.session_id
    ), locked AS (
        SELECT s.id FROM @extschema@.scraping_sessions s
         WHERE s.id IN (SELECT ps.session_id FROM per_session ps)
         ORDER BY s.id FOR UPDATE
    ), counted AS (
        UPDATE @extschema@.scraping_sessions s
           SET pages_failed = s.pages_failed + ps.failed, updated_at = now()
          FROM per_session ps, locked
         WHERE s.id = ps.session_id AND locked.id = s.id
        RETURNING s.id, s.background_job_id, ps.pages, ps.unstarted, ps.failed
    ), history AS (
        INSERT INTO @extschema@.job_history (job_id, session_id, event, detail)
        SELECT c.background_job_id, c.id, 'work_released',
               jsonb_build_object('pages', c.pages, 'not_started', c.unstarted,
                                  'failed', c.failed, 'reason', 'worker exited')
          FROM counted c
    )
    SELECT coalesce(sum(c.pages), 0), array_agg(c.id ORDER BY c.id)
      INTO v_released, v_sessions
      FROM counted c;

    IF v_released > 0 THEN
        PERFORM @extschema@._scrape_finish_sessions(v_sessions);
        PERFORM @extschema@._scrape_wake(true, false, false);
    END IF;
    RETURN v_released;
END;
$$;

-- The earliest time a pending page becomes due, for the workers' timers.
CREATE OR REPLACE FUNCTION @extschema@._scrape_next_due()
RETURNS timestamptz
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    -- in the order of scraping_pages_due_idx, so that one entry is read
    SELECT p.not_before FROM @extschema@.scraping_pages p
     WHERE p.status = 'pending' AND p.not_before IS NOT NULL
     ORDER BY p.not_before LIMIT 1;
$$;

-- ======== install/stages.sql ========

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

-- ======== install/products.sql ========

/*
 * install/products.sql
 *
 * The creating_products stage: schema.org Products from JSON-LD, microdata,
 * OpenGraph and a session's rules, merged into products (README, "Products").
 */

-- The first scalar a JSON-LD value holds, as text: a string or number; of
-- an array its first element; of an object its @value or name.
CREATE OR REPLACE FUNCTION @extschema@._scrape_jtext(v jsonb)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN CASE jsonb_typeof(v)
           WHEN 'string' THEN nullif(btrim(v #>> '{}'), '')
           WHEN 'number' THEN v #>> '{}'
           WHEN 'array' THEN @extschema@._scrape_jtext(v -> 0)
           WHEN 'object' THEN coalesce(@extschema@._scrape_jtext(v -> '@value'),
                                       @extschema@._scrape_jtext(v -> 'name'))
           END;
END;
$$;

-- A URL a JSON-LD value holds: a string, an array's first, an object's
-- url, contentUrl or @id (ImageObject).
CREATE OR REPLACE FUNCTION @extschema@._scrape_jurl(v jsonb)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN CASE jsonb_typeof(v)
           WHEN 'string' THEN nullif(btrim(v #>> '{}'), '')
           WHEN 'array' THEN @extschema@._scrape_jurl(v -> 0)
           WHEN 'object' THEN coalesce(@extschema@._scrape_jurl(v -> 'url'),
                                       @extschema@._scrape_jurl(v -> 'contentUrl'),
                                       @extschema@._scrape_jurl(v -> '@id'))
           END;
END;
$$;

-- A decimal number written plainly ("4.5", "12"), else NULL.
CREATE OR REPLACE FUNCTION @extschema@._scrape_number(v text)
RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN btrim(v) ~ '^[0-9]{1,15}([.,][0-9]{1,10})?$'
                THEN replace(btrim(v), ',', '.')::numeric END;
$$;

-- The product columns one source gives, as a jsonb object without nulls.
-- price_text and currency are parsed and checked here for every source.
CREATE OR REPLACE FUNCTION @extschema@._scrape_product_columns(
    p_name text, p_description text, p_sku text, p_gtin text, p_mpn text,
    p_brand text, p_price text, p_high_price text, p_currency text,
    p_availability text, p_image text, p_rating text, p_review_count text)
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'name', left(p_name, 1000),
        'description', left(p_description, 10000),
        'sku', left(p_sku, 200),
        'gtin', CASE WHEN p_gtin ~ '^[0-9]{8,14}$' THEN p_gtin END,
        'mpn', left(p_mpn, 200),
        'brand', left(p_brand, 200),
        'price', price.amount,
        'high_price', high.amount,
        -- a currency the source names beats one guessed from a symbol
        'currency', coalesce(CASE WHEN upper(btrim(p_currency)) ~ '^[A-Z]{3}$'
                                  THEN upper(btrim(p_currency)) END,
                             nullif(price.currency, '')),
        'availability', @extschema@.scrape_normalize_availability(p_availability),
        'image_url', CASE WHEN p_image ~* '^https?://' THEN left(p_image, 2000) END,
        'rating', @extschema@._scrape_number(p_rating),
        'review_count', CASE WHEN btrim(p_review_count) ~ '^[0-9]{1,9}$'
                             THEN btrim(p_review_count)::integer END))
      FROM @extschema@.scrape_parse_price(p_price) AS price,
           @extschema@.scrape_parse_price(p_high_price) AS high;
$$;

-- The columns of a schema.org Product (JSON-LD, or a microdata item in
-- JSON-LD's shape) and of its first Offer / AggregateOffer with a price.
CREATE OR REPLACE FUNCTION @extschema@._scrape_product_from_item(p jsonb)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    o jsonb;
BEGIN
    IF p IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT x INTO o
      FROM jsonb_array_elements(CASE jsonb_typeof(p -> 'offers')
                                WHEN 'array' THEN p -> 'offers'
                                WHEN 'object' THEN jsonb_build_array(p -> 'offers')
                                ELSE '[]' END) WITH ORDINALITY AS t(x, n)
     ORDER BY (x ? 'price' OR x ? 'lowPrice' OR x -> 'priceSpecification' ? 'price') DESC, n
     LIMIT 1;
    RETURN @extschema@._scrape_product_columns(
        @extschema@._scrape_jtext(p -> 'name'),
        @extschema@._scrape_jtext(p -> 'description'),
        @extschema@._scrape_jtext(p -> 'sku'),
        coalesce(@extschema@._scrape_jtext(p -> 'gtin13'), @extschema@._scrape_jtext(p -> 'gtin'),
                 @extschema@._scrape_jtext(p -> 'gtin12'), @extschema@._scrape_jtext(p -> 'gtin14'),
                 @extschema@._scrape_jtext(p -> 'gtin8')),
        @extschema@._scrape_jtext(p -> 'mpn'),
        @extschema@._scrape_jtext(p -> 'brand'),
        coalesce(@extschema@._scrape_jtext(o -> 'price'),
                 @extschema@._scrape_jtext(o -> 'lowPrice'),
                 @extschema@._scrape_jtext(o -> 'priceSpecification' -> 'price')),
        @extschema@._scrape_jtext(o -> 'highPrice'),
        coalesce(@extschema@._scrape_jtext(o -> 'priceCurrency'),
                 @extschema@._scrape_jtext(o -> 'priceSpecification' -> 'priceCurrency')),
        coalesce(@extschema@._scrape_jurl(o -> 'availability'),
                 @extschema@._scrape_jtext(o -> 'availability')),
        @extschema@._scrape_jurl(p -> 'image'),
        @extschema@._scrape_jtext(p -> 'aggregateRating' -> 'ratingValue'),
        coalesce(@extschema@._scrape_jtext(p -> 'aggregateRating' -> 'reviewCount'),
                 @extschema@._scrape_jtext(p -> 'aggregateRating' -> 'ratingCount')));
END;
$$;

-- The first schema.org Product in a list of JSON-LD blocks or microdata
-- items, in document order, at any depth (@graph, ItemPage.mainEntity...).
CREATE OR REPLACE FUNCTION @extschema@._scrape_first_product(p_items jsonb)
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_path_query_first(p_items,
        'lax $.** ? (@."@type" like_regex "(^|[/:#])(Product|ProductGroup|ProductModel|IndividualProduct|SomeProducts)$")');
$$;

-- The product a page describes, merged from its sources, or NULL when no
-- source says it is a product.  Per column, the first source that has it
-- wins, in this order (README, "Products"):
--   1. the session's XPath rules (options.extract) named like a column
--   2. JSON-LD: the first Product
--   3. microdata: the first Product item
--   4. OpenGraph: og:* and product:* properties
--   5. the page's own title and meta description
-- A page is a product if it has a JSON-LD or microdata Product, og:type
-- "product", an OpenGraph product:price:amount, or a rule giving a price or
-- a sku.
CREATE OR REPLACE FUNCTION @extschema@._scrape_product(p_doc jsonb, p_title text,
                                            p_description text)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_ld    jsonb := @extschema@._scrape_first_product(p_doc -> 'json_ld');
    v_md    jsonb := @extschema@._scrape_first_product(p_doc -> 'microdata');
    v_og    jsonb := coalesce(p_doc -> 'opengraph', '{}');
    v_rules jsonb := coalesce(p_doc -> 'rules', '{}');
    v_r     jsonb;
    v_o     jsonb;
BEGIN
    IF jsonb_typeof(v_rules) <> 'object' THEN
        v_rules := '{}';
    END IF;
    v_r := @extschema@._scrape_product_columns(
        @extschema@._scrape_jtext(v_rules -> 'name'),
        @extschema@._scrape_jtext(v_rules -> 'description'),
        @extschema@._scrape_jtext(v_rules -> 'sku'),
        @extschema@._scrape_jtext(v_rules -> 'gtin'),
        @extschema@._scrape_jtext(v_rules -> 'mpn'),
        @extschema@._scrape_jtext(v_rules -> 'brand'),
        @extschema@._scrape_jtext(v_rules -> 'price'),
        @extschema@._scrape_jtext(v_rules -> 'high_price'),
        @extschema@._scrape_jtext(v_rules -> 'currency'),
        @extschema@._scrape_jtext(v_rules -> 'availability'),
        @extschema@._scrape_jtext(v_rules -> 'image_url'),
        @extschema@._scrape_jtext(v_rules -> 'rating'),
        @extschema@._scrape_jtext(v_rules -> 'review_count'));
    v_o := @extschema@._scrape_product_columns(
        v_og ->> 'og:title', v_og ->> 'og:description',
        v_og ->> 'product:retailer_item_id',
        coalesce(v_og ->> 'product:ean', v_og ->> 'product:upc', v_og ->> 'product:gtin'),
        v_og ->> 'product:mfr_part_no', v_og ->> 'product:brand',
        coalesce(v_og ->> 'product:price:amount', v_og ->> 'og:price:amount'),
        NULL,
        coalesce(v_og ->> 'product:price:currency', v_og ->> 'og:price:currency'),
        coalesce(v_og ->> 'product:availability', v_og ->> 'og:availability'),
        coalesce(v_og ->> 'og:image', v_og ->> 'og:image:url', v_og ->> 'og:image:secure_url'),
        NULL, NULL);

    IF v_ld IS NULL AND v_md IS NULL
       AND lower(coalesce(v_og ->> 'og:type', '')) NOT IN ('product', 'og:product', 'product.item')
       AND NOT v_o ? 'price' AND NOT v_r ? 'price' AND NOT v_r ? 'sku' THEN
        RETURN NULL;
    END IF;

    RETURN jsonb_build_object(
        'columns',
        jsonb_strip_nulls(jsonb_build_object('name', left(btrim(p_title), 1000),
                                             'description', left(btrim(p_description), 10000)))
        || v_o
        || coalesce(@extschema@._scrape_product_from_item(v_md), '{}')
        || coalesce(@extschema@._scrape_product_from_item(v_ld), '{}')
        || v_r,
        'raw',
        jsonb_strip_nulls(jsonb_build_object(
            'json_ld', v_ld, 'microdata', v_md,
            'opengraph', nullif(v_og, '{}'), 'rules', nullif(v_rules, '{}'))));
END;
$$;

-- The URL a product is known by: the page's canonical URL if it stays on
-- the page's host (a page cannot claim another site's product), else the
-- URL it was fetched from.
CREATE OR REPLACE FUNCTION @extschema@._scrape_product_url(p_canonical text, p_final_url text,
                                                p_url text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN p_canonical IS NOT NULL
                 AND @extschema@._scrape_host(p_canonical)
                     = @extschema@._scrape_host(coalesce(p_final_url, p_url))
                THEN p_canonical ELSE coalesce(p_final_url, p_url) END;
$$;

-- The products of a batch of extracted pages (p_ids, of session
-- p_session_id): one INSERT ... ON CONFLICT for the batch, the latest page
-- winning when two share a key, in the batch and across batches (batches
-- of one session commit in any order now that every worker takes them: a
-- page of a higher id replaces a product, one of a lower id does not).
-- Returns the number of products written.
CREATE OR REPLACE FUNCTION @extschema@._scrape_write_products(p_session_id bigint,
                                                  p_ids bigint[])
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_workspace uuid;
    v_found     integer;
BEGIN
    SELECT workspace_id INTO v_workspace FROM @extschema@.scraping_sessions
     WHERE id = p_session_id;
    -- (MATERIALIZED: inlined, the merge ran once for each of the three
    -- references to prod below)
    WITH found AS MATERIALIZED (
        SELECT p.id AS page_id,
               @extschema@._scrape_product_url(p.canonical_url, p.final_url, p.url) AS url,
               @extschema@._scrape_product(p.structured, p.title, p.description) AS prod
          FROM @extschema@.scraping_pages p
         WHERE p.id = ANY (p_ids) AND p.session_id = p_session_id
           AND p.status = 'done' AND p.kind = 'page' AND p.structured IS NOT NULL
    ), keyed AS (
        SELECT DISTINCT ON (key) f.*, f.prod -> 'columns' AS c, key
          FROM found f,
               LATERAL (SELECT coalesce('sku:' || (f.prod -> 'columns' ->> 'sku'),
                                        'url:' || f.url) AS key) k
         -- (a key must fit the unique index: a SKU is cut to 200
         -- characters, a URL is at most 2048 bytes as src/urlcore.h stores
         -- them, and a longer one that 0.1.7, which took 8192, stored
         -- makes no product)
         WHERE f.prod IS NOT NULL AND octet_length(k.key) <= 2100
         ORDER BY key, f.page_id DESC
    ), written AS (
        INSERT INTO @extschema@.products AS pr
               (workspace_id, product_key, session_id, page_id, url, name,
                description, sku, gtin, mpn, brand, price, high_price, currency,
                availability, image_url, rating, review_count, raw)
        SELECT v_workspace, k.key, p_session_id, k.page_id, k.url,
               k.c ->> 'name', k.c ->> 'description', k.c ->> 'sku',
               k.c ->> 'gtin', k.c ->> 'mpn', k.c ->> 'brand',
               (k.c ->> 'price')::numeric, (k.c ->> 'high_price')::numeric,
               k.c ->> 'currency', k.c ->> 'availability', k.c ->> 'image_url',
               (k.c ->> 'rating')::numeric, (k.c ->> 'review_count')::integer,
               k.prod -> 'raw'
          FROM keyed k
        ON CONFLICT (workspace_id, product_key) DO UPDATE
           SET session_id = excluded.session_id, page_id = excluded.page_id,
               url = excluded.url, name = excluded.name,
               description = excluded.description, sku = excluded.sku,
               gtin = excluded.gtin, mpn = excluded.mpn, brand = excluded.brand,
               price = excluded.price, high_price = excluded.high_price,
               currency = excluded.currency,
               availability = excluded.availability,
               image_url = excluded.image_url, rating = excluded.rating,
               review_count = excluded.review_count, raw = excluded.raw,
               last_seen = now()
         WHERE pr.page_id IS NULL OR pr.page_id <= excluded.page_id
        RETURNING 1
    )
    SELECT count(*) INTO v_found FROM written;
    PERFORM @extschema@._scrape_count('products_written', v_found);
    RETURN v_found;
END;
$$;

-- ======== install/monitor.sql ========

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

-- ======== install/api.sql ========

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

-- ======== install/comments.sql ========

/*
 * install/comments.sql
 *
 * A comment on every table, view, column and function of the extension,
 * for psql's \d+ and \df+ (since 0.1.1).  Applied again by every upgrade:
 * a new object gets its comment here, and sql/schema.sql fails for one
 * without.
 */

------------------------------------------------------------------------------
-- Tables: background_jobs
------------------------------------------------------------------------------

COMMENT ON TABLE @extschema@.background_jobs IS 'Unified job table: one row per job of any job_type (web scraping is web_scraping, with a scraping_sessions row pointing back at it). See README, "Tables".';
COMMENT ON COLUMN @extschema@.background_jobs.id IS 'Job id (identity).';
COMMENT ON COLUMN @extschema@.background_jobs.job_type IS 'Kind of job; web_scraping (the default) for the jobs of scrape_submit and scrape_submit_urls.';
COMMENT ON COLUMN @extschema@.background_jobs.status IS 'pending, processing, completed, failed, cancelled, or dead (moved to the dead-letter queue).';
COMMENT ON COLUMN @extschema@.background_jobs.progress IS 'Progress in percent, 0-100: scraping 0-80, extracting 80-95, creating_products 95-100, 100 when the job ends (mirrors scraping_sessions.progress_percentage).';
COMMENT ON COLUMN @extschema@.background_jobs.current_stage IS 'initializing, scraping, extracting, creating_products or done; each change is a stage_changed row of job_history.';
COMMENT ON COLUMN @extschema@.background_jobs.metadata IS 'Job parameters as JSON; for web_scraping: session_id, source_url, scraping_mode, total_pages, and products (the count) once completed.';
COMMENT ON COLUMN @extschema@.background_jobs.attempts IS 'Runs of the job so far: counted when a worker starts it, and when a stage after scraping is recovered; reset to 0 by scrape_requeue_dead.';
COMMENT ON COLUMN @extschema@.background_jobs.max_attempts IS 'Runs allowed before the job is dead-lettered (at least 1): the session''s max_attempts option, else scrape_jobs.max_attempts.';
COMMENT ON COLUMN @extschema@.background_jobs.lease IS 'Fencing epoch, bumped whenever the job is taken away from the workers holding it (cancel, recovery, requeue, dead-lettering); a worker write carrying an older lease is ignored.';
COMMENT ON COLUMN @extschema@.background_jobs.last_heartbeat IS 'Last heartbeat of a worker holding the job (every scrape_jobs.heartbeat_interval); NULL until first claimed. Not indexed, so heartbeats stay HOT updates.';
COMMENT ON COLUMN @extschema@.background_jobs.last_error IS 'The last failure of the job (why it failed, was requeued, was stuck or was dead-lettered); NULL if none.';
COMMENT ON COLUMN @extschema@.background_jobs.created_at IS 'When the job was submitted.';
COMMENT ON COLUMN @extschema@.background_jobs.started_at IS 'When a worker first started the job; NULL until then.';
COMMENT ON COLUMN @extschema@.background_jobs.finished_at IS 'When the job reached completed, failed, cancelled or dead; NULL while it is live (cleared by a requeue).';
COMMENT ON COLUMN @extschema@.background_jobs.updated_at IS 'When the row last changed, heartbeats not counted.';

------------------------------------------------------------------------------
-- Tables: scraping_sessions
------------------------------------------------------------------------------

COMMENT ON TABLE @extschema@.scraping_sessions IS 'One row per web-scraping session (what scrape_submit and scrape_submit_urls return the id of), with its page counters and stage checkpoint.';
COMMENT ON COLUMN @extschema@.scraping_sessions.id IS 'Session id, as returned by scrape_submit and scrape_submit_urls.';
COMMENT ON COLUMN @extschema@.scraping_sessions.background_job_id IS 'The session''s job in background_jobs (one job per session); deleting the job deletes the session.';
COMMENT ON COLUMN @extschema@.scraping_sessions.workspace_id IS 'Workspace (tenant) the session belongs to, see workspace_members; NULL: no workspace, visible to administrators only.';
COMMENT ON COLUMN @extschema@.scraping_sessions.source_url IS 'The submitted URL, canonicalised (for a list session, its first URL).';
COMMENT ON COLUMN @extschema@.scraping_sessions.scraping_mode IS 'single (one page), list (scrape_submit_urls), crawl (follow links) or sitemap (the URLs sitemaps list).';
COMMENT ON COLUMN @extschema@.scraping_sessions.status IS 'pending, running, completed, failed, cancelled or dead (dead-lettered).';
COMMENT ON COLUMN @extschema@.scraping_sessions.progress_percentage IS 'Progress in percent, 0-100: scraping 0-80 (pages done, failed or skipped out of pages_known), extracting 80-95, creating_products 95-100, 100 when the job ends.';
COMMENT ON COLUMN @extschema@.scraping_sessions.total_pages IS 'The session''s page cap (positive): as submitted, else 1 for single and the smaller of scrape_jobs.crawl_max_pages and scrape_jobs.max_pages_per_session for crawl and sitemap; for list, the number of distinct URLs.';
COMMENT ON COLUMN @extschema@.scraping_sessions.pages_known IS 'Pages known so far: submitted or discovered rows of kind page (robots.txt and sitemap documents are not counted); grows during a crawl or sitemap session, up to total_pages.';
COMMENT ON COLUMN @extschema@.scraping_sessions.pages_done IS 'Pages fetched with a 2xx response (kind page only).';
COMMENT ON COLUMN @extschema@.scraping_sessions.pages_failed IS 'Pages that failed for good; lowered again when a requeue gives failed pages fresh attempts.';
COMMENT ON COLUMN @extschema@.scraping_sessions.pages_skipped IS 'Pages not fetched because robots.txt disallows them (status skipped).';
COMMENT ON COLUMN @extschema@.scraping_sessions.pages_extracted IS 'Done pages extracted so far (their structured data and products written): as they are stored, while the session scrapes, and in its extracting stage.';
COMMENT ON COLUMN @extschema@.scraping_sessions.notified_at IS 'When NOTIFY scrape_jobs_progress was last sent for the session (throttles it to once a second); NULL: never.';
COMMENT ON COLUMN @extschema@.scraping_sessions.products_found IS 'Products written (inserted or updated) from the session''s pages: a running count of the batches'' writes while it runs, and, when it completes, its products (those whose last page is one of its pages).';
COMMENT ON COLUMN @extschema@.scraping_sessions.options IS 'The session''s validated options object (README, "Options"); ''{}'' when none was given.';
COMMENT ON COLUMN @extschema@.scraping_sessions.created_at IS 'When the session was submitted.';
COMMENT ON COLUMN @extschema@.scraping_sessions.started_at IS 'When a worker first claimed a page of the session; NULL until then.';
COMMENT ON COLUMN @extschema@.scraping_sessions.finished_at IS 'When the session ended (completed, failed, cancelled or dead); NULL while it is pending or running.';
COMMENT ON COLUMN @extschema@.scraping_sessions.bodies_pruned_at IS 'When scrape_prune_bodies() had emptied the bodies of all its pages (scrape_jobs.body_retention); NULL until then.';
COMMENT ON COLUMN @extschema@.scraping_sessions.request_timeout_ms IS 'The request_timeout option in milliseconds, as validated at submit; NULL: scrape_jobs.request_timeout. The workers use at most scrape_jobs.request_timeout whatever it says.';
COMMENT ON COLUMN @extschema@.scraping_sessions.connect_timeout_ms IS 'The connect_timeout option in milliseconds, as validated at submit; NULL: scrape_jobs.connect_timeout. The workers use at most scrape_jobs.connect_timeout whatever it says.';
COMMENT ON COLUMN @extschema@.scraping_sessions.per_host_delay_ms IS 'The per_host_delay option in milliseconds, as validated at submit; NULL: scrape_jobs.per_host_delay. The workers wait at least scrape_jobs.per_host_delay whatever it says.';
COMMENT ON COLUMN @extschema@.scraping_sessions.per_host_max_connections IS 'The per_host_max_connections option; NULL: scrape_jobs.per_host_max_connections. The workers open at most scrape_jobs.per_host_max_connections whatever it says.';
COMMENT ON COLUMN @extschema@.scraping_sessions.updated_at IS 'When the row last changed.';

------------------------------------------------------------------------------
-- Tables: scraping_pages
------------------------------------------------------------------------------

COMMENT ON TABLE @extschema@.scraping_pages IS 'One row per URL of a session (unique per session): the fetch queue, and each page''s response, decoded body and extracted data.';
COMMENT ON COLUMN @extschema@.scraping_pages.id IS 'Page id (identity); pages are claimed, and walked by the stages, in id order.';
COMMENT ON COLUMN @extschema@.scraping_pages.session_id IS 'The session the page belongs to; deleting the session deletes its pages.';
COMMENT ON COLUMN @extschema@.scraping_pages.url IS 'The page''s URL in canonical form (README, "URL canonicalisation"); unique within the session.';
COMMENT ON COLUMN @extschema@.scraping_pages.status IS 'pending, fetching (in flight), done (2xx), failed, cancelled, skipped (robots.txt disallows it) or dead (parked by the dead-letter queue).';
COMMENT ON COLUMN @extschema@.scraping_pages.attempts IS 'Fetch attempts in the current run of the job (a deferral gives its attempt back; a job requeue resets it to 0 for the pages fetched again).';
COMMENT ON COLUMN @extschema@.scraping_pages.not_before IS 'Earliest time of the next attempt of a pending page (a retry''s backoff, an open circuit, robots.txt not known yet); NULL: no wait.';
COMMENT ON COLUMN @extschema@.scraping_pages.waiting_for IS 'Why not_before is set: retry (a retry''s backoff) or circuit (deferred by its host''s open circuit); NULL otherwise.';
COMMENT ON COLUMN @extschema@.scraping_pages.depth IS 'Links away from the seed (crawl, 0 for the seed); for a sitemap session, the nesting level of a sitemap document and 0 for the pages it lists.';
COMMENT ON COLUMN @extschema@.scraping_pages.found_on IS 'Id of the page, sitemap or robots.txt the URL was discovered on; NULL for submitted URLs and robots.txt files.';
COMMENT ON COLUMN @extschema@.scraping_pages.kind IS 'page, robots (a robots.txt fetched for the session) or sitemap (a sitemap document); only kind page counts in the session''s pages.';
COMMENT ON COLUMN @extschema@.scraping_pages.claimed_by IS 'Token (random 64-bit) of the worker fetching the page; NULL when not in flight.';
COMMENT ON COLUMN @extschema@.scraping_pages.claim_lease IS 'The job''s lease when the page was claimed; a result is accepted only if it carries this lease, from the worker in claimed_by (fencing).';
COMMENT ON COLUMN @extschema@.scraping_pages.claimed_at IS 'When the page was last claimed by a worker.';
COMMENT ON COLUMN @extschema@.scraping_pages.http_status IS 'HTTP status of the last response (after redirects); NULL when no response was received.';
COMMENT ON COLUMN @extschema@.scraping_pages.content_type IS 'Content-Type header of the response.';
COMMENT ON COLUMN @extschema@.scraping_pages.final_url IS 'The URL after redirects.';
COMMENT ON COLUMN @extschema@.scraping_pages.body IS 'Response body decoded to text in the database encoding (an HTTP error''s body is kept too); NULL for non-text media types and until a final result (done or failed) is stored.';
COMMENT ON COLUMN @extschema@.scraping_pages.body_size IS 'Bytes received, after decompression (also for bodies not stored).';
COMMENT ON COLUMN @extschema@.scraping_pages.fetch_ms IS 'Duration of the transfer in milliseconds, request to last byte, redirects included.';
COMMENT ON COLUMN @extschema@.scraping_pages.error_class IS 'Why the page failed or was not fetched: timeout, connection, dns, http_4xx, http_5xx, too_large, blocked_address, robots, worker_lost, cancelled, ... (README, "Error classes and retries"); NULL if none.';
COMMENT ON COLUMN @extschema@.scraping_pages.error IS 'Text of the error of error_class (for a robots.txt skip, it names the rule that disallowed the page).';
COMMENT ON COLUMN @extschema@.scraping_pages.title IS 'The HTML page''s title, white space collapsed; set at fetch time for a crawl''s pages, in the extracting stage for the others.';
COMMENT ON COLUMN @extschema@.scraping_pages.description IS 'The HTML page''s <meta name="description">.';
COMMENT ON COLUMN @extschema@.scraping_pages.canonical_url IS 'The HTML page''s <link rel="canonical">, resolved.';
COMMENT ON COLUMN @extschema@.scraping_pages.lang IS 'The HTML page''s <html lang>.';
COMMENT ON COLUMN @extschema@.scraping_pages.links IS 'The HTML page''s links, resolved and canonicalised, each once in document order (at most 1000): [{"url": ..., "nofollow": bool}, ...]; for a sitemap document, its <loc> URLs ([{"url": ..., "sitemap": bool}, ...]).';
COMMENT ON COLUMN @extschema@.scraping_pages.structured IS 'The extracting stage''s document: {"json_ld": [...], "microdata": [...], "opengraph": {...}, "rules": {...}}; NULL until extracted or when nothing was found.';
COMMENT ON COLUMN @extschema@.scraping_pages.created_at IS 'When the page was queued.';
COMMENT ON COLUMN @extschema@.scraping_pages.fetched_at IS 'When the page''s last result was written (done, failed or skipped); NULL if never.';
COMMENT ON COLUMN @extschema@.scraping_pages.body_pruned_at IS 'When scrape_prune_bodies() emptied body under scrape_jobs.body_retention; NULL while the body is kept (or was never stored).';
COMMENT ON COLUMN @extschema@.scraping_pages.extraction_crashes IS 'How many times a worker crashed (a signal, the server restarted) while the extracting stage parsed this page; NULL: never. After scrape_jobs.max_attempts the stage passes the page by, with an extraction_error in structured.';
COMMENT ON COLUMN @extschema@.scraping_pages.extracted_at IS 'When the page''s structured data and products were written (0.1.7: as pages are stored, by every worker); NULL: not yet, or the page is not a done page of kind page. A done page with NULL is extraction work.';
COMMENT ON COLUMN @extschema@.scraping_pages.host IS 'The URL''s host, lower-case ('''' if it has none), set when the page is queued: a claim takes a session''s pages in turns between its hosts. NULL on pages that were not pending at the upgrade to 0.1.6.';
COMMENT ON COLUMN @extschema@.scraping_pages.updated_at IS 'When the row last changed.';

------------------------------------------------------------------------------
-- Tables: robots_cache
------------------------------------------------------------------------------

COMMENT ON TABLE @extschema@.robots_cache IS 'robots.txt answers per origin, shared by every crawl: 2xx and 4xx kept 24 hours, a server error or no answer 5 minutes (it disallows everything meanwhile).';
COMMENT ON COLUMN @extschema@.robots_cache.origin IS 'scheme://host[:port] the robots.txt belongs to.';
COMMENT ON COLUMN @extschema@.robots_cache.http_status IS 'HTTP status of the answer; 0: no response. 2xx: body parsed; 4xx: everything allowed; otherwise everything disallowed.';
COMMENT ON COLUMN @extschema@.robots_cache.body IS 'The robots.txt text, cut at 524288 characters.';
COMMENT ON COLUMN @extschema@.robots_cache.fetched_at IS 'When the answer was stored.';
COMMENT ON COLUMN @extschema@.robots_cache.expires_at IS 'When the answer stops being used and robots.txt is fetched again.';

------------------------------------------------------------------------------
-- Tables: products
------------------------------------------------------------------------------

COMMENT ON TABLE @extschema@.products IS 'Products found on the pages of sessions (creating_products stage), one row per product of a workspace, known by SKU or canonical URL; a re-scrape updates the row. See README, "Products".';
COMMENT ON COLUMN @extschema@.products.id IS 'Product id (identity).';
COMMENT ON COLUMN @extschema@.products.workspace_id IS 'Workspace of the session that found it; NULL: no workspace (administrators only).';
COMMENT ON COLUMN @extschema@.products.product_key IS 'What the product is known by, unique per workspace: ''sku:'' and its SKU where the page gives one, else ''url:'' and its URL.';
COMMENT ON COLUMN @extschema@.products.session_id IS 'The session that saw it last; NULL once that session is deleted.';
COMMENT ON COLUMN @extschema@.products.page_id IS 'The page it was read from last; NULL once that page is deleted.';
COMMENT ON COLUMN @extschema@.products.url IS 'The product page''s canonical URL when it stays on the page''s host, else the URL the page was fetched from.';
COMMENT ON COLUMN @extschema@.products.name IS 'Product name (at most 1000 characters).';
COMMENT ON COLUMN @extschema@.products.description IS 'Product description (at most 10000 characters).';
COMMENT ON COLUMN @extschema@.products.sku IS 'Stock keeping unit as the page gives it (at most 200 characters).';
COMMENT ON COLUMN @extschema@.products.gtin IS 'GTIN (EAN/UPC), 8 to 14 digits.';
COMMENT ON COLUMN @extschema@.products.mpn IS 'Manufacturer part number (at most 200 characters).';
COMMENT ON COLUMN @extschema@.products.brand IS 'Brand name (at most 200 characters).';
COMMENT ON COLUMN @extschema@.products.price IS 'Price in currency, at least 0 (an AggregateOffer''s lowPrice).';
COMMENT ON COLUMN @extschema@.products.high_price IS 'An AggregateOffer''s highPrice, in currency; NULL for a single price.';
COMMENT ON COLUMN @extschema@.products.currency IS 'ISO 4217 code of price and high_price (three capital letters); NULL when the page names none.';
COMMENT ON COLUMN @extschema@.products.availability IS 'A schema.org ItemAvailability term (InStock, OutOfStock, PreOrder, ...), see scrape_normalize_availability.';
COMMENT ON COLUMN @extschema@.products.image_url IS 'Product image, an http(s) URL.';
COMMENT ON COLUMN @extschema@.products.rating IS 'Average rating (aggregateRating.ratingValue), on the scale the page uses.';
COMMENT ON COLUMN @extschema@.products.review_count IS 'Number of reviews (aggregateRating.reviewCount, else ratingCount), at least 0.';
COMMENT ON COLUMN @extschema@.products.raw IS 'The sources the product was merged from: {"json_ld", "microdata", "opengraph", "rules"}, those present.';
COMMENT ON COLUMN @extschema@.products.first_seen IS 'When the product was first written.';
COMMENT ON COLUMN @extschema@.products.last_seen IS 'When a scrape last updated the product.';

------------------------------------------------------------------------------
-- Tables: scraping_page_attempts
------------------------------------------------------------------------------

COMMENT ON TABLE @extschema@.scraping_page_attempts IS 'Every failed fetch attempt of a page, so a user can see why a page failed or was retried.';
COMMENT ON COLUMN @extschema@.scraping_page_attempts.id IS 'Attempt row id (identity).';
COMMENT ON COLUMN @extschema@.scraping_page_attempts.page_id IS 'The page; deleting the page deletes its attempts.';
COMMENT ON COLUMN @extschema@.scraping_page_attempts.session_id IS 'The page''s session (no foreign key).';
COMMENT ON COLUMN @extschema@.scraping_page_attempts.attempt IS 'The page''s attempt number (its attempts counter at the time).';
COMMENT ON COLUMN @extschema@.scraping_page_attempts.http_status IS 'HTTP status of the response; NULL when there was none.';
COMMENT ON COLUMN @extschema@.scraping_page_attempts.error_class IS 'Error class of the attempt (as scraping_pages.error_class, and job_stuck for pages taken back from a stuck job); other when unknown.';
COMMENT ON COLUMN @extschema@.scraping_page_attempts.error IS 'Error text of the attempt.';
COMMENT ON COLUMN @extschema@.scraping_page_attempts.retryable IS 'Whether the failure could succeed on a retry.';
COMMENT ON COLUMN @extschema@.scraping_page_attempts.outcome IS 'retry (scheduled again after a backoff), failed (the page failed for good) or released (its worker died or its job was stuck).';
COMMENT ON COLUMN @extschema@.scraping_page_attempts.created_at IS 'When the attempt was logged.';

------------------------------------------------------------------------------
-- Tables: job_history
------------------------------------------------------------------------------

COMMENT ON TABLE @extschema@.job_history IS 'Append-only event log of the jobs and, per scrape_jobs.page_history, of their pages; pruned after scrape_jobs.history_retention.';
COMMENT ON COLUMN @extschema@.job_history.id IS 'Event id (identity), in the order events were written.';
COMMENT ON COLUMN @extschema@.job_history.job_id IS 'The job; deleting the job deletes its history.';
COMMENT ON COLUMN @extschema@.job_history.session_id IS 'The job''s session (no foreign key).';
COMMENT ON COLUMN @extschema@.job_history.event IS 'created, claimed, stage_changed, completed, failed, cancelled, work_released, retry_scheduled, heartbeat_gap, recovered, dead_lettered, requeued, extraction_crashed (a worker crashed while the extracting stage parsed the page in detail); pages: page_claimed, page_done, page_failed, page_skipped, page_deferred, pages_claimed, pages_done.';
COMMENT ON COLUMN @extschema@.job_history.detail IS 'Event details as JSON (such as from/to of a stage change, page_id and attempt, worker, pages, delay_ms, error).';
COMMENT ON COLUMN @extschema@.job_history.created_at IS 'When the event was recorded; scrape_prune_history deletes by it.';

------------------------------------------------------------------------------
-- Tables: alerts
------------------------------------------------------------------------------

COMMENT ON TABLE @extschema@.alerts IS 'Alert outbox: written in the transaction of the event that caused the alert, NOTIFY''d on scrape_jobs_alerts, and delivered to Sentry when scrape_jobs.sentry_dsn is set.';
COMMENT ON COLUMN @extschema@.alerts.id IS 'Alert id (identity); alerts are delivered in id order.';
COMMENT ON COLUMN @extschema@.alerts.kind IS 'job_stuck, job_dead_lettered, circuit_opened or worker_crashed.';
COMMENT ON COLUMN @extschema@.alerts.job_id IS 'The job alerted about; NULL for host and worker alerts.';
COMMENT ON COLUMN @extschema@.alerts.session_id IS 'The session alerted about; NULL for host and worker alerts, which only administrators see.';
COMMENT ON COLUMN @extschema@.alerts.host IS 'The host whose circuit opened (circuit_opened); NULL for other kinds.';
COMMENT ON COLUMN @extschema@.alerts.message IS 'Human-readable text of the alert (the Sentry event''s message).';
COMMENT ON COLUMN @extschema@.alerts.detail IS 'Details as JSON (sent to Sentry as extra).';
COMMENT ON COLUMN @extschema@.alerts.created_at IS 'When the alert was recorded.';
COMMENT ON COLUMN @extschema@.alerts.event_id IS 'Sentry event id, 32 lower-case hex digits, fixed per alert so that Sentry deduplicates a resend.';
COMMENT ON COLUMN @extschema@.alerts.delivered_at IS 'When Sentry accepted the alert; NULL: not delivered yet.';
COMMENT ON COLUMN @extschema@.alerts.delivery_attempts IS 'Delivery attempts so far, successful or not.';
COMMENT ON COLUMN @extschema@.alerts.next_delivery_at IS 'When a failed delivery is retried (backoff); NULL: due now, or delivered.';
COMMENT ON COLUMN @extschema@.alerts.last_delivery_error IS 'Error of the last failed delivery; NULL if none failed.';

------------------------------------------------------------------------------
-- Tables: metric_counters
------------------------------------------------------------------------------

COMMENT ON TABLE @extschema@.metric_counters IS 'The shared-memory metric counters and histogram buckets as the launcher last saved them (every monitor pass), restored at start-up; see scrape_counters().';
COMMENT ON COLUMN @extschema@.metric_counters.name IS 'Counter or histogram: pages_fetched, bytes_fetched, retries, robots_skips, deferrals, pages_extracted, products_written, alerts, responses, errors, fetch_ms, page_ms, job_ms.';
COMMENT ON COLUMN @extschema@.metric_counters.label IS 'Empty for a plain counter; the HTTP status code (none: no response) for responses; the error class for errors; le:<bound in ms>, count or sum_us for a histogram.';
COMMENT ON COLUMN @extschema@.metric_counters.value IS 'The count (for sum_us, microseconds; histogram buckets are not cumulative).';
COMMENT ON COLUMN @extschema@.metric_counters.updated_at IS 'When the launcher last saved a changed value.';

------------------------------------------------------------------------------
-- Tables: dead_letter_jobs, and the view scrape_dead_letters
------------------------------------------------------------------------------

COMMENT ON TABLE @extschema@.dead_letter_jobs IS 'The dead-letter queue: every job that exhausted its attempts, with a snapshot of it and its errors; requeued entries are kept, marked by requeued_at.';
COMMENT ON COLUMN @extschema@.dead_letter_jobs.id IS 'Entry id (identity).';
COMMENT ON COLUMN @extschema@.dead_letter_jobs.job_id IS 'The dead job; deleting the job deletes its entries.';
COMMENT ON COLUMN @extschema@.dead_letter_jobs.session_id IS 'The job''s session (no foreign key).';
COMMENT ON COLUMN @extschema@.dead_letter_jobs.reason IS 'Why the job died: its last error.';
COMMENT ON COLUMN @extschema@.dead_letter_jobs.attempts IS 'Runs the job had when it died.';
COMMENT ON COLUMN @extschema@.dead_letter_jobs.snapshot IS 'The job and session rows when it died: {"job": {...}, "session": {...}}.';
COMMENT ON COLUMN @extschema@.dead_letter_jobs.errors IS 'The session''s logged fetch attempts (scraping_page_attempts with the page URL), the latest 1000 at most, oldest first.';
COMMENT ON COLUMN @extschema@.dead_letter_jobs.first_attempt_at IS 'When the job first started (its started_at).';
COMMENT ON COLUMN @extschema@.dead_letter_jobs.dead_at IS 'When the job was dead-lettered.';
COMMENT ON COLUMN @extschema@.dead_letter_jobs.requeued_at IS 'When scrape_requeue_dead put the job back to work; NULL: still waiting.';

COMMENT ON VIEW @extschema@.scrape_dead_letters IS 'The dead-letter entries still waiting to be requeued (scrape_requeue_dead), with their session''s URL; security_invoker, so row-level security applies.';
COMMENT ON COLUMN @extschema@.scrape_dead_letters.id IS 'Entry id in dead_letter_jobs.';
COMMENT ON COLUMN @extschema@.scrape_dead_letters.job_id IS 'The dead job.';
COMMENT ON COLUMN @extschema@.scrape_dead_letters.session_id IS 'The job''s session.';
COMMENT ON COLUMN @extschema@.scrape_dead_letters.source_url IS 'The session''s submitted URL.';
COMMENT ON COLUMN @extschema@.scrape_dead_letters.reason IS 'Why the job died: its last error.';
COMMENT ON COLUMN @extschema@.scrape_dead_letters.attempts IS 'Runs the job had when it died.';
COMMENT ON COLUMN @extschema@.scrape_dead_letters.first_attempt_at IS 'When the job first started.';
COMMENT ON COLUMN @extschema@.scrape_dead_letters.dead_at IS 'When the job was dead-lettered.';
COMMENT ON COLUMN @extschema@.scrape_dead_letters.errors IS 'Number of logged fetch attempts kept in the entry (at most 1000).';
COMMENT ON COLUMN @extschema@.scrape_dead_letters.last_error IS 'The latest of those attempts, as JSON (url, attempt, http_status, error_class, error, outcome...); NULL if none.';
COMMENT ON COLUMN @extschema@.scrape_dead_letters.job_status IS 'The job''s current status in background_jobs (dead while it waits).';

------------------------------------------------------------------------------
-- Tables: workspace_members
------------------------------------------------------------------------------

COMMENT ON TABLE @extschema@.workspace_members IS 'Tenancy, managed by an administrator: which roles may use which workspace; a role is a member if it is, or inherits from, a listed role.';
COMMENT ON COLUMN @extschema@.workspace_members.workspace_id IS 'The workspace (the workspace_id of sessions and products).';
COMMENT ON COLUMN @extschema@.workspace_members.role_name IS 'A role (or group role) whose members may use the workspace.';

------------------------------------------------------------------------------
-- Functions: C helpers
------------------------------------------------------------------------------

COMMENT ON FUNCTION @extschema@._scrape_caller() IS 'Internal: the role calling the API (the outer user, even inside SECURITY DEFINER functions); used by the tenancy checks of the API functions.';
COMMENT ON FUNCTION @extschema@._scrape_check_url(text) IS 'Internal: a URL validated with libcurl''s URL parser and returned in canonical form; raises 22004 or 22023 on bad input. Called by scrape_submit, scrape_submit_urls and _scrape_try_url.';
COMMENT ON FUNCTION @extschema@._scrape_wake(boolean, boolean, boolean, boolean) IS 'Internal: asks for wake-ups at COMMIT: new_work (workers claim), cancelled (workers re-check the jobs they hold), session_done (scrape_wait callers), alert (the alerter). Called by the queue and API functions.';

------------------------------------------------------------------------------
-- Functions: tenancy
------------------------------------------------------------------------------

COMMENT ON FUNCTION @extschema@._scrape_is_admin(oid) IS 'Internal: whether a role administers the extension (a superuser or a member of the extension''s owner) and so sees every workspace. Used by the tenancy checks.';
COMMENT ON FUNCTION @extschema@._scrape_is_member(oid, uuid) IS 'Internal: whether a role is, or inherits from, a role listed in workspace_members for the workspace. Used by the tenancy checks.';
COMMENT ON FUNCTION @extschema@._scrape_caller_sees(uuid) IS 'Internal: whether the API''s caller may see a workspace (NULL: the rows without one, administrators only). Called by scrape_status, scrape_wait and scrape_requeue_dead.';
COMMENT ON FUNCTION @extschema@._scrape_caller_sees_session(bigint) IS 'Internal: whether the API''s caller may see a session; false for an unknown one. Called by scrape_cancel.';
COMMENT ON FUNCTION @extschema@._scrape_check_workspace(uuid) IS 'Internal: refuses a submit to a workspace the caller is not a member of, or without one unless an administrator (42501), and past scrape_jobs.max_live_sessions_per_workspace live sessions (53400). Called by the submit functions.';

------------------------------------------------------------------------------
-- Functions: submission
------------------------------------------------------------------------------

COMMENT ON FUNCTION @extschema@._scrape_option_ms(text, jsonb) IS 'Internal: an interval option (request_timeout, connect_timeout, per_host_delay) as the milliseconds the workers use, checked against the option''s range by that same length; raises 22023 for anything else, NULL when the option is not given. Called by _scrape_check_options and _scrape_create_session.';
COMMENT ON FUNCTION @extschema@._scrape_check_crawl_option(text, jsonb, text) IS 'Internal: checks one crawl option (scope, max_depth, include, exclude, follow_nofollow, obey_robots) and that the session is a crawl or sitemap session; raises 22023, or 2201B for a bad regular expression. Called by _scrape_check_options.';
COMMENT ON FUNCTION @extschema@._scrape_check_extract(jsonb) IS 'Internal: checks the extract option: an object of at most 50 fields named like SQL identifiers, each an XPath expression of 1 to 1000 characters that libxml2 compiles; raises 22023. Called by _scrape_check_options.';
COMMENT ON FUNCTION @extschema@._scrape_check_options(jsonb, text) IS 'Internal: validates a session''s options object for its scraping mode and returns it (''{}'' for NULL); raises 22023 on an unknown key or a bad value. Called by the submit functions.';
COMMENT ON FUNCTION @extschema@._scrape_create_session(text[], text, text, integer, uuid, jsonb) IS 'Internal: creates, in the caller''s transaction, a job, its session and its pages (scrape_jobs.batch_size rows per INSERT, duplicates skipped) and the created event, and wakes the workers at COMMIT; returns the session id. Called by the submit functions.';
COMMENT ON FUNCTION @extschema@._scrape_check_page_cap(integer) IS 'Internal: refuses a session of more pages than scrape_jobs.max_pages_per_session (54000). Called by the submit functions.';
COMMENT ON FUNCTION @extschema@.scrape_submit(text, text, integer, uuid, jsonb) IS 'Submits a session for one URL in the caller''s transaction and returns its session id; work starts when it commits. Modes single (default), crawl, sitemap; total_pages is the page cap (NULL: 1 for single, else the smaller of scrape_jobs.crawl_max_pages and max_pages_per_session); options: README, "Options".';
COMMENT ON FUNCTION @extschema@.scrape_submit_urls(text[], uuid, jsonb) IS 'Submits a list session over many URLs and returns its session id: URLs are normalised and duplicates collapse to one page, in the order of first appearance. Options as for scrape_submit, without the crawl ones.';
COMMENT ON FUNCTION @extschema@.scrape_parse_html(text, text, jsonb) IS 'What the workers make of an HTML page (resolved against url), as jsonb: title, description, canonical, lang, nofollow, links and structured (JSON-LD, microdata, OpenGraph and the values of rules, an options.extract object). For trying extraction on a page of your own.';
COMMENT ON FUNCTION @extschema@.scrape_parse_price(text) IS 'A price as pages write it ("$1,299.00", "1 299,00 zł", "Free") read as the products stage reads it: OUT amount and OUT currency (ISO 4217, NULL when the text names none); both NULL when no amount can be read.';
COMMENT ON FUNCTION @extschema@.scrape_normalize_availability(text) IS 'An availability (a schema.org URL, or words such as "in stock", "sold out", "preorder") as a schema.org ItemAvailability term (InStock, OutOfStock, SoldOut, PreOrder, ...), or NULL.';
COMMENT ON FUNCTION @extschema@._scrape_xpath_error(text) IS 'Internal: NULL if an XPath expression compiles, else libxml2''s reason. Called by _scrape_check_extract at submit.';

------------------------------------------------------------------------------
-- Functions: metrics
------------------------------------------------------------------------------

COMMENT ON FUNCTION @extschema@._scrape_count(text, bigint) IS 'Internal: adds n to a named shared-memory counter (retries, robots_skips, deferrals, pages_extracted, products_written, alerts) when the transaction commits. Called by the queue and stage functions.';
COMMENT ON FUNCTION @extschema@._scrape_job_transition(text, text, text, double precision) IS 'Internal: reports a job''s status change (old NULL: created; new NULL: deleted) to the job gauges at COMMIT, with its run time in milliseconds for the job_ms histogram when it finished. Called by the trigger function _scrape_jobs_count_trigger.';
COMMENT ON FUNCTION @extschema@.scrape_counters() IS 'Every counter and histogram bucket in shared memory as (name, label, value) rows: plain counters with an empty label, responses by status code, errors by class, histograms (fetch_ms, page_ms, job_ms) as le:<bound in ms> buckets (not cumulative), count and sum_us (microseconds).';
COMMENT ON FUNCTION @extschema@.scrape_job_counts() IS 'Jobs by job_type and status, as gauges in shared memory moved by the trigger on background_jobs (recounted from the table at start-up); reads no table.';
COMMENT ON FUNCTION @extschema@._scrape_quantile(text, double precision) IS 'Internal: quantile q (0 to 1) of one histogram (fetch_ms, page_ms or job_ms) in milliseconds, interpolated within a bucket; NULL when it is empty. No SQL function calls it (scrape_metrics reads _scrape_quantiles).';
COMMENT ON FUNCTION @extschema@._scrape_quantiles(double precision[]) IS 'Internal: every histogram''s quantiles qs (each 0 to 1) in milliseconds, NULL elements when it is empty, from one snapshot of shared memory. Called by scrape_metrics.';
COMMENT ON FUNCTION @extschema@._scrape_rates() IS 'Internal: OUT pages_last_minute (transfers finished in the last minute), OUT jobs_finished_last_5min and OUT restored (counters restored from metric_counters since start-up), from shared memory. Called by scrape_metrics.';
COMMENT ON FUNCTION @extschema@._scrape_jobs_count_trigger() IS 'Internal: trigger function of background_jobs_count (after INSERT, DELETE or UPDATE OF status on background_jobs): reports each job status change to the metrics through _scrape_job_transition.';

------------------------------------------------------------------------------
-- Functions: the queue, called by the workers
------------------------------------------------------------------------------

COMMENT ON FUNCTION @extschema@._scrape_progress(bigint, bigint) IS 'Internal: a session''s progress while scraping, 0 to 80: 80 * finished pages (done, failed or skipped) / pages known. Called by the queue functions.';
COMMENT ON FUNCTION @extschema@._scrape_stage_progress(text, bigint, bigint) IS 'Internal: a session''s progress in a stage after scraping from the done pages it has gone through out of p_total: extracting 80 to 95, creating_products 95 to 100, any other stage 100. Called by the stage functions.';
COMMENT ON FUNCTION @extschema@._scrape_notify_progress(bigint[], boolean) IS 'Internal: notifies the progress of the sessions given, their ids on scrape_jobs_progress and the whole payload on each one''s workspace channel (README, "Notifications"): always when p_force (a stage or status change), else at most once a second per session. Called by the queue, stage and API functions.';
COMMENT ON FUNCTION @extschema@._scrape_origin(text) IS 'Internal: the origin of a URL (scheme://host[:port]), the key of robots_cache. In C; called by the crawl functions for every page and link.';
COMMENT ON FUNCTION @extschema@._scrape_path(text) IS 'Internal: the path and query of a URL (up to any #; / if empty), as robots.txt rules see it. In C; called by the crawl functions.';
COMMENT ON FUNCTION @extschema@._scrape_host(text) IS 'Internal: the host of a URL, lower-case. In C; called by _scrape_product_url.';
COMMENT ON FUNCTION @extschema@._scrape_host_delay_ms(text, integer, text, text) IS 'Internal: the gap in milliseconds between two requests to a page''s host: the session''s per_host_delay_ms, and for crawl and sitemap sessions at least the host''s robots.txt Crawl-delay for the session''s user agent (capped by scrape_jobs.max_crawl_delay); NULL: the worker''s own setting. Called by _scrape_claim.';
COMMENT ON FUNCTION @extschema@._scrape_robots_gate(bigint[]) IS 'Internal: robots.txt (RFC 9309) for the candidate pages of a claim: OUT to_fetch, OUT to_skip and OUT rules (the rule that disallows each skipped page); pages of an origin whose robots.txt is not cached wait 200 ms while it is queued. Called by _scrape_claim.';
COMMENT ON FUNCTION @extschema@._scrape_claim(bigint, integer, text[], text[]) IS 'Internal: claims up to p_limit due pending pages (SKIP LOCKED), in turns between workspaces, their sessions and each session''s hosts, the pages of p_busy_hosts (hosts whose pages already wait in the worker''s backlog) last and none of p_full_hosts (hosts of which the backlog holds what they can start soon), for the worker whose token is p_worker, starts their pending jobs, skips pages robots.txt disallows, and returns what the worker needs to fetch each page with the lease to write back with. Called by the fetch workers.';
COMMENT ON FUNCTION @extschema@._scrape_session_turns(bigint, integer, text[], text[]) IS 'Internal: a session''s candidates for a claim, in turns between its hosts (the first due page of each of its first p_limit hosts, then the second...), about p_limit in all, the pages of p_busy_hosts last, none of p_full_hosts. Called by _scrape_claim.';
COMMENT ON FUNCTION @extschema@._scrape_return_pages(bigint, bigint[], bigint[]) IS 'Internal: hands back pages the worker whose token is p_worker claimed under the given leases and never started: pending again, the claim''s attempt given back (a work_released event in job_history, reason backlog full); returns how many. Called by the fetch workers when their backlog is full of pages their hosts keep waiting.';
COMMENT ON FUNCTION @extschema@._scrape_backoff(integer, integer) IS 'Internal: delay before the next retry after attempt p_attempt: d = least(retry_max_delay, retry_base_delay * 2^(attempt - 1)), randomly within [d/2, d]; a server''s Retry-After (ms) replaces it, capped at retry_max_delay. For page retries, job requeues and alert deliveries.';
COMMENT ON FUNCTION @extschema@._scrape_record_alert(text, bigint, bigint, text, text, jsonb) IS 'Internal: records an alert in the alerts outbox in the transaction of its cause, notifies its ids on scrape_jobs_alerts and its kind and message on the workspace channel, and wakes the alerter at COMMIT; returns the alert id. Called by the recovery and dead-letter functions, the workers (circuit_opened) and the launcher (worker_crashed).';
COMMENT ON FUNCTION @extschema@._scrape_dead_letter(bigint, text) IS 'Internal: moves a job to the dead-letter queue: a dead_letter_jobs row, its unfinished pages parked as dead, the job (lease bumped) and session dead, a job_dead_lettered alert. The caller holds the session and job row locks.';
COMMENT ON FUNCTION @extschema@._scrape_end_job(bigint, bigint, text, text, integer, integer) IS 'Internal: ends a session and its job as p_status (completed or failed): stage done, progress 100, finished_at, last_error, the history and a progress notification. The caller holds their row locks.';
COMMENT ON FUNCTION @extschema@._scrape_enter_stage(bigint, bigint, text) IS 'Internal: moves a job to its next stage after scraping (extracting, creating_products): a stage_changed history row, the stage''s progress, a fresh heartbeat, a notification, and a wake-up of the workers. The caller holds the session''s row lock.';
COMMENT ON FUNCTION @extschema@._scrape_finish_sessions(bigint[]) IS 'Internal: finishes the scraping of the given sessions with no page left pending or in flight: on to extracting if a page is done or none failed, else failed (nothing retryable) or dead-lettered (retryable failures that spent their attempts); returns how many it found. Called by the queue functions, which hold the session locks.';
COMMENT ON FUNCTION @extschema@._scrape_seed_sitemaps(bigint, text) IS 'Internal: turns a new sitemap session''s seed into its first documents: the URL itself as a sitemap or, for a site root, its /sitemap.xml and its robots.txt (whose Sitemap: lines are followed). Called by scrape_submit.';
COMMENT ON FUNCTION @extschema@._scrape_try_url(text) IS 'Internal: a URL canonicalised as by _scrape_check_url, or NULL instead of an error when it is not one the workers would fetch. Called by _scrape_discover.';
COMMENT ON FUNCTION @extschema@._scrape_in_scope(text, text, text) IS 'Internal: whether url is within the crawl scope of seed: host (default), the same host; domain, the seed''s host less a leading www. or a subdomain of it; prefix, under the seed''s directory. In C; called by _scrape_discover for every link.';
COMMENT ON FUNCTION @extschema@._scrape_patterns(jsonb) IS 'Internal: the regular expressions of an include or exclude option (a string or an array of them) as text[]; empty for anything else. Called by _scrape_discover.';
COMMENT ON FUNCTION @extschema@._scrape_discover(bigint[]) IS 'Internal: queues as pending pages the links of the crawl pages, sitemaps and robots.txt Sitemap: lines just stored among p_page_ids (scope, max_depth, include, exclude, nofollow, total_pages applied); returns the rows added. Called by _scrape_record_results.';
COMMENT ON FUNCTION @extschema@._scrape_record_results(bigint, bigint[], bigint[], boolean[], integer[], text[], text[], text[], bigint[], double precision[], text[], text[], boolean[], integer[], integer[], text[], text[], text[], text[], text[]) IS 'Internal: writes a batch of fetch results, accepting only pages still in flight for the worker under the same lease (fencing): done, retry after a backoff, failed, or deferred (open circuit); updates counters and progress, finishes sessions. Returns the number accepted. Called by the fetch workers.';

------------------------------------------------------------------------------
-- Functions: the stages after scraping
------------------------------------------------------------------------------

COMMENT ON FUNCTION @extschema@._scrape_note_extraction_crash(bigint) IS 'Internal: counts a crash of the extracting stage against the page it was parsing (found in a dead worker''s extraction marker) and records an extraction_crashed event; returns the page''s crashes so far. Called by the launcher.';
COMMENT ON FUNCTION @extschema@._scrape_claim_extraction(integer, integer) IS 'Internal: the next batch of extraction work, locked (SKIP LOCKED): up to p_limit done pages of one running session not extracted yet (at least p_min while the session still scrapes), with the session''s rules. Called by the workers (src/stages.c).';
COMMENT ON FUNCTION @extschema@._scrape_finish_stages(bigint, bigint) IS 'Internal: ends the stages of a job past scraping whose pages are all extracted: creating_products, then completed with metadata.products. Returns whether it did. The caller holds the session''s row lock.';
COMMENT ON FUNCTION @extschema@._scrape_record_extraction(bigint, bigint, bigint[], text[], text[], text[], text[], text[], text[]) IS 'Internal: stores a batch of extraction (the pages claimed by _scrape_claim_extraction): each page''s structured document and, for pages not parsed when fetched, its title, description, canonical URL, language and links; writes their products; updates the session''s counts and progress; ends the stages when it was the last work of a session past scraping.';
COMMENT ON FUNCTION @extschema@._scrape_jtext(jsonb) IS 'Internal: the first scalar a JSON-LD value holds, as text: a string (trimmed, NULL if empty) or number; of an array its first element; of an object its @value or name. Used by the product functions.';
COMMENT ON FUNCTION @extschema@._scrape_jurl(jsonb) IS 'Internal: the URL a JSON-LD value holds: a string, an array''s first element, or an object''s url, contentUrl or @id. Used by the product functions.';
COMMENT ON FUNCTION @extschema@._scrape_number(text) IS 'Internal: a decimal number written plainly ("4.5", "12", "4,5") as numeric, else NULL. Used for product ratings.';
COMMENT ON FUNCTION @extschema@._scrape_product_columns(text, text, text, text, text, text, text, text, text, text, text, text, text) IS 'Internal: the product columns one source gives, as a jsonb object without nulls: texts cut to length, gtin of 8-14 digits, prices and currency parsed and checked, availability normalised. Used by the product functions.';
COMMENT ON FUNCTION @extschema@._scrape_product_from_item(jsonb) IS 'Internal: the product columns of a schema.org Product (JSON-LD, or a microdata item in its shape) and of its first Offer or AggregateOffer with a price. Used by _scrape_product.';
COMMENT ON FUNCTION @extschema@._scrape_first_product(jsonb) IS 'Internal: the first schema.org Product (or ProductGroup, ProductModel, IndividualProduct, SomeProducts) at any depth of a list of JSON-LD blocks or microdata items; NULL if none. Used by _scrape_product.';
COMMENT ON FUNCTION @extschema@._scrape_product(jsonb, text, text) IS 'Internal: the product a page describes, per column the first of its rules, JSON-LD, microdata, OpenGraph, title and description, as {"columns", "raw"}; NULL when no source says it is a product. Called by _scrape_create_products.';
COMMENT ON FUNCTION @extschema@._scrape_product_url(text, text, text) IS 'Internal: the URL a product is known by: the page''s canonical URL if it is on the host the page was fetched from, else the URL it was fetched from. Called by _scrape_create_products.';
COMMENT ON FUNCTION @extschema@._scrape_write_products(bigint, bigint[]) IS 'Internal: the products of a batch of extracted pages, one INSERT ... ON CONFLICT, the page of the highest id winning a shared key (in the batch and across batches). Returns how many it wrote.';

------------------------------------------------------------------------------
-- Functions: heartbeats, orphans and recovery
------------------------------------------------------------------------------

COMMENT ON FUNCTION @extschema@._scrape_heartbeat(bigint[], bigint[]) IS 'Internal: heartbeats the jobs a worker holds under their leases and returns the ids of those it no longer owns (cancelled, finished or recovered), whose transfers it drops; a job row another transaction holds is skipped, never waited for. Called by the fetch workers every scrape_jobs.heartbeat_interval.';
COMMENT ON FUNCTION @extschema@._scrape_release_orphans(bigint[]) IS 'Internal: hands back to the queue the pages held by worker tokens not in p_live: a page whose request had started (its worker''s journal lists it) spends an attempt (failed as worker_lost once its attempts are spent), a page still in the worker''s backlog gets its attempt back; returns the pages released. Called by the launcher at start-up and when a worker exits.';
COMMENT ON FUNCTION @extschema@._scrape_started_pages(bigint) IS 'Internal: the requests (page ids and attempts) the fetch worker of a claim token has started, from its started-pages journal (a file under pg_scrape_jobs/ in the data directory); both NULL when it has none. Read by _scrape_pages_started.';
COMMENT ON FUNCTION @extschema@._scrape_pages_started(bigint[]) IS 'Internal: which of the given fetching pages had their request started (listed at their current attempt by the journal of the worker holding them, or held by a worker without a journal); the others were in that worker''s backlog. Called by _scrape_release_orphans and _scrape_recover_job.';
COMMENT ON FUNCTION @extschema@._scrape_next_due() IS 'Internal: the earliest not_before of a pending page (a retry or deferral coming due), NULL if none, for the workers'' timers. Called by the fetch workers.';
COMMENT ON FUNCTION @extschema@._scrape_recover_job(bigint, interval) IS 'Internal: recovers one stuck job (no heartbeat for p_timeout, pages in flight): pages back to pending, lease bumped, a job_stuck alert, then requeued with backoff or dead-lettered. Returns whether it recovered the job. Called by scrape_detect_stuck.';
COMMENT ON FUNCTION @extschema@._scrape_recover_stage(bigint, interval) IS 'Internal: a job in a stage after scraping with no batch for p_timeout. Queued (nobody holds its pages still to extract): not stuck, nothing done. Held by a batch whose transaction began before p_timeout (a frozen worker): one job_stuck alert for that hold, no attempt charged. Returns whether it alerted. Called by scrape_detect_stuck.';
COMMENT ON FUNCTION @extschema@.scrape_prune_history(integer) IS 'Deletes up to batch of the oldest job_history rows older than scrape_jobs.history_retention and returns how many; the monitor (scrape_monitor) runs one batch per pass.';

------------------------------------------------------------------------------
-- Functions: alert delivery (the alerter)
------------------------------------------------------------------------------

COMMENT ON FUNCTION @extschema@._scrape_sentry_envelope(@extschema@.alerts) IS 'Internal: the Sentry envelope of an alert: a header line, an item header line and the event (fixed event_id, level, message, tags, detail as extra). Called by _scrape_alerts_due.';
COMMENT ON FUNCTION @extschema@._scrape_alerts_due(integer) IS 'Internal: up to p_limit undelivered alerts due for delivery, oldest first, with their Sentry envelopes. Called by the alerter.';
COMMENT ON FUNCTION @extschema@._scrape_next_alert_due() IS 'Internal: when the next undelivered alert waiting for a retry is due; NULL if none waits. Called by the alerter.';
COMMENT ON FUNCTION @extschema@._scrape_alert_delivery(bigint, boolean, text, integer) IS 'Internal: records the outcome of an alert''s delivery: delivered, or failed with the error and retried after a backoff (the server''s Retry-After in ms, if given). Called by the alerter.';

------------------------------------------------------------------------------
-- Functions: the SQL API
------------------------------------------------------------------------------

COMMENT ON FUNCTION @extschema@.scrape_status(bigint) IS 'One row on a session: its status and its job''s, stage, progress (0-100), page counts (known, done, failed, pending or in flight), start, finish, duration and last error. No row for an unknown session or another workspace''s.';
COMMENT ON FUNCTION @extschema@.scrape_cancel(bigint) IS 'Cancels a pending or running session: its pending and in-flight pages become cancelled, its job is fenced (lease bumped), and the workers drop its transfers at COMMIT; stored pages stay. False if the session does not exist, is another workspace''s or has ended.';
COMMENT ON FUNCTION @extschema@.scrape_wait(bigint, interval) IS 'Blocks until the session ends or the timeout passes and returns its status (still pending or running on timeout). 42704 for an unknown session; not allowed in REPEATABLE READ or SERIALIZABLE transactions (25001).';
COMMENT ON FUNCTION @extschema@.scrape_detect_stuck() IS 'Recovers the stuck jobs once: processing with pages in flight and no heartbeat for scrape_jobs.stuck_timeout (returns how many), alerts a batch of extraction that has held its pages that long, and ends the stages of a job past scraping with nothing left to extract. Run by the monitor; can be scheduled from pg_cron.';
COMMENT ON FUNCTION @extschema@.scrape_monitor() IS 'One monitor pass: scrape_detect_stuck(), one batch of scrape_prune_history() and one of scrape_prune_bodies(), as OUT recovered (jobs), OUT pruned (history rows) and OUT bodies_pruned (page bodies). The launcher runs it every scrape_jobs.monitor_interval; pg_cron can too.';
COMMENT ON FUNCTION @extschema@.scrape_prune_bodies(integer) IS 'Empties the bodies of up to batch pages of sessions that finished (completed, failed or cancelled) longer than scrape_jobs.body_retention ago, oldest first, and returns how many; page rows, extracted data and products stay. The monitor runs one batch per pass.';
COMMENT ON FUNCTION @extschema@.scrape_requeue_dead(bigint) IS 'Puts a dead-lettered job back to work from its checkpoint: stored pages stay; parked pages and those that failed retryably get fresh attempts. Returns true; 42704 for an unknown job, 55000 for one not in the dead-letter queue.';
COMMENT ON FUNCTION @extschema@.scrape_metrics() IS 'The queue''s health in one row, from shared-memory counters rather than history: web_scraping jobs by status, throughput, error rate (0-1), processing times (ms: mean, p50, p95, p99), queue figures. README, "Metrics".';
COMMENT ON FUNCTION @extschema@.scrape_workers() IS 'One row per running fetch worker: slot, pid, state (starting, idle, fetching, writing), a job it holds pages of, transfers in flight, pages fetched, claims (queue passes that claimed), started_at, last_activity.';
COMMENT ON FUNCTION @extschema@.scrape_circuit_breakers() IS 'One row per host the workers have talked to: circuit state (closed, open, half_open), consecutive failures, opened_at, next_probe_at, active connections, requests and failures, from shared memory.';
COMMENT ON FUNCTION @extschema@.scrape_host_stats() IS 'Per host the workers have talked to since the server started: finished requests, errors (all and by class), mean and p95 fetch time (ms), circuit state, connections in flight, current gap between requests (ms).';
COMMENT ON FUNCTION @extschema@._scrape_prom_label(text) IS 'Internal: a Prometheus label value with backslash, double quote and newline escaped. Called by scrape_metrics_prometheus.';
COMMENT ON FUNCTION @extschema@.scrape_metrics_prometheus() IS 'The metrics in the Prometheus text exposition format 0.0.4, each family with HELP and TYPE, histograms in seconds with cumulative buckets; for an exporter''s custom query or a textfile collector.';
COMMENT ON FUNCTION @extschema@.scrape_check_address(text, text) IS 'NULL if the fetcher may connect to this address (for a URL with this host), else the reason it is refused: the SSRF rules the workers apply, with the current settings. README, "SSRF defences".';
COMMENT ON FUNCTION @extschema@.scrape_robots_check(text, text, text) IS 'The robots.txt verdict (RFC 9309) for a path and query and a User-Agent (default scrape_jobs.user_agent): allowed, crawl_delay (seconds), and the rule that decided.';
COMMENT ON FUNCTION @extschema@.scrape_robots_sitemaps(text) IS 'The URLs of the Sitemap: lines of a robots.txt, one per row.';

------------------------------------------------------------------------------
-- The launcher
------------------------------------------------------------------------------

COMMENT ON FUNCTION @extschema@.scrape_launcher() IS 'The launcher and the state of the extension it found: running, waiting_for_extension, or waiting_for_update (the library serves another version than the one installed), with its pid, database, the installed and library versions and a detail saying what to run.';
COMMENT ON FUNCTION @extschema@._scrape_worker_label(bigint) IS 'Internal: which worker a claim token belongs to ("worker 1, pid 4242"), for job_history; "token N" when no live worker has it. Called by _scrape_claim.';

-- 0.1.8
COMMENT ON TABLE @extschema@.channel_key IS 'The secret key that names each workspace''s notification channel (scrape_channel()): one row, for the owner only (row-level security without a policy); not dumped, so a restored database has a new key.';
COMMENT ON COLUMN @extschema@.channel_key.one IS 'Always true: the table has one row.';
COMMENT ON COLUMN @extschema@.channel_key.key IS '32 random bytes (two gen_random_uuid() values).';
COMMENT ON FUNCTION @extschema@._scrape_channel(uuid) IS 'Internal: the notification channel of a workspace (NULL: sessions without one, host alerts), scrape_jobs_ and 32 hex digits of SHA-256 of the channel key and the workspace. Called by _scrape_notify_progress and _scrape_record_alert.';
COMMENT ON FUNCTION @extschema@.scrape_channel(uuid) IS 'The notification channel of a workspace, where progress and alerts are notified in full (README, "Notifications"); for members of the workspace, and for administrators with NULL (the sessions without a workspace). Raises 42501 for anyone else.';
COMMENT ON FUNCTION @extschema@._scrape_workspace_firsts(integer) IS 'Internal: the oldest session with pending pages of each of up to p_limit workspaces, from a random one on, and of the sessions without a workspace (among the first 20 live sessions of each); the claim''s turns between workspaces take these besides the oldest sessions of all. Called by _scrape_claim.';

-- ======== install/privileges.sql ========

/*
 * install/privileges.sql
 *
 * Privileges: nothing for PUBLIC.  An administrator grants what an
 * application role needs (README, "Privileges").  Runs last, in installs and
 * upgrades alike, so that every function a release adds is covered.
 */

DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN
        SELECT p.oid::regprocedure
          FROM pg_catalog.pg_proc p
          JOIN pg_catalog.pg_depend d
            ON d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
           AND d.objid = p.oid AND d.deptype = 'e'
          JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
         WHERE e.extname = 'scrape_jobs'
    LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    END LOOP;
END;
$$;

-- Tell a running launcher (at COMMIT) that the extension now exists.
SELECT @extschema@._scrape_wake(true, false, false);
