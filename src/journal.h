/*-------------------------------------------------------------------------
 * journal.h
 *	  Which claimed pages a worker has started: the started-pages journal.
 *
 * A worker holds more pages than it fetches at once (its transfers plus a
 * backlog of claimed pages).  When it dies, only the pages whose requests
 * had started may have reached a server and pay an attempt; the others go
 * back to the queue as they were.  Before it starts requests, a worker
 * appends their pages (id and attempt) to a file of its own
 * (pg_scrape_jobs/started.<its token>); the queue's SQL
 * (_scrape_pages_started, for _scrape_release_orphans and
 * _scrape_recover_job) reads it through _scrape_started_pages().  A write() to a file survives
 * the death of the process, kill -9 and an immediate shutdown included,
 * without an fsync or a transaction per start (a committed mark per start
 * cost half the throughput of small pages: bench/notes.md).  After an
 * operating system crash the file may be missing, and a worker without a
 * file is charged for every page it held, as before the journal; one with
 * a truncated file may get attempts back that it spent.
 *-------------------------------------------------------------------------
 */
#ifndef SCRAPE_JOURNAL_H
#define SCRAPE_JOURNAL_H

/*
 * The directory, under the data directory, of what the workers write to
 * outlive their own processes: these journals, and the snapshots of the
 * counters (metrics.c).
 */
#define SCRAPE_STATE_DIR "pg_scrape_jobs"

/* Create it if it does not exist; false (errno set) if it cannot be. */
extern bool ScrapeStateDirReady(void);

/* A request started: the page, and the attempt its claim made it. */
typedef struct ScrapeJournalEntry
{
	int64		page_id;
	int64		attempt;
} ScrapeJournalEntry;

/* For a worker: start (empty) the journal of token. */
extern void JournalOpen(uint64 token);

/*
 * For a worker: record that the requests of e[0..n) start now.  When
 * JournalNeedsRewrite(n) says the journal has grown past its bound, the
 * caller passes the held[0..nheld) it started and has not written yet,
 * and the journal is rewritten with those and the new ones: it stays small
 * however long the worker runs.
 */
extern bool JournalNeedsRewrite(int n);
extern void JournalStarted(const ScrapeJournalEntry *e, int n,
						   const ScrapeJournalEntry *held, int nheld);

/*
 * The entries token's journal lists (palloc'd, *n of them), or NULL when
 * it has no journal.
 */
extern ScrapeJournalEntry *JournalRead(uint64 token, int *n);

/*
 * The extraction marker: before the extracting stage parses a page, a
 * worker writes the page's id to a file of its own
 * (pg_scrape_jobs/extracting.<its token>), and 0 once the parse returned
 * or the worker exits normally.  A marker left non-zero names the page
 * whose parse crashed the process (a signal: the server restarts every
 * process), so that the launcher counts the crash against the page
 * (_scrape_note_extraction_crash) and the stage passes the page by after
 * max_attempts of them, rather than crash the server in a loop.
 */
extern void JournalExtracting(int64 page_id);
extern int64 JournalReadExtracting(const char *path);

/*
 * For the launcher: the markers that name a page, up to max of them, as
 * tokens[i] and pages[i]; returns how many.  The caller leaves out the
 * tokens of live workers (listed after this call).
 */
extern int	JournalListExtracting(uint64 *tokens, int64 *pages, int max);

/*
 * For the launcher, after the pages of dead workers went back to the
 * queue: remove the journals and extraction markers of tokens in neither
 * list of live workers (the one taken before the release and the one
 * taken after it).
 */
extern void JournalRemoveDead(const uint64 *live_before, int n_before,
							  const uint64 *live_after, int n_after);

#endif							/* SCRAPE_JOURNAL_H */
