-- A single-page session, end to end: the rows in all three tables, the job
-- fields, and the history of its stages.
\ir helpers.psql
SELECT plan(39);

-- a query string of our own, so the server's hit counter is ours alone
SELECT '/site/shop/index.html?run=' || md5(random()::text) AS page_path \gset
SELECT scrape_submit(pg_temp.url(:'page_path')) AS sid \gset
SELECT is(scrape_wait(:sid, '30 s'), 'completed', 'the session completes');

SELECT j.id AS jid FROM background_jobs j
  JOIN scraping_sessions s ON s.background_job_id = j.id WHERE s.id = :sid \gset

-- the job
SELECT is(status, 'completed', 'job status') FROM background_jobs WHERE id = :jid;
SELECT is(progress, 100::smallint, 'job progress') FROM background_jobs WHERE id = :jid;
SELECT is(current_stage, 'done', 'job stage') FROM background_jobs WHERE id = :jid;
SELECT is(attempts, 1, 'one attempt') FROM background_jobs WHERE id = :jid;
SELECT ok(started_at IS NOT NULL AND finished_at >= started_at
          AND last_heartbeat IS NOT NULL, 'job timings and heartbeat set')
  FROM background_jobs WHERE id = :jid;
SELECT is(metadata, jsonb_build_object('session_id', :sid,
                                       'source_url', pg_temp.url(:'page_path'),
                                       'scraping_mode', 'single',
                                       'total_pages', 1,
                                       'products', 0),
          'job metadata (with the products found, once done)') FROM background_jobs WHERE id = :jid;
SELECT is(last_error, NULL, 'no error') FROM background_jobs WHERE id = :jid;

-- the session
SELECT is(status, 'completed', 'session status') FROM scraping_sessions WHERE id = :sid;
SELECT is(progress_percentage, 100::smallint, 'session progress')
  FROM scraping_sessions WHERE id = :sid;
SELECT is(ARRAY[pages_known, pages_done, pages_failed], ARRAY[1, 1, 0],
          'session page counters') FROM scraping_sessions WHERE id = :sid;
SELECT ok(finished_at >= started_at, 'session timings') FROM scraping_sessions WHERE id = :sid;

-- the page
SELECT is((pg_temp.page(:sid)).status, 'done', 'page status');
SELECT is((pg_temp.page(:sid)).http_status, 200, 'HTTP status');
SELECT is((pg_temp.page(:sid)).content_type, 'text/html; charset=utf-8', 'content type');
SELECT is((pg_temp.page(:sid)).final_url, pg_temp.url(:'page_path'), 'final URL');
SELECT matches((pg_temp.page(:sid)).body, '<title>Demo Shop</title>', 'body stored');
SELECT is((pg_temp.page(:sid)).body_size, octet_length((pg_temp.page(:sid)).body)::bigint,
          'body size');
SELECT ok((pg_temp.page(:sid)).fetch_ms > 0, 'fetch duration recorded');
SELECT is((pg_temp.page(:sid)).attempts, 1, 'one fetch attempt');
SELECT is((pg_temp.page(:sid)).claimed_by, NULL, 'claim released');
SELECT is(scrape_status.pages_pending, 0::bigint, 'nothing pending') FROM scrape_status(:sid);

-- what the page says about itself
SELECT is((pg_temp.page(:sid)).title, 'Demo Shop', 'title stored');
SELECT is((pg_temp.page(:sid)).lang, 'en', 'language stored');
SELECT ok((pg_temp.page(:sid)).description IS NOT NULL, 'description stored');
SELECT is(jsonb_array_length((pg_temp.page(:sid)).links), 8,
          'its eight distinct links (six products, about, index.html without our query), resolved');

-- a product page's JSON-LD is stored with it
SELECT scrape_submit(pg_temp.url('/site/shop/product-1.html?ld=' || md5(random()::text))) AS ld \gset
SELECT is(scrape_wait(:ld, '30 s'), 'completed', 'the product page''s session completes');
SELECT is((pg_temp.page(:ld)).structured #>> '{json_ld,0,@type}', 'Product',
          'JSON-LD stored on the page row');

