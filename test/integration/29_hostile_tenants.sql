-- Hostile tenants (issue 21): a session's options may tighten the
-- administrator's limits but never loosen them, one tenant's failures do
-- not open another's circuit, and no option a session can store makes a
-- worker's statement fail.
\ir helpers.psql
SELECT plan(16);

CREATE TEMP TABLE pids AS SELECT pid FROM scrape_workers();
SELECT coalesce(max(id), 0) AS last_alert FROM alerts \gset
SELECT md5(random()::text) AS k \gset

-- per_host_max_connections: 1000 does not lift the setting's 8 (0.1.7 ran
-- up to the workers' 64 transfers at once against one host).
SELECT scrape_submit_urls(array(SELECT pg_temp.url('/slow?ms=400&track=' || :'k' || '&n=' || g)
                                  FROM generate_series(1, 40) g),
                          options => '{"per_host_max_connections": 1000}') AS many \gset
SELECT is(scrape_wait(:many, '60 s'), 'completed', 'the session completes');
SELECT scrape_submit(pg_temp.url('/concurrency?key=' || :'k')) AS c \gset
SELECT scrape_wait(:c, '30 s') \gset
SELECT cast(substring((pg_temp.page(:c)).body FROM 'max (\d+)') AS int) AS max_seen \gset
SELECT ok(:max_seen BETWEEN 2 AND 8,
          format('at most scrape_jobs.per_host_max_connections (8) at once (saw %s)', :max_seen));

-- request_timeout: "1 day" is cut to the setting (1 s for the moment).
ALTER SYSTEM SET scrape_jobs.request_timeout = '1s';
SELECT pg_reload_conf() \gset
SELECT pg_sleep(0.5);
SELECT scrape_submit(pg_temp.url('/slow?ms=4000&cap=' || :'k'),
                     options => '{"request_timeout": "1 day", "max_attempts": 1}') AS capped \gset
SELECT is(scrape_wait(:capped, '30 s'), 'dead', 'a page slower than the setting fails (its job dead-lettered)');
SELECT is(error_class, 'timeout', 'with a timeout, whatever the session asked for')
  FROM scraping_pages WHERE session_id = :capped;
ALTER SYSTEM RESET scrape_jobs.request_timeout;
SELECT pg_reload_conf() \gset

-- Breakers per origin: with the threshold at 2 for a moment, 503s on one
-- port of 127.0.0.5 open that origin's circuit, not the other port's; and
-- timeouts under a session's own 100 ms timeout open nothing.
ALTER SYSTEM SET scrape_jobs.breaker_failure_threshold = 2;
SELECT pg_reload_conf() \gset
SELECT pg_sleep(0.5);
CREATE FUNCTION pg_temp.url2(path text) RETURNS text
LANGUAGE sql AS $$ SELECT current_setting('scrape_test.base_url2') || path $$;
SELECT scrape_submit_urls(array(SELECT pg_temp.url_on('127.0.0.5', '/status/503?b=' || :'k' || '&n=' || g)
                                  FROM generate_series(1, 3) g),
                          options => '{"max_attempts": 1}') AS failing \gset
SELECT ok(pg_temp.eventually(
    $$SELECT state = 'open' FROM scrape_circuit_breakers() WHERE host = pg_temp.origin_on('127.0.0.5')$$,
    '20 s'), 'the 503s open their origin''s circuit');
SELECT scrape_submit(pg_temp.url2('/ok?b=' || :'k')) AS other_port \gset
SELECT is(scrape_wait(:other_port, '30 s'), 'completed', 'a page on another port of the host is fetched');
SELECT is(array_agg(state ORDER BY host = pg_temp.origin_on('127.0.0.5') DESC),
          ARRAY['open', 'closed'],
          'each port of the host has a circuit of its own')
  FROM scrape_circuit_breakers()
 WHERE host IN (pg_temp.origin_on('127.0.0.5'), _scrape_origin(pg_temp.url2('/')));
SELECT scrape_submit_urls(array(SELECT pg_temp.url2('/slow?ms=1000&own=' || :'k' || '&n=' || g)
                                  FROM generate_series(1, 4) g),
                          options => '{"request_timeout": "100ms", "max_attempts": 1}') AS own \gset
SELECT is(scrape_wait(:own, '30 s'), 'dead', 'the session''s own timeouts fail its pages');
SELECT is(count(*), 4::bigint, 'all four as timeouts')
  FROM scraping_pages WHERE session_id = :own AND error_class = 'timeout';
