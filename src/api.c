/*-------------------------------------------------------------------------
 * api.c
 *	  SQL-callable functions written in C: URL checking, wake-ups,
 *	  scrape_wait(), scrape_workers() and scrape_launcher().
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "breaker.h"
#include "guc.h"
#include "robots.h"
#include "shmem.h"
#include "ssrf.h"
#include "url.h"

PG_FUNCTION_INFO_V1(scrape_check_url);
PG_FUNCTION_INFO_V1(scrape_wake);
PG_FUNCTION_INFO_V1(scrape_wait);
PG_FUNCTION_INFO_V1(scrape_workers);
PG_FUNCTION_INFO_V1(scrape_circuit_breakers);
PG_FUNCTION_INFO_V1(scrape_host_stats);
PG_FUNCTION_INFO_V1(scrape_check_address);
PG_FUNCTION_INFO_V1(scrape_caller);
PG_FUNCTION_INFO_V1(scrape_robots_check);
PG_FUNCTION_INFO_V1(scrape_robots_sitemaps);
PG_FUNCTION_INFO_V1(scrape_launcher);
PG_FUNCTION_INFO_V1(scrape_worker_label);

/* scrape_wait() re-reads the status at least this often. */
#define WAIT_RECHECK_MS 5000

static void
RequireSharedState(void)
{
	if (ScrapeState == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("scrape_jobs must be loaded via \"shared_preload_libraries\"")));
}

/* _scrape_check_url(text): the URL normalised, or an error. */
Datum
scrape_check_url(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("URL must not be null")));
	PG_RETURN_TEXT_P(cstring_to_text(ScrapeNormalizeUrl(text_to_cstring(PG_GETARG_TEXT_PP(0)))));
}

/* _scrape_wake(new_work, cancelled, session_done, alert): wake-ups at COMMIT. */
Datum
scrape_wake(PG_FUNCTION_ARGS)
{
	RequireSharedState();
	ScrapeWakeOnCommit(PG_GETARG_BOOL(0), PG_GETARG_BOOL(1), PG_GETARG_BOOL(2));
	if (PG_NARGS() > 3 && PG_GETARG_BOOL(3))
		ScrapeWakeAlerterOnCommit();
	PG_RETURN_VOID();
}

static bool
IsFinalStatus(const char *status)
{
	return strcmp(status, "pending") != 0 && strcmp(status, "running") != 0;
}

/*
 * The session's status, read with a fresh snapshot; NULL if there is no
 * such session.
 */
static char *
SessionStatus(const char *schema, int64 session_id)
{
	Oid			argtypes[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(session_id)};
	char	   *sql;
	bool		isnull;
	int			ret;

	/* another tenant's session is as good as absent */
	sql = psprintf("SELECT s.status FROM %s.scraping_sessions s WHERE s.id = $1"
				   " AND %s._scrape_caller_sees(s.workspace_id)",
				   quote_identifier(schema), quote_identifier(schema));
	ret = SPI_execute_with_args(sql, 1, argtypes, values, NULL, false, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read session status: %s",
			 SPI_result_code_string(ret));
	if (SPI_processed == 0)
		return NULL;
	return TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0],
											 SPI_tuptable->tupdesc, 1, &isnull));
}

/*
 * scrape_wait(session_id, timeout): sleep on a condition variable that
 * workers broadcast when a session ends, until ours has or time is up.
 *
 * A NULL session id or timeout is an error: a NULL result would look like
 * a session without a status, and a NULL timeout has no default to mean
 * (the SQL default applies only when the argument is left out).  Checked
 * before the arguments are read, as fmgr.h asks of non-strict functions.
 */
