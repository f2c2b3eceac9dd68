/*-------------------------------------------------------------------------
 * alerts.c
 *	  The alerter: a background worker that delivers the alerts outbox to
 *	  Sentry.
 *
 * Alerts (job_stuck, job_dead_lettered, circuit_opened, worker_crashed) are
 * rows of the alerts table, written in the transaction of the event that
 * caused them, and NOTIFY'd on scrape_jobs_alerts.  When
 * scrape_jobs.sentry_dsn is set, this worker posts each undelivered alert
 * as a Sentry envelope (built in SQL, _scrape_sentry_envelope) to the
 * project's envelope endpoint, oldest first, and records the outcome:
 *
 *	 - delivered (2xx): delivered_at is set; the alert is done;
 *	 - failed: delivery_attempts, last_delivery_error and next_delivery_at
 *	   (backoff like page retries, or the server's Retry-After) are set,
 *	   and the alert waits in the outbox.
 *
 * Delivery is at least once: a crash between Sentry's answer and our
 * COMMIT sends the alert again, with the same event_id, which Sentry
 * drops.  The worker has its own circuit breaker: after BREAKER_FAILURES
 * failed posts in a row it stops posting for scrape_jobs.retry_max_delay,
 * so a Sentry outage costs one request per cool-down, not one per alert.
 *
 * It is a process of its own so that a slow or unreachable Sentry never
 * delays a fetch worker or the launcher.  Requests are blocking (libcurl's
 * easy interface, with short timeouts): there is one at a time.  The
 * worker sleeps on its latch, which the transaction that records an alert
 * sets at COMMIT (shmem.c), and on the next retry's due time; without a
 * DSN it only waits for a configuration reload.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <curl/curl.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "alerts.h"
#include "guc.h"
#include "queue.h"
#include "shmem.h"

#define SCRAPE_CLIENT "scrape_jobs/" SCRAPE_JOBS_VERSION
/* alerts posted per pass (one transaction reads them, one records them) */
#define ALERTS_PER_PASS 20
#define DELIVERY_CONNECT_TIMEOUT_MS 5000
#define DELIVERY_TIMEOUT_MS 10000
/* failed posts in a row that open the alerter's circuit */
#define BREAKER_FAILURES 3
/* how often to look for the extension while it is not installed */
#define ABSENT_RECHECK_MS (60 * 1000)

typedef struct Delivery
{
	int64		alert_id;
	char	   *envelope;
	bool		attempted;
	bool		ok;
	char		error[256];
	int			retry_after_ms; /* -1: the server gave none */
} Delivery;

static int	consecutive_failures = 0;
static TimestampTz breaker_open_until = 0;

/* ---- DSN ---- */

/* Is s a non-empty string of digits? */
static bool
AllDigits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/*
 * https://PUBLIC_KEY@HOST[:PORT]/[PATH/]PROJECT_ID, parsed by libcurl's URL
 * API; the envelope endpoint is [PATH/]api/PROJECT_ID/envelope/ on the same
 * origin.
 */
bool
SentryParseDsn(const char *dsn, SentryDsn *out, const char **error)
{
	CURLU	   *u = curl_url();
	char	   *scheme = NULL;
	char	   *user = NULL;
	char	   *host = NULL;
	char	   *port = NULL;
	char	   *path = NULL;
	char	   *slash;
	bool		ok = false;

	*error = NULL;
	if (u == NULL)
	{
		*error = "out of memory";
		return false;
	}
	if (curl_url_set(u, CURLUPART_URL, dsn, 0) != CURLUE_OK)
		*error = "It is not a valid URL.";
	else if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
			 (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0))
		*error = "Its scheme must be https (or http).";
	else if (curl_url_get(u, CURLUPART_USER, &user, 0) != CURLUE_OK ||
			 user[0] == '\0' || strlen(user) >= sizeof(out->public_key))
		*error = "It must name the project's public key before \"@\".";
	else if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		*error = "It must name a host.";
	else if (curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK ||
			 (slash = strrchr(path, '/')) == NULL || !AllDigits(slash + 1))
		*error = "Its path must end with the numeric project id.";
	else
	{
		int			len;

		(void) curl_url_get(u, CURLUPART_PORT, &port, 0);
		*slash = '\0';			/* path is now the prefix, maybe empty */
		len = snprintf(out->envelope_url, sizeof(out->envelope_url),
					   "%s://%s%s%s%s/api/%s/envelope/", scheme, host,
					   port ? ":" : "", port ? port : "", path, slash + 1);
		if (len >= (int) sizeof(out->envelope_url))
			*error = "It is too long.";
		else
		{
			strlcpy(out->public_key, user, sizeof(out->public_key));
			ok = true;
		}
	}
	curl_free(scheme);
	curl_free(user);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_url_cleanup(u);
	return ok;
}

