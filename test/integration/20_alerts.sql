-- Alerts delivered to Sentry (the harness's strict receiver): a stuck job,
-- a dead-lettered job, an opened circuit and a crashed worker each give
-- exactly one delivered event with the right tags; an unreachable Sentry
-- keeps alerts queued and gets them once it is back.
\ir helpers.psql
SELECT plan(17);

SELECT pg_temp.sentry('/reset', true);
SELECT format('http://testkey@%s/42', regexp_replace(current_setting('scrape_test.sentry_url'),
                                                     '^http://', '')) AS dsn \gset
ALTER SYSTEM SET scrape_jobs.sentry_dsn = :'dsn';
SELECT pg_reload_conf() \gset
SELECT coalesce(max(id), 0) AS before FROM alerts \gset

-- a dead-lettered job: one attempt, a retryable failure (on 127.0.0.2,
-- whose breaker other tests trip, so that 127.0.0.1's stays closed)
SELECT md5(random()::text) AS k \gset
SELECT scrape_submit(pg_temp.url_on('127.0.0.2', '/status/503?dead=' || :'k'),
                     options => '{"max_attempts": 1}') AS dead_sid \gset
SELECT is(scrape_wait(:dead_sid, '30 s'), 'dead', 'a job is dead-lettered');

-- an opened circuit: origin http://localhost:port (a breaker of its own) with the
-- threshold at 1 for a moment; the session is cancelled once it opened
ALTER SYSTEM SET scrape_jobs.breaker_failure_threshold = 1;
SELECT pg_reload_conf() \gset
SELECT pg_sleep(0.3);
SELECT scrape_submit(replace(pg_temp.url('/status/500?circuit=' || :'k'), '127.0.0.1', 'localhost'))
       AS circuit_sid \gset
SELECT ok(pg_temp.eventually(format(
    $$SELECT count(*) = 1 FROM alerts WHERE id > %s AND kind = 'circuit_opened' AND host = pg_temp.origin_on('localhost')$$,
    :before), '20 s'), 'a circuit opens');
SELECT scrape_cancel(:circuit_sid) \gset
ALTER SYSTEM RESET scrape_jobs.breaker_failure_threshold;
SELECT pg_reload_conf() \gset

-- a stuck job: its heartbeat stopped (made old while a page is in flight)
SELECT scrape_submit(pg_temp.url('/slow?ms=3000&stuck=' || :'k'),
                     options => '{"max_attempts": 2}') AS stuck_sid \gset
SELECT background_job_id AS stuck_jid FROM scraping_sessions WHERE id = :stuck_sid \gset
SELECT ok(pg_temp.eventually(format(
    $$SELECT status = 'fetching' FROM scraping_pages WHERE session_id = %s$$, :stuck_sid)),
    'its page is in flight');
BEGIN;
UPDATE background_jobs SET last_heartbeat = now() - interval '1 hour' WHERE id = :stuck_jid;
SELECT scrape_detect_stuck() >= 1 AS recovered \gset
COMMIT;
SELECT ok(:'recovered', 'the monitor recovers it');

-- a crashed worker: terminated under the launcher's feet
SELECT pid AS victim FROM scrape_workers() ORDER BY worker LIMIT 1 \gset
SELECT ok(pg_terminate_backend(:victim, 5000), 'a worker is terminated');
SELECT ok(pg_temp.eventually(format(
    $$SELECT count(*) = 1 FROM alerts WHERE id > %s AND kind = 'worker_crashed'$$, :before), '20 s'),
    'the launcher alerts it');

-- each alert delivered once, with its tags
SELECT ok(pg_temp.eventually(format(
    $$SELECT bool_and(delivered_at IS NOT NULL) AND count(DISTINCT kind) = 4
        FROM alerts WHERE id > %s$$,
    :before), '30 s'), 'the alerts of the four kinds are delivered');
CREATE TEMP TABLE received AS
SELECT e ->> 'event_id' AS event_id, e -> 'tags' AS tags, e ->> 'level' AS level,
       e -> 'fingerprint' AS fingerprint, e -> 'extra' AS extra
  FROM jsonb_array_elements(pg_temp.sentry() -> 'events') e;
SELECT is(count(*), 1::bigint, 'one event for the dead-lettered job')
  FROM alerts a JOIN received r USING (event_id)
 WHERE a.id > :before AND a.kind = 'job_dead_lettered' AND a.session_id = :dead_sid;
SELECT is(r.tags, jsonb_build_object('alert_kind', 'job_dead_lettered', 'job_id', a.job_id::text,
                                     'session_id', :'dead_sid', 'job_type', 'web_scraping'),
          'its tags')
  FROM alerts a JOIN received r USING (event_id)
 WHERE a.id > :before AND a.kind = 'job_dead_lettered' AND a.session_id = :dead_sid;
SELECT is(r.tags, jsonb_build_object('alert_kind', 'circuit_opened', 'host', pg_temp.origin_on('localhost')),
          'one event for the circuit, tagged with its host')
  FROM alerts a JOIN received r USING (event_id)
 WHERE a.id > :before AND a.kind = 'circuit_opened';
SELECT is(r.tags, jsonb_build_object('alert_kind', 'job_stuck', 'job_id', :'stuck_jid',
                                     'session_id', :'stuck_sid', 'job_type', 'web_scraping'),
          'one event for the stuck job, with its tags')
  FROM alerts a JOIN received r USING (event_id)
 WHERE a.id > :before AND a.kind = 'job_stuck';
SELECT is(r.extra ->> 'pid', :'victim', 'one event for the crashed worker, naming its pid')
  FROM alerts a JOIN received r USING (event_id)
 WHERE a.id > :before AND a.kind = 'worker_crashed';
SELECT is(count(DISTINCT r.fingerprint), count(DISTINCT a.kind), 'one fingerprint per kind of alert')
  FROM alerts a JOIN received r USING (event_id) WHERE a.id > :before;
SELECT is((pg_temp.sentry() -> 'rejected'), '[]'::jsonb,
          'the receiver refused nothing (envelope format and auth header)');

-- Sentry down: the alert waits in the outbox, retried; back up: delivered once
SELECT pg_temp.sentry('/mode?status=503&retry_after=1', true);
SELECT _scrape_record_alert('job_stuck', NULL, NULL, NULL, 'while Sentry is down') AS down_id \gset
SELECT ok(pg_temp.eventually(format(
    $$SELECT delivery_attempts >= 1 AND delivered_at IS NULL
             AND last_delivery_error = 'HTTP status 503' FROM alerts WHERE id = %s$$, :down_id)),
    'a failed delivery is recorded and the alert stays queued');
SELECT pg_temp.sentry('/mode?status=ok', true);
SELECT ok(pg_temp.eventually(format(
    'SELECT delivered_at IS NOT NULL FROM alerts WHERE id = %s', :down_id), '20 s'),
    'delivered once Sentry is back');
SELECT is(count(*), 1::bigint, 'exactly once')
  FROM jsonb_array_elements(pg_temp.sentry() -> 'events') e
 WHERE e ->> 'event_id' = (SELECT event_id FROM alerts WHERE id = :down_id);

ALTER SYSTEM RESET scrape_jobs.sentry_dsn;
SELECT pg_reload_conf() \gset
SELECT * FROM finish();
