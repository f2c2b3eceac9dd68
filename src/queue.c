/*-------------------------------------------------------------------------
 * queue.c
 *	  The workers' side of the job queue, through SPI.
 *
 * The queue's logic is in SQL (sql/scrape_jobs--*.sql): what a claim, a
 * result or a heartbeat does to the tables is readable and testable there.
 * This file only calls those functions, with plans prepared once and kept
 * across transactions, and moves rows between SPI memory and the worker's
 * own contexts.
 *
 * The extension's schema is found through the catalog, never assumed, and
 * the plans are prepared again when the extension is re-created.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "queue.h"
#include "version.h"

static Oid	attached_ext = InvalidOid;
static SPIPlanPtr claim_plan = NULL;
static SPIPlanPtr results_plan = NULL;
static SPIPlanPtr heartbeat_plan = NULL;
static SPIPlanPtr next_due_plan = NULL;
static SPIPlanPtr alert_plan = NULL;
static SPIPlanPtr return_plan = NULL;
static SPIPlanPtr stage_plans[NUM_STAGE_STATEMENTS];

static void
ForgetPlans(void)
{
	int			i;

	for (i = 0; i < NUM_STAGE_STATEMENTS; i++)
	{
		if (stage_plans[i])
			SPI_freeplan(stage_plans[i]);
		stage_plans[i] = NULL;
	}
	if (claim_plan)
		SPI_freeplan(claim_plan);
	if (results_plan)
		SPI_freeplan(results_plan);
	if (heartbeat_plan)
		SPI_freeplan(heartbeat_plan);
	if (next_due_plan)
		SPI_freeplan(next_due_plan);
	if (alert_plan)
		SPI_freeplan(alert_plan);
	if (return_plan)
		SPI_freeplan(return_plan);
	claim_plan = results_plan = heartbeat_plan = NULL;
	next_due_plan = alert_plan = return_plan = NULL;
	attached_ext = InvalidOid;
}

/* Prepare a statement and keep it beyond this transaction. */
static SPIPlanPtr
PrepareKept(const char *sql, int nargs, Oid *argtypes)
{
	SPIPlanPtr	plan = SPI_prepare(sql, nargs, argtypes);

	if (plan == NULL)
		elog(ERROR, "could not prepare \"%s\": %s", sql,
			 SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "could not keep plan for \"%s\"", sql);
	return plan;
}

/*
 * The statements of the stages after scraping (stages.c), kept like the
 * queue's, so that a batch does not parse and plan them afresh (what that
 * cost is in bench/notes.md).
 */
static void
PrepareStagePlans(const char *schema)
{
	Oid			claim_types[2] = {INT4OID, INT4OID};
	Oid			pages_types[1] = {INT8ARRAYOID};
	Oid			extraction_types[9] = {INT8OID, INT8OID, INT8ARRAYOID,
		TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
	TEXTARRAYOID};

	stage_plans[STAGE_CLAIM] =
		PrepareKept(psprintf("SELECT * FROM %s._scrape_claim_extraction($1, $2)",
							 schema),
					2, claim_types);
	stage_plans[STAGE_PAGES] =
		PrepareKept(psprintf("SELECT p.id, coalesce(p.final_url, p.url),"
							 "       p.content_type, p.body, p.links IS NULL,"
							 "       coalesce(p.extraction_crashes, 0)"
							 "  FROM %s.scraping_pages p"
							 " WHERE p.id = ANY ($1)"
							 " ORDER BY p.id", schema),
					1, pages_types);
	stage_plans[STAGE_RECORD_EXTRACTION] =
		PrepareKept(psprintf("SELECT %s._scrape_record_extraction($1, $2, $3,"
							 " $4, $5, $6, $7, $8, $9)", schema),
					9, extraction_types);
}

/* A kept statement of the stages; QueueAttach() must have returned true. */
SPIPlanPtr
QueueStagePlan(QueueStageStatement which)
{
	Assert(which >= 0 && which < NUM_STAGE_STATEMENTS);
	return stage_plans[which];
}

