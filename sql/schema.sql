-- The extension's schema is its own and fixed: every installation has the
-- same names (README, "Installation").
\set VERBOSITY terse
CREATE SCHEMA elsewhere;
ALTER EXTENSION scrape_jobs SET SCHEMA elsewhere;
DROP SCHEMA elsewhere;
\set VERBOSITY default
SELECT extname, extnamespace::regnamespace, extrelocatable
  FROM pg_extension WHERE extname = 'scrape_jobs';

-- Every object of the extension is in that schema, and nothing of it in
-- public.
SELECT pg_describe_object(d.classid, d.objid, 0) AS outside
  FROM pg_depend d
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'scrape_jobs'
 WHERE d.deptype = 'e'
   AND coalesce((SELECT c.relnamespace FROM pg_class c
                  WHERE d.classid = 'pg_class'::regclass AND c.oid = d.objid),
                (SELECT p.pronamespace FROM pg_proc p
                  WHERE d.classid = 'pg_proc'::regclass AND p.oid = d.objid),
                (SELECT t.typnamespace FROM pg_type t
                  WHERE d.classid = 'pg_type'::regclass AND t.oid = d.objid),
                'scrape'::regnamespace) <> 'scrape'::regnamespace;

-- pg_dump keeps the rows of every table but the cache and the counters,
-- and the sequences of their ids (README, "Backups").
SELECT c.relname, c.relkind,
       c.oid = ANY (e.extconfig) AS dumped
  FROM pg_extension e
  JOIN pg_depend d ON d.refobjid = e.oid AND d.deptype = 'e'
                  AND d.classid = 'pg_class'::regclass
  JOIN pg_class c ON c.oid = d.objid
 WHERE e.extname = 'scrape_jobs' AND c.relkind IN ('r', 'S')
 ORDER BY dumped, c.relkind, c.relname;

-- Every table, view, column and function has a comment (\d+, \df+).
SELECT pg_describe_object(d.classid, d.objid, 0) AS undocumented
  FROM pg_depend d
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'scrape_jobs'
 WHERE d.deptype = 'e'
   AND d.classid IN ('pg_class'::regclass, 'pg_proc'::regclass)
   AND NOT (d.classid = 'pg_class'::regclass
            AND (SELECT relkind FROM pg_class WHERE oid = d.objid) NOT IN ('r', 'v'))
   AND obj_description(d.objid, CASE WHEN d.classid = 'pg_class'::regclass
                                     THEN 'pg_class' ELSE 'pg_proc' END) IS NULL
UNION ALL
SELECT format('column %s.%s', a.attrelid::regclass, a.attname)
  FROM pg_depend d
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'scrape_jobs'
  JOIN pg_class c ON c.oid = d.objid AND c.relkind IN ('r', 'v')
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE d.deptype = 'e' AND d.classid = 'pg_class'::regclass
   AND col_description(c.oid, a.attnum) IS NULL
 ORDER BY 1;

-- The application's own tables, made before CREATE EXTENSION (setup.sql),
-- are as they were after every test of the suite.
SELECT name, price FROM public.products;
SELECT message FROM public.alerts;
SELECT kind FROM public.background_jobs;
SELECT url FROM public.scraping_pages;
SELECT c.relname, count(a.attnum) AS columns
  FROM pg_class c
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
 GROUP BY c.relname ORDER BY c.relname;

-- A caller with a hostile search_path: a schema of its own first, with
-- tables, functions and an operator named like the extension's.  Qualified
-- calls run the extension's code on the extension's tables, never these.
CREATE SCHEMA hostile;
CREATE TABLE hostile.background_jobs (id bigint, status text);
CREATE TABLE hostile.scraping_sessions (id bigint, status text);
CREATE TABLE hostile.scraping_pages (id bigint, session_id bigint, url text);
CREATE FUNCTION hostile._scrape_check_url(url text) RETURNS text
    LANGUAGE sql AS $$ SELECT 'http://hijacked.example/' $$;
CREATE FUNCTION hostile._scrape_create_session(text[], text, text, integer, uuid, jsonb)
    RETURNS bigint LANGUAGE sql AS $$ SELECT -1::bigint $$;
CREATE FUNCTION hostile.texteq_hostile(text, text) RETURNS boolean
    LANGUAGE sql AS $$ SELECT true $$;
CREATE OPERATOR hostile.= (LEFTARG = text, RIGHTARG = text,
                           FUNCTION = hostile.texteq_hostile);
SET search_path = hostile, public;
SELECT scrape.scrape_submit('https://hostile-path.example/a') AS sid \gset
SELECT s.source_url, s.status, j.job_type, j.status AS job_status
  FROM scrape.scraping_sessions s JOIN scrape.background_jobs j ON j.id = s.background_job_id
 WHERE s.id = :sid;
SELECT url, status FROM scrape.scraping_pages WHERE session_id = :sid;
SELECT status, stage FROM scrape.scrape_status(:sid);
SELECT scrape.scrape_cancel(:sid);
SELECT (SELECT count(*) FROM hostile.background_jobs) AS hostile_jobs,
       (SELECT count(*) FROM hostile.scraping_sessions) AS hostile_sessions,
       (SELECT count(*) FROM hostile.scraping_pages) AS hostile_pages;
RESET search_path;
DROP SCHEMA hostile CASCADE;

-- CREATE EXTENSION into another schema is refused: the schema is fixed.
DROP EXTENSION scrape_jobs;
\set VERBOSITY terse
CREATE EXTENSION scrape_jobs SCHEMA public;
\set VERBOSITY default
SELECT count(*) AS installed FROM pg_extension WHERE extname = 'scrape_jobs';
