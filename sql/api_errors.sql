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
    ($$SELECT scrape_wait(424242, '10 ms')$$)
  ) AS t(cmd);

-- Nothing was created by the failed calls.
SELECT count(*) AS jobs FROM background_jobs;
