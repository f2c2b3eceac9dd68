/*-------------------------------------------------------------------------
 * metrics.c
 *	  Running counters and histograms of scrape_jobs, in shared memory.
 *
 * scrape_metrics() and scrape_metrics_prometheus() must stay cheap when the
 * job tables hold millions of finished rows, so nothing they report is
 * counted from history:
 *
 *	 - The workers count every finished transfer (status code, error class,
 *	   bytes, fetch time) and every written page (claim to write) with
 *	   atomic adds, outside any transaction.
 *	 - SQL counts its events (retries, robots.txt skips, deferrals,
 *	   extracted pages, products, alerts) with _scrape_count(), and a row
 *	   trigger on background_jobs reports each status change of a job with
 *	   _scrape_job_transition(): these are kept in backend memory and applied
 *	   when the transaction commits (an aborted submit counts nothing).
 *	 - Jobs by type and status are gauges moved by those transitions; the
 *	   launcher recounts them from the table at start-up and whenever the
 *	   extension it finds is a new one (re-created, restored).
 *	 - The counters and histograms survive restarts through the
 *	   metric_counters table: the launcher restores them at start-up (and
 *	   starts them again from zero for an extension re-created) and
 *	   writes them back at every monitor pass.  Between two passes each
 *	   worker writes a snapshot of them to a file of its own at most every
 *	   SNAPSHOT_EVERY_MS (MetricsSaveSnapshot: a write(), no fsync, no
 *	   transaction), and the restore takes, counter by counter, the largest
 *	   of the table's and the snapshots' values (counters only grow): a
 *	   crash of a process loses the last SNAPSHOT_EVERY_MS of counts, one
 *	   of the operating system at most one monitor_interval.
 *
 * Histograms have fixed buckets (1 ms to 5 minutes); percentiles are read
 * from them by linear interpolation inside a bucket, which is what
 * Prometheus's histogram_quantile() does too.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "common/file_perm.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "port/atomics.h"
#include "port/pg_crc32c.h"
#include "storage/fd.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "journal.h"
#include "metrics.h"
#include "queue.h"
#include "shmem.h"

const double MetricBucketBoundsMs[METRIC_NBUCKETS - 1] = {
	1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000
};

const char *const MetricErrorClasses[METRIC_NCLASSES] = {
	"timeout", "connection", "dns", "tls", "partial_body", "too_large",
	"too_many_redirects", "blocked_address", "unsupported_scheme",
	"out_of_memory", "http_4xx", "http_5xx", "invalid_sitemap", "worker_lost",
	"other"
};

const char *const MetricCounterNames[MC_NCOUNTERS] = {
	"pages_fetched", "bytes_fetched", "retries", "robots_skips", "deferrals",
	"pages_extracted", "products_written", "alerts"
};

const char *const MetricHistogramNames[MH_NHISTOGRAMS] = {
	"fetch_ms", "page_ms", "job_ms"
};

const char *const MetricJobStatuses[METRIC_NSTATUSES] = {
	"pending", "processing", "completed", "failed", "cancelled", "dead"
};

/* pages per second over the last minute; jobs per 10 s over 5 minutes */
#define PAGE_SLOTS 60
#define JOB_SLOTS 30
#define JOB_SLOT_SECONDS 10

typedef struct MetricHistogram
{
	pg_atomic_uint64 buckets[METRIC_NBUCKETS];
	pg_atomic_uint64 count;
	pg_atomic_uint64 sum_us;
} MetricHistogram;

typedef struct ScrapeMetrics
{
	pg_atomic_uint64 counters[MC_NCOUNTERS];
	pg_atomic_uint64 responses[600];
	pg_atomic_uint64 errors[METRIC_NCLASSES];
	MetricHistogram hist[MH_NHISTOGRAMS];
	slock_t		mutex;			/* protects everything below */
	int64		page_slot_epoch[PAGE_SLOTS];
	uint64		page_slot_count[PAGE_SLOTS];
	int64		job_slot_epoch[JOB_SLOTS];
	uint64		job_slot_count[JOB_SLOTS];
	int			njob_types;
	char		job_types[METRIC_MAX_JOB_TYPES][METRIC_JOB_TYPE_LEN];
	int64		jobs[METRIC_MAX_JOB_TYPES][METRIC_NSTATUSES];
	bool		restored;		/* from metric_counters, since start-up */
	Oid			counted_ext;	/* the extension whose jobs the gauges count */
} ScrapeMetrics;

static ScrapeMetrics *M = NULL;

/*
 * The counters and histograms, read as one array of SNAPSHOT_VALUES atomics
 * from the start of ScrapeMetrics (what a snapshot saves).
 */
