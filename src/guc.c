/*-------------------------------------------------------------------------
 * guc.c
 *	  Definitions of the scrape_jobs configuration parameters.
 *
 * Every parameter is documented in README.md; keep the two in step.
 * Parameters that size shared memory or the worker pool are
 * PGC_POSTMASTER; the rest can be changed with a reload (the workers
 * re-read them on SIGHUP).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "utils/guc.h"

#include "alerts.h"
#include "guc.h"
#include "ssrf.h"

char	   *scrape_database = NULL;
int			scrape_num_workers = 2;
int			scrape_max_connections_per_worker = 32;
int			scrape_heartbeat_interval_ms = 30 * 1000;
int			scrape_page_history = SCRAPE_HISTORY_BATCH;
int			scrape_history_retention_s = 7 * 24 * 3600;
int			scrape_body_retention_s = 30 * 24 * 3600;
char	   *scrape_sentry_dsn = NULL;
char	   *scrape_sentry_environment = NULL;
char	   *scrape_sentry_release = NULL;
int			scrape_stuck_timeout_ms = 5 * 60 * 1000;
int			scrape_connect_timeout_ms = 10 * 1000;
int			scrape_request_timeout_ms = 30 * 1000;
int			scrape_max_body_size_kb = 10 * 1024;
int			scrape_max_redirects = 10;
char	   *scrape_user_agent = NULL;
int			scrape_batch_size = 100;
int			scrape_max_attempts = 3;
int			scrape_retry_base_delay_ms = 2000;
int			scrape_retry_max_delay_ms = 30 * 1000;
int			scrape_monitor_interval_ms = 30 * 1000;
int			scrape_breaker_failure_threshold = 5;
int			scrape_breaker_cooldown_ms = 30 * 1000;
int			scrape_batch_delay_ms = 0;
int			scrape_per_host_max_connections = 8;
int			scrape_per_host_delay_ms = 0;
char	   *scrape_debug_crash_on_extract = NULL;
int			scrape_max_hosts = 1024;
bool		scrape_allow_private_networks = false;
int			scrape_max_pages_per_session = 10000;
int			scrape_max_live_sessions_per_workspace = 0;
bool		scrape_obey_robots = true;
int			scrape_crawl_max_pages = 1000;
int			scrape_max_crawl_delay_ms = 30 * 1000;
char	   *scrape_allowed_hosts = NULL;
char	   *scrape_denied_hosts = NULL;

/*
 * How much of a page's life job_history keeps.  "on"/"off" and their
 * spellings are accepted, hidden, as they were when this was a boolean.
 */
static const struct config_enum_entry page_history_options[] = {
	{"page", SCRAPE_HISTORY_PAGE, false},
	{"batch", SCRAPE_HISTORY_BATCH, false},
	{"off", SCRAPE_HISTORY_OFF, false},
	{"on", SCRAPE_HISTORY_PAGE, true},
	{"true", SCRAPE_HISTORY_PAGE, true},
	{"yes", SCRAPE_HISTORY_PAGE, true},
	{"1", SCRAPE_HISTORY_PAGE, true},
	{"false", SCRAPE_HISTORY_OFF, true},
	{"no", SCRAPE_HISTORY_OFF, true},
	{"0", SCRAPE_HISTORY_OFF, true},
	{NULL, 0, false}
};

#define SCRAPE_DEFAULT_USER_AGENT "scrape_jobs/" SCRAPE_JOBS_VERSION " (PostgreSQL extension)"

