-- SSRF defences with real workers: with the defaults (allow_private_networks
-- off) no loopback form reaches the test server, whatever the spelling of
-- the address or the name that resolves to it; exceptions and denials work;
-- a redirect to a refused address is refused.  Refused pages fail at once
-- with class blocked_address.
\ir helpers.psql
SELECT plan(9);

SELECT regexp_replace(current_setting('scrape_test.base_url'), '^.*:', '') AS port \gset
SELECT md5(random()::text) AS k \gset

ALTER SYSTEM SET scrape_jobs.allow_private_networks = off;
ALTER SYSTEM SET scrape_jobs.allowed_hosts = '127.0.0.2';
SELECT pg_reload_conf() \gset
SELECT pg_sleep(1) \gset

CREATE TEMP TABLE cases (url text, sid bigint);
INSERT INTO cases (url) VALUES
    ('http://127.0.0.1:' || :'port' || '/ok?ssrf=' || :'k'),
    ('http://localhost:' || :'port' || '/ok?ssrf=' || :'k'),
    ('http://2130706433:' || :'port' || '/ok?ssrf=' || :'k'),
    ('http://0x7f.1:' || :'port' || '/ok?ssrf=' || :'k'),
    ('http://0177.0.0.1:' || :'port' || '/ok?ssrf=' || :'k'),
    ('http://[::ffff:127.0.0.1]:' || :'port' || '/ok?ssrf=' || :'k'),
    ('http://[::1]:' || :'port' || '/ok?ssrf=' || :'k'),
    ('http://127.0.0.2:' || :'port' || '/redirect-to?url=http://127.0.0.1:' || :'port'
        || '/ok%3Fssrf=' || :'k');
UPDATE cases SET sid = scrape_submit(url);
SELECT scrape_submit('http://127.0.0.2:' || :'port' || '/ok?allowed=' || :'k') AS allowed_sid \gset

SELECT bool_and(scrape_wait(sid, '30 s') = 'failed') AS all_failed FROM cases \gset
SELECT ok(:'all_failed'::boolean, 'every loopback form is refused');
SELECT is_empty($$SELECT p.url, p.error_class, p.attempts FROM cases c
                    JOIN scraping_pages p ON p.session_id = c.sid
                   WHERE p.error_class IS DISTINCT FROM 'blocked_address' OR p.attempts <> 1$$,
                'each fails at once with class blocked_address');
SELECT matches(p.error, '^refused to connect to 127\.0\.0\.1: loopback address$',
               'the error names the address and the rule')
  FROM cases c JOIN scraping_pages p ON p.session_id = c.sid WHERE c.url LIKE '%0x7f.1%';
SELECT matches(p.error, '::ffff:127\.0\.0\.1: IPv4-mapped address',
               'an IPv4-mapped address is refused as such')
  FROM cases c JOIN scraping_pages p ON p.session_id = c.sid WHERE c.url LIKE '%::ffff%';
SELECT is(scrape_wait(:allowed_sid, '30 s'), 'completed',
          'a host in allowed_hosts is reached');
SELECT is(p.http_status, 302, 'the redirect itself came from the allowed host')
  FROM cases c JOIN scraping_pages p ON p.session_id = c.sid WHERE c.url LIKE '%redirect-to%';

-- denied_hosts wins even with private networks allowed
ALTER SYSTEM SET scrape_jobs.allow_private_networks = on;
ALTER SYSTEM SET scrape_jobs.denied_hosts = '127.0.0.3';
SELECT pg_reload_conf() \gset
SELECT pg_sleep(1) \gset
SELECT scrape_submit('http://127.0.0.3:' || :'port' || '/ok?denied=' || :'k') AS denied_sid \gset
SELECT is(scrape_wait(:denied_sid, '30 s'), 'failed', 'a denied host is refused');

ALTER SYSTEM RESET scrape_jobs.allow_private_networks;
ALTER SYSTEM RESET scrape_jobs.allowed_hosts;
ALTER SYSTEM RESET scrape_jobs.denied_hosts;
SELECT pg_reload_conf() \gset
SELECT pg_sleep(1) \gset

-- nothing refused ever reached the server
SELECT scrape_submit(pg_temp.url('/hits?path=/ok%3Fssrf=' || :'k')) AS h \gset
SELECT scrape_submit(pg_temp.url('/hits?path=/ok%3Fdenied=' || :'k')) AS h2 \gset
SELECT is(btrim((pg_temp.page(:h)).body, E'\n') || '/' || btrim((pg_temp.page(:h2)).body, E'\n'),
          '0/0', 'the server saw none of the refused requests')
  FROM (SELECT scrape_wait(:h, '30 s'), scrape_wait(:h2, '30 s')) AS w;
SELECT is(scrape_check_address('127.0.0.1'), NULL, 'the test cluster''s settings are back');

SELECT * FROM finish();
