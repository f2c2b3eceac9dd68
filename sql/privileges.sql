-- Privileges: nothing for PUBLIC; an application role given EXECUTE on the
-- API can use it without any right on the tables or internal functions.
CREATE ROLE regress_scrape_app;
CREATE ROLE regress_scrape_other;
GRANT EXECUTE ON FUNCTION scrape_submit(text, text, integer, uuid, jsonb),
                          scrape_submit_urls(text[], uuid, jsonb),
                          scrape_status(bigint), scrape_cancel(bigint),
                          scrape_wait(bigint, interval), scrape_metrics()
   TO regress_scrape_app;

SET ROLE regress_scrape_app;
SELECT scrape_submit('http://priv.example/') AS sid \gset
SELECT status, pages_total FROM scrape_status(:sid);
SELECT scrape_wait(:sid, '10 ms');
SELECT scrape_cancel(:sid);
SELECT total_jobs > 0 AS counted FROM scrape_metrics();
-- but not the tables or the workers' functions
SELECT count(*) FROM scraping_pages;
SELECT _scrape_claim(1, 10);
SELECT * FROM scrape_workers();
RESET ROLE;

-- a role without grants can do nothing
SET ROLE regress_scrape_other;
SELECT scrape_submit('http://priv.example/2');
SELECT * FROM scrape_status(1);
RESET ROLE;

-- the API functions run with the owner's rights and a pinned search_path
SELECT p.proname, p.prosecdef, p.proconfig
  FROM pg_proc p
 WHERE p.pronamespace = 'public'::regnamespace AND p.proname LIKE 'scrape%'
 ORDER BY 1;

REVOKE ALL ON FUNCTION scrape_submit(text, text, integer, uuid, jsonb),
                       scrape_submit_urls(text[], uuid, jsonb),
                       scrape_status(bigint), scrape_cancel(bigint),
                       scrape_wait(bigint, interval), scrape_metrics()
  FROM regress_scrape_app;
DROP ROLE regress_scrape_app;
DROP ROLE regress_scrape_other;
