-- Installing the extension: tables, indexes, functions, privileges.
--
-- An application's database already has tables of these names: the
-- extension goes into a schema of its own (scrape) and leaves them alone
-- (schema.sql checks them again after every other test has run).
CREATE TABLE public.products (id serial PRIMARY KEY, name text, price numeric);
CREATE TABLE public.alerts (id serial PRIMARY KEY, message text);
CREATE TABLE public.background_jobs (id serial PRIMARY KEY, kind text);
CREATE TABLE public.scraping_pages (id serial PRIMARY KEY, url text);
INSERT INTO public.products (name, price) VALUES ('the app''s own', 9.99);
INSERT INTO public.alerts (message) VALUES ('the app''s own');
INSERT INTO public.background_jobs (kind) VALUES ('the app''s own');
INSERT INTO public.scraping_pages (url) VALUES ('https://app.example/');

CREATE EXTENSION scrape_jobs;
SELECT extname, extversion, extnamespace::regnamespace AS schema, extrelocatable
  FROM pg_extension WHERE extname = 'scrape_jobs';

-- The other test files read the extension's tables by their short names:
-- the database's search_path puts its schema first (an application would
-- rather append it, README "Installation").
SELECT current_database() AS db \gset
ALTER DATABASE :"db" SET search_path = scrape, public;
SET search_path = scrape, public;

SELECT c.relname, c.relpersistence, count(a.attnum) AS columns
  FROM pg_class c
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
 WHERE c.relnamespace = 'scrape'::regnamespace AND c.relkind = 'r'
 GROUP BY c.relname, c.relpersistence
 ORDER BY c.relname;

SELECT tablename, indexname, indexdef
  FROM pg_indexes WHERE schemaname = 'scrape' ORDER BY tablename, indexname;

-- API functions
SELECT p.proname, pg_get_function_arguments(p.oid) AS arguments,
       pg_get_function_result(p.oid) AS result
  FROM pg_proc p
 WHERE p.pronamespace = 'scrape'::regnamespace AND p.proname LIKE 'scrape%'
 ORDER BY p.proname;

-- Nothing is executable by PUBLIC, and every function pins its search_path.
SELECT p.proname
  FROM pg_proc p
 WHERE p.pronamespace = 'scrape'::regnamespace
   AND (p.proname LIKE 'scrape%' OR p.proname LIKE '\_scrape%')
   AND (has_function_privilege('public', p.oid, 'EXECUTE')
        OR NOT coalesce(p.proconfig::text LIKE '%search_path=pg_catalog, pg_temp%', false)
           AND p.prolang <> (SELECT oid FROM pg_language WHERE lanname = 'c'))
 ORDER BY 1;

-- CHECK constraints keep the enumerations honest.
\set VERBOSITY terse
INSERT INTO scrape.background_jobs (status) VALUES ('sleeping');
INSERT INTO scrape.background_jobs (current_stage) VALUES ('dreaming');
INSERT INTO scrape.background_jobs (progress) VALUES (101);
\set VERBOSITY default
