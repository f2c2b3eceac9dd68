/*-------------------------------------------------------------------------
 * metrics.h
 *	  Running counters and histograms in shared memory, persisted by the
 *	  launcher, so that metrics never scan the job tables' history.
 *-------------------------------------------------------------------------
 */
#ifndef SCRAPE_METRICS_H
#define SCRAPE_METRICS_H

#include "utils/timestamp.h"

/* Upper bounds (ms) of the histogram buckets; the last bucket is +Inf. */
#define METRIC_NBUCKETS 17
extern const double MetricBucketBoundsMs[METRIC_NBUCKETS - 1];

/* Error classes of failed transfers (README, "Error classes and retries"). */
#define METRIC_NCLASSES 15
extern const char *const MetricErrorClasses[METRIC_NCLASSES];

/* Monotonic counters. */
typedef enum MetricCounter
{
	MC_PAGES_FETCHED = 0,		/* finished transfers, successful or not */
	MC_BYTES_FETCHED,			/* body bytes, after decompression */
	MC_RETRIES,					/* page attempts scheduled again */
	MC_ROBOTS_SKIPS,			/* pages robots.txt disallowed */
	MC_DEFERRALS,				/* pages sent back by an open circuit */
	MC_PAGES_EXTRACTED,			/* pages through the extracting stage */
	MC_PRODUCTS_WRITTEN,		/* product rows inserted or updated */
	MC_ALERTS,					/* alerts recorded */
	MC_NCOUNTERS
} MetricCounter;

extern const char *const MetricCounterNames[MC_NCOUNTERS];

/* Histograms. */
typedef enum MetricHistogramId
{
	MH_FETCH_MS = 0,			/* one transfer, request to last byte */
	MH_PAGE_MS,					/* a page, claimed to result written */
	MH_JOB_MS,					/* a job, started to finished */
	MH_NHISTOGRAMS
} MetricHistogramId;

extern const char *const MetricHistogramNames[MH_NHISTOGRAMS];

/* Statuses of background_jobs, the gauges kept per job type. */
#define METRIC_NSTATUSES 6
extern const char *const MetricJobStatuses[METRIC_NSTATUSES];
#define METRIC_MAX_JOB_TYPES 16
#define METRIC_JOB_TYPE_LEN 64

extern Size MetricsShmemSize(void);
extern void MetricsShmemInit(void);

/* From the workers, outside any transaction: applied at once. */
extern void MetricsCountTransfer(int http_status, const char *error_class,
								 int64 bytes, double fetch_ms);
extern void MetricsObservePage(double page_ms);

/* From SQL, inside a transaction: applied when it commits. */
extern void MetricsAtCommit(bool commit);
extern void MetricsAtSubXactEnd(bool commit, SubTransactionId subid,
								SubTransactionId parent);

/* A snapshot, for SQL. */
typedef struct MetricsSnapshot
{
	uint64		counters[MC_NCOUNTERS];
	uint64		responses[600];	/* [0]: no response */
	uint64		errors[METRIC_NCLASSES];
	uint64		buckets[MH_NHISTOGRAMS][METRIC_NBUCKETS];
	uint64		count[MH_NHISTOGRAMS];
	double		sum_ms[MH_NHISTOGRAMS];
	uint64		pages_last_minute;
	uint64		jobs_finished_last_5min;
	int			njob_types;
	char		job_types[METRIC_MAX_JOB_TYPES][METRIC_JOB_TYPE_LEN];
	int64		jobs[METRIC_MAX_JOB_TYPES][METRIC_NSTATUSES];
	bool		restored;
} MetricsSnapshot;

extern void MetricsTakeSnapshot(MetricsSnapshot *snap);
extern double MetricsQuantile(const uint64 *buckets, uint64 count, double q);
extern int	MetricErrorClassIndex(const char *error_class);
extern int	MetricBucketIndex(double ms);

/* The launcher: restore from metric_counters once, flush to it each pass. */
extern bool MetricsNeedRestore(Oid ext);
extern void MetricsRestore(void);
extern void MetricsFlush(void);
extern uint64 MetricsFingerprint(void);
extern void MetricsSaveSnapshot(int slot);

#endif							/* SCRAPE_METRICS_H */