/* The quoted name of the schema the extension lives in. */
char *
QueueExtensionSchema(Oid ext)
{
	Oid			argtypes[1] = {OIDOID};
	Datum		values[1] = {ObjectIdGetDatum(ext)};
	bool		isnull;
	int			ret;

	ret = SPI_execute_with_args("SELECT e.extnamespace::pg_catalog.regnamespace::pg_catalog.text"
								"  FROM pg_catalog.pg_extension e WHERE e.oid = $1",
								1, argtypes, values, NULL, true, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not find the schema of extension scrape_jobs");
	/* regnamespace output is already quoted where needed */
	return TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0],
											 SPI_tuptable->tupdesc, 1,
											 &isnull));
}

/*
 * Make sure the extension exists in this database at the version this
 * library serves (version.h), lock it against a DROP EXTENSION for the rest
 * of the transaction, and point our plans at it.  Returns false when it is
 * not (or no longer, or no longer for long: a DROP holds it) installed, or
 * installed at another version.
 */
bool
QueueAttach(void)
{
	Oid			ext;
	char	   *schema;
	char	   *sql;
	Oid			claim_types[4] = {INT8OID, INT4OID, TEXTARRAYOID, TEXTARRAYOID};
	Oid			return_types[3] = {INT8OID, INT8ARRAYOID, INT8ARRAYOID};
	Oid			result_types[20] = {
		INT8OID, INT8ARRAYOID, INT8ARRAYOID, BOOLARRAYOID, INT4ARRAYOID,
		TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, INT8ARRAYOID,
		FLOAT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, BOOLARRAYOID,
		INT4ARRAYOID, INT4ARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
		TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID
	};
	Oid			heartbeat_types[2] = {INT8ARRAYOID, INT8ARRAYOID};
	Oid			alert_types[4] = {TEXTOID, TEXTOID, TEXTOID, JSONBOID};

	if (!ScrapeExtensionAttach(&ext))
	{
		ForgetPlans();
		return false;
	}
	if (ext == attached_ext)
		return true;

	ForgetPlans();
	schema = QueueExtensionSchema(ext);

	sql = psprintf("SELECT * FROM %s._scrape_claim($1, $2, $3, $4)", schema);
	claim_plan = PrepareKept(sql, 4, claim_types);
	sql = psprintf("SELECT %s._scrape_return_pages($1, $2, $3)", schema);
	return_plan = PrepareKept(sql, 3, return_types);
	sql = psprintf("SELECT %s._scrape_record_results($1, $2, $3, $4, $5, $6,"
				   " $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,"
				   " $19, $20)", schema);
	results_plan = PrepareKept(sql, 20, result_types);
	sql = psprintf("SELECT * FROM %s._scrape_heartbeat($1, $2)", schema);
	heartbeat_plan = PrepareKept(sql, 2, heartbeat_types);
	sql = psprintf("SELECT %s._scrape_next_due()", schema);
	next_due_plan = PrepareKept(sql, 0, NULL);
	sql = psprintf("SELECT %s._scrape_record_alert($1, NULL, NULL, $2, $3, $4)",
				   schema);
	alert_plan = PrepareKept(sql, 4, alert_types);
	PrepareStagePlans(schema);

	attached_ext = ext;
	return true;
}

/*
 * Recover from an ERROR in the main loop of a long-lived worker (the
 * launcher, the alerter), as PostgreSQL's autovacuum launcher does: report
 * it, abort the transaction and go on.  The extension dropped under our
 * feet, or a lock timeout, must not cost a restart 10 s later.  Called
 * after sigsetjmp() returned through an ereport(ERROR).
 */