SELECT is(state || ' ' || consecutive_failures, 'closed 0',
          'and they did not count against the host')
  FROM scrape_circuit_breakers() WHERE host = _scrape_origin(pg_temp.url2('/'));
ALTER SYSTEM RESET scrape_jobs.breaker_failure_threshold;
SELECT pg_reload_conf() \gset
SELECT scrape_cancel(:failing) \gset

-- One tenant's 200 slow pages (20 s each, a 1-day timeout, 1000
-- connections asked for) hold at most the setting's 8 connections of their
-- origin: another workspace's page on another host is fetched while they
-- run (with 0.1.7's limits they took all 64 transfers of both workers, and
-- it waited for them).
SELECT scrape_submit_urls(array(SELECT pg_temp.url('/slow?ms=20000&hog=' || :'k' || '&n=' || g)
                                  FROM generate_series(1, 200) g),
                          workspace_id => 'aaaaaaaa-0000-4000-8000-00000000002a',
                          options => '{"request_timeout": "1 day", "per_host_max_connections": 1000}')
       AS hog \gset
SELECT pg_sleep(1);
SELECT scrape_submit(pg_temp.url_on('127.0.0.2', '/ok?victim=' || :'k'),
                     workspace_id => 'bbbbbbbb-0000-4000-8000-00000000002b') AS victim \gset
SELECT ok(pg_temp.eventually(format(
    $$SELECT status = 'completed' FROM scraping_sessions WHERE id = %s$$, :victim), '10 s'),
    'another workspace''s page is fetched while the slow pages hold their connections');
SELECT cmp_ok(pages_done, '<', 20, 'while most of the slow pages still wait')
  FROM scraping_sessions WHERE id = :hog;
SELECT scrape_cancel(:hog) \gset

