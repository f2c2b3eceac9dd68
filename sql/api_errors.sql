-- Bad input to the API: each error as the user sees it, then the SQLSTATEs.
\set SHOW_CONTEXT never

SELECT scrape_submit(NULL);
SELECT scrape_submit('');
SELECT scrape_submit('not a url');
SELECT scrape_submit('http://');
SELECT scrape_submit('ftp://example.com/file.txt');
SELECT scrape_submit('https://example.com/', 'bogus');
SELECT scrape_submit('https://example.com/', NULL);
SELECT scrape_submit('https://example.com/', 'single', 0);
SELECT scrape_submit('https://example.com/', options => '{"colour": "blue"}');
SELECT scrape_submit('https://example.com/', options => '[1, 2]');
SELECT scrape_submit('https://example.com/', options => '{"request_timeout": "soon"}');
SELECT scrape_submit('https://example.com/', options => '{"request_timeout": "-1s"}');
SELECT scrape_submit('https://example.com/', options => '{"user_agent": 42}');
SELECT scrape_submit('https://example.com/', options => '{"scope": "domain"}');
SELECT scrape_submit('https://example.com/', 'crawl', options => '{"scope": "planet"}');
SELECT scrape_submit('https://example.com/', 'crawl', options => '{"max_depth": -1}');
SELECT scrape_submit('https://example.com/', 'crawl', options => '{"include": ["ok", "(unclosed"]}');
SELECT scrape_submit('https://example.com/', 'crawl', options => '{"obey_robots": "yes"}');
SELECT scrape_submit('https://example.com/' || repeat('a', 9000));
-- (a URL must fit the unique index of a session's pages: 0.1.7 took 8192
-- bytes, and this one failed on the index instead)
SELECT scrape_submit('https://example.com/' || (SELECT string_agg(md5(g::text), '') FROM generate_series(1, 160) g));
SELECT scrape_submit('https://example.com/' || repeat('%C3%A9', 400));
-- Intervals are measured as the workers use them (extract(epoch), a year of
-- 365.25 days): 0.1.7 let these pass as under a day, then overflowed the
-- claim's integer cast in every worker.
SELECT scrape_submit('https://example.com/', options => '{"request_timeout": "10 years -3599 days"}');
SELECT scrape_submit('https://example.com/', options => '{"connect_timeout": "1 year -359 days"}');
SELECT scrape_submit('https://example.com/', options => '{"per_host_delay": "1 mon -29 days -23 hours +1 second"}');
SELECT scrape_submit('https://example.com/', options => '{"request_timeout": "0.4 ms"}');
SELECT scrape_submit('https://example.com/', options => '{"request_timeout": null}');
SELECT scrape_submit('https://example.com/', options => '{"request_timeout": "178000000 years"}');
-- a million URLs over the cap are refused before any is parsed
SELECT scrape_submit_urls(array(SELECT 'https://example.com/' || g FROM generate_series(1, 1000000) g));
SELECT scrape_submit_urls(NULL);
SELECT scrape_submit_urls('{}');
SELECT scrape_submit_urls(ARRAY['https://example.com/', NULL]);
SELECT scrape_submit_urls(ARRAY['https://example.com/', 'gopher://example.com/']);
SELECT scrape_submit_urls(ARRAY[['https://example.com/'], ['https://example.org/']]);
SELECT scrape_wait(424242, '10 ms');
SELECT scrape_wait(1, '-1 s');
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT scrape_wait(1, '1 s');
ROLLBACK;

-- The SQLSTATE of each.
CREATE FUNCTION pg_temp.sqlstate_of(cmd text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE cmd;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END;
$$;

SELECT cmd, pg_temp.sqlstate_of(cmd) AS sqlstate
  FROM (VALUES
    ($$SELECT scrape_submit(NULL)$$),
    ($$SELECT scrape_submit('')$$),
    ($$SELECT scrape_submit('not a url')$$),
    ($$SELECT scrape_submit('ftp://example.com/')$$),
    ($$SELECT scrape_submit('https://example.com/', 'crawl', options => '{"exclude": "("}')$$),
    ($$SELECT scrape_submit('https://example.com/', 'bogus')$$),
    ($$SELECT scrape_submit('https://example.com/', NULL)$$),
    ($$SELECT scrape_submit('https://example.com/', 'single', -5)$$),
    ($$SELECT scrape_submit('https://example.com/', options => '{"x": 1}')$$),
    ($$SELECT scrape_submit_urls(NULL)$$),
    ($$SELECT scrape_submit_urls('{}')$$),
    ($$SELECT scrape_wait(424242, '10 ms')$$),
    ($$SELECT scrape_requeue_dead(NULL)$$),
    ($$SELECT scrape_requeue_dead(424242)$$),
    ($$SELECT scrape_submit('https://example.com/', options => '{"request_timeout": "10 years -3599 days"}')$$)
  ) AS t(cmd);

-- What a session stores of its limits (scraping_sessions.*_ms): the
-- milliseconds the workers use, validated once.
SELECT k, v, _scrape_option_ms(k, v::jsonb) AS ms
  FROM (VALUES ('request_timeout', '"1 day"'), ('connect_timeout', '"1.5 s"'),
               ('per_host_delay', '"1 hour"'), ('per_host_delay', '"0"'),
               ('request_timeout', '"P0DT0H0M0.0016S"'), ('request_timeout', NULL)) AS t(k, v);

-- Nothing was created by the failed calls.
SELECT count(*) AS jobs FROM background_jobs;