#define SNAPSHOT_VALUES (offsetof(ScrapeMetrics, mutex) / sizeof(pg_atomic_uint64))
StaticAssertDecl(offsetof(ScrapeMetrics, mutex) ==
				 sizeof(pg_atomic_uint64) * (MC_NCOUNTERS + 600 + METRIC_NCLASSES) +
				 sizeof(MetricHistogram) * MH_NHISTOGRAMS,
				 "the counters of ScrapeMetrics are not one array");
StaticAssertDecl(sizeof(MetricHistogram) ==
				 sizeof(pg_atomic_uint64) * (METRIC_NBUCKETS + 2),
				 "a MetricHistogram is not an array of atomics");

static inline pg_atomic_uint64 *
SnapshotValue(int i)
{
	return ((pg_atomic_uint64 *) M) + i;
}

/*
 * What the current transaction reported, waiting for it to commit: counter
 * increments and job status changes, each with the subtransaction that made
 * it, so that a savepoint rolled back (or a PL/pgSQL exception block) takes
 * its reports with it.  A handful per transaction: plain arrays.
 */
typedef struct PendingReport
{
	SubTransactionId subid;
	int			counter;		/* MetricCounter, or -1 for a status change */
	int64		n;
	/* a job's status change */
	char		job_type[METRIC_JOB_TYPE_LEN];
	int			from;			/* status index, or -1 */
	int			to;
	double		duration_ms;	/* a job that finished, or -1 */
} PendingReport;

static PendingReport *pending = NULL;
static int	npending = 0;
static int	max_pending = 0;

Size
MetricsShmemSize(void)
{
	return sizeof(ScrapeMetrics);
}

void
MetricsShmemInit(void)
{
	bool		found;
	int			i;
	int			j;

	M = ShmemInitStruct("scrape_jobs metrics", sizeof(ScrapeMetrics), &found);
	if (found)
		return;
	memset(M, 0, sizeof(ScrapeMetrics));
	for (i = 0; i < MC_NCOUNTERS; i++)
		pg_atomic_init_u64(&M->counters[i], 0);
	for (i = 0; i < 600; i++)
		pg_atomic_init_u64(&M->responses[i], 0);
	for (i = 0; i < METRIC_NCLASSES; i++)
		pg_atomic_init_u64(&M->errors[i], 0);
	for (i = 0; i < MH_NHISTOGRAMS; i++)
	{
		for (j = 0; j < METRIC_NBUCKETS; j++)
			pg_atomic_init_u64(&M->hist[i].buckets[j], 0);
		pg_atomic_init_u64(&M->hist[i].count, 0);
		pg_atomic_init_u64(&M->hist[i].sum_us, 0);
	}
	SpinLockInit(&M->mutex);
}

int
MetricErrorClassIndex(const char *error_class)
{
	int			i;

	for (i = 0; i < METRIC_NCLASSES - 1; i++)
		if (strcmp(error_class, MetricErrorClasses[i]) == 0)
			return i;
	return METRIC_NCLASSES - 1;
}

int
MetricBucketIndex(double ms)
{
	int			i;

	for (i = 0; i < METRIC_NBUCKETS - 1; i++)
		if (ms <= MetricBucketBoundsMs[i])
			return i;
	return METRIC_NBUCKETS - 1;
}

static void
Observe(MetricHistogramId h, double ms)
{
	if (ms < 0)
		ms = 0;
	pg_atomic_fetch_add_u64(&M->hist[h].buckets[MetricBucketIndex(ms)], 1);
	pg_atomic_fetch_add_u64(&M->hist[h].count, 1);
	pg_atomic_fetch_add_u64(&M->hist[h].sum_us, (uint64) (ms * 1000.0));
}

/* Add n to the time slot of now in a ring of nslots slots of width s. */
static void
RingAdd(int64 *epochs, uint64 *counts, int nslots, int width_s, uint64 n)
{
	int64		epoch = (int64) (GetCurrentTimestamp() / USECS_PER_SEC) / width_s;
	int			slot = (int) (epoch % nslots);

	SpinLockAcquire(&M->mutex);
	if (epochs[slot] != epoch)
	{
		epochs[slot] = epoch;
		counts[slot] = 0;
	}
	counts[slot] += n;
	SpinLockRelease(&M->mutex);
}

static uint64
RingSum(const int64 *epochs, const uint64 *counts, int nslots, int width_s)
{
	int64		epoch = (int64) (GetCurrentTimestamp() / USECS_PER_SEC) / width_s;
	uint64		sum = 0;
	int			i;

	for (i = 0; i < nslots; i++)
		if (epochs[i] > epoch - nslots && epochs[i] <= epoch)
			sum += counts[i];
	return sum;
}

