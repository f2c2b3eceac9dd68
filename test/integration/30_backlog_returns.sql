-- A worker's backlog is not one tenant's: pages that wait for their host
-- (its delay, its connections) take room in the backlog of claimed pages,
-- and in 0.1.8 a few slow hosts' pages filled the backlogs of both workers,
-- so that a session submitted next waited until about 25 of them were done
-- in one worker (here a page every 2 s per host: half a minute and more).
-- Now a claim takes no page of a host of which the backlog holds what the
-- host can start soon, and a full backlog hands back the rest, its attempt
-- given back.
\ir helpers.psql
SELECT plan(6);

SELECT md5(random()::text) AS run \gset
-- three tenants' slow lists, 240 pages each, one every 2 s per host:
-- 720 pages, more than the two workers' backlogs hold (2 x 232)
CREATE TEMP TABLE hogs (n int, host text, sid bigint);
INSERT INTO hogs (n, host) VALUES (1, '127.0.0.2'), (2, '127.0.0.3'), (3, '127.0.0.4');

CREATE FUNCTION pg_temp.submit_hog(k int) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_sid bigint;
BEGIN
    SELECT scrape_submit_urls(array(SELECT pg_temp.url_on(h.host, '/ok?hog=' || current_setting('sj.run')
                                                                  || '&n=' || g)
                                      FROM generate_series(1, 240) g),
                              workspace_id => gen_random_uuid(),
                              options => '{"per_host_delay": "2s"}')
      INTO v_sid FROM hogs h WHERE h.n = k;
    UPDATE hogs SET sid = v_sid WHERE n = k;
    RETURN v_sid;
END;
$$;
SET sj.run = :'run';

-- one after the other, each once the workers hold some of its pages
SELECT pg_temp.submit_hog(1) AS hog1 \gset
SELECT pg_temp.eventually(format(
    $$SELECT count(*) >= 100 FROM scraping_pages WHERE session_id = %s AND status = 'fetching'$$,
    :hog1), '30 s') AS held1 \gset
SELECT pg_temp.submit_hog(2) AS hog2 \gset
SELECT pg_temp.eventually(format(
    $$SELECT count(*) >= 50 FROM scraping_pages WHERE session_id = %s AND status = 'fetching'$$,
    :hog2), '30 s') AS held2 \gset
SELECT pg_temp.submit_hog(3) AS hog3 \gset
SELECT pg_temp.eventually(format(
    $$SELECT count(*) >= 5 FROM scraping_pages WHERE session_id = %s AND status = 'fetching'$$,
    :hog3), '30 s') AS held3 \gset
SELECT ok(:'held1' AND :'held2' AND :'held3', 'the workers claimed pages of each slow list');

-- another tenant's 20 pages on a host of their own
SELECT scrape_submit_urls(array(SELECT pg_temp.url('/ok?small=' || :'run' || '&n=' || g)
                                  FROM generate_series(1, 20) g),
                          workspace_id => gen_random_uuid()) AS small \gset
SELECT is(scrape_wait(:small, '90 s'), 'completed', 'the small session completes');
SELECT ok(done < 15,
          format('before the slow lists are far along (%s of their pages done; 0.1.8: 25 and more)', done))
  FROM (SELECT sum(pages_done) AS done FROM scraping_sessions
         WHERE id IN (SELECT sid FROM hogs)) AS d;

-- what was handed back went back as it was
SELECT ok(count(*) > 0, format('the workers handed back pages (%s times)', count(*)))
  FROM job_history WHERE event = 'work_released' AND detail ->> 'reason' = 'backlog full'
   AND session_id IN (SELECT sid FROM hogs);
SELECT is(count(*) FILTER (WHERE status = 'pending' AND attempts > 0), 0::bigint,
          'no page waiting in the queue was charged an attempt')
  FROM scraping_pages WHERE session_id IN (SELECT sid FROM hogs);
SELECT is(count(*), 720::bigint, 'one row per URL')
  FROM scraping_pages WHERE session_id IN (SELECT sid FROM hogs) AND kind = 'page';

SELECT count(scrape_cancel(sid)) AS cancelled FROM hogs \gset
SELECT * FROM finish();