Datum
scrape_wait(PG_FUNCTION_ARGS)
{
	int64		session_id;
	Interval   *timeout;
	char	   *schema;
	TimestampTz start;
	TimestampTz deadline;
	char	   *status;
	MemoryContext caller = CurrentMemoryContext;
	text	   *result;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("session id must not be null")));
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("timeout must not be null")));
	session_id = PG_GETARG_INT64(0);
	timeout = PG_GETARG_INTERVAL_P(1);
	schema = get_namespace_name(get_func_namespace(fcinfo->flinfo->fn_oid));
	start = GetCurrentTimestamp();

	RequireSharedState();
	if (IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("cannot wait for a scraping session in a REPEATABLE READ or SERIALIZABLE transaction"),
				 errdetail("The transaction would never see the session end."),
				 errhint("Call it in a READ COMMITTED transaction or outside an explicit transaction.")));
	deadline = DatumGetTimestampTz(DirectFunctionCall2(timestamptz_pl_interval,
													   TimestampTzGetDatum(start),
													   IntervalPGetDatum(timeout)));
	if (deadline < start)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("timeout must not be negative")));

	SPI_connect();
	for (;;)
	{
		TimestampTz now;
		long		secs;
		int			usecs;

		ConditionVariablePrepareToSleep(&ScrapeState->session_done_cv);
		status = SessionStatus(schema, session_id);
		if (status == NULL)
		{
			ConditionVariableCancelSleep();
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("scraping session %lld does not exist",
							(long long) session_id)));
		}
		now = GetCurrentTimestamp();
		if (IsFinalStatus(status) || now >= deadline)
			break;
		TimestampDifference(now, deadline, &secs, &usecs);
		(void) ConditionVariableTimedSleep(&ScrapeState->session_done_cv,
										   Min(secs * 1000 + usecs / 1000 + 1,
											   WAIT_RECHECK_MS),
										   PG_WAIT_EXTENSION);
	}
	ConditionVariableCancelSleep();

	result = (text *) MemoryContextAlloc(caller, VARHDRSZ + strlen(status));
	SET_VARSIZE(result, VARHDRSZ + strlen(status));
	memcpy(VARDATA(result), status, strlen(status));
	SPI_finish();
	PG_RETURN_TEXT_P(result);
}

static const char *
WorkerStateName(ScrapeWorkerState state)
{
	switch (state)
	{
		case SCRAPE_WORKER_STARTING:
			return "starting";
		case SCRAPE_WORKER_IDLE:
			return "idle";
		case SCRAPE_WORKER_FETCHING:
			return "fetching";
		case SCRAPE_WORKER_WRITING:
			return "writing";
		default:
			return "unused";
	}
}

