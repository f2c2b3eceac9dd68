/*
 * install/updates/0.1.7--0.1.8.sql
 *
 * 0.1.8 (issue 21, hostile tenants and hostile sites):
 * - interval options are validated once (_scrape_option_ms, replacing
 *   _scrape_option_interval) by the length the workers use, and stored in
 *   milliseconds in four new columns of scraping_sessions, which the claim
 *   reads (_scrape_host_delay_ms takes them); the workers cap them by the
 *   administrator's settings;
 * - robots.txt is fetched with the extension's settings, and cached as one
 *   of RFC 9309's outcomes; a page of kind robots keeps the setting's
 *   max_attempts;
 * - notifications: ids on the public channels, the whole payload on each
 *   workspace's channel (channel_key, _scrape_channel, scrape_channel);
 * - URLs: links longer than 2048 bytes are not queued, and products are
 *   not keyed by a URL longer than that (0.1.7 stored up to 8192);
 * - scrape_submit_urls checks the page cap before it parses the URLs;
 *   scrape_requeue_dead(NULL) is 22004;
 * - (issue 14) a claim's turns between workspaces take the oldest session
 *   of every workspace with pending pages (_scrape_workspace_firsts, on
 *   scraping_sessions_live_workspace_idx), not only of those among the
 *   oldest sessions.
 */

-- Item 1: interval options are validated once, by the length the workers
-- use, and stored as milliseconds; the claim reads these columns instead
-- of casting the options again.
ALTER TABLE @extschema@.scraping_sessions
    ADD COLUMN request_timeout_ms integer
        CHECK (request_timeout_ms BETWEEN 1 AND 86400000),
    ADD COLUMN connect_timeout_ms integer
        CHECK (connect_timeout_ms BETWEEN 1 AND 86400000),
    ADD COLUMN per_host_delay_ms integer
        CHECK (per_host_delay_ms BETWEEN 0 AND 3600000),
    ADD COLUMN per_host_max_connections integer
        CHECK (per_host_max_connections BETWEEN 1 AND 1000);

-- Sessions stored by older releases: their options passed 0.1.7's check,
-- so each reads as an interval; a value that check let through beyond its
-- range (it counted a year as 360 days) is brought back into it.
UPDATE @extschema@.scraping_sessions s
   SET request_timeout_ms = least(greatest(round(extract(epoch FROM (s.options ->> 'request_timeout')::interval) * 1000), 1), 86400000),
       connect_timeout_ms = least(greatest(round(extract(epoch FROM (s.options ->> 'connect_timeout')::interval) * 1000), 1), 86400000),
       per_host_delay_ms = least(greatest(round(extract(epoch FROM (s.options ->> 'per_host_delay')::interval) * 1000), 0), 3600000),
       per_host_max_connections = least(greatest((s.options ->> 'per_host_max_connections')::numeric, 1), 1000)
 WHERE s.options ?| ARRAY['request_timeout', 'connect_timeout', 'per_host_delay',
                          'per_host_max_connections'];

DROP FUNCTION @extschema@._scrape_option_interval(text, jsonb, interval, interval, text);
DROP FUNCTION @extschema@._scrape_host_delay_ms(text, jsonb, text);

-- Item 8: notifications: ids only on the public channels, the whole
-- payload on each workspace's own channel, named from this key.
CREATE TABLE @extschema@.channel_key (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    key bytea NOT NULL
);
INSERT INTO @extschema@.channel_key (key)
SELECT pg_catalog.decode(pg_catalog.replace(pg_catalog.gen_random_uuid()::text
                                            || pg_catalog.gen_random_uuid()::text, '-', ''),
                         'hex');

-- Issue 14, item 6: a claim's turns between workspaces reach every
-- workspace, not only those among the oldest sessions.
CREATE INDEX scraping_sessions_live_workspace_idx
    ON @extschema@.scraping_sessions (workspace_id, id) WHERE status IN ('pending', 'running');
