-- NULL arguments to every function of the extension (issue 21): a call may
-- fail, with any error but an internal one, and the backend survives it.
-- scrape_check_address(NULL) used to take the server down (signal 11).
\set SHOW_CONTEXT never

CREATE FUNCTION pg_temp.sqlstate_of(cmd text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE cmd;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END;
$$;

-- The calls of the issue, as a user sees them.  A NULL address is an
-- error, not a NULL result: NULL would say "allowed".
SELECT scrape.scrape_check_address(NULL);
SELECT scrape.scrape_check_address(NULL, NULL);
SET scrape_jobs.allow_private_networks = off;
SELECT scrape.scrape_check_address('127.0.0.1', NULL) AS loopback;
RESET scrape_jobs.allow_private_networks;
SELECT scrape.scrape_requeue_dead(NULL);

SELECT cmd, pg_temp.sqlstate_of(cmd) AS sqlstate
  FROM (VALUES
    ($$SELECT scrape.scrape_check_address(NULL)$$),
    ($$SELECT scrape.scrape_check_address(NULL, NULL)$$),
    ($$SELECT scrape.scrape_check_address(NULL, 'example.com')$$),
    ($$SELECT scrape.scrape_check_address('127.0.0.1', NULL)$$),
    ($$SELECT scrape.scrape_check_address('')$$),
    ($$SELECT scrape.scrape_wait(NULL)$$),
    ($$SELECT scrape.scrape_wait(NULL, '1 s')$$),
    ($$SELECT scrape.scrape_wait(1, NULL)$$),
    ($$SELECT scrape.scrape_requeue_dead(NULL)$$)
  ) AS t(cmd);

-- The C functions whose NULL arguments mean a NULL result or a default.
SELECT * FROM scrape.scrape_robots_check(NULL, '/');
SELECT * FROM scrape.scrape_robots_check('User-agent: *', NULL);
SELECT scrape.scrape_robots_check(NULL, NULL) IS NULL AS null_row;
SELECT allowed, rule
  FROM scrape.scrape_robots_check(E'User-agent: *\nDisallow: /a', '/a', NULL);
SELECT * FROM scrape.scrape_parse_price(NULL);
SELECT scrape.scrape_parse_html(NULL, 'http://example.com/') IS NULL AS no_html,
       scrape.scrape_parse_html('<p>', NULL) IS NULL AS no_url,
       scrape.scrape_parse_html('<title>t</title>', 'http://example.com/',
                                NULL) ->> 'title' AS no_rules;
SELECT scrape._scrape_in_scope(NULL, 'http://example.com/', 'host') AS no_seed,
       scrape._scrape_in_scope('http://example.com/', NULL, 'host') AS no_url,
       scrape._scrape_in_scope('http://example.com/', 'http://example.com/x',
                               NULL) AS default_scope;

-- Zero-length text.
SELECT * FROM scrape.scrape_robots_check('', '', '');
SELECT count(*) AS sitemaps FROM scrape.scrape_robots_sitemaps('');
SELECT * FROM scrape.scrape_parse_price('');
SELECT scrape.scrape_parse_html('', '');
SELECT scrape.scrape_normalize_availability('') AS availability,
       scrape._scrape_xpath_error('') IS NOT NULL AS xpath_refused,
       scrape._scrape_origin('') AS origin, scrape._scrape_path('') AS path,
       scrape._scrape_host('') AS host,
       scrape._scrape_in_scope('', '', '') AS in_scope;

-- Arrays: NULL, empty, with NULL elements, of two dimensions.
SELECT count(*) AS rows FROM scrape._scrape_quantiles(NULL);
SELECT count(*) > 0 AS rows, bool_and(cardinality(quantiles) = 0) AS empty
  FROM scrape._scrape_quantiles('{}');
SELECT count(*) > 0 AS rows,
       bool_and(cardinality(quantiles) = 1 AND quantiles[1] IS NULL) AS null_quantile
  FROM scrape._scrape_quantiles('{NULL}');
SELECT count(*) > 0 AS rows,
       bool_and(cardinality(quantiles) = 2 AND quantiles[2] IS NULL) AS null_quantile
  FROM scrape._scrape_quantiles('{{0.5}, {NULL}}');

-- Every function with NULL arguments: for each argument in turn, NULL
-- there and a sample value of its type elsewhere; then every argument
-- NULL; then '' for every text argument, and '{NULL}' for every array.
-- Each function is called in FROM and in the select list (a set-returning
-- or composite result takes another path there); a procedure by CALL.
--
-- Each call is a statement of its own (\gexec below): a DO block that runs
-- it in a subtransaction and records its SQLSTATE.  statement_timeout is
-- armed once per top-level statement, so inside one DO block looping over
-- the calls it would bound the whole loop once, not each call; this way
-- every call has its 2 s, and one that takes them (57014, caught by name:
-- WHEN OTHERS does not catch it) leaves the others to run.  All in one
-- transaction, rolled back: the calls write to the extension's tables.
BEGIN;
SET LOCAL statement_timeout = '2s';
-- (type names spelled in full, qualified outside pg_catalog)
SET LOCAL search_path = pg_catalog, pg_temp;

CREATE FUNCTION pg_temp.nulls_sample(t oid) RETURNS text
LANGUAGE sql STABLE AS $$
SELECT CASE
           WHEN t = 'pg_catalog.text'::regtype THEN quote_literal('http://127.0.0.1/')
           WHEN t IN ('pg_catalog.int2'::regtype, 'pg_catalog.int4'::regtype,
                      'pg_catalog.int8'::regtype, 'pg_catalog.oid'::regtype,
                      'pg_catalog.numeric'::regtype, 'pg_catalog.float4'::regtype,
                      'pg_catalog.float8'::regtype) THEN '1'
           WHEN t = 'pg_catalog.bool'::regtype THEN 'false'
           WHEN t IN ('pg_catalog.jsonb'::regtype, 'pg_catalog.json'::regtype)
               THEN quote_literal('{}')
           WHEN t = 'pg_catalog.interval'::regtype THEN quote_literal('1s')
           WHEN t = 'pg_catalog.uuid'::regtype
               THEN quote_literal('00000000-0000-4000-8000-000000000021')
           WHEN t = 'pg_catalog.bytea'::regtype THEN quote_literal('')
           WHEN t = 'pg_catalog.timestamptz'::regtype
               THEN quote_literal('2026-01-01 00:00:00+00')
           WHEN (SELECT ty.typcategory FROM pg_catalog.pg_type ty
                  WHERE ty.oid = t) = 'A' THEN quote_literal('{}')
           ELSE 'NULL'
       END || '::' || format_type(t, NULL)
$$;

CREATE TEMP TABLE nulls_functions AS
SELECT p.oid::regprocedure AS fn, p.prokind, l.lanname AS language,
       format('scrape.%I', p.proname) AS name,
       p.proargtypes::oid[] AS argtypes,
       p.provariadic <> 0 AS is_variadic,
       CASE
           WHEN p.prorettype IN ('pg_catalog.trigger'::regtype,
                                 'pg_catalog.event_trigger'::regtype) THEN 'trigger'
           WHEN p.prokind NOT IN ('f', 'p') THEN 'aggregate'
       END AS skipped
  FROM pg_catalog.pg_proc p
  JOIN pg_catalog.pg_language l ON l.oid = p.prolang
  JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_proc'::regclass
                             AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_catalog.pg_extension e ON d.refclassid = 'pg_catalog.pg_extension'::regclass
                                AND d.refobjid = e.oid
 WHERE e.extname = 'scrape_jobs'
   AND p.pronamespace = 'scrape'::regnamespace;

CREATE TEMP TABLE nulls_plan AS
WITH variants (fn, variant, arg) AS (
    SELECT f.fn, 'null', a.pos::integer
      FROM pg_temp.nulls_functions f,
           unnest(f.argtypes) WITH ORDINALITY AS a(t, pos)
     WHERE f.skipped IS NULL
    UNION ALL
    SELECT f.fn, 'all null', NULL
      FROM pg_temp.nulls_functions f
     WHERE f.skipped IS NULL
    UNION ALL
    SELECT f.fn, 'empty text', NULL
      FROM pg_temp.nulls_functions f
     WHERE f.skipped IS NULL AND 'pg_catalog.text'::regtype::oid = ANY (f.argtypes)
    UNION ALL
    SELECT f.fn, 'null element', NULL
      FROM pg_temp.nulls_functions f
     WHERE f.skipped IS NULL
       AND EXISTS (SELECT FROM unnest(f.argtypes) AS a(t)
                     JOIN pg_catalog.pg_type ty ON ty.oid = a.t
                    WHERE ty.typcategory = 'A')
), calls AS (
    SELECT v.fn, v.variant, v.arg, fm.form,
           CASE fm.form
               WHEN 'call' THEN format('CALL %s(%s)', f.name, x.args)
               WHEN 'from' THEN format('SELECT count(*) FROM %s(%s) AS f', f.name, x.args)
               ELSE format('SELECT %s(%s)', f.name, x.args)
           END AS call
      FROM variants v
      JOIN pg_temp.nulls_functions f ON f.fn = v.fn
      JOIN (VALUES ('p', 'call'), ('f', 'from'), ('f', 'select')) AS fm(prokind, form)
        ON fm.prokind = f.prokind::text
     CROSS JOIN LATERAL (
        SELECT coalesce(string_agg(
                   CASE WHEN f.is_variadic AND a.pos = cardinality(f.argtypes)
                        THEN 'VARIADIC ' ELSE '' END ||
                   CASE
                       WHEN v.variant = 'all null'
                            OR (v.variant = 'null' AND a.pos = v.arg)
                           THEN 'NULL::' || format_type(a.t, NULL)
                       WHEN v.variant = 'empty text' AND a.t = 'pg_catalog.text'::regtype
                           THEN '''''::text'
                       WHEN v.variant = 'null element' AND ty.typcategory = 'A'
                           THEN '''{NULL}''::' || format_type(a.t, NULL)
                       ELSE pg_temp.nulls_sample(a.t)
                   END, ', ' ORDER BY a.pos), '') AS args
          FROM unnest(f.argtypes) WITH ORDINALITY AS a(t, pos)
          JOIN pg_catalog.pg_type ty ON ty.oid = a.t) AS x
)
SELECT row_number() OVER (ORDER BY c.fn::text COLLATE "C", c.variant COLLATE "C",
                                   c.arg, c.form COLLATE "C") AS id,
       c.*, NULL::text AS sqlstate
  FROM calls c;

SELECT format($gen$
DO $call$
DECLARE
    v_sqlstate text := '00000';
BEGIN
    BEGIN
        EXECUTE %L;
    EXCEPTION
        WHEN query_canceled THEN
            v_sqlstate := SQLSTATE;
        WHEN OTHERS THEN
            v_sqlstate := SQLSTATE;
    END;
    UPDATE pg_temp.nulls_plan SET sqlstate = v_sqlstate WHERE id = %s;
END
$call$$gen$, p.call, p.id)
  FROM pg_temp.nulls_plan p
 ORDER BY p.id
\set ECHO none
\set QUIET on
\gexec
\set QUIET off
\set ECHO all

-- What was called: every function of the extension but the trigger, each
-- with every argument NULL in turn, and every call ran to its end.
SELECT count(DISTINCT fn) >= 90 AS functions_called,
       count(*) >= 600 AS calls_made,
       count(*) FILTER (WHERE sqlstate IS NULL) = 0 AS every_call_ran,
       count(DISTINCT fn) FILTER (WHERE variant = 'all null')
           = count(DISTINCT fn) AS every_function_all_null
  FROM pg_temp.nulls_plan;
SELECT fn AS not_called, skipped
  FROM pg_temp.nulls_functions
 WHERE skipped IS NOT NULL
 ORDER BY fn::text COLLATE "C";

-- Where NULL must be refused with 22004 (null_value_not_allowed): at that
-- argument, and when every argument is NULL.
CREATE TEMP TABLE nulls_expect_22004 (fn regprocedure, arg integer);
INSERT INTO pg_temp.nulls_expect_22004 VALUES
    ('scrape._scrape_check_url(text)', 1),
    ('scrape.scrape_check_address(text,text)', 1),
    ('scrape.scrape_requeue_dead(bigint)', 1),
    ('scrape.scrape_submit(text,text,integer,uuid,jsonb)', 1),
    ('scrape.scrape_submit(text,text,integer,uuid,jsonb)', 2),
    ('scrape.scrape_submit_urls(text[],uuid,jsonb)', 1),
    ('scrape.scrape_wait(bigint,interval)', 1),
    ('scrape.scrape_wait(bigint,interval)', 2);

-- The calls that failed the test: an internal error (class XX: a
-- can't-happen elog, corrupted data), or anything but 22004 where 22004 is
-- expected.  Empty.
SELECT p.fn AS function, p.variant, p.arg AS argument, p.form, p.sqlstate
  FROM pg_temp.nulls_plan p
 WHERE p.sqlstate LIKE 'XX%'
    OR (p.sqlstate <> '22004'
        AND EXISTS (SELECT FROM pg_temp.nulls_expect_22004 e
                     WHERE e.fn = p.fn
                       AND (p.variant = 'all null'
                            OR (p.variant = 'null' AND p.arg = e.arg))))
 ORDER BY p.id;

-- The calls that ran into statement_timeout (a function that waits on
-- something no NULL should make it wait for).  Empty.
SELECT p.fn AS function, p.variant, p.arg AS argument, p.form
  FROM pg_temp.nulls_plan p
 WHERE p.sqlstate = '57014'
 ORDER BY p.id;

-- What each C function answers (00000: no error), the forms together.
SELECT p.fn AS function, p.variant, p.arg AS argument,
       string_agg(DISTINCT p.sqlstate, ', ' ORDER BY p.sqlstate) AS sqlstate
  FROM pg_temp.nulls_plan p
  JOIN pg_temp.nulls_functions f ON f.fn = p.fn
 WHERE f.language = 'c'
 GROUP BY p.fn, p.variant, p.arg
 ORDER BY p.fn::text COLLATE "C", p.variant COLLATE "C", p.arg;
ROLLBACK;