/* scrape_workers(): one row per running fetch worker. */
Datum
scrape_workers(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ScrapeWorkerSlot *copy;
	int			n;
	int			i;

	RequireSharedState();
	InitMaterializedSRF(fcinfo, 0);

	n = ScrapeState->nslots;
	copy = palloc(sizeof(ScrapeWorkerSlot) * n);
	LWLockAcquire(ScrapeState->lock, LW_SHARED);
	memcpy(copy, ScrapeState->slots, sizeof(ScrapeWorkerSlot) * n);
	LWLockRelease(ScrapeState->lock);

	for (i = 0; i < n; i++)
	{
		Datum		values[9];
		bool		nulls[9] = {false};
		ScrapeWorkerSlot *s = &copy[i];

		if (s->pid == 0)
			continue;
		values[0] = Int32GetDatum(i);
		values[1] = Int32GetDatum(s->pid);
		values[2] = CStringGetTextDatum(WorkerStateName(s->state));
		values[3] = Int64GetDatum(s->current_job);
		nulls[3] = (s->current_job == 0);
		values[4] = Int32GetDatum(s->inflight);
		values[5] = Int64GetDatum((int64) s->pages_fetched);
		values[6] = Int64GetDatum((int64) s->claims);
		values[7] = TimestampTzGetDatum(s->started_at);
		values[8] = TimestampTzGetDatum(s->last_activity);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

static const char *
ExtensionStatusName(int status)
{
	switch (status)
	{
		case SCRAPE_EXT_READY:
			return "running";
		case SCRAPE_EXT_MISMATCH:
			return "waiting_for_update";
		case SCRAPE_EXT_STANDBY:
			return "standby";
		default:
			return "waiting_for_extension";
	}
}

#define STANDBY_DETAIL "the server is in recovery: the fetch workers start when it is promoted"

/*
 * scrape_launcher(): the launcher and what it found in pg_extension, one
 * row.  On a hot standby the launcher waits for promotion and the row says
 * standby; before it starts there (at consistency), a row without a pid
 * says the same.  No row while no launcher runs otherwise.  Kept with the
 * same columns in every release: an older release's SQL calls it while it
 * waits for an update.
 */
Datum
scrape_launcher(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	pid_t		pid;
	int			status;
	char		installed[SCRAPE_VERSION_LEN];
	Datum		values[6];
	bool		nulls[6] = {false};

	RequireSharedState();
	InitMaterializedSRF(fcinfo, 0);
	LWLockAcquire(ScrapeState->lock, LW_SHARED);
	pid = ScrapeState->launcher_pid;
	status = ScrapeState->ext_status;
	strlcpy(installed, ScrapeState->ext_installed, SCRAPE_VERSION_LEN);
	LWLockRelease(ScrapeState->lock);
	if (pid == 0 && RecoveryInProgress())
	{
		nulls[0] = nulls[3] = true;
		values[1] = CStringGetTextDatum(scrape_database);
		values[2] = CStringGetTextDatum("standby");
		values[4] = CStringGetTextDatum(SCRAPE_JOBS_VERSION);
		values[5] = CStringGetTextDatum(STANDBY_DETAIL);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		return (Datum) 0;
	}
	if (pid == 0)
		return (Datum) 0;

	values[0] = Int32GetDatum(pid);
	values[1] = CStringGetTextDatum(scrape_database);
	values[2] = CStringGetTextDatum(ExtensionStatusName(status));
	values[3] = CStringGetTextDatum(installed);
	nulls[3] = (installed[0] == '\0');
	values[4] = CStringGetTextDatum(SCRAPE_JOBS_VERSION);
	if (status == SCRAPE_EXT_STANDBY)
		values[5] = CStringGetTextDatum(STANDBY_DETAIL);
	else if (status == SCRAPE_EXT_MISMATCH)
		values[5] = CStringGetTextDatum(psprintf("version %s of the extension is installed; this library serves %s: run ALTER EXTENSION scrape_jobs UPDATE in database \"%s\"",
												 installed, SCRAPE_JOBS_VERSION,
												 scrape_database));
	else
		nulls[5] = true;
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	return (Datum) 0;
}

/*
 * _scrape_worker_label(token): which worker a claim token belongs to, for a
 * person reading job_history ("worker 1, pid 4242"); the token itself when
 * no live worker has it.
 */
Datum
scrape_worker_label(PG_FUNCTION_ARGS)
{
	uint64		token = (uint64) PG_GETARG_INT64(0);
	int			i;
	char	   *label = NULL;

	RequireSharedState();
	LWLockAcquire(ScrapeState->lock, LW_SHARED);
	for (i = 0; i < ScrapeState->nslots && label == NULL; i++)
		if (ScrapeState->slots[i].pid != 0 && ScrapeState->slots[i].token == token)
			label = psprintf("worker %d, pid %d", i, (int) ScrapeState->slots[i].pid);
	LWLockRelease(ScrapeState->lock);
	if (label == NULL)
		label = psprintf("token " INT64_FORMAT, (int64) token);
	PG_RETURN_TEXT_P(cstring_to_text(label));
}

static const char *
BreakerStateName(BreakerState state)
{
	switch (state)
	{
		case BREAKER_OPEN:
			return "open";
		case BREAKER_HALF_OPEN:
			return "half_open";
		default:
			return "closed";
	}
}

/* scrape_circuit_breakers(): one row per host the workers have talked to. */
Datum
scrape_circuit_breakers(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	HostEntry  *hosts;
	int			n;
	int			i;

	RequireSharedState();
	InitMaterializedSRF(fcinfo, 0);
	n = HostSnapshot(&hosts);
	for (i = 0; i < n; i++)
	{
		HostEntry  *h = &hosts[i];
		Datum		values[8];
		bool		nulls[8] = {false};

		values[0] = CStringGetTextDatum(h->host);
		values[1] = CStringGetTextDatum(BreakerStateName(h->state));
		values[2] = Int32GetDatum(h->consecutive_failures);
		values[3] = TimestampTzGetDatum(h->opened_at);
		nulls[3] = (h->opened_at == 0);
		values[4] = TimestampTzGetDatum(h->next_probe_at);
		nulls[4] = (h->state == BREAKER_CLOSED || h->next_probe_at == 0);
		values[5] = Int32GetDatum(h->active);
		values[6] = Int64GetDatum((int64) h->requests);
		values[7] = Int64GetDatum((int64) h->failures);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* The failures of a host by error class, as a jsonb object. */
static Datum
HostErrorsJson(const HostEntry *h)
{
	StringInfoData out;
	int			i;
	bool		first = true;

	initStringInfo(&out);
	appendStringInfoChar(&out, '{');
	for (i = 0; i < METRIC_NCLASSES; i++)
	{
		if (h->errors[i] == 0)
			continue;
		appendStringInfo(&out, "%s\"%s\": " UINT64_FORMAT, first ? "" : ", ",
						 MetricErrorClasses[i], h->errors[i]);
		first = false;
	}
	appendStringInfoChar(&out, '}');
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(out.data));
}

/*
 * scrape_host_stats(): per host the workers have talked to since start-up,
 * requests, failures by class, fetch latency (mean, p95), circuit state,
 * connections in flight and the current gap between requests.
 */
Datum
scrape_host_stats(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	HostEntry  *hosts;
	int			n;
	int			i;

	RequireSharedState();
	InitMaterializedSRF(fcinfo, 0);
	n = HostSnapshot(&hosts);
	for (i = 0; i < n; i++)
	{
		HostEntry  *h = &hosts[i];
		Datum		values[10];
		bool		nulls[10] = {false};
		uint64		errors = 0;
		int			c;

		for (c = 0; c < METRIC_NCLASSES; c++)
			errors += h->errors[c];
		values[0] = CStringGetTextDatum(h->host);
		values[1] = Int64GetDatum((int64) h->latency_count);
		values[2] = Int64GetDatum((int64) errors);
		values[3] = HostErrorsJson(h);
		values[4] = Float8GetDatum(h->latency_count ? h->latency_sum_ms / h->latency_count : 0);
		nulls[4] = (h->latency_count == 0);
		values[5] = Float8GetDatum(MetricsQuantile(h->latency, h->latency_count, 0.95));
		nulls[5] = (h->latency_count == 0);
		values[6] = CStringGetTextDatum(BreakerStateName(h->state));
		values[7] = Int32GetDatum(h->consecutive_failures);
		values[8] = Int32GetDatum(h->active);
		values[9] = Int32GetDatum(h->delay_ms);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * scrape_check_address(address, host): NULL if the fetcher may connect to
 * the address (for a URL with that host), else why not.  The same rules the
 * workers apply (ssrf.c), with this session's settings.  A NULL host is the
 * default: no host, so only the rules on addresses apply.
 *
 * A NULL address is an error, not a NULL result: a NULL result says
 * "allowed", and nothing was checked.  (The SQL declaration is not STRICT,
 * and must not become so, for the same reason.)
 */
Datum
scrape_check_address(PG_FUNCTION_ARGS)
{
	char	   *ip;
	char	   *host;
	char		name[SSRF_HOST_BUFSIZE];
	const char *host_why = NULL;
	const char *why;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("address must not be null")));
	ip = text_to_cstring(PG_GETARG_TEXT_PP(0));
	host = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));

	/* the host as a worker matches it: the name libcurl resolves */
	if (host != NULL)
		host_why = SsrfNormalizeHost(host, name, sizeof(name));
	why = SsrfCheckIpString(ip, host != NULL && host_why == NULL ? name : NULL);

	if (why != NULL && strcmp(why, "not an IP address") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid IP address \"%s\"", ip)));
	/* a host with no such name is refused, whatever its address */
	if (host_why != NULL)
		why = host_why;
	if (why == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(why));
}

