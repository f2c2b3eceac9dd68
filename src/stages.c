/*-------------------------------------------------------------------------
 * stages.c
 *	  Extraction and products, run by the fetch workers between their queue
 *	  passes, and the stages of a job after scraping: extracting, then
 *	  creating_products.
 *
 * A page is extracted soon after it is stored, while the session's other
 * pages download (0.1.7; until then the stages started when the last page
 * was final, and ran in one worker per session): between two waits of its
 * fetch loop, a worker takes a batch of done pages not extracted yet
 * (_scrape_claim_extraction, SKIP LOCKED on the pages: every worker, many
 * batches of a session at once), reads them through a cursor, one row at a
 * time (a body at a time in memory), parses each HTML page once for its
 * structured data (structured.c) and, unless it was parsed when fetched,
 * its title, description, canonical URL, language and links (extract.c),
 * and stores them with the pages' products (_scrape_record_extraction).
 *
 * The job still goes through the seed's stages, in order: when its last
 * page is final it enters extracting, which is what is left of that work
 * (often a batch or none), then creating_products and completed, when the
 * last batch is stored (_scrape_finish_stages).
 *
 * Each batch is one transaction, with a heartbeat of the job: a crash
 * loses at most the batch in progress, whose pages another worker takes.
 * Only a crawl needs a page's links as soon as it is fetched (to queue
 * them), so only a crawl's pages are parsed in the fetch path too; every
 * other page is parsed once, here, out of the path from fetch to stored
 * result.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "extract.h"
#include "guc.h"
#include "journal.h"
#include "queue.h"
#include "stages.h"
#include "structured.h"

/* how long one batch parses before it stores what it has (see ExtractBatch) */
#define STAGE_BATCH_MS 250

typedef struct StageWork
{
	int64		session_id;
	int64		job_id;
	Datum		page_ids;		/* int8[]: the pages claimed, locked */
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

/*
 * Take the next batch of extraction work (pages of one session, locked);
 * false if there is none.  While the session still scrapes and the worker
 * is busy, a batch of at least a quarter of batch_size: fewer would cost a
 * transaction each between the worker's fetches.
 */
static bool
ClaimStage(StageWork *w, bool busy)
{
	Datum		args[2];
	HeapTuple	tuple;
	TupleDesc	desc;
	bool		isnull;
	int			n;

	args[0] = Int32GetDatum(scrape_batch_size);
	args[1] = Int32GetDatum(busy ? Max(1, scrape_batch_size / 4) : 1);
	if (SPI_execute_plan(QueueStagePlan(STAGE_CLAIM), args, NULL, false, 1)
		!= SPI_OK_SELECT)
		elog(ERROR, "could not claim extraction work");
	if (SPI_processed == 0)
		return false;
	tuple = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	w->session_id = DatumGetInt64(SPI_getbinval(tuple, desc, 1, &isnull));
	w->job_id = DatumGetInt64(SPI_getbinval(tuple, desc, 2, &isnull));
	w->page_ids = PointerGetDatum(DatumGetArrayTypePCopy(SPI_getbinval(tuple, desc, 3,
																	   &isnull)));
	w->nrules = TextArray(tuple, desc, 4, &w->rule_names);
	n = TextArray(tuple, desc, 5, &w->rule_xpaths);
	w->nrules = Min(w->nrules, n);
	return true;
}

/*
 * What one batch of the extracting stage stores, column by column, as
 * _scrape_record_extraction takes it: the structured document of each page
 * and, for pages not parsed when fetched, their metadata and links.
 */
enum
{
	COL_DOC, COL_TITLE, COL_DESCRIPTION, COL_CANONICAL, COL_LANG, COL_LINKS,
	NUM_EXTRACTED_COLS
};

typedef struct ExtractedBatch
{
	int			n;
	Datum	   *ids;
	Datum	   *values[NUM_EXTRACTED_COLS];
	bool	   *nulls[NUM_EXTRACTED_COLS];
} ExtractedBatch;

static void
InitBatch(ExtractedBatch *b, int max)
{
	int			c;

	b->n = 0;
	b->ids = palloc(sizeof(Datum) * max);
	for (c = 0; c < NUM_EXTRACTED_COLS; c++)
	{
		b->values[c] = palloc0(sizeof(Datum) * max);
		b->nulls[c] = palloc(sizeof(bool) * max);
		memset(b->nulls[c], true, sizeof(bool) * max);
	}
}

/* Set column c of the batch's current row to s (NULL stays NULL). */
static void
SetColumn(ExtractedBatch *b, int c, const char *s)
{
	if (s == NULL)
		return;
	b->values[c][b->n] = CStringGetTextDatum(s);
	b->nulls[c][b->n] = false;
}

/*
 * The document of a page the stage could not parse: the usual keys, empty,
 * and why (so the products stage finds nothing, and a reader finds out).
 */
static char *
ExtractionError(const char *why)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"json_ld\": [], \"microdata\": [], "
						   "\"opengraph\": {}, \"rules\": {}, \"extraction_error\": ");
	escape_json(&buf, why);
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/* scrape_jobs.debug_crash_on_extract: fail or crash on a marked page. */
static void
DebugFault(const char *url)
{
	const char *rule = scrape_debug_crash_on_extract;

	if (rule == NULL || rule[0] == '\0' || url == NULL)
		return;
	if (strncmp(rule, "crash:", 6) == 0 && strstr(url, rule + 6) != NULL)
		abort();
	if (strncmp(rule, "error:", 6) == 0 && strstr(url, rule + 6) != NULL)
		elog(ERROR, "scrape_jobs.debug_crash_on_extract: an error on page \"%s\"", url);
}