void
MetricsCountTransfer(int http_status, const char *error_class, int64 bytes,
					 double fetch_ms)
{
	if (M == NULL)
		return;
	pg_atomic_fetch_add_u64(&M->counters[MC_PAGES_FETCHED], 1);
	if (bytes > 0)
		pg_atomic_fetch_add_u64(&M->counters[MC_BYTES_FETCHED], (uint64) bytes);
	pg_atomic_fetch_add_u64(&M->responses[(http_status > 0 && http_status < 600) ?
										  http_status : 0], 1);
	if (error_class != NULL)
		pg_atomic_fetch_add_u64(&M->errors[MetricErrorClassIndex(error_class)], 1);
	Observe(MH_FETCH_MS, fetch_ms);
	RingAdd(M->page_slot_epoch, M->page_slot_count, PAGE_SLOTS, 1, 1);
}

void
MetricsObservePage(double page_ms)
{
	if (M != NULL)
		Observe(MH_PAGE_MS, page_ms);
}

/* ---- transactional counts from SQL ---- */

static int
StatusIndex(const char *status)
{
	int			i;

	if (status == NULL)
		return -1;
	for (i = 0; i < METRIC_NSTATUSES; i++)
		if (strcmp(status, MetricJobStatuses[i]) == 0)
			return i;
	return -1;
}

/* The gauge row of a job type, added if new; -1 if the table is full. */
static int
JobTypeSlot(const char *job_type)
{
	int			i;

	for (i = 0; i < M->njob_types; i++)
		if (strcmp(M->job_types[i], job_type) == 0)
			return i;
	if (M->njob_types == METRIC_MAX_JOB_TYPES)
		return -1;
	strlcpy(M->job_types[M->njob_types], job_type, METRIC_JOB_TYPE_LEN);
	memset(M->jobs[M->njob_types], 0, sizeof(M->jobs[0]));
	return M->njob_types++;
}

static void
ApplyTransition(const PendingReport *t)
{
	int			slot;

	SpinLockAcquire(&M->mutex);
	slot = JobTypeSlot(t->job_type);
	if (slot >= 0)
	{
		if (t->from >= 0)
			M->jobs[slot][t->from]--;
		if (t->to >= 0)
			M->jobs[slot][t->to]++;
	}
	SpinLockRelease(&M->mutex);
	if (t->duration_ms >= 0)
	{
		Observe(MH_JOB_MS, t->duration_ms);
		RingAdd(M->job_slot_epoch, M->job_slot_count, JOB_SLOTS, JOB_SLOT_SECONDS, 1);
	}
}

/* Called by shmem.c's transaction callback. */
void
MetricsAtCommit(bool commit)
{
	int			i;

	if (commit && M != NULL)
	{
		for (i = 0; i < npending; i++)
		{
			if (pending[i].counter >= 0)
				pg_atomic_fetch_add_u64(&M->counters[pending[i].counter],
										(uint64) pending[i].n);
			else
				ApplyTransition(&pending[i]);
		}
	}
	npending = 0;
}

/*
 * Called by shmem.c's subtransaction callback.  Subtransaction ids grow
 * within a transaction, and every subtransaction started after an open one
 * is its descendant: what a subtransaction and its descendants reported has
 * an id at least its own.  An abort drops those reports; a commit hands
 * them to the parent.
 */
void
MetricsAtSubXactEnd(bool commit, SubTransactionId subid, SubTransactionId parent)
{
	int			i;
	int			kept = 0;

	for (i = 0; i < npending; i++)
	{
		if (pending[i].subid >= subid)
		{
			if (!commit)
				continue;
			pending[i].subid = parent;
		}
		pending[kept++] = pending[i];
	}
	npending = kept;
}

/* Room for one more report, in TopMemoryContext (it outlives transactions). */
static PendingReport *
NewReport(int counter)
{
	PendingReport *r;

	if (npending == max_pending)
	{
		int			max = Max(16, max_pending * 2);

		pending = pending == NULL ?
			MemoryContextAlloc(TopMemoryContext, sizeof(PendingReport) * max) :
			repalloc(pending, sizeof(PendingReport) * max);
		max_pending = max;
	}
	r = &pending[npending++];
	memset(r, 0, sizeof(*r));
	r->subid = GetCurrentSubTransactionId();
	r->counter = counter;
	ScrapeWakeOnCommit(false, false, false);	/* the commit callback runs */
	return r;
}

