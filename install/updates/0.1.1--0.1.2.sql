/*
 * install/updates/0.1.1--0.1.2.sql
 *
 * 0.1.2 (issue 14, reliability), in the function parts applied after this
 * file:
 *   - a worker's heartbeat skips job rows another transaction holds
 *     instead of waiting for them (two workers' heartbeats deadlocked after
 *     their result writes), install/queue.sql;
 *   - a job queued for a stage after scraping is not stuck however long it
 *     waits for a worker; only a batch that holds it past the stuck timeout
 *     is alerted, and no attempt is charged (install/monitor.sql);
 *   - max_attempts is a page's budget in all: a job whose pages failed
 *     retryably is dead-lettered at once, not run again with fresh
 *     attempts (install/queue.sql, _scrape_finish_sessions).
 * No table changes.
 */
