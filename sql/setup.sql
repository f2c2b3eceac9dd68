-- Installing the extension: tables, indexes, functions, privileges.
CREATE EXTENSION scrape_jobs;

SELECT c.relname, c.relpersistence, count(a.attnum) AS columns
  FROM pg_class c
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
 GROUP BY c.relname, c.relpersistence
 ORDER BY c.relname;

SELECT tablename, indexname, indexdef
  FROM pg_indexes WHERE schemaname = 'public' ORDER BY tablename, indexname;

-- API functions
SELECT p.proname, pg_get_function_arguments(p.oid) AS arguments,
       pg_get_function_result(p.oid) AS result
  FROM pg_proc p
 WHERE p.pronamespace = 'public'::regnamespace AND p.proname LIKE 'scrape%'
 ORDER BY p.proname;

-- Nothing is executable by PUBLIC, and every function pins its search_path.
SELECT p.proname
  FROM pg_proc p
 WHERE p.pronamespace = 'public'::regnamespace
   AND (p.proname LIKE 'scrape%' OR p.proname LIKE '\_scrape%')
   AND (has_function_privilege('public', p.oid, 'EXECUTE')
        OR NOT coalesce(p.proconfig::text LIKE '%search_path=pg_catalog, pg_temp%', false)
           AND p.prolang <> (SELECT oid FROM pg_language WHERE lanname = 'c'))
 ORDER BY 1;

-- CHECK constraints keep the enumerations honest.
\set VERBOSITY terse
INSERT INTO background_jobs (status) VALUES ('sleeping');
INSERT INTO background_jobs (current_stage) VALUES ('dreaming');
INSERT INTO background_jobs (progress) VALUES (101);
\set VERBOSITY default