/* ---- snapshots ---- */

void
MetricsTakeSnapshot(MetricsSnapshot *snap)
{
	int			i;
	int			j;

	memset(snap, 0, sizeof(*snap));
	if (M == NULL)
		return;
	for (i = 0; i < MC_NCOUNTERS; i++)
		snap->counters[i] = pg_atomic_read_u64(&M->counters[i]);
	for (i = 0; i < 600; i++)
		snap->responses[i] = pg_atomic_read_u64(&M->responses[i]);
	for (i = 0; i < METRIC_NCLASSES; i++)
		snap->errors[i] = pg_atomic_read_u64(&M->errors[i]);
	for (i = 0; i < MH_NHISTOGRAMS; i++)
	{
		for (j = 0; j < METRIC_NBUCKETS; j++)
			snap->buckets[i][j] = pg_atomic_read_u64(&M->hist[i].buckets[j]);
		snap->count[i] = pg_atomic_read_u64(&M->hist[i].count);
		snap->sum_ms[i] = pg_atomic_read_u64(&M->hist[i].sum_us) / 1000.0;
	}
	SpinLockAcquire(&M->mutex);
	snap->pages_last_minute = RingSum(M->page_slot_epoch, M->page_slot_count, PAGE_SLOTS, 1);
	snap->jobs_finished_last_5min = RingSum(M->job_slot_epoch, M->job_slot_count,
											JOB_SLOTS, JOB_SLOT_SECONDS);
	snap->njob_types = M->njob_types;
	memcpy(snap->job_types, M->job_types, sizeof(M->job_types));
	memcpy(snap->jobs, M->jobs, sizeof(M->jobs));
	snap->restored = M->restored;
	SpinLockRelease(&M->mutex);
}

/*
 * The q-quantile (0..1) of a histogram, by linear interpolation inside the
 * bucket that holds it; NULL-like (-1) when empty.  In the +Inf bucket the
 * answer is the last finite bound.
 */
double
MetricsQuantile(const uint64 *buckets, uint64 count, double q)
{
	double		rank = q * (double) count;
	uint64		seen = 0;
	int			i;

	if (count == 0)
		return -1;
	for (i = 0; i < METRIC_NBUCKETS; i++)
	{
		if (buckets[i] > 0 && (double) (seen + buckets[i]) >= rank)
		{
			double		lo = i == 0 ? 0 : MetricBucketBoundsMs[i - 1];
			double		hi;

			if (i == METRIC_NBUCKETS - 1)
				return MetricBucketBoundsMs[METRIC_NBUCKETS - 2];
			hi = MetricBucketBoundsMs[i];
			return lo + (hi - lo) * ((rank - (double) seen) / (double) buckets[i]);
		}
		seen += buckets[i];
	}
	return MetricBucketBoundsMs[METRIC_NBUCKETS - 2];
}

/*
 * A number that changes whenever a saved counter does (their sum): the
 * launcher's monitor rests while it stays what it was at the last save.
 */
uint64
MetricsFingerprint(void)
{
	uint64		sum = 0;
	int			i;

	if (M == NULL)
		return 0;
	for (i = 0; i < MC_NCOUNTERS; i++)
		sum += pg_atomic_read_u64(&M->counters[i]);
	for (i = 0; i < 600; i++)
		sum += pg_atomic_read_u64(&M->responses[i]);
	for (i = 0; i < MH_NHISTOGRAMS; i++)
		sum += pg_atomic_read_u64(&M->hist[i].count);
	return sum;
}

/* ---- snapshots (the workers) ---- */

#define SNAPSHOT_MAGIC 0x534a4d31	/* "SJM1" */
#define SNAPSHOT_EVERY_MS 100

typedef struct CounterSnapshot
{
	uint32		magic;
	uint32		nvalues;
	Oid			ext;			/* the extension the counters count for */
	pg_crc32c	crc;			/* of ext and the values */
	uint64		values[SNAPSHOT_VALUES];
} CounterSnapshot;

static pg_crc32c
SnapshotCrc(const CounterSnapshot *snap)
{
	pg_crc32c	crc;

	INIT_CRC32C(crc);
	COMP_CRC32C(crc, &snap->ext, sizeof(snap->ext));
	COMP_CRC32C(crc, snap->values, sizeof(snap->values));
	FIN_CRC32C(crc);
	return crc;
}

/*
 * For a worker, often (each loop): write the counters to its snapshot,
 * pg_scrape_jobs/counters.<slot>, if they moved and the last write is
 * SNAPSHOT_EVERY_MS old.  A write that fails is said once in the log, and
 * no more are tried: the monitor's passes still save the counters.
 */
