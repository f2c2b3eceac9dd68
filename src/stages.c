/*-------------------------------------------------------------------------
 * stages.c
 *	  The stages of a job after scraping, run by the fetch workers between
 *	  their queue passes: extracting, then creating_products.
 *
 * When the last page of a session reaches a final state, the queue moves
 * its job to the extracting stage (_scrape_finish_sessions) and wakes the
 * workers.  A worker then takes the session's row lock for one batch
 * (_scrape_claim_stage, SKIP LOCKED: one worker per session at a time,
 * many sessions at once) and
 *
 *	 extracting:		reads the next scrape_jobs.batch_size done pages
 *						after the session's checkpoint through a cursor, one
 *						row at a time (a body at a time in memory), parses
 *						each HTML page for its structured data (structured.c)
 *						and stores the documents with the new checkpoint
 *						(_scrape_record_extraction);
 *	 creating_products: runs one batch of _scrape_create_products, which
 *						turns documents into products in SQL.
 *
 * Each batch commits with its checkpoint and a heartbeat of the job, so a
 * crash loses at most the batch in progress, and a job whose stage stops
 * moving is found by the stuck monitor like any other.  The page was
 * already parsed once for its links while it was fetched; parsing it again
 * here keeps the fetch path short and lets structured data wait for the
 * whole session (and its rules) rather than delay each result.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "extract.h"
#include "guc.h"
#include "queue.h"
#include "stages.h"
#include "structured.h"

typedef struct StageWork
{
	int64		session_id;
	int64		job_id;
	char	   *stage;
	int64		cursor;
	char	  **rule_names;
	char	  **rule_xpaths;
	int			nrules;
} StageWork;

/* The strings of a text[] column (no NULLs in it: jsonb_each_text keys). */
static int
TextArray(HeapTuple tuple, TupleDesc desc, int col, char ***out)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tuple, desc, col, &isnull);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;

	*out = NULL;
	if (isnull)
		return 0;
	deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	*out = palloc(sizeof(char *) * Max(n, 1));
	for (i = 0; i < n; i++)
		(*out)[i] = nulls[i] ? pstrdup("") : TextDatumGetCString(elems[i]);
	return n;
}

/* Take the next session with stage work, locked; false if there is none. */
static bool
ClaimStage(StageWork *w)
{
	HeapTuple	tuple;
	TupleDesc	desc;
	bool		isnull;
	int			n;

	if (SPI_execute_plan(QueueStagePlan(STAGE_CLAIM), NULL, NULL, false, 1)
		!= SPI_OK_SELECT)
		elog(ERROR, "could not claim stage work");
	if (SPI_processed == 0)
		return false;
	tuple = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	w->session_id = DatumGetInt64(SPI_getbinval(tuple, desc, 1, &isnull));
	w->job_id = DatumGetInt64(SPI_getbinval(tuple, desc, 2, &isnull));
	w->stage = SPI_getvalue(tuple, desc, 3);
	w->cursor = DatumGetInt64(SPI_getbinval(tuple, desc, 4, &isnull));
	w->nrules = TextArray(tuple, desc, 5, &w->rule_names);
	n = TextArray(tuple, desc, 6, &w->rule_xpaths);
	w->nrules = Min(w->nrules, n);
	return true;
}

/* The structured document of one fetched page (NULL: nothing in it). */
static char *
PageDocument(HeapTuple tuple, TupleDesc desc, const StageWork *w,
			 MemoryContext page_cxt, MemoryContext keep_cxt)
{
	bool		isnull;
	Datum		body = SPI_getbinval(tuple, desc, 4, &isnull);
	char	   *url;
	char	   *ctype;
	char	   *doc = NULL;
	MemoryContext old;

	if (isnull)
		return NULL;
	old = MemoryContextSwitchTo(page_cxt);
	url = SPI_getvalue(tuple, desc, 2);
	ctype = SPI_getvalue(tuple, desc, 3);
	if (ScrapeIsHtml(ctype))
	{
		text	   *t = DatumGetTextPP(body);

		doc = ScrapeExtractData(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), url,
								w->rule_names, w->rule_xpaths, w->nrules);
	}
	MemoryContextSwitchTo(old);
	if (doc != NULL)
		doc = MemoryContextStrdup(keep_cxt, doc);
	MemoryContextReset(page_cxt);
	return doc;
}

/* One batch of the extracting stage. */
static void
ExtractBatch(const StageWork *w)
{
	Datum		args[3];
	Datum		record_args[6];
	Datum	   *ids = palloc(sizeof(Datum) * scrape_batch_size);
	Datum	   *docs = palloc(sizeof(Datum) * scrape_batch_size);
	bool	   *doc_nulls = palloc(sizeof(bool) * scrape_batch_size);
	MemoryContext keep_cxt = CurrentMemoryContext;
	MemoryContext page_cxt = AllocSetContextCreate(CurrentMemoryContext,
												   "scrape_jobs page extraction",
												   ALLOCSET_DEFAULT_SIZES);
	Portal		portal;
	int64		last = w->cursor;
	int			n = 0;

	args[0] = Int64GetDatum(w->session_id);
	args[1] = Int64GetDatum(w->cursor);
	args[2] = Int32GetDatum(scrape_batch_size);
	portal = SPI_cursor_open(NULL, QueueStagePlan(STAGE_PAGES), args, NULL, true);
	for (;;)
	{
		bool		isnull;
		char	   *doc;

		CHECK_FOR_INTERRUPTS();
		SPI_cursor_fetch(portal, true, 1);
		if (SPI_processed == 0)
			break;
		last = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
										   SPI_tuptable->tupdesc, 1, &isnull));
		doc = PageDocument(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, w,
						   page_cxt, keep_cxt);
		ids[n] = Int64GetDatum(last);
		doc_nulls[n] = (doc == NULL);
		docs[n] = doc ? CStringGetTextDatum(doc) : (Datum) 0;
		n++;
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
	MemoryContextDelete(page_cxt);

	record_args[0] = Int64GetDatum(w->session_id);
	record_args[1] = Int64GetDatum(w->job_id);
	record_args[2] = QueueArray(ids, NULL, n, INT8OID);
	record_args[3] = QueueArray(docs, doc_nulls, n, TEXTOID);
	record_args[4] = Int64GetDatum(last);
	record_args[5] = BoolGetDatum(n < scrape_batch_size);
	if (SPI_execute_plan(QueueStagePlan(STAGE_RECORD_EXTRACTION), record_args,
						 NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not record the extraction of session " INT64_FORMAT,
			 w->session_id);
}

/* One batch of the creating_products stage. */
static void
ProductsBatch(const StageWork *w)
{
	Datum		args[3];

	args[0] = Int64GetDatum(w->session_id);
	args[1] = Int64GetDatum(w->job_id);
	args[2] = Int32GetDatum(scrape_batch_size);
	if (SPI_execute_plan(QueueStagePlan(STAGE_CREATE_PRODUCTS), args, NULL,
						 false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not create the products of session " INT64_FORMAT,
			 w->session_id);
}

bool
StagePass(void)
{
	StageWork	w;
	bool		found = false;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "scrape_jobs: stage pass");

	if (QueueAttach() && ClaimStage(&w))
	{
		found = true;
		if (strcmp(w.stage, "extracting") == 0)
			ExtractBatch(&w);
		else
			ProductsBatch(&w);
	}

	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
	return found;
}