bool
SentryDsnCheckHook(char **newval, void **extra, GucSource source)
{
	SentryDsn	dsn;
	const char *error;

	if (*newval == NULL || (*newval)[0] == '\0')
		return true;
	if (SentryParseDsn(*newval, &dsn, &error))
		return true;
	GUC_check_errmsg("invalid Sentry DSN");
	GUC_check_errdetail("%s", error);
	GUC_check_errhint("The form is https://PUBLIC_KEY@HOST/PROJECT_ID.");
	return false;
}

/* ---- One post ---- */

/* libcurl's body callback: Sentry's answer is not needed. */
static size_t
DiscardBody(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	return size * nmemb;
}

/* Post one envelope; fills d->ok, d->error, d->retry_after_ms. */
static void
Post(const SentryDsn *dsn, Delivery *d)
{
	CURL	   *h = curl_easy_init();
	struct curl_slist *headers = NULL;
	char		auth[256];
	CURLcode	rc;
	long		status = 0;
	curl_off_t	retry_after = 0;

	d->attempted = true;
	d->ok = false;
	d->retry_after_ms = -1;
	if (h == NULL)
	{
		strlcpy(d->error, "could not create a libcurl handle", sizeof(d->error));
		return;
	}
	snprintf(auth, sizeof(auth),
			 "X-Sentry-Auth: Sentry sentry_version=7, sentry_key=%s, sentry_client=%s",
			 dsn->public_key, SCRAPE_CLIENT);
	headers = curl_slist_append(headers, "Content-Type: application/x-sentry-envelope");
	headers = curl_slist_append(headers, auth);
	curl_easy_setopt(h, CURLOPT_URL, dsn->envelope_url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, d->envelope);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) strlen(d->envelope));
	curl_easy_setopt(h, CURLOPT_USERAGENT, SCRAPE_CLIENT);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long) DELIVERY_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long) DELIVERY_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	/* like the fetcher, ignore the server's proxy environment variables */
	curl_easy_setopt(h, CURLOPT_PROXY, "");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, DiscardBody);

	rc = curl_easy_perform(h);
	if (rc != CURLE_OK)
		snprintf(d->error, sizeof(d->error), "%s", curl_easy_strerror(rc));
	else
	{
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		if (status >= 200 && status < 300)
			d->ok = true;
		else
		{
			snprintf(d->error, sizeof(d->error), "HTTP status %ld", status);
			if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK &&
				retry_after > 0)
				d->retry_after_ms = (int) Min(retry_after * 1000, (curl_off_t) INT_MAX);
		}
	}
	curl_slist_free_all(headers);
	curl_easy_cleanup(h);
}

/* Count an outcome in the alerter's own breaker. */
static void
CountOutcome(bool ok)
{
	if (ok)
	{
		consecutive_failures = 0;
		return;
	}
	if (++consecutive_failures >= BREAKER_FAILURES)
	{
		breaker_open_until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
														 scrape_retry_max_delay_ms);
		ereport(LOG,
				(errmsg("scrape_jobs alerter pauses delivery for %d ms after %d failed posts to Sentry",
						scrape_retry_max_delay_ms, consecutive_failures)));
		consecutive_failures = 0;
	}
}

/* ---- A pass ---- */

static void
BeginTransaction(const char *activity)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, activity);
}

static void
EndTransaction(void)
{
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
}

/*
 * The quoted schema of the extension, locked against a DROP EXTENSION for
 * the rest of the transaction, or NULL if it is not installed at the
 * version this library serves (or is being dropped): the alerter waits
 * then (version.h).
 */
static char *
ExtensionSchema(void)
{
	Oid			ext;

	if (!ScrapeExtensionAttach(&ext))
		return NULL;
	return QueueExtensionSchema(ext);
}