/*
 * Parse one page for the stage, its id in the extraction marker meanwhile
 * (journal.h: a crash here is counted against the page, which is passed
 * by after max_attempts of them).  An ERROR from the parsers is the page's
 * failure, recorded in its document, never the worker's: it would
 * otherwise take the batch down with it again at every retry.  The
 * parsers touch no shared state and take no lock, so the transaction
 * goes on.
 */
static char *
ParseGuarded(int64 page_id, const char *html, size_t len, const char *url,
			 const StageWork *w, ScrapeHtmlInfo **info)
{
	MemoryContext cxt = CurrentMemoryContext;
	char	   *volatile doc = NULL;

	JournalExtracting(page_id);
	PG_TRY();
	{
		DebugFault(url);
		doc = ScrapeExtractData(html, len, url, w->rule_names, w->rule_xpaths,
								w->nrules, info);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
			edata->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN)
			PG_RE_THROW();
		FlushErrorState();
		ereport(LOG,
				(errmsg("scrape_jobs worker could not extract page " INT64_FORMAT ": %s",
						page_id, edata->message)));
		doc = ExtractionError(edata->message);
		if (info != NULL)
			*info = NULL;
		FreeErrorData(edata);
	}
	PG_END_TRY();
	JournalExtracting(0);
	return doc;
}

/*
 * Parse one fetched page (one parse, in page_cxt, reset after) and add its
 * row to the batch: its structured document, and its metadata and links if
 * it was not parsed when fetched (column 5 of the cursor); a page whose parse
 * crashed max_attempts workers (column 6) is not parsed again.
 */
static void
ExtractPage(HeapTuple tuple, TupleDesc desc, const StageWork *w,
			MemoryContext page_cxt, ExtractedBatch *b)
{
	bool		isnull;
	Datum		body = SPI_getbinval(tuple, desc, 4, &isnull);
	bool		needs_info = DatumGetBool(SPI_getbinval(tuple, desc, 5, &isnull));
	MemoryContext keep_cxt = CurrentMemoryContext;
	ScrapeHtmlInfo *info = NULL;
	char	   *doc = NULL;
	char	   *url;
	char	   *ctype;

	/* a copy: the tuple goes with its SPI table (int8 is by reference on
	 * some platforms) */
	b->ids[b->n] = Int64GetDatum(DatumGetInt64(SPI_getbinval(tuple, desc, 1,
															 &isnull)));
	if (DatumGetPointer(body) != NULL)
	{
		int			crashes = DatumGetInt32(SPI_getbinval(tuple, desc, 6, &isnull));

		MemoryContextSwitchTo(page_cxt);
		url = SPI_getvalue(tuple, desc, 2);
		ctype = SPI_getvalue(tuple, desc, 3);
		if (ScrapeIsHtml(ctype) && crashes >= scrape_max_attempts)
			doc = ExtractionError(psprintf("the worker extracting the page crashed %d times",
										   crashes));
		else if (ScrapeIsHtml(ctype))
		{
			text	   *t = DatumGetTextPP(body);

			doc = ParseGuarded(DatumGetInt64(b->ids[b->n]), VARDATA_ANY(t),
							   VARSIZE_ANY_EXHDR(t), url, w,
							   needs_info ? &info : NULL);
		}
		MemoryContextSwitchTo(keep_cxt);
		SetColumn(b, COL_DOC, doc);
		if (info != NULL)
		{
			SetColumn(b, COL_TITLE, info->title);
			SetColumn(b, COL_DESCRIPTION, info->description);
			SetColumn(b, COL_CANONICAL, info->canonical);
			SetColumn(b, COL_LANG, info->lang);
			SetColumn(b, COL_LINKS, info->links_json);
		}
		MemoryContextReset(page_cxt);
	}
	b->n++;
}

typedef struct RecordSlice
{
	const StageWork *w;
	ExtractedBatch *b;
	int			from;
	int			n;
} RecordSlice;

