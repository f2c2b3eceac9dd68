/*-------------------------------------------------------------------------
 * guc.h
 *	  Configuration parameters of scrape_jobs (all under "scrape_jobs.").
 *
 * Times are kept in the unit PostgreSQL shows them in (ms or s); sizes in kB.
 *-------------------------------------------------------------------------
 */
#ifndef SCRAPE_GUC_H
#define SCRAPE_GUC_H

extern char *scrape_database;
extern int	scrape_num_workers;
extern int	scrape_max_connections_per_worker;
extern int	scrape_heartbeat_interval_ms;
extern int	scrape_stuck_timeout_ms;
extern int	scrape_connect_timeout_ms;
extern int	scrape_request_timeout_ms;
extern int	scrape_max_body_size_kb;
extern int	scrape_max_redirects;
extern char *scrape_user_agent;
extern int	scrape_batch_size;
extern int	scrape_max_attempts;
extern char *scrape_debug_crash_on_extract;
extern int	scrape_retry_base_delay_ms;
extern int	scrape_retry_max_delay_ms;
extern int	scrape_monitor_interval_ms;
extern int	scrape_breaker_failure_threshold;
extern int	scrape_breaker_cooldown_ms;
extern int	scrape_batch_delay_ms;
extern int	scrape_per_host_max_connections;
extern int	scrape_per_host_delay_ms;
extern int	scrape_max_hosts;
extern bool scrape_allow_private_networks;
extern int	scrape_max_pages_per_session;
extern int	scrape_max_live_sessions_per_workspace;
extern bool scrape_obey_robots;
extern int	scrape_crawl_max_pages;
extern int	scrape_max_crawl_delay_ms;
extern char *scrape_allowed_hosts;
extern char *scrape_denied_hosts;
extern int	scrape_history_retention_s;
extern int	scrape_body_retention_s;
extern int	scrape_page_history;
extern char *scrape_sentry_dsn;
extern char *scrape_sentry_environment;
extern char *scrape_sentry_release;

/* scrape_jobs.page_history */
typedef enum ScrapeHistoryLevel
{
	SCRAPE_HISTORY_OFF,
	SCRAPE_HISTORY_BATCH,
	SCRAPE_HISTORY_PAGE
} ScrapeHistoryLevel;

extern void ScrapeDefineGucs(void);
extern void ScrapePinSessionSettings(void);

/* a session's option within the administrator's limit (0 or -1: not set) */
extern int	ScrapeRequestTimeoutMs(int session_ms);
extern int	ScrapeConnectTimeoutMs(int session_ms);
extern int	ScrapeHostConnections(int session_connections);
extern int	ScrapeHostDelayMs(int session_ms);
extern bool ScrapeTimeoutsTightened(int request_ms, int connect_ms);

#endif							/* SCRAPE_GUC_H */
