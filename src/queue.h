/*-------------------------------------------------------------------------
 * queue.h
 *	  The workers' side of the job queue: calls of the extension's queue
 *	  functions (_scrape_claim, _scrape_record_results, ...) through SPI.
 *
 * All of these run inside a transaction the caller started, after
 * SPI_connect(), and after QueueAttach() returned true.
 *-------------------------------------------------------------------------
 */
#ifndef SCRAPE_QUEUE_H
#define SCRAPE_QUEUE_H

#include "executor/spi.h"

#include "fetcher.h"

/* The kept statements of the stages after scraping (stages.c). */
typedef enum QueueStageStatement
{
	STAGE_CLAIM,				/* _scrape_claim_extraction($1 limit, $2 min) */
	STAGE_PAGES,				/* ($1 page ids): the claimed pages, for a
								 * cursor: id, URL, content type, body, not
								 * parsed yet, crashes */
	STAGE_RECORD_EXTRACTION,	/* _scrape_record_extraction($1 .. $9) */
	NUM_STAGE_STATEMENTS
} QueueStageStatement;

extern bool QueueAttach(void);
extern void QueueRecoverFromError(void);
extern bool QueueErrorPasses(int sqlerrcode);
extern bool QueueAbortTransient(const char *what);
extern bool QueueTrySubtransaction(void (*fn) (void *arg), void *arg,
								   const char *what, char **error);
extern char *QueueExtensionSchema(Oid ext);
extern Datum QueueArray(Datum *elems, bool *nulls, int n, Oid elemtype);
extern SPIPlanPtr QueueStagePlan(QueueStageStatement which);
extern int	QueueClaim(uint64 worker_token, int limit, char **busy_hosts,
					   int nbusy, char **full_hosts, int nfull,
					   MemoryContext parent, dlist_head *claimed);
extern int	QueueReturnPages(uint64 worker_token, const int64 *page_ids,
							 const int64 *leases, int n);
extern int	QueueNoteExtractionCrash(int64 page_id);
extern int	QueueRecordResults(uint64 worker_token, ScrapeTransfer **done,
							   int n);
extern int	QueueHeartbeat(const int64 *jobs, const int64 *leases, int n,
						   int64 *lost);
extern int	QueueReleaseOrphans(const uint64 *live_tokens, int n);
extern TimestampTz QueueNextDue(void);
extern void QueueRecordHostAlert(const char *kind, const char *host,
								 const char *message, const char *detail_json);
extern int	QueueDetectStuck(void);
extern bool QueueAnyJobProcessing(void);
extern void QueueRecordWorkerCrash(int slot, int pid, int exit_code,
								   TimestampTz at);

#endif							/* SCRAPE_QUEUE_H */
