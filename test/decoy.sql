-- A hostile search_path for everything that connects without choosing its
-- own (test/run.sh): the launcher, the fetch workers, the alerter and
-- pg_cron's jobs get the database's default, which puts this schema first.
-- It has tables named like the extension's and functions with the names
-- and arguments of the ones the workers and the README's examples call:
-- each counts its call in decoy.calls, which 21_search_path.sql finds
-- empty.  Test sessions choose scrape, public (PGOPTIONS in test/run.sh).
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS decoy CASCADE;
CREATE SCHEMA decoy;
CREATE TABLE decoy.calls (what text, at timestamptz DEFAULT now());
CREATE TABLE decoy.background_jobs (id bigint, status text);
CREATE TABLE decoy.scraping_sessions (id bigint, status text);
CREATE TABLE decoy.scraping_pages (id bigint, session_id bigint, status text);
CREATE TABLE decoy.products (id bigint);
CREATE TABLE decoy.alerts (id bigint);
CREATE TABLE decoy.job_history (id bigint);
CREATE TABLE decoy.metric_counters (name text, label text, value bigint);

CREATE FUNCTION decoy._scrape_claim(bigint, integer) RETURNS SETOF record
    LANGUAGE sql AS $$ INSERT INTO decoy.calls VALUES ('_scrape_claim') RETURNING NULL::record $$;
CREATE FUNCTION decoy._scrape_heartbeat(bigint[], bigint[]) RETURNS SETOF bigint
    LANGUAGE sql AS $$ INSERT INTO decoy.calls VALUES ('_scrape_heartbeat') RETURNING 0::bigint $$;
CREATE FUNCTION decoy._scrape_next_due() RETURNS timestamptz
    LANGUAGE sql AS $$ INSERT INTO decoy.calls VALUES ('_scrape_next_due') RETURNING now() $$;
CREATE FUNCTION decoy._scrape_release_orphans(bigint[]) RETURNS integer
    LANGUAGE sql AS $$ INSERT INTO decoy.calls VALUES ('_scrape_release_orphans') RETURNING 0 $$;
CREATE FUNCTION decoy._scrape_alerts_due(integer) RETURNS SETOF record
    LANGUAGE sql AS $$ INSERT INTO decoy.calls VALUES ('_scrape_alerts_due') RETURNING NULL::record $$;
CREATE FUNCTION decoy.scrape_counters() RETURNS SETOF record
    LANGUAGE sql AS $$ INSERT INTO decoy.calls VALUES ('scrape_counters') RETURNING NULL::record $$;
CREATE FUNCTION decoy.scrape_detect_stuck() RETURNS integer
    LANGUAGE sql AS $$ INSERT INTO decoy.calls VALUES ('scrape_detect_stuck') RETURNING 0 $$;
CREATE FUNCTION decoy.scrape_monitor() RETURNS record
    LANGUAGE sql AS $$ INSERT INTO decoy.calls VALUES ('scrape_monitor') RETURNING NULL::record $$;
GRANT USAGE ON SCHEMA decoy TO PUBLIC;

SELECT current_database() AS db \gset
ALTER DATABASE :"db" SET search_path = decoy, public;