void
MetricsSaveSnapshot(int slot)
{
	static int	fd = -1;
	static bool failed = false;
	static TimestampTz last_at = 0;
	static uint64 last_fingerprint = 0;
	static CounterSnapshot snap;
	char		path[MAXPGPATH];
	TimestampTz now;
	uint64		fingerprint;
	int			i;

	if (M == NULL || !M->restored || failed)
		return;
	now = GetCurrentTimestamp();
	if (!TimestampDifferenceExceeds(last_at, now, SNAPSHOT_EVERY_MS))
		return;
	fingerprint = MetricsFingerprint();
	if (fingerprint == last_fingerprint)
		return;
	last_at = now;
	last_fingerprint = fingerprint;

	snprintf(path, sizeof(path), "%s/counters.%d", SCRAPE_STATE_DIR, slot);
	if (fd < 0 && ScrapeStateDirReady())
		fd = BasicOpenFile(path, O_WRONLY | O_CREAT | PG_BINARY);
	snap.magic = SNAPSHOT_MAGIC;
	snap.nvalues = SNAPSHOT_VALUES;
	snap.ext = M->counted_ext;
	for (i = 0; i < (int) SNAPSHOT_VALUES; i++)
		snap.values[i] = pg_atomic_read_u64(SnapshotValue(i));
	snap.crc = SnapshotCrc(&snap);
	if (fd < 0 || pg_pwrite(fd, &snap, sizeof(snap), 0) != sizeof(snap))
	{
		if (errno == 0)
			errno = ENOSPC;
		ereport(LOG,
				(errcode_for_file_access(),
				 errmsg("scrape_jobs worker could not write the counters' snapshot \"%s\": %m",
						path),
				 errdetail("A crash will lose the counts since the last monitor pass.")));
		failed = true;
	}
}

/* Raise each counter to what a valid snapshot of extension ext says. */
static void
RestoreCounterSnapshot(const char *path, Oid ext)
{
	CounterSnapshot snap;
	int			fd = OpenTransientFile(path, O_RDONLY | PG_BINARY);
	int			i;
	bool		valid;

	if (fd < 0)
		return;
	valid = read(fd, &snap, sizeof(snap)) == sizeof(snap) &&
		snap.magic == SNAPSHOT_MAGIC && snap.nvalues == SNAPSHOT_VALUES &&
		snap.ext == ext && EQ_CRC32C(snap.crc, SnapshotCrc(&snap));
	CloseTransientFile(fd);
	if (!valid)
		return;
	for (i = 0; i < (int) SNAPSHOT_VALUES; i++)
	{
		uint64		have = pg_atomic_read_u64(SnapshotValue(i));

		if (snap.values[i] > have)
			pg_atomic_fetch_add_u64(SnapshotValue(i), snap.values[i] - have);
	}
}

