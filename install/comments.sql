/*
 * install/comments.sql
 *
 * A comment on every table, view, column and function of the extension,
 * for psql's \d+ and \df+ (since 0.1.1).  Applied again by every upgrade:
 * a new object gets its comment here, and sql/schema.sql fails for one
 * without.
 */

------------------------------------------------------------------------------
-- Tables: background_jobs
------------------------------------------------------------------------------

COMMENT ON TABLE @extschema@.background_jobs IS 'Unified job table: one row per job of any job_type (web scraping is web_scraping, with a scraping_sessions row pointing back at it). See README, "Tables".';
COMMENT ON COLUMN @extschema@.background_jobs.id IS 'Job id (identity).';
COMMENT ON COLUMN @extschema@.background_jobs.job_type IS 'Kind of job; web_scraping (the default) for the jobs of scrape_submit and scrape_submit_urls.';
COMMENT ON COLUMN @extschema@.background_jobs.status IS 'pending, processing, completed, failed, cancelled, or dead (moved to the dead-letter queue).';
COMMENT ON COLUMN @extschema@.background_jobs.progress IS 'Progress in percent, 0-100: scraping 0-80, extracting 80-95, creating_products 95-100, 100 when the job ends (mirrors scraping_sessions.progress_percentage).';
COMMENT ON COLUMN @extschema@.background_jobs.current_stage IS 'initializing, scraping, extracting, creating_products or done; each change is a stage_changed row of job_history.';
COMMENT ON COLUMN @extschema@.background_jobs.metadata IS 'Job parameters as JSON; for web_scraping: session_id, source_url, scraping_mode, total_pages, and products (the count) once completed.';
COMMENT ON COLUMN @extschema@.background_jobs.attempts IS 'Runs of the job so far: counted when a worker starts it, and when a stage after scraping is recovered; reset to 0 by scrape_requeue_dead.';
COMMENT ON COLUMN @extschema@.background_jobs.max_attempts IS 'Runs allowed before the job is dead-lettered (at least 1): the session''s max_attempts option, else scrape_jobs.max_attempts.';
COMMENT ON COLUMN @extschema@.background_jobs.lease IS 'Fencing epoch, bumped whenever the job is taken away from the workers holding it (cancel, recovery, requeue, dead-lettering); a worker write carrying an older lease is ignored.';
COMMENT ON COLUMN @extschema@.background_jobs.last_heartbeat IS 'Last heartbeat of a worker holding the job (every scrape_jobs.heartbeat_interval); NULL until first claimed. Not indexed, so heartbeats stay HOT updates.';
COMMENT ON COLUMN @extschema@.background_jobs.last_error IS 'The last failure of the job (why it failed, was requeued, was stuck or was dead-lettered); NULL if none.';
COMMENT ON COLUMN @extschema@.background_jobs.created_at IS 'When the job was submitted.';
COMMENT ON COLUMN @extschema@.background_jobs.started_at IS 'When a worker first started the job; NULL until then.';
COMMENT ON COLUMN @extschema@.background_jobs.finished_at IS 'When the job reached completed, failed, cancelled or dead; NULL while it is live (cleared by a requeue).';
COMMENT ON COLUMN @extschema@.background_jobs.updated_at IS 'When the row last changed, heartbeats not counted.';

------------------------------------------------------------------------------
-- Tables: scraping_sessions
------------------------------------------------------------------------------

COMMENT ON TABLE @extschema@.scraping_sessions IS 'One row per web-scraping session (what scrape_submit and scrape_submit_urls return the id of), with its page counters and stage checkpoint.';
COMMENT ON COLUMN @extschema@.scraping_sessions.id IS 'Session id, as returned by scrape_submit and scrape_submit_urls.';
COMMENT ON COLUMN @extschema@.scraping_sessions.background_job_id IS 'The session''s job in background_jobs (one job per session); deleting the job deletes the session.';
COMMENT ON COLUMN @extschema@.scraping_sessions.workspace_id IS 'Workspace (tenant) the session belongs to, see workspace_members; NULL: no workspace, visible to administrators only.';
COMMENT ON COLUMN @extschema@.scraping_sessions.source_url IS 'The submitted URL, canonicalised (for a list session, its first URL).';
COMMENT ON COLUMN @extschema@.scraping_sessions.scraping_mode IS 'single (one page), list (scrape_submit_urls), crawl (follow links) or sitemap (the URLs sitemaps list).';
COMMENT ON COLUMN @extschema@.scraping_sessions.status IS 'pending, running, completed, failed, cancelled or dead (dead-lettered).';
COMMENT ON COLUMN @extschema@.scraping_sessions.progress_percentage IS 'Progress in percent, 0-100: scraping 0-80 (pages done, failed or skipped out of pages_known), extracting 80-95, creating_products 95-100, 100 when the job ends.';
COMMENT ON COLUMN @extschema@.scraping_sessions.total_pages IS 'The session''s page cap (positive): as submitted, else 1 for single and the smaller of scrape_jobs.crawl_max_pages and scrape_jobs.max_pages_per_session for crawl and sitemap; for list, the number of distinct URLs.';
COMMENT ON COLUMN @extschema@.scraping_sessions.pages_known IS 'Pages known so far: submitted or discovered rows of kind page (robots.txt and sitemap documents are not counted); grows during a crawl or sitemap session, up to total_pages.';
COMMENT ON COLUMN @extschema@.scraping_sessions.pages_done IS 'Pages fetched with a 2xx response (kind page only).';
COMMENT ON COLUMN @extschema@.scraping_sessions.pages_failed IS 'Pages that failed for good; lowered again when a requeue gives failed pages fresh attempts.';
COMMENT ON COLUMN @extschema@.scraping_sessions.pages_skipped IS 'Pages not fetched because robots.txt disallows them (status skipped).';
COMMENT ON COLUMN @extschema@.scraping_sessions.pages_extracted IS 'Done pages extracted so far (their structured data and products written): as they are stored, while the session scrapes, and in its extracting stage.';
COMMENT ON COLUMN @extschema@.scraping_sessions.notified_at IS 'When NOTIFY scrape_jobs_progress was last sent for the session (throttles it to once a second); NULL: never.';
COMMENT ON COLUMN @extschema@.scraping_sessions.products_found IS 'Products written (inserted or updated) from the session''s pages: a running count of the batches'' writes while it runs, and, when it completes, its products (those whose last page is one of its pages).';
COMMENT ON COLUMN @extschema@.scraping_sessions.options IS 'The session''s validated options object (README, "Options"); ''{}'' when none was given.';
COMMENT ON COLUMN @extschema@.scraping_sessions.created_at IS 'When the session was submitted.';
COMMENT ON COLUMN @extschema@.scraping_sessions.started_at IS 'When a worker first claimed a page of the session; NULL until then.';
COMMENT ON COLUMN @extschema@.scraping_sessions.finished_at IS 'When the session ended (completed, failed, cancelled or dead); NULL while it is pending or running.';
COMMENT ON COLUMN @extschema@.scraping_sessions.bodies_pruned_at IS 'When scrape_prune_bodies() had emptied the bodies of all its pages (scrape_jobs.body_retention); NULL until then.';
COMMENT ON COLUMN @extschema@.scraping_sessions.request_timeout_ms IS 'The request_timeout option in milliseconds, as validated at submit; NULL: scrape_jobs.request_timeout. The workers use at most scrape_jobs.request_timeout whatever it says.';
COMMENT ON COLUMN @extschema@.scraping_sessions.connect_timeout_ms IS 'The connect_timeout option in milliseconds, as validated at submit; NULL: scrape_jobs.connect_timeout. The workers use at most scrape_jobs.connect_timeout whatever it says.';
COMMENT ON COLUMN @extschema@.scraping_sessions.per_host_delay_ms IS 'The per_host_delay option in milliseconds, as validated at submit; NULL: scrape_jobs.per_host_delay. The workers wait at least scrape_jobs.per_host_delay whatever it says.';
COMMENT ON COLUMN @extschema@.scraping_sessions.per_host_max_connections IS 'The per_host_max_connections option; NULL: scrape_jobs.per_host_max_connections. The workers open at most scrape_jobs.per_host_max_connections whatever it says.';
COMMENT ON COLUMN @extschema@.scraping_sessions.updated_at IS 'When the row last changed.';