/* Define every parameter and reserve the "scrape_jobs" prefix. */
void
ScrapeDefineGucs(void)
{
	DefineCustomStringVariable("scrape_jobs.database",
							   "Database in which the scrape_jobs workers run.",
							   "The launcher connects to this database and waits "
							   "until the extension is created there.",
							   &scrape_database,
							   "postgres",
							   PGC_POSTMASTER, 0,
							   NULL, NULL, NULL);

	DefineCustomIntVariable("scrape_jobs.workers",
							"Number of fetch workers the launcher keeps running.",
							"Each worker is a background worker: leave room for "
							"them (plus the launcher) in max_worker_processes.",
							&scrape_num_workers,
							2, 1, 64,
							PGC_POSTMASTER, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("scrape_jobs.max_connections_per_worker",
							"Maximum number of transfers one worker runs at once.",
							NULL,
							&scrape_max_connections_per_worker,
							32, 1, 1024,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("scrape_jobs.heartbeat_interval",
							"Interval between heartbeats of a job being processed.",
							NULL,
							&scrape_heartbeat_interval_ms,
							30 * 1000, 100, 3600 * 1000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("scrape_jobs.stuck_timeout",
							"Time without a heartbeat after which a processing job is stuck.",
							NULL,
							&scrape_stuck_timeout_ms,
							5 * 60 * 1000, 1000, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("scrape_jobs.history_retention",
							"Age after which job_history rows are deleted by the monitor.",
							"Pruned in batches of 10000 per monitor pass (scrape_prune_history()).",
							&scrape_history_retention_s,
							7 * 24 * 3600, 60, INT_MAX,
							PGC_SUSET, GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("scrape_jobs.body_retention",
							"Age of a finished session after which the monitor empties its pages' bodies.",
							"Only body is emptied (body_pruned_at says so): the page rows, what was "
							"extracted from them and the products stay.  Pruned 1000 pages per "
							"monitor pass (scrape_prune_bodies()); -1 keeps bodies forever.",
							&scrape_body_retention_s,
							30 * 24 * 3600, -1, INT_MAX,
							PGC_SUSET, GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomEnumVariable("scrape_jobs.page_history",
							 "How job_history records the pages' own state changes.",
							 "page: a row per page claimed, done, failed, skipped or "
							 "deferred; batch: one pages_claimed and one pages_done row "
							 "per batch and session, failed, skipped and deferred pages "
							 "still one row each; off: none of them.",
							 &scrape_page_history,
							 SCRAPE_HISTORY_BATCH,
							 page_history_options,
							 PGC_SUSET, 0,
							 NULL, NULL, NULL);

	DefineCustomStringVariable("scrape_jobs.sentry_dsn",
							   "Sentry DSN alerts are delivered to; empty: alerts are only recorded.",
							   "The form is https://PUBLIC_KEY@HOST[:PORT]/[PATH/]PROJECT_ID "
							   "(http is accepted, for tests).",
							   &scrape_sentry_dsn,
							   "",
							   PGC_SUSET, GUC_SUPERUSER_ONLY,
							   SentryDsnCheckHook, NULL, NULL);

	DefineCustomStringVariable("scrape_jobs.sentry_environment",
							   "Environment named in the alerts sent to Sentry.",
							   NULL,
							   &scrape_sentry_environment,
							   "production",
							   PGC_SUSET, 0,
							   NULL, NULL, NULL);

	DefineCustomStringVariable("scrape_jobs.sentry_release",
							   "Release named in the alerts sent to Sentry; empty: none.",
							   NULL,
							   &scrape_sentry_release,
							   "",
							   PGC_SUSET, 0,
							   NULL, NULL, NULL);

	DefineCustomIntVariable("scrape_jobs.connect_timeout",
							"Maximum time to establish a connection to a web server.",
							NULL,
							&scrape_connect_timeout_ms,
							10 * 1000, 1, 3600 * 1000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("scrape_jobs.request_timeout",
							"Maximum total time of one request, body included.",
							NULL,
							&scrape_request_timeout_ms,
							30 * 1000, 1, 24 * 3600 * 1000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("scrape_jobs.max_body_size",
							"Maximum size of a response body, after decompression.",
							"A larger response is aborted while it streams and "
							"the page fails with error class \"too_large\".",
							&scrape_max_body_size_kb,
							10 * 1024, 1, 256 * 1024,
							PGC_SIGHUP, GUC_UNIT_KB,
							NULL, NULL, NULL);

	DefineCustomIntVariable("scrape_jobs.max_redirects",
							"Maximum number of redirects followed for one page.",
							NULL,
							&scrape_max_redirects,
							10, 0, 100,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);

	DefineCustomStringVariable("scrape_jobs.user_agent",
							   "User-Agent header sent with every request.",
							   NULL,
							   &scrape_user_agent,
							   SCRAPE_DEFAULT_USER_AGENT,
							   PGC_SIGHUP, 0,
							   NULL, NULL, NULL);

	DefineCustomIntVariable("scrape_jobs.batch_size",
							"Maximum number of pages claimed or written in one transaction.",
							NULL,
							&scrape_batch_size,
							100, 1, 10000,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("scrape_jobs.max_attempts",
							"Fetch attempts of a page, and runs of a job, before it fails for good.",
							"Only retryable failures are retried (see README, \"Retries\").",
							&scrape_max_attempts,
							3, 1, 100,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("scrape_jobs.retry_base_delay",
							"Backoff before the first retry; it doubles with each attempt.",
							NULL,
							&scrape_retry_base_delay_ms,
							2000, 1, 3600 * 1000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("scrape_jobs.retry_max_delay",
							"Longest backoff between attempts, Retry-After included.",
							NULL,
							&scrape_retry_max_delay_ms,
							30 * 1000, 1, 24 * 3600 * 1000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("scrape_jobs.monitor_interval",
							"How often the launcher looks for stuck jobs.",
							NULL,
							&scrape_monitor_interval_ms,
							30 * 1000, 100, 24 * 3600 * 1000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("scrape_jobs.breaker_failure_threshold",
							"Consecutive retryable failures that open a host's circuit.",
							NULL,
							&scrape_breaker_failure_threshold,
							5, 1, 10000,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("scrape_jobs.breaker_cooldown",
							"How long an open circuit defers a host's pages before a probe.",
							NULL,
							&scrape_breaker_cooldown_ms,
							30 * 1000, 1, 24 * 3600 * 1000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("scrape_jobs.batch_delay",
							"Pause between two claims of one worker.",
							NULL,
							&scrape_batch_delay_ms,
							0, 0, 3600 * 1000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("scrape_jobs.per_host_max_connections",
							"Transfers to one host at once, across all workers.",
							NULL,
							&scrape_per_host_max_connections,
							8, 1, 1000,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("scrape_jobs.per_host_delay",
							"Minimum gap between the starts of two requests to one host.",
							NULL,
							&scrape_per_host_delay_ms,
							0, 0, 3600 * 1000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("scrape_jobs.max_hosts",
							"Hosts tracked at once for circuit breakers and rate limits.",
							"When the table is full, the least recently used idle host "
							"with a closed circuit is forgotten; if none can be, "
							"new hosts' pages are deferred for a second.",
							&scrape_max_hosts,
							1024, 16, 1000000,
							PGC_POSTMASTER, 0,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("scrape_jobs.allow_private_networks",
							 "Lets the fetcher connect to private, loopback, link-local and other special addresses.",
							 "Off by default: a fetcher inside a database server must not reach its own network.",
							 &scrape_allow_private_networks,
							 false,
							 PGC_SUSET, 0,
							 NULL, NULL, NULL);

	DefineCustomStringVariable("scrape_jobs.allowed_hosts",
							   "Host names and CIDR ranges the fetcher may reach even in private ranges.",
							   "A comma-separated list; \".example.com\" also matches subdomains.",
							   &scrape_allowed_hosts,
							   "",
							   PGC_SUSET, GUC_LIST_INPUT,
							   SsrfCheckHostList, SsrfAssignAllowedHosts, NULL);

	DefineCustomStringVariable("scrape_jobs.denied_hosts",
							   "Host names and CIDR ranges the fetcher must never reach.",
							   "A comma-separated list; it wins over allowed_hosts.",
							   &scrape_denied_hosts,
							   "",
							   PGC_SUSET, GUC_LIST_INPUT,
							   SsrfCheckHostList, SsrfAssignDeniedHosts, NULL);

	DefineCustomIntVariable("scrape_jobs.max_pages_per_session",
							"Most pages one session may have.",
							NULL,
							&scrape_max_pages_per_session,
							10000, 1, 10000000,
							PGC_SUSET, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("scrape_jobs.max_live_sessions_per_workspace",
							"Most pending or running sessions one workspace may have (0: no limit).",
							NULL,
							&scrape_max_live_sessions_per_workspace,
							0, 0, INT_MAX,
							PGC_SUSET, 0,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("scrape_jobs.obey_robots",
							 "Makes crawls obey robots.txt (RFC 9309).",
							 "A session can override it with the obey_robots option.",
							 &scrape_obey_robots,
							 true,
							 PGC_SIGHUP, 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("scrape_jobs.crawl_max_pages",
							"Pages a crawl takes when scrape_submit() gives no total_pages.",
							NULL,
							&scrape_crawl_max_pages,
							1000, 1, 10000000,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("scrape_jobs.max_crawl_delay",
							"Longest Crawl-delay of a robots.txt that is honoured.",
							NULL,
							&scrape_max_crawl_delay_ms,
							30 * 1000, 0, 3600 * 1000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);

	/*
	 * For the tests of crash safety only: makes the extracting stage
	 * abort() ("crash:TEXT") or raise an ERROR ("error:TEXT") on the pages
	 * whose URL contains TEXT, as a bug of a parser would.
	 */
	DefineCustomStringVariable("scrape_jobs.debug_crash_on_extract",
							   "Developer option: fail or crash the extracting stage on matching pages.",
							   "\"crash:TEXT\" aborts the worker, \"error:TEXT\" raises an error, on pages whose URL contains TEXT. For tests only.",
							   &scrape_debug_crash_on_extract,
							   "",
							   PGC_SIGHUP, GUC_NOT_IN_SAMPLE,
							   NULL, NULL, NULL);

	MarkGUCPrefixReserved("scrape_jobs");
}

/*
 * Pin the settings the background workers' transactions rely on, whatever
 * the database's or the role's defaults say (ALTER DATABASE ... SET):
 * read-write, READ COMMITTED transactions (default_transaction_read_only
 * would stop every write for good, SERIALIZABLE would fail claims that
 * SKIP LOCKED makes safe), no statement or idle-in-transaction timeout
 * (statements are short; a timeout meant for applications would kill the
 * queue's), no temporary-file cap (a result write of large bodies may
 * spill).  lock_timeout is 500 ms, below deadlock_timeout (1 s by
 * default): when a DROP EXTENSION and one of our transactions wait for
 * each other's locks, ours gives up first (and is retried, or finds the
 * extension gone) rather than the deadlock detector cancelling the
 * administrator's DROP.  Override priority, so a reload of postgresql.conf
 * keeps them.  No JIT: the queue's statements are short, and the
 * planner's estimates of the claim's set-returning functions (1,000 rows
 * each) put the claim above jit_above_cost, so every claim compiled its
 * candidates' query (bench/notes.md has the figures).
 */
void
ScrapePinSessionSettings(void)
{
	SetConfigOption("default_transaction_read_only", "off", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("default_transaction_isolation", "read committed", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("default_transaction_deferrable", "off", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("statement_timeout", "0", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("idle_in_transaction_session_timeout", "0", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("temp_file_limit", "-1", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("lock_timeout", "500", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("jit", "off", PGC_SUSET, PGC_S_OVERRIDE);
}

/*
 * A session's option may tighten the administrator's limit but never
 * loosen it (README, "Options"): a tenant's per_host_max_connections of
 * 1000 must not lift the 8 an administrator set to protect other sites,
 * nor a 1-day request_timeout let one tenant's slow pages hold every
 * connection of the pool.  The settings are read at each use, so a reload
 * applies to sessions already submitted.
 */
int
ScrapeRequestTimeoutMs(int session_ms)
{
	return session_ms > 0 ? Min(session_ms, scrape_request_timeout_ms) :
		scrape_request_timeout_ms;
}

int
ScrapeConnectTimeoutMs(int session_ms)
{
	return session_ms > 0 ? Min(session_ms, scrape_connect_timeout_ms) :
		scrape_connect_timeout_ms;
}

int
ScrapeHostConnections(int session_connections)
{
	return session_connections > 0 ?
		Min(session_connections, scrape_per_host_max_connections) :
		scrape_per_host_max_connections;
}

/* (a longer gap is the tighter limit; a crawl's Crawl-delay comes here too) */
int
ScrapeHostDelayMs(int session_ms)
{
	return session_ms >= 0 ? Max(session_ms, scrape_per_host_delay_ms) :
		scrape_per_host_delay_ms;
}

/*
 * Whether a transfer ran under a timeout shorter than the administrator's:
 * its timeout then says more about the session's choice than about the
 * host's health, and the circuit breaker does not count it.
 */
bool
ScrapeTimeoutsTightened(int request_ms, int connect_ms)
{
	return request_ms < scrape_request_timeout_ms ||
		connect_ms < scrape_connect_timeout_ms;
}
