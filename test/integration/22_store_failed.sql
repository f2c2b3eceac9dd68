-- A page that cannot be stored (here an administrator's trigger refuses
-- it) fails on its own as store_failed, with the database's error; the
-- other pages of its batch are stored, and the worker goes on.
\ir helpers.psql
SELECT plan(5);

SELECT md5(random()::text) AS run \gset
CREATE FUNCTION public.refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'done' AND NEW.url LIKE '%poison%' THEN
        RAISE EXCEPTION 'the administrator''s policy refuses this page'
              USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER refuse_poison BEFORE UPDATE ON scrape.scraping_pages
    FOR EACH ROW EXECUTE FUNCTION public.refuse_poison();
CREATE TEMP TABLE pids AS SELECT pid FROM scrape_workers();
SELECT coalesce(max(id), 0) AS last_alert FROM alerts \gset

SELECT scrape_submit_urls(array(SELECT pg_temp.url('/ok?store=' || :'run' || '&n=' || g)
                                  FROM generate_series(1, 10) g)
                          || pg_temp.url('/ok?store=' || :'run' || '&poison=1')) AS sid \gset
SELECT is(scrape_wait(:sid, '30 s'), 'completed', 'the session completes');
SELECT is(count(*), 10::bigint, 'the other pages of the batch are stored')
  FROM scraping_pages WHERE session_id = :sid AND status = 'done';
SELECT is(status || ' ' || error_class || ' ' || attempts || ': ' || error,
          'failed store_failed 1: could not store the page: the administrator''s policy refuses this page (SQLSTATE 23514)',
          'the page that cannot be stored fails on its own, with the error, not retried')
  FROM scraping_pages WHERE session_id = :sid AND url LIKE '%poison%';
SELECT is((SELECT count(*) FROM scrape_workers() w JOIN pids USING (pid)), 2::bigint,
          'the workers went on (the same processes)');
SELECT is(count(*), 0::bigint, 'no worker_crashed alert') FROM alerts
 WHERE kind = 'worker_crashed' AND id > :last_alert;

DROP TRIGGER refuse_poison ON scrape.scraping_pages;
DROP FUNCTION public.refuse_poison();
SELECT * FROM finish();
