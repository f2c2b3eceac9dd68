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
