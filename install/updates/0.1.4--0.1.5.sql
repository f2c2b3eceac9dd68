/*
 * install/updates/0.1.4--0.1.5.sql
 *
 * 0.1.5 (issue 14, fair claims between tenants): a claim takes its turns
 * between workspaces first, then between a workspace's sessions
 * (_scrape_claim in install/queue.sql).  No table changes.
 */