/*
 * _scrape_caller(): the role that called the API.  Inside a SECURITY
 * DEFINER function current_user is the owner; the outer user (the session
 * user, or the role SET ROLE chose) is who is asking.
 */
Datum
scrape_caller(PG_FUNCTION_ARGS)
{
	PG_RETURN_OID(GetOuterUserId());
}

/*
 * The last robots.txt parsed by this process, kept for the next call: a
 * claim asks about many pages of one origin (_scrape_robots_gate), and
 * parsing a file of up to 500 KiB for each would be waste.
 *
 * The key is the text itself, compared byte for byte on every hit.  A key
 * of length and hash alone let two texts that collide share one parse: a
 * site could craft a robots.txt whose verdicts another origin's pages then
 * got.  The SQL functions are not told the origin, so the text is all there
 * is to key on, and it is enough: the parse is a function of the text alone.
 * Only the first ROBOTS_MAX_BYTES are kept and compared, because
 * RobotsParse reads no further (texts equal that far parse the same); so
 * the cache holds at most that much text besides the parse.
 *
 * The copy is in TopMemoryContext, not the caller's context, because it
 * outlives the call and the query (the parse is malloc'd for the same
 * reason); the entry it replaces is freed there.
 */
static Robots *cached_robots = NULL;
static char *cached_robots_text = NULL;
static size_t cached_robots_len = 0;

