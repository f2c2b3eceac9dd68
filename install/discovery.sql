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