void
QueueRecoverFromError(void)
{
	/* not inside PG_TRY: the error context stack is reset by hand */
	error_context_stack = NULL;
	HOLD_INTERRUPTS();
	QueryCancelPending = false;
	EmitErrorReport();
	AbortOutOfAnyTransaction();
	MemoryContextSwitchTo(TopMemoryContext);
	FlushErrorState();
	pgstat_report_activity(STATE_IDLE, NULL);
	RESUME_INTERRUPTS();
	/* (a pass that failed may well fail again: do not spin) */
	(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					 1000, PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
}

/*
 * Whether an error of ours is one that passes if the transaction is tried
 * again: a deadlock, a serialization failure, a lock timeout, a cancel.
 */
bool
QueueErrorPasses(int sqlerrcode)
{
	return sqlerrcode == ERRCODE_T_R_DEADLOCK_DETECTED ||
		sqlerrcode == ERRCODE_T_R_SERIALIZATION_FAILURE ||
		sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE ||
		sqlerrcode == ERRCODE_QUERY_CANCELED;
}

/*
 * Run fn(arg) in a subtransaction of the worker's transaction; true if it
 * succeeded.  An error that passes (QueueErrorPasses: a deadlock, a lock
 * timeout) is re-thrown, for the whole transaction to be tried again; any
 * other is caught, the subtransaction rolled back, and "what: message
 * (SQLSTATE x)" returned in *error (in the caller's context): one page's
 * failure that the caller records, where the transaction goes on.
 */
bool
QueueTrySubtransaction(void (*fn) (void *arg), void *arg, const char *what,
					   char **error)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	volatile bool ok = true;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		fn(arg);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		if (QueueErrorPasses(edata->sqlerrcode))
			PG_RE_THROW();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		*error = psprintf("%s: %s (SQLSTATE %s)", what, edata->message,
						  unpack_sql_state(edata->sqlerrcode));
		FreeErrorData(edata);
		ok = false;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
	return ok;
}

/*
 * In the PG_CATCH() of a fetch worker's own transaction: if the error is
 * one that passes (a deadlock, a serialization failure, a lock timeout, a
 * cancel), say so in one LOG line, abort the transaction and return true,
 * and the caller tries again later; otherwise return false, the error
 * untouched for PG_RE_THROW() (and the worker exits, as any ERROR makes
 * it).  Nothing of the aborted transaction was committed.
 */
bool
QueueAbortTransient(const char *what)
{
	ErrorData  *edata;

	MemoryContextSwitchTo(TopMemoryContext);
	edata = CopyErrorData();
	if (!QueueErrorPasses(edata->sqlerrcode))
	{
		FreeErrorData(edata);
		return false;
	}
	HOLD_INTERRUPTS();
	QueryCancelPending = false;
	FlushErrorState();
	AbortOutOfAnyTransaction();
	MemoryContextSwitchTo(TopMemoryContext);
	pgstat_report_activity(STATE_IDLE, NULL);
	RESUME_INTERRUPTS();
	ereport(LOG,
			(errmsg("scrape_jobs worker will retry its %s after an error: %s",
					what, edata->message),
			 errdetail("SQLSTATE %s; nothing of the failed transaction was committed.",
					   unpack_sql_state(edata->sqlerrcode))));
	FreeErrorData(edata);
	return true;
}

/* A one-dimensional array of n elements of elemtype. */
Datum
QueueArray(Datum *elems, bool *nulls, int n, Oid elemtype)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;
	int			dims[1];
	int			lbs[1] = {1};

	if (n == 0)
		return PointerGetDatum(construct_empty_array(elemtype));
	dims[0] = n;
	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	return PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs,
											  elemtype, typlen, typbyval,
											  typalign));
}

static char *
CopyTextColumn(HeapTuple tup, TupleDesc desc, int col, MemoryContext cxt)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);

	if (isnull)
		return NULL;
	return MemoryContextStrdup(cxt, TextDatumGetCString(d));
}

static int64
Int64Column(HeapTuple tup, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);

	return isnull ? 0 : DatumGetInt64(d);
}

static bool
BoolColumn(HeapTuple tup, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);

	return !isnull && DatumGetBool(d);
}

static bool
IsNullColumn(HeapTuple tup, TupleDesc desc, int col)
{
	bool		isnull;

	(void) SPI_getbinval(tup, desc, col, &isnull);
	return isnull;
}

static int32
Int32Column(HeapTuple tup, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);

	return isnull ? 0 : DatumGetInt32(d);
}

/* The n strings of s as a text[]. */
static Datum
QueueTextArray(char **s, int n)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
		elems[i] = CStringGetTextDatum(s[i]);
	return QueueArray(elems, NULL, n, TEXTOID);
}

/*
 * Claim up to limit pages, those of the nbusy busy_hosts (hosts whose pages
 * already wait in the worker's backlog) last, none of the nfull full_hosts
 * (of which it holds what they can start soon).  Each becomes a
 * ScrapeTransfer in a memory context of its own under parent, appended to
 * *claimed (by worker_node).
 */