/* Store rows [from, from + n) of the batch (_scrape_record_extraction). */
static void
RecordSliceRun(void *arg)
{
	RecordSlice *r = (RecordSlice *) arg;
	Datum		args[9];
	int			c;

	args[0] = Int64GetDatum(r->w->session_id);
	args[1] = Int64GetDatum(r->w->job_id);
	args[2] = QueueArray(r->b->ids + r->from, NULL, r->n, INT8OID);
	for (c = COL_DOC; c < NUM_EXTRACTED_COLS; c++)
		args[3 + c] = QueueArray(r->b->values[c] + r->from, r->b->nulls[c] + r->from,
								 r->n, TEXTOID);
	if (SPI_execute_plan(QueueStagePlan(STAGE_RECORD_EXTRACTION), args,
						 NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not record the extraction of session " INT64_FORMAT,
			 r->w->session_id);
}

/* The same in a subtransaction; true if it succeeded, else why in *error. */
static bool
TryRecordExtraction(const StageWork *w, ExtractedBatch *b, int from, int n,
					char **error)
{
	RecordSlice r = {w, b, from, n};

	return QueueTrySubtransaction(RecordSliceRun, &r, "could not store the extraction",
								  error);
}

/*
 * Store the batch.  A batch the database refuses for a page's sake (an
 * index row too large for a hostile site's SKU, an administrator's
 * trigger) is stored again a page at a time, and a page that still fails
 * is stored with the error as its document, without metadata, links or
 * products: one page's failure, not a worker that exits and takes the same
 * batch again after its restart.
 */
static void
RecordBatch(const StageWork *w, ExtractedBatch *b)
{
	char	   *error = NULL;
	int			i;
	int			c;

	if (TryRecordExtraction(w, b, 0, b->n, &error))
		return;
	ereport(LOG,
			(errmsg("scrape_jobs worker stores the extraction of session " INT64_FORMAT
					" a page at a time", w->session_id),
			 errdetail_internal("%s", error)));
	for (i = 0; i < b->n; i++)
	{
		if (TryRecordExtraction(w, b, i, 1, &error))
			continue;
		for (c = COL_DOC; c < NUM_EXTRACTED_COLS; c++)
			b->nulls[c][i] = true;
		b->values[COL_DOC][i] = CStringGetTextDatum(ExtractionError(error));
		b->nulls[COL_DOC][i] = false;
		if (!TryRecordExtraction(w, b, i, 1, &error))
			ereport(ERROR,
					(errmsg("could not record the extraction of page " INT64_FORMAT,
							DatumGetInt64(b->ids[i])),
					 errdetail_internal("%s", error)));
	}
}

/*
 * One batch of extraction: parse the claimed pages, store what they hold.
 * Parsing stops after STAGE_BATCH_MS (past its first page): the pages left
 * are unlocked at commit and taken by a later batch, so that a session's
 * costly pages (50 XPath rules on each) hold the worker away from its
 * transfers for a bounded time, not for a whole batch of them.
 */
static void
ExtractBatch(const StageWork *w)
{
	Datum		args[1];
	ExtractedBatch b;
	MemoryContext page_cxt = AllocSetContextCreate(CurrentMemoryContext,
												   "scrape_jobs page extraction",
												   ALLOCSET_DEFAULT_SIZES);
	Portal		portal;
	ArrayType  *ids = DatumGetArrayTypeP(w->page_ids);
	int			npages = ArrayGetNItems(ARR_NDIM(ids), ARR_DIMS(ids));
	TimestampTz started = GetCurrentTimestamp();

	InitBatch(&b, Max(npages, 1));
	args[0] = w->page_ids;
	portal = SPI_cursor_open(NULL, QueueStagePlan(STAGE_PAGES), args, NULL, true);
	while (b.n < npages)
	{
		CHECK_FOR_INTERRUPTS();
		if (b.n > 0 && TimestampDifferenceExceeds(started, GetCurrentTimestamp(),
												  STAGE_BATCH_MS))
			break;
		SPI_cursor_fetch(portal, true, 1);
		if (SPI_processed == 0)
			break;
		ExtractPage(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, w, page_cxt,
					&b);
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
	MemoryContextDelete(page_cxt);
	RecordBatch(w, &b);
}

/*
 * One batch of stage work in a transaction of its own; returns whether
 * there was any (and so may be more).  A batch that fails for a reason
 * that passes (a deadlock, a lock timeout: QueueAbortTransient) rolled
 * back whole and is taken again, by this worker or another.
 */
bool
StagePass(bool busy)
{
	StageWork	w;
	volatile bool found = false;

	PG_TRY();
	{
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		SPI_connect();
		PushActiveSnapshot(GetTransactionSnapshot());
		pgstat_report_activity(STATE_RUNNING, "scrape_jobs: stage pass");

		if (QueueAttach() && ClaimStage(&w, busy))
		{
			found = true;
			ExtractBatch(&w);
		}

		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		if (!QueueAbortTransient("stage pass"))
			PG_RE_THROW();
		/* a moment for the conflict to clear, rather than spin on it */
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 200, PG_WAIT_EXTENSION);
		return true;
	}
	PG_END_TRY();
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
	return found;
}
