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
