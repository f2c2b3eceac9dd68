-- Every bad input is refused with its SQLSTATE, and creates nothing.
BEGIN;
SELECT plan(26);

SELECT throws_ok($$SELECT scrape_submit(NULL)$$, '22004', 'URL must not be null');
SELECT throws_ok($$SELECT scrape_submit('')$$, '22023', 'URL must not be empty');
SELECT throws_ok($$SELECT scrape_submit('   ')$$, '22023', NULL, 'blank URL');
SELECT throws_ok($$SELECT scrape_submit('no scheme here')$$, '22023', NULL,
                 'a URL libcurl rejects');
SELECT throws_ok($$SELECT scrape_submit('http://')$$, '22023', NULL, 'a URL without host');
SELECT throws_ok($$SELECT scrape_submit('http://exa mple.com/')$$, '22023', NULL,
                 'a URL with a space in the host');
SELECT throws_ok($$SELECT scrape_submit('file:///etc/passwd')$$, '22023',
                 'URL scheme "file" is not supported');
SELECT throws_ok($$SELECT scrape_submit('javascript:alert(1)')$$, '22023', NULL,
                 'javascript: is not fetched');
SELECT throws_ok($$SELECT scrape_submit('https://example.com/' || repeat('x', 9000))$$,
                 '22023', 'URL is too long');
SELECT throws_ok($$SELECT scrape_submit('https://example.com/', 'crawl', options => '{"scope": "x"}')$$,
                 '22023', NULL, 'a bad crawl scope');
SELECT throws_ok($$SELECT scrape_submit('https://example.com/', 'sitemaps')$$,
                 '22023', 'unrecognized scraping mode "sitemaps"');
SELECT throws_ok($$SELECT scrape_submit('https://example.com/', 'everything')$$,
                 '22023', 'unrecognized scraping mode "everything"');
SELECT throws_ok($$SELECT scrape_submit('https://example.com/', NULL)$$,
                 '22004', 'scraping mode must not be null');
SELECT throws_ok($$SELECT scrape_submit('https://example.com/', 'single', 0)$$,
                 '22023', 'total_pages must be a positive number');
SELECT throws_ok($$SELECT scrape_submit('https://example.com/', options => '{"depth": 3}')$$,
                 '22023', 'unrecognized option "depth"');
SELECT throws_ok($$SELECT scrape_submit('https://example.com/', options => '"x"')$$,
                 '22023', 'options must be a JSON object');
SELECT throws_ok($$SELECT scrape_submit('https://example.com/', options => '{"connect_timeout": "2 days"}')$$,
                 '22023', NULL, 'an over-long timeout option');
SELECT throws_ok($$SELECT scrape_submit_urls(NULL)$$, '22004', 'list of URLs must not be null');
SELECT throws_ok($$SELECT scrape_submit_urls('{}')$$, '22023', 'list of URLs must not be empty');
SELECT throws_ok($$SELECT scrape_submit_urls(ARRAY['https://example.com/', 'ftp://x/'])$$,
                 '22023', 'URL scheme "ftp" is not supported');
SELECT throws_ok($$SELECT scrape_wait(-1, '1 ms')$$, '42704',
                 'scraping session -1 does not exist');
-- resource limits
SET LOCAL scrape_jobs.max_pages_per_session = 3;
SELECT throws_ok($$SELECT scrape_submit_urls(ARRAY['https://example.com/1', 'https://example.com/2',
                                                   'https://example.com/3', 'https://example.com/4'])$$,
                 '54000', 'a session cannot have more than 3 pages');
SELECT throws_ok($$SELECT scrape_submit('https://example.com/', 'single', 4)$$,
                 '54000', 'a session cannot have more than 3 pages');
SET LOCAL scrape_jobs.max_live_sessions_per_workspace = 1;
SELECT lives_ok($$SELECT scrape_submit('https://example.com/ws',
                                       workspace_id => 'cccccccc-0000-4000-8000-000000000003')$$,
                'a first live session in a workspace');
SELECT throws_ok($$SELECT scrape_submit('https://example.com/ws2',
                                        workspace_id => 'cccccccc-0000-4000-8000-000000000003')$$,
                 '53400', 'workspace cccccccc-0000-4000-8000-000000000003 has too many live sessions');

SELECT is((SELECT count(*) FROM scraping_sessions s
            WHERE s.source_url LIKE 'https://example.com/%'), 1::bigint,
          'failed submits created nothing');

SELECT * FROM finish();
ROLLBACK;
