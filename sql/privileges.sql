-- Privileges and tenants.  Nothing is granted to PUBLIC; an application role
-- given EXECUTE on the API (SECURITY DEFINER functions) needs no right on
-- the tables.  Row-level security and the API's own checks confine a role
-- to the workspaces it is a member of (workspace_members).
\set SHOW_CONTEXT never
CREATE ROLE regress_scrape_alice;
CREATE ROLE regress_scrape_bob;
CREATE ROLE regress_scrape_team;          -- a group: its members inherit it
GRANT regress_scrape_team TO regress_scrape_bob;
INSERT INTO workspace_members VALUES
    ('aaaaaaaa-0000-4000-8000-000000000001', 'regress_scrape_alice'),
    ('bbbbbbbb-0000-4000-8000-000000000002', 'regress_scrape_team');

-- the schema is the extension's own: a role needs USAGE to reach the API
GRANT USAGE ON SCHEMA scrape TO regress_scrape_alice, regress_scrape_bob;
GRANT EXECUTE ON FUNCTION scrape_submit(text, text, integer, uuid, jsonb),
                          scrape_submit_urls(text[], uuid, jsonb),
                          scrape_status(bigint), scrape_cancel(bigint),
                          scrape_wait(bigint, interval), scrape_metrics()
   TO regress_scrape_alice, regress_scrape_bob;
GRANT SELECT ON scraping_sessions, scraping_pages, background_jobs, job_history,
                workspace_members, scrape_dead_letters, alerts, products
   TO regress_scrape_alice, regress_scrape_bob;
-- products of both workspaces, and one without a workspace (admins only)
INSERT INTO products (workspace_id, product_key, url, name, raw) VALUES
    ('aaaaaaaa-0000-4000-8000-000000000001', 'url:a', 'http://alice.example/p', 'alice''s product', '{}'),
    ('bbbbbbbb-0000-4000-8000-000000000002', 'url:b', 'http://bob.example/p', 'bob''s product', '{}'),
    (NULL, 'url:c', 'http://admin.example/p', 'nobody''s product', '{}');

-- alice works in her workspace
SET ROLE regress_scrape_alice;
SELECT scrape_submit('http://alice.example/', workspace_id => 'aaaaaaaa-0000-4000-8000-000000000001') AS alice_sid \gset
SELECT status, pages_known FROM scrape_status(:alice_sid);
SELECT scrape_wait(:alice_sid, '10 ms');
-- but not in bob's, nor without a workspace
SELECT scrape_submit('http://alice.example/2', workspace_id => 'bbbbbbbb-0000-4000-8000-000000000002');
SELECT scrape_submit('http://alice.example/3');
-- nor in the tables or the workers' functions
SELECT _scrape_claim(1, 10);
SELECT * FROM scrape_workers();
RESET ROLE;

-- bob (through his team) works in workspace b
SET ROLE regress_scrape_bob;
SELECT scrape_submit_urls(ARRAY['http://bob.example/1', 'http://bob.example/2'],
                          'bbbbbbbb-0000-4000-8000-000000000002') AS bob_sid \gset
-- alice's session is as good as absent to him
SELECT count(*) AS rows FROM scrape_status(:alice_sid);
SELECT scrape_cancel(:alice_sid) AS cancelled;
SELECT scrape_wait(:alice_sid, '10 ms');
-- what he sees in the tables
SELECT source_url FROM scraping_sessions ORDER BY id;
SELECT url FROM scraping_pages ORDER BY id;
SELECT count(*) AS jobs FROM background_jobs WHERE job_type = 'web_scraping';
SELECT count(*) AS events FROM job_history;
SELECT workspace_id FROM workspace_members;
SELECT name FROM products ORDER BY name;
RESET ROLE;

-- alice sees only hers
SET ROLE regress_scrape_alice;
SELECT source_url FROM scraping_sessions ORDER BY id;
SELECT url FROM scraping_pages ORDER BY id;
SELECT name FROM products ORDER BY name;
SELECT scrape_cancel(:bob_sid) AS cancel_bobs;
SELECT scrape_cancel(:alice_sid) AS cancel_hers;
RESET ROLE;
SELECT status FROM scraping_sessions WHERE id = :bob_sid;