-- The options fuzzer: 400 option objects drawn from the keys the API knows
-- and values a tenant might send (intervals that mix signs and units,
-- huge and tiny numbers, wrong types, unicode, long strings).  Each is
-- refused with a class 22 or 54 error, or stored; every stored session is
-- then claimed by a worker (its claim's statement ran on what it stored)
-- and cancelled.
SELECT setseed(0.21);
CREATE TEMP TABLE fuzz_values (k text, v text);
-- values of each key, valid or near the edge of its range ...
INSERT INTO fuzz_values
SELECT k, v FROM (VALUES
    ('request_timeout'), ('connect_timeout')) AS a(k),
    (VALUES ('"1 ms"'), ('"15s"'), ('"1 day"'), ('"23:59:59.999"'), ('"P1D"'), ('"PT3600S"'),
            ('"0.0016 s"'), ('"1 day -23 hours"'), ('"1 day 1 us"'), ('"1 mon -29 days"'),
            -- (0.1.7 took these for a day or less, then overflowed the claim)
            ('"10 years -3599 days"'), ('"1 year -359 days"'), ('"100 years -35999 days"')) AS b(v)
UNION ALL
SELECT 'per_host_delay', v FROM (VALUES ('"0"'), ('"500ms"'), ('"1 hour"'), ('"59 min 59 s"'),
                                        ('"PT0S"'), ('"-0 s"'), ('"1 hour 1 ms"'),
                                        ('"1000 years -365249 days -23 hours"')) AS b(v)
UNION ALL
SELECT k, v FROM (VALUES ('max_attempts'), ('per_host_max_connections'), ('max_depth')) AS a(k),
                 (VALUES ('0'), ('1'), ('3'), ('100'), ('101'), ('1000'), ('1001'), ('1.0')) AS b(v)
UNION ALL
SELECT 'user_agent', v FROM (VALUES ('"x"'), ('"Ünïcødé 🕷"'), ('"' || repeat('a', 512) || '"'),
                                    ('"' || repeat('a', 513) || '"'), ('"a\r\nX-Evil: 1"')) AS b(v)
UNION ALL
SELECT 'extract', v FROM (VALUES ('{"price": "//span"}'), ('{"name": "//h1", "sku": "string(//b)"}'),
                                 ('{"x": "//a["}'), ('{"1x": "//a"}')) AS b(v)
UNION ALL
SELECT 'scope', v FROM (VALUES ('"host"'), ('"domain"'), ('"prefix"'), ('"planet"')) AS b(v)
UNION ALL
SELECT k, v FROM (VALUES ('include'), ('exclude')) AS a(k),
                 (VALUES ('"x"'), ('"(a+)+$"'), ('["a", "b"]'), ('["a", "(b"]'), ('[]')) AS b(v)
UNION ALL
SELECT k, v FROM (VALUES ('follow_nofollow'), ('obey_robots')) AS a(k),
                 (VALUES ('true'), ('false')) AS b(v);
-- ... and values of any key: wrong types, huge and tiny numbers, intervals
-- that overflow or mix signs, the unknown key
INSERT INTO fuzz_values
SELECT NULL, v FROM (VALUES ('"10 years -3599 days"'), ('"1 year -359 days"'), ('"-1 s"'),
                            ('"0.0004 ms"'), ('"178000000 years"'), ('"infinity"'), ('"-infinity"'),
                            ('"2147483647 ms"'), ('"1e10 s"'), ('"soon"'), ('""'), ('-1'),
                            ('2147483648'), ('1e308'), ('1.5'), ('"3"'), ('true'), ('null'), ('[]'),
                            ('{}'), ('"Ünïcødé 🕷"'), ('"a\nb"'), ('[[[[[[1]]]]]]')) AS b(v);
CREATE TEMP TABLE fuzz (g integer, options jsonb, mode text, sid bigint, refusal text);
DO $$
DECLARE
    v_keys text[] := ARRAY['request_timeout', 'connect_timeout', 'per_host_delay',
                           'max_attempts', 'per_host_max_connections', 'user_agent',
                           'extract', 'scope', 'max_depth', 'include', 'exclude',
                           'follow_nofollow', 'obey_robots', 'colour'];
    v_key  text;
    v_pool text[];
    v_obj  jsonb;
BEGIN
    FOR g IN 1..400 LOOP
        v_obj := '{}';
        FOR i IN 1..(1 + floor(random() * 3))::integer LOOP
            v_key := v_keys[1 + floor(random() * cardinality(v_keys))::integer];
            -- the key's own values three times in four, else any value
            v_pool := NULL;
            IF random() < 0.75 THEN
                SELECT array_agg(x.v) INTO v_pool FROM pg_temp.fuzz_values x WHERE x.k = v_key;
            END IF;
            IF v_pool IS NULL THEN
                SELECT array_agg(x.v) INTO v_pool FROM pg_temp.fuzz_values x WHERE x.k IS NULL;
            END IF;
            v_obj := v_obj || jsonb_build_object(v_key,
                         v_pool[1 + floor(random() * cardinality(v_pool))::integer]::jsonb);
        END LOOP;
        INSERT INTO pg_temp.fuzz (g, options, mode)
        VALUES (g, v_obj, CASE WHEN random() < 0.3 THEN 'single' ELSE 'crawl' END);
    END LOOP;
END $$;
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT * FROM pg_temp.fuzz ORDER BY g LOOP
        BEGIN
            UPDATE pg_temp.fuzz
               SET sid = scrape.scrape_submit(pg_temp.url('/ok?fuzz=' || r.g), r.mode, 2,
                                              options => r.options),
                   refusal = '00000'
             WHERE g = r.g;
        EXCEPTION WHEN OTHERS THEN
            UPDATE pg_temp.fuzz SET refusal = SQLSTATE WHERE g = r.g;
        END;
    END LOOP;
END $$;
SELECT diag(format('%s option objects: %s stored, %s refused (%s)',
                   count(*), count(sid), count(*) - count(sid),
                   (SELECT string_agg(s || ' ' || n, ', ' ORDER BY s)
                      FROM (SELECT refusal AS s, count(*) AS n FROM pg_temp.fuzz
                             WHERE sid IS NULL GROUP BY 1) x)))
  FROM pg_temp.fuzz;
SELECT is(count(*), 0::bigint, 'every refusal is a bad-input error (class 22 or 54)')
  FROM pg_temp.fuzz WHERE sid IS NULL AND left(refusal, 2) NOT IN ('22', '54');
SELECT ok(pg_temp.eventually(
    $$SELECT count(*) = 0 FROM pg_temp.fuzz f JOIN scraping_sessions s ON s.id = f.sid
       WHERE s.status = 'pending'$$, '60 s'),
    'every stored session is claimed by a worker');
SELECT count(*) AS cancelled FROM pg_temp.fuzz f, LATERAL scrape_cancel(f.sid) c WHERE f.sid IS NOT NULL \gset

SELECT is((SELECT count(*) FROM scrape_workers() w JOIN pids USING (pid)), 2::bigint,
          'the workers went on (the same processes)');
SELECT is(count(*), 0::bigint, 'no worker_crashed alert') FROM alerts
 WHERE kind = 'worker_crashed' AND id > :last_alert;

SELECT * FROM finish();