/* Read the alerts due into *out (allocated in cxt); returns how many. */
static int
ReadDue(const char *schema, Delivery **out, MemoryContext cxt)
{
	char	   *sql = psprintf("SELECT alert_id, envelope FROM %s._scrape_alerts_due(%d)",
							   schema, ALERTS_PER_PASS);
	int			n;
	int			i;

	if (SPI_execute(sql, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the alerts due");
	n = (int) SPI_processed;
	*out = MemoryContextAllocZero(cxt, sizeof(Delivery) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		bool		isnull;

		(*out)[i].alert_id = DatumGetInt64(SPI_getbinval(tuple, SPI_tuptable->tupdesc,
														 1, &isnull));
		(*out)[i].envelope = MemoryContextStrdup(cxt, SPI_getvalue(tuple,
																   SPI_tuptable->tupdesc, 2));
	}
	return n;
}

/* Record the outcomes; returns when the next retry is due (0: none). */
static TimestampTz
RecordOutcomes(const char *schema, Delivery *d, int n)
{
	char	   *sql = psprintf("SELECT %s._scrape_alert_delivery($1, $2, $3, $4)", schema);
	Oid			types[4] = {INT8OID, BOOLOID, TEXTOID, INT4OID};
	bool		isnull;
	Datum		next;
	int			i;

	for (i = 0; i < n; i++)
	{
		Datum		values[4];
		char		nulls[4] = {' ', ' ', ' ', ' '};

		if (!d[i].attempted)
			continue;
		values[0] = Int64GetDatum(d[i].alert_id);
		values[1] = BoolGetDatum(d[i].ok);
		values[2] = CStringGetTextDatum(d[i].error);
		nulls[2] = d[i].ok ? 'n' : ' ';
		values[3] = Int32GetDatum(d[i].retry_after_ms);
		nulls[3] = d[i].retry_after_ms < 0 ? 'n' : ' ';
		if (SPI_execute_with_args(sql, 4, types, values, nulls, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not record the delivery of alert " INT64_FORMAT,
				 d[i].alert_id);
	}
	/* not read-only: it must see the outcomes just recorded */
	sql = psprintf("SELECT %s._scrape_next_alert_due()", schema);
	if (SPI_execute(sql, false, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not read when the next alert is due");
	next = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? 0 : DatumGetTimestampTz(next);
}

/*
 * Deliver what is due.  Returns the milliseconds to wait before the next
 * pass (-1: until woken).  No transaction is open while posting.
 */
static long
DeliverPass(const SentryDsn *dsn, MemoryContext cxt)
{
	char	   *schema;
	Delivery   *d = NULL;
	int			n = 0;
	int			i;
	bool		failed = false;
	TimestampTz next_due;
	TimestampTz now;

	BeginTransaction("scrape_jobs: reading alerts");
	schema = ExtensionSchema();
	if (schema != NULL)
	{
		schema = MemoryContextStrdup(cxt, schema);
		n = ReadDue(schema, &d, cxt);
	}
	EndTransaction();
	if (schema == NULL)
		return ABSENT_RECHECK_MS;

	for (i = 0; i < n && !failed; i++)
	{
		CHECK_FOR_INTERRUPTS();
		Post(dsn, &d[i]);
		CountOutcome(d[i].ok);
		/* stop at the first failure: the rest wait for the backoff */
		failed = !d[i].ok;
	}

	BeginTransaction("scrape_jobs: recording alert deliveries");
	next_due = RecordOutcomes(schema, d, n);
	EndTransaction();

	if (n == ALERTS_PER_PASS && !failed)
		return 0;				/* more may be waiting */
	now = GetCurrentTimestamp();
	if (breaker_open_until > now)
		next_due = next_due == 0 ? breaker_open_until : Max(next_due, breaker_open_until);
	if (next_due == 0)
		return -1;
	return next_due <= now ? 0 : (long) ((next_due - now) / 1000) + 1;
}

static void
AlerterDetach(int code, Datum arg)
{
	LWLockAcquire(ScrapeState->lock, LW_EXCLUSIVE);
	if (ScrapeState->alerter_latch == MyLatch)
		ScrapeState->alerter_latch = NULL;
	LWLockRelease(ScrapeState->lock);
}

void
ScrapeAlerterMain(Datum main_arg)
{
	sigjmp_buf	local_sigjmp_buf;
	MemoryContext pass_cxt;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	BackgroundWorkerInitializeConnection(scrape_database, NULL, 0);
	ScrapePinSessionSettings();
	pgstat_report_appname("scrape_jobs alerter");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		ereport(FATAL,
				(errmsg("could not initialize libcurl")));

	LWLockAcquire(ScrapeState->lock, LW_EXCLUSIVE);
	ScrapeState->alerter_latch = MyLatch;
	LWLockRelease(ScrapeState->lock);
	before_shmem_exit(AlerterDetach, (Datum) 0);

	pass_cxt = AllocSetContextCreate(TopMemoryContext, "scrape_jobs alerter pass",
									 ALLOCSET_DEFAULT_SIZES);
	/* an ERROR in a pass is reported and the loop goes on (queue.c) */
	if (sigsetjmp(local_sigjmp_buf, 1) != 0)
	{
		QueueRecoverFromError();
		MemoryContextReset(pass_cxt);
	}
	PG_exception_stack = &local_sigjmp_buf;

	for (;;)
	{
		long		timeout = -1;
		SentryDsn	dsn;
		const char *error;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		if (scrape_sentry_dsn != NULL && scrape_sentry_dsn[0] != '\0' &&
			SentryParseDsn(scrape_sentry_dsn, &dsn, &error))
		{
			TimestampTz now = GetCurrentTimestamp();

			if (breaker_open_until > now)
				timeout = (long) ((breaker_open_until - now) / 1000) + 1;
			else
			{
				timeout = DeliverPass(&dsn, pass_cxt);
				MemoryContextReset(pass_cxt);
			}
		}

		if (timeout != 0)
		{
			(void) WaitLatch(MyLatch,
							 WL_LATCH_SET | WL_EXIT_ON_PM_DEATH |
							 (timeout > 0 ? WL_TIMEOUT : 0),
							 timeout, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
		}
	}
}
