/*-------------------------------------------------------------------------
 * breaker.h
 *	  Per-host circuit breakers and rate limits, shared by all workers.
 *-------------------------------------------------------------------------
 */
#ifndef SCRAPE_BREAKER_H
#define SCRAPE_BREAKER_H

#include "utils/timestamp.h"

#include "metrics.h"

/* Longest host name kept (DNS names are at most 253 bytes). */
#define SCRAPE_HOST_LEN 272		/* "https://" + a 253-byte name + ":65535" */

typedef enum BreakerState
{
	BREAKER_CLOSED = 0,
	BREAKER_OPEN,
	BREAKER_HALF_OPEN
} BreakerState;

typedef struct HostEntry
{
	char		host[SCRAPE_HOST_LEN];	/* hash key */
	BreakerState state;
	int			consecutive_failures;
	int			active;			/* transfers in flight, all workers */
	uint16		active_by_slot[64]; /* per worker, to undo a dead worker's */
	bool		probe_in_flight;
	uint64		waiters;		/* worker slots waiting for a connection */
	uint64		contenders;		/* slots that waited since contenders_since */
	TimestampTz contenders_since;
	TimestampTz opened_at;
	TimestampTz next_probe_at;
	TimestampTz next_start_at;	/* per_host_delay: earliest next start */
	TimestampTz last_start_at;	/* a page's own delay counts from here */
	TimestampTz last_used;
	uint64		requests;
	uint64		failures;
	/* statistics (scrape_host_stats) */
	int			delay_ms;		/* the gap between requests last asked for */
	uint64		errors[METRIC_NCLASSES];	/* failed transfers by class */
	uint64		latency[METRIC_NBUCKETS];	/* fetch times, ms buckets */
	uint64		latency_count;
	double		latency_sum_ms;
} HostEntry;

typedef enum HostDecision
{
	HOST_ADMIT,					/* start the transfer now */
	HOST_WAIT,					/* keep it, try again at *until (0: when woken) */
	HOST_DEFER					/* circuit open: requeue the page until *until */
} HostDecision;

extern Size LimitsShmemSize(void);
extern void LimitsShmemInit(void);
extern HostDecision HostAdmit(const char *host, int max_connections,
							  int delay_ms, int worker_slot,
							  TimestampTz *until, bool *is_probe);
extern bool HostRelease(const char *host, int worker_slot, bool was_probe,
						bool outcome_known, bool retryable_failure,
						const char *error_class, double fetch_ms,
						int *failures);
extern void HostForgetWorker(int worker_slot);
extern int	HostSnapshot(HostEntry **entries);

#endif							/* SCRAPE_BREAKER_H */
