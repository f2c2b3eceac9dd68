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