int
QueueClaim(uint64 worker_token, int limit, char **busy_hosts, int nbusy,
		   char **full_hosts, int nfull, MemoryContext parent,
		   dlist_head *claimed)
{
	Datum		values[4];
	int			ret;
	uint64		i;

	values[0] = Int64GetDatum((int64) worker_token);
	values[1] = Int32GetDatum(limit);
	values[2] = QueueTextArray(busy_hosts, nbusy);
	values[3] = QueueTextArray(full_hosts, nfull);
	ret = SPI_execute_plan(claim_plan, values, NULL, false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "claim failed: %s", SPI_result_code_string(ret));

	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		MemoryContext cxt = AllocSetContextCreate(parent, "scrape_jobs transfer",
												  ALLOCSET_SMALL_SIZES);
		ScrapeTransfer *t = MemoryContextAllocZero(cxt, sizeof(ScrapeTransfer));

		t->cxt = cxt;
		t->page.page_id = Int64Column(tup, desc, 1);
		t->page.job_id = Int64Column(tup, desc, 2);
		t->page.session_id = Int64Column(tup, desc, 3);
		t->page.lease = Int64Column(tup, desc, 4);
		t->page.url = CopyTextColumn(tup, desc, 5, cxt);
		t->page.attempt = Int32Column(tup, desc, 6);
		t->page.request_timeout_ms = Int32Column(tup, desc, 7);
		t->page.connect_timeout_ms = Int32Column(tup, desc, 8);
		t->page.user_agent = CopyTextColumn(tup, desc, 9, cxt);
		t->page.per_host_max_connections = Int32Column(tup, desc, 10);
		t->page.per_host_delay_ms = IsNullColumn(tup, desc, 11) ? -1 :
			Int32Column(tup, desc, 11);
		{
			char	   *kind = CopyTextColumn(tup, desc, 12, cxt);

			t->page.is_sitemap = kind != NULL && strcmp(kind, "sitemap") == 0;
			t->page.is_robots = kind != NULL && strcmp(kind, "robots") == 0;
		}
		t->page.follow_links = BoolColumn(tup, desc, 13);
		dlist_push_tail(claimed, &t->worker_node);
	}
	return (int) SPI_processed;
}

/*
 * Hand back n claimed pages never started (page ids and leases); returns
 * how many were still the worker's.
 */
int
QueueReturnPages(uint64 worker_token, const int64 *page_ids,
				 const int64 *leases, int n)
{
	Datum		values[3];
	Datum	   *ids = palloc(sizeof(Datum) * Max(n, 1));
	Datum	   *ls = palloc(sizeof(Datum) * Max(n, 1));
	bool		isnull;
	int			ret;
	int			i;

	for (i = 0; i < n; i++)
	{
		ids[i] = Int64GetDatum(page_ids[i]);
		ls[i] = Int64GetDatum(leases[i]);
	}
	values[0] = Int64GetDatum((int64) worker_token);
	values[1] = QueueArray(ids, NULL, n, INT8OID);
	values[2] = QueueArray(ls, NULL, n, INT8OID);
	ret = SPI_execute_plan(return_plan, values, NULL, false, 0);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "returning pages failed: %s", SPI_result_code_string(ret));
	ret = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
									  SPI_tuptable->tupdesc, 1, &isnull));
	return isnull ? 0 : ret;
}

static Datum
TextOrNull(const char *s, bool *isnull)
{
	*isnull = (s == NULL);
	return s ? CStringGetTextDatum(s) : (Datum) 0;
}