-- notifications: the public channel carries ids only; each workspace's
-- channel, with the whole payload, is named for its members and the
-- administrators, and is the same for all of them
GRANT EXECUTE ON FUNCTION scrape_channel(uuid) TO regress_scrape_alice, regress_scrape_bob;
SELECT scrape_channel('aaaaaaaa-0000-4000-8000-000000000001') AS alice_channel \gset
SELECT :'alice_channel' ~ '^scrape_jobs_[0-9a-f]{32}$' AS channel_named,
       :'alice_channel' <> scrape_channel('bbbbbbbb-0000-4000-8000-000000000002') AS channels_differ,
       scrape_channel() <> :'alice_channel' AS admin_channel_differs;
SET ROLE regress_scrape_alice;
SELECT scrape_channel('aaaaaaaa-0000-4000-8000-000000000001') = :'alice_channel' AS alice_gets_hers;
SELECT scrape_channel('bbbbbbbb-0000-4000-8000-000000000002');
SELECT scrape_channel();
SELECT count(*) FROM channel_key;
RESET ROLE;
SET ROLE regress_scrape_bob;
SELECT scrape_channel('aaaaaaaa-0000-4000-8000-000000000001');
RESET ROLE;
-- even granted, the key's table shows no row (row-level security, no policy)
GRANT SELECT ON channel_key TO regress_scrape_alice;
SET ROLE regress_scrape_alice;
SELECT count(*) AS keys_seen FROM channel_key;
RESET ROLE;
REVOKE SELECT ON channel_key FROM regress_scrape_alice;
REVOKE EXECUTE ON FUNCTION scrape_channel(uuid) FROM regress_scrape_alice, regress_scrape_bob;
-- (what each channel hears: test/notify_check.py)

-- a role with no grant can do nothing
CREATE ROLE regress_scrape_nobody;
SET ROLE regress_scrape_nobody;
SELECT scrape.scrape_submit('http://nobody.example/');
SELECT count(*) FROM scrape.scraping_sessions;
RESET ROLE;

-- the search_path attack: a function and an operator planted in a schema
-- the caller controls, first on its search_path, are never run by the API
CREATE SCHEMA regress_evil AUTHORIZATION regress_scrape_alice;
SET ROLE regress_scrape_alice;
CREATE TABLE regress_evil.pwned (what text);
CREATE FUNCTION regress_evil.cardinality(anyarray) RETURNS integer
    LANGUAGE sql AS $$ INSERT INTO regress_evil.pwned VALUES ('cardinality') RETURNING 1 $$;
CREATE FUNCTION regress_evil.now() RETURNS timestamptz
    LANGUAGE sql AS $$ INSERT INTO regress_evil.pwned VALUES ('now') RETURNING 'epoch'::timestamptz $$;
CREATE FUNCTION regress_evil.text_eq(text, text) RETURNS boolean
    LANGUAGE sql AS $$ INSERT INTO regress_evil.pwned VALUES ('=') RETURNING true $$;
CREATE OPERATOR regress_evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = regress_evil.text_eq);
SET search_path = regress_evil, public;
SELECT scrape.scrape_submit_urls(ARRAY['http://alice.example/evil'],
                                 'aaaaaaaa-0000-4000-8000-000000000001') IS NOT NULL AS submitted;
SELECT count(*) AS live FROM scrape.scrape_status(
    (SELECT max(id) FROM scrape.scraping_sessions));
SELECT * FROM regress_evil.pwned;
RESET search_path;
RESET ROLE;

-- the API functions run with the owner's rights and a pinned search_path
SELECT p.proname, p.prosecdef, p.proconfig
  FROM pg_proc p
 WHERE p.pronamespace = 'scrape'::regnamespace AND p.proname LIKE 'scrape%'
 ORDER BY 1;

DROP SCHEMA regress_evil CASCADE;
DELETE FROM workspace_members;
REVOKE ALL ON FUNCTION scrape_submit(text, text, integer, uuid, jsonb),
                       scrape_submit_urls(text[], uuid, jsonb),
                       scrape_status(bigint), scrape_cancel(bigint),
                       scrape_wait(bigint, interval), scrape_metrics()
  FROM regress_scrape_alice, regress_scrape_bob;
REVOKE ALL ON scraping_sessions, scraping_pages, background_jobs, job_history,
              workspace_members, scrape_dead_letters, alerts, products
  FROM regress_scrape_alice, regress_scrape_bob;
DELETE FROM products WHERE product_key IN ('url:a', 'url:b', 'url:c');
REVOKE USAGE ON SCHEMA scrape FROM regress_scrape_alice, regress_scrape_bob;
DROP ROLE regress_scrape_alice, regress_scrape_bob, regress_scrape_team,
          regress_scrape_nobody;
