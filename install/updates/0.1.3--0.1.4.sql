/*
 * install/updates/0.1.3--0.1.4.sql
 *
 * 0.1.4 (issue 14, a crash charges only the pages in flight): a worker
 * journals the requests it starts (src/journal.c); the new
 * _scrape_started_pages reads a journal, and _scrape_release_orphans and
 * _scrape_recover_job give the pages a worker held but had not started
 * their attempts back (install/queue.sql, install/monitor.sql).  No table
 * changes.  Pages left fetching from before the update have no journal
 * and are charged, as 0.1.3 charged them.
 */