/* Write the results of n finished transfers; returns how many were taken. */
int
QueueRecordResults(uint64 worker_token, ScrapeTransfer **done, int n)
{
#define NRESULTCOLS 19
	Datum	   *cols[NRESULTCOLS];
	bool	   *nulls[NRESULTCOLS];
	Oid			types[NRESULTCOLS] = {
		INT8OID, INT8OID, BOOLOID, INT4OID, TEXTOID, TEXTOID, TEXTOID,
		INT8OID, FLOAT8OID, TEXTOID, TEXTOID, BOOLOID, INT4OID, INT4OID,
		TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID
	};
	Datum		values[NRESULTCOLS + 1];
	int			c;
	int			i;
	int			ret;
	bool		isnull;

	for (c = 0; c < NRESULTCOLS; c++)
	{
		cols[c] = palloc(sizeof(Datum) * n);
		nulls[c] = palloc0(sizeof(bool) * n);
	}
	for (i = 0; i < n; i++)
	{
		ScrapeTransfer *t = done[i];
		ScrapeResult *r = &t->result;

		cols[0][i] = Int64GetDatum(t->page.page_id);
		cols[1][i] = Int64GetDatum(t->page.lease);
		cols[2][i] = BoolGetDatum(r->ok);
		cols[3][i] = Int32GetDatum(r->http_status);
		nulls[3][i] = (r->http_status == 0);
		cols[4][i] = TextOrNull(r->content_type, &nulls[4][i]);
		cols[5][i] = TextOrNull(r->final_url, &nulls[5][i]);
		cols[6][i] = PointerGetDatum(r->body);
		nulls[6][i] = (r->body == NULL);
		cols[7][i] = Int64GetDatum(r->body_size);
		cols[8][i] = Float8GetDatum(r->fetch_ms);
		cols[9][i] = TextOrNull(r->error_class, &nulls[9][i]);
		cols[10][i] = TextOrNull(r->error, &nulls[10][i]);
		cols[11][i] = BoolGetDatum(r->retryable);
		cols[12][i] = Int32GetDatum(r->retry_after_ms);
		nulls[12][i] = (r->retry_after_ms < 0);
		cols[13][i] = Int32GetDatum(r->defer_ms);
		nulls[13][i] = (r->defer_ms < 0);
		cols[14][i] = TextOrNull(r->title, &nulls[14][i]);
		cols[15][i] = TextOrNull(r->description, &nulls[15][i]);
		cols[16][i] = TextOrNull(r->canonical, &nulls[16][i]);
		cols[17][i] = TextOrNull(r->lang, &nulls[17][i]);
		cols[18][i] = TextOrNull(r->links_json, &nulls[18][i]);
	}

	values[0] = Int64GetDatum((int64) worker_token);
	for (c = 0; c < NRESULTCOLS; c++)
		values[c + 1] = QueueArray(cols[c], nulls[c], n, types[c]);

	ret = SPI_execute_plan(results_plan, values, NULL, false, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "recording results failed: %s",
			 SPI_result_code_string(ret));
	return DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
									   SPI_tuptable->tupdesc, 1, &isnull));
}

/* When the next pending page becomes due (0 if none is waiting). */
TimestampTz
QueueNextDue(void)
{
	bool		isnull;
	Datum		d;
	int			ret;

	/* not read-only: it must see the results this transaction just wrote */
	ret = SPI_execute_plan(next_due_plan, NULL, NULL, false, 1);

	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "next due query failed: %s", SPI_result_code_string(ret));
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? 0 : DatumGetTimestampTz(d);
}

/* Record a host alert (circuit opened) in the outbox. */
void
QueueRecordHostAlert(const char *kind, const char *host, const char *message,
					 const char *detail_json)
{
	Datum		values[4];
	int			ret;

	values[0] = CStringGetTextDatum(kind);
	values[1] = CStringGetTextDatum(host);
	values[2] = CStringGetTextDatum(message);
	values[3] = DirectFunctionCall1(jsonb_in, CStringGetDatum(detail_json));
	ret = SPI_execute_plan(alert_plan, values, NULL, false, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "recording an alert failed: %s", SPI_result_code_string(ret));
}

/*
 * Heartbeat the jobs held (with the leases they were claimed under).  The
 * jobs this worker no longer owns are stored in lost[]; returns their count.
 */
int
QueueHeartbeat(const int64 *jobs, const int64 *leases, int n, int64 *lost)
{
	Datum	   *j = palloc(sizeof(Datum) * n);
	Datum	   *l = palloc(sizeof(Datum) * n);
	Datum		values[2];
	int			ret;
	uint64		i;

	for (i = 0; i < (uint64) n; i++)
	{
		j[i] = Int64GetDatum(jobs[i]);
		l[i] = Int64GetDatum(leases[i]);
	}
	values[0] = QueueArray(j, NULL, n, INT8OID);
	values[1] = QueueArray(l, NULL, n, INT8OID);
	ret = SPI_execute_plan(heartbeat_plan, values, NULL, false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "heartbeat failed: %s", SPI_result_code_string(ret));

	for (i = 0; i < SPI_processed && i < (uint64) n; i++)
		lost[i] = Int64Column(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
	return (int) i;
}

/* Run one stuck-job sweep (the launcher's monitor); returns jobs recovered. */
int
QueueDetectStuck(void)
{
	Oid			ext = get_extension_oid("scrape_jobs", true);
	char	   *sql;
	bool		isnull;
	int			ret;

	if (!OidIsValid(ext))
		return 0;
	sql = psprintf("SELECT recovered FROM %s.scrape_monitor()", QueueExtensionSchema(ext));
	ret = SPI_execute(sql, false, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "the monitor pass failed: %s", SPI_result_code_string(ret));
	return DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
									   SPI_tuptable->tupdesc, 1, &isnull));
}