/* Parse (or reuse) a robots.txt given as text; raises only when out of memory. */
static Robots *
ParseRobotsArg(text *body)
{
	const char *data = VARDATA_ANY(body);
	size_t		len = Min(VARSIZE_ANY_EXHDR(body), (size_t) ROBOTS_MAX_BYTES);
	char	   *copy;
	Robots	   *r;

	if (cached_robots != NULL && cached_robots_len == len &&
		memcmp(cached_robots_text, data, len) == 0)
		return cached_robots;

	/* forget the old entry first, so that an error below leaves none */
	RobotsFree(cached_robots);
	cached_robots = NULL;
	if (cached_robots_text != NULL)
		pfree(cached_robots_text);
	cached_robots_text = NULL;
	cached_robots_len = 0;

	copy = MemoryContextAlloc(TopMemoryContext, Max(len, 1));
	r = RobotsParse(data, len);
	if (r == NULL)
	{
		pfree(copy);
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	}
	memcpy(copy, data, len);
	cached_robots = r;
	cached_robots_text = copy;
	cached_robots_len = len;
	return r;
}

/*
 * scrape_robots_check(robots_txt, path, user_agent): the verdict of a
 * robots.txt for a path (with its query), for a User-Agent (default
 * scrape_jobs.user_agent): allowed, crawl_delay, the rule that decided.
 */
Datum
scrape_robots_check(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Robots	   *r;
	RobotsVerdict v;
	char	   *path;
	char	   *agent;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	path = text_to_cstring(PG_GETARG_TEXT_PP(1));
	agent = PG_ARGISNULL(2) ? scrape_user_agent : text_to_cstring(PG_GETARG_TEXT_PP(2));
	r = ParseRobotsArg(PG_GETARG_TEXT_PP(0));
	v = RobotsCheck(r, agent, path);	/* r stays cached: not freed */
	values[0] = BoolGetDatum(v.allowed);
	values[1] = Float8GetDatum(v.crawl_delay);
	nulls[1] = !v.has_crawl_delay;
	if (v.rule != NULL)
		values[2] = CStringGetTextDatum(psprintf("%s: %s",
												 v.rule_is_allow ? "allow" : "disallow",
												 v.rule));
	nulls[2] = (v.rule == NULL);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc),
													  values, nulls)));
}

/* scrape_robots_sitemaps(robots_txt): its Sitemap lines. */
Datum
scrape_robots_sitemaps(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Robots	   *r;
	int			i;

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	r = ParseRobotsArg(PG_GETARG_TEXT_PP(0));
	for (i = 0; i < RobotsSitemapCount(r); i++)
	{
		Datum		value = CStringGetTextDatum(RobotsSitemap(r, i));
		bool		isnull = false;

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &value, &isnull);
	}
	return (Datum) 0;
}