-- the history: created, claimed, the batch events of its page (the
-- default scrape_jobs.page_history = batch), stages, completed, in order
SELECT is(array_agg(event ORDER BY id),
          ARRAY['created', 'claimed', 'stage_changed', 'pages_claimed', 'pages_done',
                'stage_changed', 'stage_changed', 'stage_changed', 'completed'],
          'history events in order')
  FROM job_history WHERE job_id = :jid;
SELECT is(array_agg(jsonb_build_array(detail -> 'pages', detail -> 'first_page_id',
                                      detail -> 'last_page_id') ORDER BY id),
          (SELECT array_fill(jsonb_build_array(1, id, id), ARRAY[2])
             FROM scraping_pages WHERE session_id = :sid),
          'the batch events count the page and name it')
  FROM job_history WHERE job_id = :jid AND event LIKE 'pages_%';
SELECT is(array_agg(detail ORDER BY id),
          ARRAY['{"from": "initializing", "to": "scraping"}'::jsonb,
                '{"from": "scraping", "to": "extracting"}'::jsonb,
                '{"from": "extracting", "to": "creating_products"}'::jsonb,
                '{"from": "creating_products", "to": "done"}'::jsonb],
          'stage transitions recorded')
  FROM job_history WHERE job_id = :jid AND event = 'stage_changed';

-- the server saw exactly one request for the page (read through a scrape)
SELECT scrape_submit(pg_temp.url('/hits?path=' || replace(:'page_path', '?', '%3F')))
       AS hid \gset
SELECT is(scrape_wait(:hid, '30 s'), 'completed', 'hit counter read');
SELECT is(btrim((pg_temp.page(:hid)).body, E' \n'), '1', 'the page was requested once');

-- the User-Agent came from scrape_jobs.user_agent
SELECT is(current_setting('scrape_jobs.user_agent'),
          'scrape_jobs/' || (SELECT extversion FROM pg_extension WHERE extname = 'scrape_jobs')
          || ' (PostgreSQL extension)', 'default User-Agent: the version is the extension''s');

-- what the server received: our User-Agent, a compressed-encodings offer;
-- the proxy variables set in the server's environment were ignored
SELECT scrape_submit(pg_temp.url('/echo-headers?ua=default')) AS e1 \gset
SELECT scrape_submit(pg_temp.url('/echo-headers?ua=option'),
                     options => '{"user_agent": "custom-agent/2"}') AS e2 \gset
SELECT is(scrape_wait(:e1, '30 s') || scrape_wait(:e2, '30 s'), 'completedcompleted',
          'header echo fetched despite the proxy variables');
SELECT matches((pg_temp.page(:e1)).body,
               'user-agent: scrape_jobs/'
               || replace((SELECT extversion FROM pg_extension WHERE extname = 'scrape_jobs'), '.', '\.')
               || ' \(PostgreSQL extension\)\n.*accept-encoding: [a-z, ]*gzip',
               'default User-Agent and Accept-Encoding sent');
SELECT matches((pg_temp.page(:e2)).body, 'user-agent: custom-agent/2\n',
               'the user_agent option overrides it');

-- page_history = page: a row per page and event, naming it
ALTER SYSTEM SET scrape_jobs.page_history = page;
SELECT pg_reload_conf() \gset
SELECT pg_sleep(1) \gset
SELECT scrape_submit(pg_temp.url('/site/shop/about.html?history=' || md5(random()::text)))
       AS hp \gset
SELECT is(scrape_wait(:hp, '30 s'), 'completed', 'page-history session completes');
SELECT is(array_agg(h.event || ':' || (h.detail ->> 'page_id') ORDER BY h.id),
          (SELECT ARRAY['page_claimed:' || p.id, 'page_done:' || p.id]
             FROM scraping_pages p WHERE p.session_id = :hp),
          'page_history = page: page_claimed and page_done name the page')
  FROM job_history h WHERE h.session_id = :hp AND h.event LIKE 'page%';
ALTER SYSTEM RESET scrape_jobs.page_history;
SELECT pg_reload_conf() \gset

SELECT * FROM finish();