/* Is any job processing?  (The monitor rests when none is.) */
bool
QueueAnyJobProcessing(void)
{
	Oid			ext = get_extension_oid("scrape_jobs", true);
	bool		isnull;
	char	   *sql;

	if (!OidIsValid(ext))
		return false;
	sql = psprintf("SELECT EXISTS (SELECT 1 FROM %s.background_jobs"
				   " WHERE status = 'processing')", QueueExtensionSchema(ext));
	if (SPI_execute(sql, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not look for processing jobs");
	return DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
									  SPI_tuptable->tupdesc, 1, &isnull));
}

/* Record a worker_crashed alert. */
void
QueueRecordWorkerCrash(int slot, int pid, int exit_code, TimestampTz at)
{
	Oid			ext = get_extension_oid("scrape_jobs", true);
	Oid			argtypes[2] = {TEXTOID, JSONBOID};
	Datum		values[2];
	char	   *sql;

	if (!OidIsValid(ext))
		return;
	sql = psprintf("SELECT %s._scrape_record_alert('worker_crashed', NULL, NULL, NULL, $1, $2)",
				   QueueExtensionSchema(ext));
	values[0] = CStringGetTextDatum(psprintf("scrape_jobs worker %d (pid %d) exited with exit code %d",
											 slot, pid, exit_code));
	values[1] = DirectFunctionCall1(jsonb_in,
									CStringGetDatum(psprintf("{\"slot\": %d, \"pid\": %d, \"exit_code\": %d, \"exited_at\": \"%s\"}",
															 slot, pid, exit_code,
															 timestamptz_to_str(at))));
	if (SPI_execute_with_args(sql, 2, argtypes, values, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "recording a worker_crashed alert failed");
}

/*
 * Return to the queue the pages held by workers that no longer exist.  Used
 * by the launcher; not worth a kept plan.
 */
int
QueueReleaseOrphans(const uint64 *live_tokens, int n)
{
	Oid			ext = get_extension_oid("scrape_jobs", true);
	Oid			argtypes[1] = {INT8ARRAYOID};
	Datum		values[1];
	Datum	   *tokens = palloc(sizeof(Datum) * Max(n, 1));
	char	   *sql;
	bool		isnull;
	int			ret;
	int			i;

	if (!OidIsValid(ext))
		return 0;
	for (i = 0; i < n; i++)
		tokens[i] = Int64GetDatum((int64) live_tokens[i]);
	values[0] = QueueArray(tokens, NULL, n, INT8OID);
	sql = psprintf("SELECT %s._scrape_release_orphans($1)",
				   QueueExtensionSchema(ext));
	ret = SPI_execute_with_args(sql, 1, argtypes, values, NULL, false, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "releasing orphaned pages failed: %s",
			 SPI_result_code_string(ret));
	return DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
									   SPI_tuptable->tupdesc, 1, &isnull));
}

/*
 * Count a crash of the extracting stage against the page whose parse it
 * interrupted (the launcher, from a dead worker's extraction marker);
 * returns the page's crashes so far (0: the page is gone).
 */
int
QueueNoteExtractionCrash(int64 page_id)
{
	Oid			ext = get_extension_oid("scrape_jobs", true);
	Oid			argtypes[1] = {INT8OID};
	Datum		values[1];
	bool		isnull;
	Datum		d;
	int			ret;

	if (!OidIsValid(ext))
		return 0;
	values[0] = Int64GetDatum(page_id);
	ret = SPI_execute_with_args(psprintf("SELECT %s._scrape_note_extraction_crash($1)",
										 QueueExtensionSchema(ext)),
								1, argtypes, values, NULL, false, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "counting an extraction crash failed: %s",
			 SPI_result_code_string(ret));
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? 0 : DatumGetInt32(d);
}