static void
RestoreCounterSnapshots(Oid ext)
{
	DIR		   *dir = AllocateDir(SCRAPE_STATE_DIR);
	struct dirent *de;

	if (dir == NULL && errno == ENOENT)
		return;
	while ((de = ReadDirExtended(dir, SCRAPE_STATE_DIR, LOG)) != NULL)
	{
		char		path[MAXPGPATH];

		if (strncmp(de->d_name, "counters.", strlen("counters.")) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", SCRAPE_STATE_DIR, de->d_name);
		RestoreCounterSnapshot(path, ext);
	}
	FreeDir(dir);
}

/* ---- persistence (the launcher) ---- */

/* "le:<bound>" of bucket i, as metric_counters stores it. */
static const char *
BucketLabel(int i)
{
	static char label[32];

	if (i == METRIC_NBUCKETS - 1)
		return "le:+Inf";
	snprintf(label, sizeof(label), "le:%g", MetricBucketBoundsMs[i]);
	return label;
}

static void
RestoreRow(const char *name, const char *label, int64 value)
{
	int			i;
	int			j;

	for (i = 0; i < MC_NCOUNTERS; i++)
		if (strcmp(name, MetricCounterNames[i]) == 0)
			pg_atomic_fetch_add_u64(&M->counters[i], (uint64) value);
	if (strcmp(name, "responses") == 0)
	{
		int			code = strcmp(label, "none") == 0 ? 0 : atoi(label);

		if (code >= 0 && code < 600)
			pg_atomic_fetch_add_u64(&M->responses[code], (uint64) value);
	}
	else if (strcmp(name, "errors") == 0)
		pg_atomic_fetch_add_u64(&M->errors[MetricErrorClassIndex(label)], (uint64) value);
	for (i = 0; i < MH_NHISTOGRAMS; i++)
	{
		if (strcmp(name, MetricHistogramNames[i]) != 0)
			continue;
		if (strcmp(label, "count") == 0)
			pg_atomic_fetch_add_u64(&M->hist[i].count, (uint64) value);
		else if (strcmp(label, "sum_us") == 0)
			pg_atomic_fetch_add_u64(&M->hist[i].sum_us, (uint64) value);
		else
			for (j = 0; j < METRIC_NBUCKETS; j++)
				if (strcmp(label, BucketLabel(j)) == 0)
					pg_atomic_fetch_add_u64(&M->hist[i].buckets[j], (uint64) value);
	}
}

/*
 * Recount the job gauges from background_jobs.  The table is locked in SHARE
 * mode for the count: a transaction that changes a job applies its
 * transitions to the gauges at COMMIT, before it releases its locks, so
 * every change is either in the count or applied after it, never both or
 * neither (a pg_restore loading the table while the launcher attaches, say).
 * The statements take fresh snapshots (read_only false), after the lock.
 */
static void
RecountJobs(const char *schema)
{
	uint64		i;

	if (SPI_execute(psprintf("LOCK TABLE %s.background_jobs IN SHARE MODE", schema),
					false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "could not lock background_jobs");
	if (SPI_execute(psprintf("SELECT job_type, status, count(*) FROM %s.background_jobs"
							 " GROUP BY 1, 2", schema), false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not count the jobs");
	SpinLockAcquire(&M->mutex);
	M->njob_types = 0;
	memset(M->jobs, 0, sizeof(M->jobs));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		bool		isnull;
		char	   *type = SPI_getvalue(tuple, SPI_tuptable->tupdesc, 1);
		int			status = StatusIndex(SPI_getvalue(tuple, SPI_tuptable->tupdesc, 2));
		int64		n = DatumGetInt64(SPI_getbinval(tuple, SPI_tuptable->tupdesc, 3, &isnull));
		int			slot = JobTypeSlot(type);

		if (slot >= 0 && status >= 0)
			M->jobs[slot][status] = n;
	}
	SpinLockRelease(&M->mutex);
}

/*
 * The counters and histograms back to zero: the extension they counted for
 * was dropped (a new one starts from its own metric_counters).  Workers
 * adding meanwhile may keep an increment or lose it; nothing else moves.
 */
static void
ResetCounters(void)
{
	int			i;
	int			j;

	for (i = 0; i < MC_NCOUNTERS; i++)
		pg_atomic_write_u64(&M->counters[i], 0);
	for (i = 0; i < 600; i++)
		pg_atomic_write_u64(&M->responses[i], 0);
	for (i = 0; i < METRIC_NCLASSES; i++)
		pg_atomic_write_u64(&M->errors[i], 0);
	for (i = 0; i < MH_NHISTOGRAMS; i++)
	{
		for (j = 0; j < METRIC_NBUCKETS; j++)
			pg_atomic_write_u64(&M->hist[i].buckets[j], 0);
		pg_atomic_write_u64(&M->hist[i].count, 0);
		pg_atomic_write_u64(&M->hist[i].sum_us, 0);
	}
	SpinLockAcquire(&M->mutex);
	memset(M->page_slot_epoch, 0, sizeof(M->page_slot_epoch));
	memset(M->page_slot_count, 0, sizeof(M->page_slot_count));
	memset(M->job_slot_epoch, 0, sizeof(M->job_slot_epoch));
	memset(M->job_slot_count, 0, sizeof(M->job_slot_count));
	SpinLockRelease(&M->mutex);
}

/*
 * Whenever the extension is not the one last counted (start-up, or a DROP
 * and CREATE EXTENSION since, a restore among them): start the counters
 * from what its metric_counters saved (after a drop, from zero: they
 * belonged to the dropped one), and recount the job gauges.  Runs in the
 * launcher, inside its transaction.
 */
/* Whether MetricsRestore() has work for extension ext. */
bool
MetricsNeedRestore(Oid ext)
{
	return M != NULL && OidIsValid(ext) && !(M->restored && M->counted_ext == ext);
}

void
MetricsRestore(void)
{
	Oid			ext = get_extension_oid("scrape_jobs", true);
	char	   *schema;
	uint64		i;

	if (!MetricsNeedRestore(ext))
		return;
	schema = QueueExtensionSchema(ext);
	if (M->restored)
		ResetCounters();
	if (SPI_execute(psprintf("SELECT name, label, value FROM %s.metric_counters", schema),
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read metric_counters");
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		bool		isnull;

		RestoreRow(SPI_getvalue(tuple, SPI_tuptable->tupdesc, 1),
				   SPI_getvalue(tuple, SPI_tuptable->tupdesc, 2),
				   DatumGetInt64(SPI_getbinval(tuple, SPI_tuptable->tupdesc, 3, &isnull)));
	}
	RestoreCounterSnapshots(ext);
	RecountJobs(schema);
	M->restored = true;
	M->counted_ext = ext;
}

/* Write the counters back (each monitor pass), inside the caller's transaction. */
void
MetricsFlush(void)
{
	Oid			ext = get_extension_oid("scrape_jobs", true);
	char	   *schema;

	if (M == NULL || !M->restored || !OidIsValid(ext))
		return;
	schema = QueueExtensionSchema(ext);
	if (SPI_execute(psprintf("INSERT INTO %s.metric_counters AS m (name, label, value)"
							 " SELECT name, label, value FROM %s.scrape_counters()"
							 " ON CONFLICT (name, label) DO UPDATE"
							 "   SET value = excluded.value, updated_at = now()"
							 " WHERE m.value IS DISTINCT FROM excluded.value",
							 schema, schema), false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not write metric_counters");
}

/* ---- SQL ---- */

PG_FUNCTION_INFO_V1(scrape_count);
PG_FUNCTION_INFO_V1(scrape_job_transition);
PG_FUNCTION_INFO_V1(scrape_counters);
PG_FUNCTION_INFO_V1(scrape_job_counts);
PG_FUNCTION_INFO_V1(scrape_quantile);
PG_FUNCTION_INFO_V1(scrape_quantiles);
PG_FUNCTION_INFO_V1(scrape_rates);

/* _scrape_count(name, n): add n to a counter when the transaction commits. */
Datum
scrape_count(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	int64		n = PG_GETARG_INT64(1);
	int			i;

	for (i = 0; i < MC_NCOUNTERS; i++)
		if (strcmp(name, MetricCounterNames[i]) == 0)
		{
			PendingReport *r;

			/* the same counter again in the same subtransaction: add up */
			if (npending > 0 && pending[npending - 1].counter == i &&
				pending[npending - 1].subid == GetCurrentSubTransactionId())
				r = &pending[npending - 1];
			else
				r = NewReport(i);
			r->n += n;
			PG_RETURN_VOID();
		}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown counter \"%s\"", name)));
	PG_RETURN_VOID();
}

/*
 * _scrape_job_transition(job_type, old_status, new_status, duration_ms):
 * a job's status changed (old NULL: created; new NULL: deleted).
 */
Datum
scrape_job_transition(PG_FUNCTION_ARGS)
{
	PendingReport *t;

	if (PG_ARGISNULL(0))
		PG_RETURN_VOID();
	t = NewReport(-1);
	text_to_cstring_buffer(PG_GETARG_TEXT_PP(0), t->job_type, sizeof(t->job_type));
	t->from = PG_ARGISNULL(1) ? -1 : StatusIndex(text_to_cstring(PG_GETARG_TEXT_PP(1)));
	t->to = PG_ARGISNULL(2) ? -1 : StatusIndex(text_to_cstring(PG_GETARG_TEXT_PP(2)));
	t->duration_ms = PG_ARGISNULL(3) ? -1 : PG_GETARG_FLOAT8(3);
	PG_RETURN_VOID();
}

static void
PutRow(ReturnSetInfo *rsinfo, const char *name, const char *label, uint64 value)
{
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	values[0] = CStringGetTextDatum(name);
	values[1] = CStringGetTextDatum(label);
	values[2] = Int64GetDatum((int64) value);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/* scrape_counters(): every counter and histogram bucket, as rows. */
Datum
scrape_counters(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MetricsSnapshot *s = palloc(sizeof(MetricsSnapshot));
	char		code[8];
	int			i;
	int			j;

	InitMaterializedSRF(fcinfo, 0);
	MetricsTakeSnapshot(s);
	for (i = 0; i < MC_NCOUNTERS; i++)
		PutRow(rsinfo, MetricCounterNames[i], "", s->counters[i]);
	for (i = 0; i < 600; i++)
	{
		if (s->responses[i] == 0)
			continue;
		snprintf(code, sizeof(code), "%d", i);
		PutRow(rsinfo, "responses", i == 0 ? "none" : code, s->responses[i]);
	}
	for (i = 0; i < METRIC_NCLASSES; i++)
		if (s->errors[i] > 0)
			PutRow(rsinfo, "errors", MetricErrorClasses[i], s->errors[i]);
	for (i = 0; i < MH_NHISTOGRAMS; i++)
	{
		for (j = 0; j < METRIC_NBUCKETS; j++)
			PutRow(rsinfo, MetricHistogramNames[i], BucketLabel(j), s->buckets[i][j]);
		PutRow(rsinfo, MetricHistogramNames[i], "count", s->count[i]);
		PutRow(rsinfo, MetricHistogramNames[i], "sum_us", (uint64) (s->sum_ms[i] * 1000.0));
	}
	return (Datum) 0;
}

/* scrape_job_counts(): jobs by type and status (gauges). */
Datum
scrape_job_counts(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MetricsSnapshot *s = palloc(sizeof(MetricsSnapshot));
	int			i;
	int			j;

	InitMaterializedSRF(fcinfo, 0);
	MetricsTakeSnapshot(s);
	for (i = 0; i < s->njob_types; i++)
		for (j = 0; j < METRIC_NSTATUSES; j++)
		{
			Datum		values[3];
			bool		nulls[3] = {false, false, false};

			values[0] = CStringGetTextDatum(s->job_types[i]);
			values[1] = CStringGetTextDatum(MetricJobStatuses[j]);
			values[2] = Int64GetDatum(Max(s->jobs[i][j], 0));
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	return (Datum) 0;
}

static void
CheckQuantile(double q)
{
	if (q < 0 || q > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("quantile must be between 0 and 1")));
}

/* _scrape_quantile(histogram, q): milliseconds, NULL when empty. */
Datum
scrape_quantile(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	double		q = PG_GETARG_FLOAT8(1);
	MetricsSnapshot *s = palloc(sizeof(MetricsSnapshot));
	int			i;

	CheckQuantile(q);
	MetricsTakeSnapshot(s);
	for (i = 0; i < MH_NHISTOGRAMS; i++)
		if (strcmp(name, MetricHistogramNames[i]) == 0)
		{
			double		v = MetricsQuantile(s->buckets[i], s->count[i], q);

			if (v < 0)
				PG_RETURN_NULL();
			PG_RETURN_FLOAT8(v);
		}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown histogram \"%s\"", name)));
	PG_RETURN_NULL();
}

/*
 * _scrape_quantiles(qs float8[]): each histogram's quantiles qs, in
 * milliseconds (NULL elements when it is empty), from one snapshot:
 * scrape_metrics() reads nine quantiles, which took nine snapshots.
 */
Datum
scrape_quantiles(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ArrayType  *qs = PG_GETARG_ARRAYTYPE_P(0);
	MetricsSnapshot *s = palloc(sizeof(MetricsSnapshot));
	Datum	   *qv;
	bool	   *qnulls;
	int			nq;
	int			i;
	int			k;

	deconstruct_array(qs, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL,
					  TYPALIGN_DOUBLE, &qv, &qnulls, &nq);
	for (k = 0; k < nq; k++)
		if (!qnulls[k])
			CheckQuantile(DatumGetFloat8(qv[k]));
	InitMaterializedSRF(fcinfo, 0);
	MetricsTakeSnapshot(s);
	for (i = 0; i < MH_NHISTOGRAMS; i++)
	{
		Datum	   *out = palloc(sizeof(Datum) * Max(nq, 1));
		bool	   *out_nulls = palloc(sizeof(bool) * Max(nq, 1));
		int			dims[1] = {nq};
		int			lbs[1] = {1};
		Datum		values[2];
		bool		nulls[2] = {false, false};

		for (k = 0; k < nq; k++)
		{
			double		v = qnulls[k] ? -1 :
				MetricsQuantile(s->buckets[i], s->count[i], DatumGetFloat8(qv[k]));

			out_nulls[k] = v < 0;
			out[k] = Float8GetDatum(v < 0 ? 0 : v);
		}
		values[0] = CStringGetTextDatum(MetricHistogramNames[i]);
		values[1] = PointerGetDatum(construct_md_array(out, out_nulls, 1, dims, lbs,
													   FLOAT8OID, sizeof(float8),
													   FLOAT8PASSBYVAL,
													   TYPALIGN_DOUBLE));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* _scrape_rates(OUT pages_last_minute, OUT jobs_finished_last_5min, OUT restored) */
Datum
scrape_rates(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	MetricsSnapshot *s = palloc(sizeof(MetricsSnapshot));
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	MetricsTakeSnapshot(s);
	values[0] = Int64GetDatum((int64) s->pages_last_minute);
	values[1] = Int64GetDatum((int64) s->jobs_finished_last_5min);
	values[2] = BoolGetDatum(s->restored);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc),
													  values, nulls)));
}