------------------------------------------------------------------------------
-- Tables: scraping_pages
------------------------------------------------------------------------------

COMMENT ON TABLE @extschema@.scraping_pages IS 'One row per URL of a session (unique per session): the fetch queue, and each page''s response, decoded body and extracted data.';
COMMENT ON COLUMN @extschema@.scraping_pages.id IS 'Page id (identity); pages are claimed, and walked by the stages, in id order.';
COMMENT ON COLUMN @extschema@.scraping_pages.session_id IS 'The session the page belongs to; deleting the session deletes its pages.';
COMMENT ON COLUMN @extschema@.scraping_pages.url IS 'The page''s URL in canonical form (README, "URL canonicalisation"); unique within the session.';
COMMENT ON COLUMN @extschema@.scraping_pages.status IS 'pending, fetching (in flight), done (2xx), failed, cancelled, skipped (robots.txt disallows it) or dead (parked by the dead-letter queue).';
COMMENT ON COLUMN @extschema@.scraping_pages.attempts IS 'Fetch attempts in the current run of the job (a deferral gives its attempt back; a job requeue resets it to 0 for the pages fetched again).';
COMMENT ON COLUMN @extschema@.scraping_pages.not_before IS 'Earliest time of the next attempt of a pending page (a retry''s backoff, an open circuit, robots.txt not known yet); NULL: no wait.';
COMMENT ON COLUMN @extschema@.scraping_pages.waiting_for IS 'Why not_before is set: retry (a retry''s backoff) or circuit (deferred by its host''s open circuit); NULL otherwise.';
COMMENT ON COLUMN @extschema@.scraping_pages.depth IS 'Links away from the seed (crawl, 0 for the seed); for a sitemap session, the nesting level of a sitemap document and 0 for the pages it lists.';
COMMENT ON COLUMN @extschema@.scraping_pages.found_on IS 'Id of the page, sitemap or robots.txt the URL was discovered on; NULL for submitted URLs and robots.txt files.';
COMMENT ON COLUMN @extschema@.scraping_pages.kind IS 'page, robots (a robots.txt fetched for the session) or sitemap (a sitemap document); only kind page counts in the session''s pages.';
COMMENT ON COLUMN @extschema@.scraping_pages.claimed_by IS 'Token (random 64-bit) of the worker fetching the page; NULL when not in flight.';
COMMENT ON COLUMN @extschema@.scraping_pages.claim_lease IS 'The job''s lease when the page was claimed; a result is accepted only if it carries this lease, from the worker in claimed_by (fencing).';
COMMENT ON COLUMN @extschema@.scraping_pages.claimed_at IS 'When the page was last claimed by a worker.';
COMMENT ON COLUMN @extschema@.scraping_pages.http_status IS 'HTTP status of the last response (after redirects); NULL when no response was received.';
COMMENT ON COLUMN @extschema@.scraping_pages.content_type IS 'Content-Type header of the response.';
COMMENT ON COLUMN @extschema@.scraping_pages.final_url IS 'The URL after redirects.';
COMMENT ON COLUMN @extschema@.scraping_pages.body IS 'Response body decoded to text in the database encoding (an HTTP error''s body is kept too); NULL for non-text media types and until a final result (done or failed) is stored.';
COMMENT ON COLUMN @extschema@.scraping_pages.body_size IS 'Bytes received, after decompression (also for bodies not stored).';
COMMENT ON COLUMN @extschema@.scraping_pages.fetch_ms IS 'Duration of the transfer in milliseconds, request to last byte, redirects included.';
COMMENT ON COLUMN @extschema@.scraping_pages.error_class IS 'Why the page failed or was not fetched: timeout, connection, dns, http_4xx, http_5xx, too_large, blocked_address, robots, worker_lost, cancelled, ... (README, "Error classes and retries"); NULL if none.';
COMMENT ON COLUMN @extschema@.scraping_pages.error IS 'Text of the error of error_class (for a robots.txt skip, it names the rule that disallowed the page).';
COMMENT ON COLUMN @extschema@.scraping_pages.title IS 'The HTML page''s title, white space collapsed; set at fetch time for a crawl''s pages, in the extracting stage for the others.';
COMMENT ON COLUMN @extschema@.scraping_pages.description IS 'The HTML page''s <meta name="description">.';
COMMENT ON COLUMN @extschema@.scraping_pages.canonical_url IS 'The HTML page''s <link rel="canonical">, resolved.';
COMMENT ON COLUMN @extschema@.scraping_pages.lang IS 'The HTML page''s <html lang>.';
COMMENT ON COLUMN @extschema@.scraping_pages.links IS 'The HTML page''s links, resolved and canonicalised, each once in document order (at most 1000): [{"url": ..., "nofollow": bool}, ...]; for a sitemap document, its <loc> URLs ([{"url": ..., "sitemap": bool}, ...]).';
COMMENT ON COLUMN @extschema@.scraping_pages.structured IS 'The extracting stage''s document: {"json_ld": [...], "microdata": [...], "opengraph": {...}, "rules": {...}}; NULL until extracted or when nothing was found.';
COMMENT ON COLUMN @extschema@.scraping_pages.created_at IS 'When the page was queued.';
COMMENT ON COLUMN @extschema@.scraping_pages.fetched_at IS 'When the page''s last result was written (done, failed or skipped); NULL if never.';
COMMENT ON COLUMN @extschema@.scraping_pages.body_pruned_at IS 'When scrape_prune_bodies() emptied body under scrape_jobs.body_retention; NULL while the body is kept (or was never stored).';
COMMENT ON COLUMN @extschema@.scraping_pages.extraction_crashes IS 'How many times a worker crashed (a signal, the server restarted) while the extracting stage parsed this page; NULL: never. After scrape_jobs.max_attempts the stage passes the page by, with an extraction_error in structured.';
COMMENT ON COLUMN @extschema@.scraping_pages.extracted_at IS 'When the page''s structured data and products were written (0.1.7: as pages are stored, by every worker); NULL: not yet, or the page is not a done page of kind page. A done page with NULL is extraction work.';
COMMENT ON COLUMN @extschema@.scraping_pages.host IS 'The URL''s host, lower-case ('''' if it has none), set when the page is queued: a claim takes a session''s pages in turns between its hosts. NULL on pages that were not pending at the upgrade to 0.1.6.';
COMMENT ON COLUMN @extschema@.scraping_pages.updated_at IS 'When the row last changed.';

------------------------------------------------------------------------------
-- Tables: robots_cache
------------------------------------------------------------------------------

COMMENT ON TABLE @extschema@.robots_cache IS 'robots.txt answers per origin, shared by every crawl: 2xx and 4xx kept 24 hours, a server error or no answer 5 minutes (it disallows everything meanwhile).';
COMMENT ON COLUMN @extschema@.robots_cache.origin IS 'scheme://host[:port] the robots.txt belongs to.';
COMMENT ON COLUMN @extschema@.robots_cache.http_status IS 'HTTP status of the answer; 0: no response. 2xx: body parsed; 4xx: everything allowed; otherwise everything disallowed.';
COMMENT ON COLUMN @extschema@.robots_cache.body IS 'The robots.txt text, cut at 524288 characters.';
COMMENT ON COLUMN @extschema@.robots_cache.fetched_at IS 'When the answer was stored.';
COMMENT ON COLUMN @extschema@.robots_cache.expires_at IS 'When the answer stops being used and robots.txt is fetched again.';

------------------------------------------------------------------------------
-- Tables: products
------------------------------------------------------------------------------

COMMENT ON TABLE @extschema@.products IS 'Products found on the pages of sessions (creating_products stage), one row per product of a workspace, known by SKU or canonical URL; a re-scrape updates the row. See README, "Products".';
COMMENT ON COLUMN @extschema@.products.id IS 'Product id (identity).';
COMMENT ON COLUMN @extschema@.products.workspace_id IS 'Workspace of the session that found it; NULL: no workspace (administrators only).';
COMMENT ON COLUMN @extschema@.products.product_key IS 'What the product is known by, unique per workspace: ''sku:'' and its SKU where the page gives one, else ''url:'' and its URL.';
COMMENT ON COLUMN @extschema@.products.session_id IS 'The session that saw it last; NULL once that session is deleted.';
COMMENT ON COLUMN @extschema@.products.page_id IS 'The page it was read from last; NULL once that page is deleted.';
COMMENT ON COLUMN @extschema@.products.url IS 'The product page''s canonical URL when it stays on the page''s host, else the URL the page was fetched from.';
COMMENT ON COLUMN @extschema@.products.name IS 'Product name (at most 1000 characters).';
COMMENT ON COLUMN @extschema@.products.description IS 'Product description (at most 10000 characters).';
COMMENT ON COLUMN @extschema@.products.sku IS 'Stock keeping unit as the page gives it (at most 200 characters).';
COMMENT ON COLUMN @extschema@.products.gtin IS 'GTIN (EAN/UPC), 8 to 14 digits.';
COMMENT ON COLUMN @extschema@.products.mpn IS 'Manufacturer part number (at most 200 characters).';
COMMENT ON COLUMN @extschema@.products.brand IS 'Brand name (at most 200 characters).';
COMMENT ON COLUMN @extschema@.products.price IS 'Price in currency, at least 0 (an AggregateOffer''s lowPrice).';
COMMENT ON COLUMN @extschema@.products.high_price IS 'An AggregateOffer''s highPrice, in currency; NULL for a single price.';
COMMENT ON COLUMN @extschema@.products.currency IS 'ISO 4217 code of price and high_price (three capital letters); NULL when the page names none.';
COMMENT ON COLUMN @extschema@.products.availability IS 'A schema.org ItemAvailability term (InStock, OutOfStock, PreOrder, ...), see scrape_normalize_availability.';
COMMENT ON COLUMN @extschema@.products.image_url IS 'Product image, an http(s) URL.';
COMMENT ON COLUMN @extschema@.products.rating IS 'Average rating (aggregateRating.ratingValue), on the scale the page uses.';
COMMENT ON COLUMN @extschema@.products.review_count IS 'Number of reviews (aggregateRating.reviewCount, else ratingCount), at least 0.';
COMMENT ON COLUMN @extschema@.products.raw IS 'The sources the product was merged from: {"json_ld", "microdata", "opengraph", "rules"}, those present.';
COMMENT ON COLUMN @extschema@.products.first_seen IS 'When the product was first written.';
COMMENT ON COLUMN @extschema@.products.last_seen IS 'When a scrape last updated the product.';

------------------------------------------------------------------------------
-- Tables: scraping_page_attempts
------------------------------------------------------------------------------

COMMENT ON TABLE @extschema@.scraping_page_attempts IS 'Every failed fetch attempt of a page, so a user can see why a page failed or was retried.';
COMMENT ON COLUMN @extschema@.scraping_page_attempts.id IS 'Attempt row id (identity).';
COMMENT ON COLUMN @extschema@.scraping_page_attempts.page_id IS 'The page; deleting the page deletes its attempts.';
COMMENT ON COLUMN @extschema@.scraping_page_attempts.session_id IS 'The page''s session (no foreign key).';
COMMENT ON COLUMN @extschema@.scraping_page_attempts.attempt IS 'The page''s attempt number (its attempts counter at the time).';
COMMENT ON COLUMN @extschema@.scraping_page_attempts.http_status IS 'HTTP status of the response; NULL when there was none.';
COMMENT ON COLUMN @extschema@.scraping_page_attempts.error_class IS 'Error class of the attempt (as scraping_pages.error_class, and job_stuck for pages taken back from a stuck job); other when unknown.';
COMMENT ON COLUMN @extschema@.scraping_page_attempts.error IS 'Error text of the attempt.';
COMMENT ON COLUMN @extschema@.scraping_page_attempts.retryable IS 'Whether the failure could succeed on a retry.';
COMMENT ON COLUMN @extschema@.scraping_page_attempts.outcome IS 'retry (scheduled again after a backoff), failed (the page failed for good) or released (its worker died or its job was stuck).';
COMMENT ON COLUMN @extschema@.scraping_page_attempts.created_at IS 'When the attempt was logged.';

------------------------------------------------------------------------------
-- Tables: job_history
------------------------------------------------------------------------------

COMMENT ON TABLE @extschema@.job_history IS 'Append-only event log of the jobs and, per scrape_jobs.page_history, of their pages; pruned after scrape_jobs.history_retention.';
COMMENT ON COLUMN @extschema@.job_history.id IS 'Event id (identity), in the order events were written.';
COMMENT ON COLUMN @extschema@.job_history.job_id IS 'The job; deleting the job deletes its history.';
COMMENT ON COLUMN @extschema@.job_history.session_id IS 'The job''s session (no foreign key).';
COMMENT ON COLUMN @extschema@.job_history.event IS 'created, claimed, stage_changed, completed, failed, cancelled, work_released, retry_scheduled, heartbeat_gap, recovered, dead_lettered, requeued, extraction_crashed (a worker crashed while the extracting stage parsed the page in detail); pages: page_claimed, page_done, page_failed, page_skipped, page_deferred, pages_claimed, pages_done.';
COMMENT ON COLUMN @extschema@.job_history.detail IS 'Event details as JSON (such as from/to of a stage change, page_id and attempt, worker, pages, delay_ms, error).';
COMMENT ON COLUMN @extschema@.job_history.created_at IS 'When the event was recorded; scrape_prune_history deletes by it.';

------------------------------------------------------------------------------
-- Tables: alerts
------------------------------------------------------------------------------

COMMENT ON TABLE @extschema@.alerts IS 'Alert outbox: written in the transaction of the event that caused the alert, NOTIFY''d on scrape_jobs_alerts, and delivered to Sentry when scrape_jobs.sentry_dsn is set.';
COMMENT ON COLUMN @extschema@.alerts.id IS 'Alert id (identity); alerts are delivered in id order.';
COMMENT ON COLUMN @extschema@.alerts.kind IS 'job_stuck, job_dead_lettered, circuit_opened or worker_crashed.';
COMMENT ON COLUMN @extschema@.alerts.job_id IS 'The job alerted about; NULL for host and worker alerts.';
COMMENT ON COLUMN @extschema@.alerts.session_id IS 'The session alerted about; NULL for host and worker alerts, which only administrators see.';
COMMENT ON COLUMN @extschema@.alerts.host IS 'The host whose circuit opened (circuit_opened); NULL for other kinds.';
COMMENT ON COLUMN @extschema@.alerts.message IS 'Human-readable text of the alert (the Sentry event''s message).';
COMMENT ON COLUMN @extschema@.alerts.detail IS 'Details as JSON (sent to Sentry as extra).';
COMMENT ON COLUMN @extschema@.alerts.created_at IS 'When the alert was recorded.';
COMMENT ON COLUMN @extschema@.alerts.event_id IS 'Sentry event id, 32 lower-case hex digits, fixed per alert so that Sentry deduplicates a resend.';
COMMENT ON COLUMN @extschema@.alerts.delivered_at IS 'When Sentry accepted the alert; NULL: not delivered yet.';
COMMENT ON COLUMN @extschema@.alerts.delivery_attempts IS 'Delivery attempts so far, successful or not.';
COMMENT ON COLUMN @extschema@.alerts.next_delivery_at IS 'When a failed delivery is retried (backoff); NULL: due now, or delivered.';
COMMENT ON COLUMN @extschema@.alerts.last_delivery_error IS 'Error of the last failed delivery; NULL if none failed.';

------------------------------------------------------------------------------
-- Tables: metric_counters
------------------------------------------------------------------------------

COMMENT ON TABLE @extschema@.metric_counters IS 'The shared-memory metric counters and histogram buckets as the launcher last saved them (every monitor pass), restored at start-up; see scrape_counters().';
COMMENT ON COLUMN @extschema@.metric_counters.name IS 'Counter or histogram: pages_fetched, bytes_fetched, retries, robots_skips, deferrals, pages_extracted, products_written, alerts, responses, errors, fetch_ms, page_ms, job_ms.';
COMMENT ON COLUMN @extschema@.metric_counters.label IS 'Empty for a plain counter; the HTTP status code (none: no response) for responses; the error class for errors; le:<bound in ms>, count or sum_us for a histogram.';
COMMENT ON COLUMN @extschema@.metric_counters.value IS 'The count (for sum_us, microseconds; histogram buckets are not cumulative).';
COMMENT ON COLUMN @extschema@.metric_counters.updated_at IS 'When the launcher last saved a changed value.';

------------------------------------------------------------------------------
-- Tables: dead_letter_jobs, and the view scrape_dead_letters
------------------------------------------------------------------------------

COMMENT ON TABLE @extschema@.dead_letter_jobs IS 'The dead-letter queue: every job that exhausted its attempts, with a snapshot of it and its errors; requeued entries are kept, marked by requeued_at.';
COMMENT ON COLUMN @extschema@.dead_letter_jobs.id IS 'Entry id (identity).';
COMMENT ON COLUMN @extschema@.dead_letter_jobs.job_id IS 'The dead job; deleting the job deletes its entries.';
COMMENT ON COLUMN @extschema@.dead_letter_jobs.session_id IS 'The job''s session (no foreign key).';
COMMENT ON COLUMN @extschema@.dead_letter_jobs.reason IS 'Why the job died: its last error.';
COMMENT ON COLUMN @extschema@.dead_letter_jobs.attempts IS 'Runs the job had when it died.';
COMMENT ON COLUMN @extschema@.dead_letter_jobs.snapshot IS 'The job and session rows when it died: {"job": {...}, "session": {...}}.';
COMMENT ON COLUMN @extschema@.dead_letter_jobs.errors IS 'The session''s logged fetch attempts (scraping_page_attempts with the page URL), the latest 1000 at most, oldest first.';
COMMENT ON COLUMN @extschema@.dead_letter_jobs.first_attempt_at IS 'When the job first started (its started_at).';
COMMENT ON COLUMN @extschema@.dead_letter_jobs.dead_at IS 'When the job was dead-lettered.';
COMMENT ON COLUMN @extschema@.dead_letter_jobs.requeued_at IS 'When scrape_requeue_dead put the job back to work; NULL: still waiting.';

COMMENT ON VIEW @extschema@.scrape_dead_letters IS 'The dead-letter entries still waiting to be requeued (scrape_requeue_dead), with their session''s URL; security_invoker, so row-level security applies.';
COMMENT ON COLUMN @extschema@.scrape_dead_letters.id IS 'Entry id in dead_letter_jobs.';
COMMENT ON COLUMN @extschema@.scrape_dead_letters.job_id IS 'The dead job.';
COMMENT ON COLUMN @extschema@.scrape_dead_letters.session_id IS 'The job''s session.';
COMMENT ON COLUMN @extschema@.scrape_dead_letters.source_url IS 'The session''s submitted URL.';
COMMENT ON COLUMN @extschema@.scrape_dead_letters.reason IS 'Why the job died: its last error.';
COMMENT ON COLUMN @extschema@.scrape_dead_letters.attempts IS 'Runs the job had when it died.';
COMMENT ON COLUMN @extschema@.scrape_dead_letters.first_attempt_at IS 'When the job first started.';
COMMENT ON COLUMN @extschema@.scrape_dead_letters.dead_at IS 'When the job was dead-lettered.';
COMMENT ON COLUMN @extschema@.scrape_dead_letters.errors IS 'Number of logged fetch attempts kept in the entry (at most 1000).';
COMMENT ON COLUMN @extschema@.scrape_dead_letters.last_error IS 'The latest of those attempts, as JSON (url, attempt, http_status, error_class, error, outcome...); NULL if none.';
COMMENT ON COLUMN @extschema@.scrape_dead_letters.job_status IS 'The job''s current status in background_jobs (dead while it waits).';

------------------------------------------------------------------------------
-- Tables: workspace_members
------------------------------------------------------------------------------

COMMENT ON TABLE @extschema@.workspace_members IS 'Tenancy, managed by an administrator: which roles may use which workspace; a role is a member if it is, or inherits from, a listed role.';
COMMENT ON COLUMN @extschema@.workspace_members.workspace_id IS 'The workspace (the workspace_id of sessions and products).';
COMMENT ON COLUMN @extschema@.workspace_members.role_name IS 'A role (or group role) whose members may use the workspace.';

------------------------------------------------------------------------------
-- Functions: C helpers
------------------------------------------------------------------------------

COMMENT ON FUNCTION @extschema@._scrape_caller() IS 'Internal: the role calling the API (the outer user, even inside SECURITY DEFINER functions); used by the tenancy checks of the API functions.';
COMMENT ON FUNCTION @extschema@._scrape_check_url(text) IS 'Internal: a URL validated with libcurl''s URL parser and returned in canonical form; raises 22004 or 22023 on bad input. Called by scrape_submit, scrape_submit_urls and _scrape_try_url.';
COMMENT ON FUNCTION @extschema@._scrape_wake(boolean, boolean, boolean, boolean) IS 'Internal: asks for wake-ups at COMMIT: new_work (workers claim), cancelled (workers re-check the jobs they hold), session_done (scrape_wait callers), alert (the alerter). Called by the queue and API functions.';

------------------------------------------------------------------------------
-- Functions: tenancy
------------------------------------------------------------------------------

COMMENT ON FUNCTION @extschema@._scrape_is_admin(oid) IS 'Internal: whether a role administers the extension (a superuser or a member of the extension''s owner) and so sees every workspace. Used by the tenancy checks.';
COMMENT ON FUNCTION @extschema@._scrape_is_member(oid, uuid) IS 'Internal: whether a role is, or inherits from, a role listed in workspace_members for the workspace. Used by the tenancy checks.';
COMMENT ON FUNCTION @extschema@._scrape_caller_sees(uuid) IS 'Internal: whether the API''s caller may see a workspace (NULL: the rows without one, administrators only). Called by scrape_status, scrape_wait and scrape_requeue_dead.';
COMMENT ON FUNCTION @extschema@._scrape_caller_sees_session(bigint) IS 'Internal: whether the API''s caller may see a session; false for an unknown one. Called by scrape_cancel.';
COMMENT ON FUNCTION @extschema@._scrape_check_workspace(uuid) IS 'Internal: refuses a submit to a workspace the caller is not a member of, or without one unless an administrator (42501), and past scrape_jobs.max_live_sessions_per_workspace live sessions (53400). Called by the submit functions.';

------------------------------------------------------------------------------
-- Functions: submission
------------------------------------------------------------------------------

COMMENT ON FUNCTION @extschema@._scrape_option_ms(text, jsonb) IS 'Internal: an interval option (request_timeout, connect_timeout, per_host_delay) as the milliseconds the workers use, checked against the option''s range by that same length; raises 22023 for anything else, NULL when the option is not given. Called by _scrape_check_options and _scrape_create_session.';
COMMENT ON FUNCTION @extschema@._scrape_check_crawl_option(text, jsonb, text) IS 'Internal: checks one crawl option (scope, max_depth, include, exclude, follow_nofollow, obey_robots) and that the session is a crawl or sitemap session; raises 22023, or 2201B for a bad regular expression. Called by _scrape_check_options.';
COMMENT ON FUNCTION @extschema@._scrape_check_extract(jsonb) IS 'Internal: checks the extract option: an object of at most 50 fields named like SQL identifiers, each an XPath expression of 1 to 1000 characters that libxml2 compiles; raises 22023. Called by _scrape_check_options.';
COMMENT ON FUNCTION @extschema@._scrape_check_options(jsonb, text) IS 'Internal: validates a session''s options object for its scraping mode and returns it (''{}'' for NULL); raises 22023 on an unknown key or a bad value. Called by the submit functions.';
COMMENT ON FUNCTION @extschema@._scrape_create_session(text[], text, text, integer, uuid, jsonb) IS 'Internal: creates, in the caller''s transaction, a job, its session and its pages (scrape_jobs.batch_size rows per INSERT, duplicates skipped) and the created event, and wakes the workers at COMMIT; returns the session id. Called by the submit functions.';
COMMENT ON FUNCTION @extschema@._scrape_check_page_cap(integer) IS 'Internal: refuses a session of more pages than scrape_jobs.max_pages_per_session (54000). Called by the submit functions.';
COMMENT ON FUNCTION @extschema@.scrape_submit(text, text, integer, uuid, jsonb) IS 'Submits a session for one URL in the caller''s transaction and returns its session id; work starts when it commits. Modes single (default), crawl, sitemap; total_pages is the page cap (NULL: 1 for single, else the smaller of scrape_jobs.crawl_max_pages and max_pages_per_session); options: README, "Options".';
COMMENT ON FUNCTION @extschema@.scrape_submit_urls(text[], uuid, jsonb) IS 'Submits a list session over many URLs and returns its session id: URLs are normalised and duplicates collapse to one page, in the order of first appearance. Options as for scrape_submit, without the crawl ones.';
COMMENT ON FUNCTION @extschema@.scrape_parse_html(text, text, jsonb) IS 'What the workers make of an HTML page (resolved against url), as jsonb: title, description, canonical, lang, nofollow, links and structured (JSON-LD, microdata, OpenGraph and the values of rules, an options.extract object). For trying extraction on a page of your own.';
COMMENT ON FUNCTION @extschema@.scrape_parse_price(text) IS 'A price as pages write it ("$1,299.00", "1 299,00 zł", "Free") read as the products stage reads it: OUT amount and OUT currency (ISO 4217, NULL when the text names none); both NULL when no amount can be read.';
COMMENT ON FUNCTION @extschema@.scrape_normalize_availability(text) IS 'An availability (a schema.org URL, or words such as "in stock", "sold out", "preorder") as a schema.org ItemAvailability term (InStock, OutOfStock, SoldOut, PreOrder, ...), or NULL.';
COMMENT ON FUNCTION @extschema@._scrape_xpath_error(text) IS 'Internal: NULL if an XPath expression compiles, else libxml2''s reason. Called by _scrape_check_extract at submit.';

------------------------------------------------------------------------------
-- Functions: metrics
------------------------------------------------------------------------------

COMMENT ON FUNCTION @extschema@._scrape_count(text, bigint) IS 'Internal: adds n to a named shared-memory counter (retries, robots_skips, deferrals, pages_extracted, products_written, alerts) when the transaction commits. Called by the queue and stage functions.';
COMMENT ON FUNCTION @extschema@._scrape_job_transition(text, text, text, double precision) IS 'Internal: reports a job''s status change (old NULL: created; new NULL: deleted) to the job gauges at COMMIT, with its run time in milliseconds for the job_ms histogram when it finished. Called by the trigger function _scrape_jobs_count_trigger.';
COMMENT ON FUNCTION @extschema@.scrape_counters() IS 'Every counter and histogram bucket in shared memory as (name, label, value) rows: plain counters with an empty label, responses by status code, errors by class, histograms (fetch_ms, page_ms, job_ms) as le:<bound in ms> buckets (not cumulative), count and sum_us (microseconds).';
COMMENT ON FUNCTION @extschema@.scrape_job_counts() IS 'Jobs by job_type and status, as gauges in shared memory moved by the trigger on background_jobs (recounted from the table at start-up); reads no table.';
COMMENT ON FUNCTION @extschema@._scrape_quantile(text, double precision) IS 'Internal: quantile q (0 to 1) of one histogram (fetch_ms, page_ms or job_ms) in milliseconds, interpolated within a bucket; NULL when it is empty. No SQL function calls it (scrape_metrics reads _scrape_quantiles).';
COMMENT ON FUNCTION @extschema@._scrape_quantiles(double precision[]) IS 'Internal: every histogram''s quantiles qs (each 0 to 1) in milliseconds, NULL elements when it is empty, from one snapshot of shared memory. Called by scrape_metrics.';
COMMENT ON FUNCTION @extschema@._scrape_rates() IS 'Internal: OUT pages_last_minute (transfers finished in the last minute), OUT jobs_finished_last_5min and OUT restored (counters restored from metric_counters since start-up), from shared memory. Called by scrape_metrics.';
COMMENT ON FUNCTION @extschema@._scrape_jobs_count_trigger() IS 'Internal: trigger function of background_jobs_count (after INSERT, DELETE or UPDATE OF status on background_jobs): reports each job status change to the metrics through _scrape_job_transition.';

------------------------------------------------------------------------------
-- Functions: the queue, called by the workers
------------------------------------------------------------------------------

COMMENT ON FUNCTION @extschema@._scrape_progress(bigint, bigint) IS 'Internal: a session''s progress while scraping, 0 to 80: 80 * finished pages (done, failed or skipped) / pages known. Called by the queue functions.';
COMMENT ON FUNCTION @extschema@._scrape_stage_progress(text, bigint, bigint) IS 'Internal: a session''s progress in a stage after scraping from the done pages it has gone through out of p_total: extracting 80 to 95, creating_products 95 to 100, any other stage 100. Called by the stage functions.';
COMMENT ON FUNCTION @extschema@._scrape_notify_progress(bigint[], boolean) IS 'Internal: notifies the progress of the sessions given, their ids on scrape_jobs_progress and the whole payload on each one''s workspace channel (README, "Notifications"): always when p_force (a stage or status change), else at most once a second per session. Called by the queue, stage and API functions.';
COMMENT ON FUNCTION @extschema@._scrape_origin(text) IS 'Internal: the origin of a URL (scheme://host[:port]), the key of robots_cache. In C; called by the crawl functions for every page and link.';
COMMENT ON FUNCTION @extschema@._scrape_path(text) IS 'Internal: the path and query of a URL (up to any #; / if empty), as robots.txt rules see it. In C; called by the crawl functions.';
COMMENT ON FUNCTION @extschema@._scrape_host(text) IS 'Internal: the host of a URL, lower-case. In C; called by _scrape_product_url.';
COMMENT ON FUNCTION @extschema@._scrape_host_delay_ms(text, integer, text, text) IS 'Internal: the gap in milliseconds between two requests to a page''s host: the session''s per_host_delay_ms, and for crawl and sitemap sessions at least the host''s robots.txt Crawl-delay for the session''s user agent (capped by scrape_jobs.max_crawl_delay); NULL: the worker''s own setting. Called by _scrape_claim.';
COMMENT ON FUNCTION @extschema@._scrape_robots_gate(bigint[]) IS 'Internal: robots.txt (RFC 9309) for the candidate pages of a claim: OUT to_fetch, OUT to_skip and OUT rules (the rule that disallows each skipped page); pages of an origin whose robots.txt is not cached wait 200 ms while it is queued. Called by _scrape_claim.';
COMMENT ON FUNCTION @extschema@._scrape_claim(bigint, integer, text[], text[]) IS 'Internal: claims up to p_limit due pending pages (SKIP LOCKED), in turns between workspaces, their sessions and each session''s hosts, the pages of p_busy_hosts (hosts whose pages already wait in the worker''s backlog) last and none of p_full_hosts (hosts of which the backlog holds what they can start soon), for the worker whose token is p_worker, starts their pending jobs, skips pages robots.txt disallows, and returns what the worker needs to fetch each page with the lease to write back with. Called by the fetch workers.';
COMMENT ON FUNCTION @extschema@._scrape_session_turns(bigint, integer, text[], text[]) IS 'Internal: a session''s candidates for a claim, in turns between its hosts (the first due page of each of its first p_limit hosts, then the second...), about p_limit in all, the pages of p_busy_hosts last, none of p_full_hosts. Called by _scrape_claim.';
COMMENT ON FUNCTION @extschema@._scrape_return_pages(bigint, bigint[], bigint[]) IS 'Internal: hands back pages the worker whose token is p_worker claimed under the given leases and never started: pending again, the claim''s attempt given back (a work_released event in job_history, reason backlog full); returns how many. Called by the fetch workers when their backlog is full of pages their hosts keep waiting.';
COMMENT ON FUNCTION @extschema@._scrape_backoff(integer, integer) IS 'Internal: delay before the next retry after attempt p_attempt: d = least(retry_max_delay, retry_base_delay * 2^(attempt - 1)), randomly within [d/2, d]; a server''s Retry-After (ms) replaces it, capped at retry_max_delay. For page retries, job requeues and alert deliveries.';
COMMENT ON FUNCTION @extschema@._scrape_record_alert(text, bigint, bigint, text, text, jsonb) IS 'Internal: records an alert in the alerts outbox in the transaction of its cause, notifies its ids on scrape_jobs_alerts and its kind and message on the workspace channel, and wakes the alerter at COMMIT; returns the alert id. Called by the recovery and dead-letter functions, the workers (circuit_opened) and the launcher (worker_crashed).';
COMMENT ON FUNCTION @extschema@._scrape_dead_letter(bigint, text) IS 'Internal: moves a job to the dead-letter queue: a dead_letter_jobs row, its unfinished pages parked as dead, the job (lease bumped) and session dead, a job_dead_lettered alert. The caller holds the session and job row locks.';
COMMENT ON FUNCTION @extschema@._scrape_end_job(bigint, bigint, text, text, integer, integer) IS 'Internal: ends a session and its job as p_status (completed or failed): stage done, progress 100, finished_at, last_error, the history and a progress notification. The caller holds their row locks.';
COMMENT ON FUNCTION @extschema@._scrape_enter_stage(bigint, bigint, text) IS 'Internal: moves a job to its next stage after scraping (extracting, creating_products): a stage_changed history row, the stage''s progress, a fresh heartbeat, a notification, and a wake-up of the workers. The caller holds the session''s row lock.';
COMMENT ON FUNCTION @extschema@._scrape_finish_sessions(bigint[]) IS 'Internal: finishes the scraping of the given sessions with no page left pending or in flight: on to extracting if a page is done or none failed, else failed (nothing retryable) or dead-lettered (retryable failures that spent their attempts); returns how many it found. Called by the queue functions, which hold the session locks.';
COMMENT ON FUNCTION @extschema@._scrape_seed_sitemaps(bigint, text) IS 'Internal: turns a new sitemap session''s seed into its first documents: the URL itself as a sitemap or, for a site root, its /sitemap.xml and its robots.txt (whose Sitemap: lines are followed). Called by scrape_submit.';
COMMENT ON FUNCTION @extschema@._scrape_try_url(text) IS 'Internal: a URL canonicalised as by _scrape_check_url, or NULL instead of an error when it is not one the workers would fetch. Called by _scrape_discover.';
COMMENT ON FUNCTION @extschema@._scrape_in_scope(text, text, text) IS 'Internal: whether url is within the crawl scope of seed: host (default), the same host; domain, the seed''s host less a leading www. or a subdomain of it; prefix, under the seed''s directory. In C; called by _scrape_discover for every link.';
COMMENT ON FUNCTION @extschema@._scrape_patterns(jsonb) IS 'Internal: the regular expressions of an include or exclude option (a string or an array of them) as text[]; empty for anything else. Called by _scrape_discover.';
COMMENT ON FUNCTION @extschema@._scrape_discover(bigint[]) IS 'Internal: queues as pending pages the links of the crawl pages, sitemaps and robots.txt Sitemap: lines just stored among p_page_ids (scope, max_depth, include, exclude, nofollow, total_pages applied); returns the rows added. Called by _scrape_record_results.';
COMMENT ON FUNCTION @extschema@._scrape_record_results(bigint, bigint[], bigint[], boolean[], integer[], text[], text[], text[], bigint[], double precision[], text[], text[], boolean[], integer[], integer[], text[], text[], text[], text[], text[]) IS 'Internal: writes a batch of fetch results, accepting only pages still in flight for the worker under the same lease (fencing): done, retry after a backoff, failed, or deferred (open circuit); updates counters and progress, finishes sessions. Returns the number accepted. Called by the fetch workers.';

------------------------------------------------------------------------------
-- Functions: the stages after scraping
------------------------------------------------------------------------------

COMMENT ON FUNCTION @extschema@._scrape_note_extraction_crash(bigint) IS 'Internal: counts a crash of the extracting stage against the page it was parsing (found in a dead worker''s extraction marker) and records an extraction_crashed event; returns the page''s crashes so far. Called by the launcher.';
COMMENT ON FUNCTION @extschema@._scrape_claim_extraction(integer, integer) IS 'Internal: the next batch of extraction work, locked (SKIP LOCKED): up to p_limit done pages of one running session not extracted yet (at least p_min while the session still scrapes), with the session''s rules. Called by the workers (src/stages.c).';
COMMENT ON FUNCTION @extschema@._scrape_finish_stages(bigint, bigint) IS 'Internal: ends the stages of a job past scraping whose pages are all extracted: creating_products, then completed with metadata.products. Returns whether it did. The caller holds the session''s row lock.';
COMMENT ON FUNCTION @extschema@._scrape_record_extraction(bigint, bigint, bigint[], text[], text[], text[], text[], text[], text[]) IS 'Internal: stores a batch of extraction (the pages claimed by _scrape_claim_extraction): each page''s structured document and, for pages not parsed when fetched, its title, description, canonical URL, language and links; writes their products; updates the session''s counts and progress; ends the stages when it was the last work of a session past scraping.';
COMMENT ON FUNCTION @extschema@._scrape_jtext(jsonb) IS 'Internal: the first scalar a JSON-LD value holds, as text: a string (trimmed, NULL if empty) or number; of an array its first element; of an object its @value or name. Used by the product functions.';
COMMENT ON FUNCTION @extschema@._scrape_jurl(jsonb) IS 'Internal: the URL a JSON-LD value holds: a string, an array''s first element, or an object''s url, contentUrl or @id. Used by the product functions.';
COMMENT ON FUNCTION @extschema@._scrape_number(text) IS 'Internal: a decimal number written plainly ("4.5", "12", "4,5") as numeric, else NULL. Used for product ratings.';
COMMENT ON FUNCTION @extschema@._scrape_product_columns(text, text, text, text, text, text, text, text, text, text, text, text, text) IS 'Internal: the product columns one source gives, as a jsonb object without nulls: texts cut to length, gtin of 8-14 digits, prices and currency parsed and checked, availability normalised. Used by the product functions.';
COMMENT ON FUNCTION @extschema@._scrape_product_from_item(jsonb) IS 'Internal: the product columns of a schema.org Product (JSON-LD, or a microdata item in its shape) and of its first Offer or AggregateOffer with a price. Used by _scrape_product.';
COMMENT ON FUNCTION @extschema@._scrape_first_product(jsonb) IS 'Internal: the first schema.org Product (or ProductGroup, ProductModel, IndividualProduct, SomeProducts) at any depth of a list of JSON-LD blocks or microdata items; NULL if none. Used by _scrape_product.';
COMMENT ON FUNCTION @extschema@._scrape_product(jsonb, text, text) IS 'Internal: the product a page describes, per column the first of its rules, JSON-LD, microdata, OpenGraph, title and description, as {"columns", "raw"}; NULL when no source says it is a product. Called by _scrape_create_products.';
COMMENT ON FUNCTION @extschema@._scrape_product_url(text, text, text) IS 'Internal: the URL a product is known by: the page''s canonical URL if it is on the host the page was fetched from, else the URL it was fetched from. Called by _scrape_create_products.';
COMMENT ON FUNCTION @extschema@._scrape_write_products(bigint, bigint[]) IS 'Internal: the products of a batch of extracted pages, one INSERT ... ON CONFLICT, the page of the highest id winning a shared key (in the batch and across batches). Returns how many it wrote.';

------------------------------------------------------------------------------
-- Functions: heartbeats, orphans and recovery
------------------------------------------------------------------------------

COMMENT ON FUNCTION @extschema@._scrape_heartbeat(bigint[], bigint[]) IS 'Internal: heartbeats the jobs a worker holds under their leases and returns the ids of those it no longer owns (cancelled, finished or recovered), whose transfers it drops; a job row another transaction holds is skipped, never waited for. Called by the fetch workers every scrape_jobs.heartbeat_interval.';
COMMENT ON FUNCTION @extschema@._scrape_release_orphans(bigint[]) IS 'Internal: hands back to the queue the pages held by worker tokens not in p_live: a page whose request had started (its worker''s journal lists it) spends an attempt (failed as worker_lost once its attempts are spent), a page still in the worker''s backlog gets its attempt back; returns the pages released. Called by the launcher at start-up and when a worker exits.';
COMMENT ON FUNCTION @extschema@._scrape_started_pages(bigint) IS 'Internal: the requests (page ids and attempts) the fetch worker of a claim token has started, from its started-pages journal (a file under pg_scrape_jobs/ in the data directory); both NULL when it has none. Read by _scrape_pages_started.';
COMMENT ON FUNCTION @extschema@._scrape_pages_started(bigint[]) IS 'Internal: which of the given fetching pages had their request started (listed at their current attempt by the journal of the worker holding them, or held by a worker without a journal); the others were in that worker''s backlog. Called by _scrape_release_orphans and _scrape_recover_job.';
COMMENT ON FUNCTION @extschema@._scrape_next_due() IS 'Internal: the earliest not_before of a pending page (a retry or deferral coming due), NULL if none, for the workers'' timers. Called by the fetch workers.';
COMMENT ON FUNCTION @extschema@._scrape_recover_job(bigint, interval) IS 'Internal: recovers one stuck job (no heartbeat for p_timeout, pages in flight): pages back to pending, lease bumped, a job_stuck alert, then requeued with backoff or dead-lettered. Returns whether it recovered the job. Called by scrape_detect_stuck.';
COMMENT ON FUNCTION @extschema@._scrape_recover_stage(bigint, interval) IS 'Internal: a job in a stage after scraping with no batch for p_timeout. Queued (nobody holds its pages still to extract): not stuck, nothing done. Held by a batch whose transaction began before p_timeout (a frozen worker): one job_stuck alert for that hold, no attempt charged. Returns whether it alerted. Called by scrape_detect_stuck.';
COMMENT ON FUNCTION @extschema@.scrape_prune_history(integer) IS 'Deletes up to batch of the oldest job_history rows older than scrape_jobs.history_retention and returns how many; the monitor (scrape_monitor) runs one batch per pass.';

------------------------------------------------------------------------------
-- Functions: alert delivery (the alerter)
------------------------------------------------------------------------------

COMMENT ON FUNCTION @extschema@._scrape_sentry_envelope(@extschema@.alerts) IS 'Internal: the Sentry envelope of an alert: a header line, an item header line and the event (fixed event_id, level, message, tags, detail as extra). Called by _scrape_alerts_due.';
COMMENT ON FUNCTION @extschema@._scrape_alerts_due(integer) IS 'Internal: up to p_limit undelivered alerts due for delivery, oldest first, with their Sentry envelopes. Called by the alerter.';
COMMENT ON FUNCTION @extschema@._scrape_next_alert_due() IS 'Internal: when the next undelivered alert waiting for a retry is due; NULL if none waits. Called by the alerter.';
COMMENT ON FUNCTION @extschema@._scrape_alert_delivery(bigint, boolean, text, integer) IS 'Internal: records the outcome of an alert''s delivery: delivered, or failed with the error and retried after a backoff (the server''s Retry-After in ms, if given). Called by the alerter.';

------------------------------------------------------------------------------
-- Functions: the SQL API
------------------------------------------------------------------------------

COMMENT ON FUNCTION @extschema@.scrape_status(bigint) IS 'One row on a session: its status and its job''s, stage, progress (0-100), page counts (known, done, failed, pending or in flight), start, finish, duration and last error. No row for an unknown session or another workspace''s.';
COMMENT ON FUNCTION @extschema@.scrape_cancel(bigint) IS 'Cancels a pending or running session: its pending and in-flight pages become cancelled, its job is fenced (lease bumped), and the workers drop its transfers at COMMIT; stored pages stay. False if the session does not exist, is another workspace''s or has ended.';
COMMENT ON FUNCTION @extschema@.scrape_wait(bigint, interval) IS 'Blocks until the session ends or the timeout passes and returns its status (still pending or running on timeout). 42704 for an unknown session; not allowed in REPEATABLE READ or SERIALIZABLE transactions (25001).';
COMMENT ON FUNCTION @extschema@.scrape_detect_stuck() IS 'Recovers the stuck jobs once: processing with pages in flight and no heartbeat for scrape_jobs.stuck_timeout (returns how many), alerts a batch of extraction that has held its pages that long, and ends the stages of a job past scraping with nothing left to extract. Run by the monitor; can be scheduled from pg_cron.';
COMMENT ON FUNCTION @extschema@.scrape_monitor() IS 'One monitor pass: scrape_detect_stuck(), one batch of scrape_prune_history() and one of scrape_prune_bodies(), as OUT recovered (jobs), OUT pruned (history rows) and OUT bodies_pruned (page bodies). The launcher runs it every scrape_jobs.monitor_interval; pg_cron can too.';
COMMENT ON FUNCTION @extschema@.scrape_prune_bodies(integer) IS 'Empties the bodies of up to batch pages of sessions that finished (completed, failed or cancelled) longer than scrape_jobs.body_retention ago, oldest first, and returns how many; page rows, extracted data and products stay. The monitor runs one batch per pass.';
COMMENT ON FUNCTION @extschema@.scrape_requeue_dead(bigint) IS 'Puts a dead-lettered job back to work from its checkpoint: stored pages stay; parked pages and those that failed retryably get fresh attempts. Returns true; 42704 for an unknown job, 55000 for one not in the dead-letter queue.';
COMMENT ON FUNCTION @extschema@.scrape_metrics() IS 'The queue''s health in one row, from shared-memory counters rather than history: web_scraping jobs by status, throughput, error rate (0-1), processing times (ms: mean, p50, p95, p99), queue figures. README, "Metrics".';
COMMENT ON FUNCTION @extschema@.scrape_workers() IS 'One row per running fetch worker: slot, pid, state (starting, idle, fetching, writing), a job it holds pages of, transfers in flight, pages fetched, claims (queue passes that claimed), started_at, last_activity.';
COMMENT ON FUNCTION @extschema@.scrape_circuit_breakers() IS 'One row per host the workers have talked to: circuit state (closed, open, half_open), consecutive failures, opened_at, next_probe_at, active connections, requests and failures, from shared memory.';
COMMENT ON FUNCTION @extschema@.scrape_host_stats() IS 'Per host the workers have talked to since the server started: finished requests, errors (all and by class), mean and p95 fetch time (ms), circuit state, connections in flight, current gap between requests (ms).';
COMMENT ON FUNCTION @extschema@._scrape_prom_label(text) IS 'Internal: a Prometheus label value with backslash, double quote and newline escaped. Called by scrape_metrics_prometheus.';
COMMENT ON FUNCTION @extschema@.scrape_metrics_prometheus() IS 'The metrics in the Prometheus text exposition format 0.0.4, each family with HELP and TYPE, histograms in seconds with cumulative buckets; for an exporter''s custom query or a textfile collector.';
COMMENT ON FUNCTION @extschema@.scrape_check_address(text, text) IS 'NULL if the fetcher may connect to this address (for a URL with this host), else the reason it is refused: the SSRF rules the workers apply, with the current settings. README, "SSRF defences".';
COMMENT ON FUNCTION @extschema@.scrape_robots_check(text, text, text) IS 'The robots.txt verdict (RFC 9309) for a path and query and a User-Agent (default scrape_jobs.user_agent): allowed, crawl_delay (seconds), and the rule that decided.';
COMMENT ON FUNCTION @extschema@.scrape_robots_sitemaps(text) IS 'The URLs of the Sitemap: lines of a robots.txt, one per row.';

------------------------------------------------------------------------------
-- The launcher
------------------------------------------------------------------------------

COMMENT ON FUNCTION @extschema@.scrape_launcher() IS 'The launcher and the state of the extension it found: running, waiting_for_extension, or waiting_for_update (the library serves another version than the one installed), with its pid, database, the installed and library versions and a detail saying what to run.';
COMMENT ON FUNCTION @extschema@._scrape_worker_label(bigint) IS 'Internal: which worker a claim token belongs to ("worker 1, pid 4242"), for job_history; "token N" when no live worker has it. Called by _scrape_claim.';

-- 0.1.8
COMMENT ON TABLE @extschema@.channel_key IS 'The secret key that names each workspace''s notification channel (scrape_channel()): one row, for the owner only (row-level security without a policy); not dumped, so a restored database has a new key.';
COMMENT ON COLUMN @extschema@.channel_key.one IS 'Always true: the table has one row.';
COMMENT ON COLUMN @extschema@.channel_key.key IS '32 random bytes (two gen_random_uuid() values).';
COMMENT ON FUNCTION @extschema@._scrape_channel(uuid) IS 'Internal: the notification channel of a workspace (NULL: sessions without one, host alerts), scrape_jobs_ and 32 hex digits of SHA-256 of the channel key and the workspace. Called by _scrape_notify_progress and _scrape_record_alert.';
COMMENT ON FUNCTION @extschema@.scrape_channel(uuid) IS 'The notification channel of a workspace, where progress and alerts are notified in full (README, "Notifications"); for members of the workspace, and for administrators with NULL (the sessions without a workspace). Raises 42501 for anyone else.';
COMMENT ON FUNCTION @extschema@._scrape_workspace_firsts(integer) IS 'Internal: the oldest session with pending pages of each of up to p_limit workspaces, from a random one on, and of the sessions without a workspace (among the first 20 live sessions of each); the claim''s turns between workspaces take these besides the oldest sessions of all. Called by _scrape_claim.';
