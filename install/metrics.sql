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
