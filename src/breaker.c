/*-------------------------------------------------------------------------
 * breaker.c
 *	  Per-host circuit breakers and rate limits, shared by all workers.
 *
 * One shared hash table, keyed by origin (scheme://host:port: two sites on
 * two ports of an address are two servers, and one must not open the
 * other's circuit), sized by scrape_jobs.max_hosts and protected by one
 * LWLock (every operation is a lookup and a few assignments).  A worker
 * asks HostAdmit() before it starts a transfer and calls HostRelease() when
 * the transfer ends:
 *
 *	 - at most max_connections transfers to a host at once, across workers;
 *	   a worker that must wait registers in the entry's waiters mask and is
 *	   woken (latch) by the release that frees a connection, and while one
 *	   waits the others take no more than their share (OverShare);
 *	 - a start at least delay_ms (the page's own: its session's option, its
 *	   robots.txt's Crawl-delay) after the host's last start, and every
 *	   start at least scrape_jobs.per_host_delay after the last: a page's
 *	   longer delay keeps its own start back, never the others' (0.1.7
 *	   made every page of the host wait the delay of the last one started,
 *	   so one tenant's "1 hour" held all the others' pages for an hour);
 *	 - the circuit breaker: closed -> open after breaker_failure_threshold
 *	   consecutive retryable failures; while open (breaker_cooldown) the
 *	   host's pages are deferred; then half-open lets one probe through: its
 *	   success closes the circuit, its failure opens it again.
 *
 * When the table is full, the least recently used host that is idle and
 * closed is forgotten; if there is none, the new host is deferred for
 * TABLE_FULL_DEFER_MS (the table never grows past its shared memory).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "port/pg_bitutils.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/hsearch.h"

#include "guc.h"
#include "breaker.h"
#include "shmem.h"

#define TABLE_FULL_DEFER_MS 1000
#define HALF_OPEN_DEFER_MS 1000
/* a worker waiting for a connection looks again at least this often */
#define CONNECTION_WAIT_RECHECK_MS 1000
/* how long a worker that had to wait for a connection counts as wanting one */
#define CONTENDER_WINDOW_MS 1000

static HTAB *HostTable = NULL;
static bool table_full_logged = false;

Size
LimitsShmemSize(void)
{
	return hash_estimate_size(scrape_max_hosts, sizeof(HostEntry));
}

/* Attach to (or create) the host table; called from shmem_startup_hook. */
void
LimitsShmemInit(void)
{
	HASHCTL		info;

	memset(&info, 0, sizeof(info));
	info.keysize = SCRAPE_HOST_LEN;
	info.entrysize = sizeof(HostEntry);
	HostTable = ShmemInitHash("scrape_jobs hosts", scrape_max_hosts,
							  scrape_max_hosts, &info,
							  HASH_ELEM | HASH_STRINGS);
}

/* Forget the least recently used idle, closed host.  Lock held. */
static bool
EvictOneHost(void)
{
	HASH_SEQ_STATUS seq;
	HostEntry  *e;
	HostEntry  *victim = NULL;

	hash_seq_init(&seq, HostTable);
	while ((e = hash_seq_search(&seq)) != NULL)
	{
		if (e->active == 0 && e->state == BREAKER_CLOSED && e->waiters == 0 &&
			(victim == NULL || e->last_used < victim->last_used))
			victim = e;
	}
	if (victim == NULL)
		return false;
	hash_search(HostTable, victim->host, HASH_REMOVE, NULL);
	return true;
}

/* Find or create the entry of host.  Lock held exclusively. */
static HostEntry *
GetHost(const char *host)
{
	char		key[SCRAPE_HOST_LEN];
	HostEntry  *e;
	bool		found;

	memset(key, 0, sizeof(key));
	strlcpy(key, host, sizeof(key));
	e = hash_search(HostTable, key, HASH_ENTER_NULL, &found);
	if (e == NULL && EvictOneHost())
		e = hash_search(HostTable, key, HASH_ENTER_NULL, &found);
	if (e == NULL)
		return NULL;
	if (!found)
	{
		memset(((char *) e) + SCRAPE_HOST_LEN, 0,
			   sizeof(HostEntry) - SCRAPE_HOST_LEN);
		e->state = BREAKER_CLOSED;
	}
	return e;
}

/* Note that worker_slot had to wait for a connection of the host. */
static void
NoteContender(HostEntry *e, int worker_slot, TimestampTz now)
{
	if (now >= TimestampTzPlusMilliseconds(e->contenders_since, CONTENDER_WINDOW_MS))
	{
		e->contenders = 0;
		e->contenders_since = now;
	}
	e->contenders |= UINT64CONST(1) << worker_slot;
}

/*
 * Whether worker_slot holds its share of the host's connections while
 * another worker waits for one: then the connection a release frees goes
 * to the one that waits.  Without this, the worker whose transfer ended
 * took the connection back at once (it dispatches before the worker it
 * woke runs), and a second worker's backlog of the same host waited until
 * the first ran out of pages (seconds, with 2,000 sessions on one host).
 */
static bool
OverShare(const HostEntry *e, int worker_slot, int max_connections,
		  TimestampTz now)
{
	uint64		me = UINT64CONST(1) << worker_slot;
	int			n;

	if ((e->contenders & ~me) == 0 ||
		now >= TimestampTzPlusMilliseconds(e->contenders_since, CONTENDER_WINDOW_MS))
		return false;
	n = pg_popcount64(e->contenders | me);
	return e->active_by_slot[worker_slot] >= (max_connections + n - 1) / n;
}

/*
 * May a transfer to host start now?  HOST_ADMIT counts it as active (the
 * caller must HostRelease it); HOST_WAIT says when to ask again (*until, or
 * 0 when a release will wake us); HOST_DEFER says how long the page must
 * go back to the queue.  *is_probe tells that this transfer is the
 * half-open circuit's probe.
 */
HostDecision
HostAdmit(const char *host, int max_connections, int delay_ms,
		  int worker_slot, TimestampTz *until, bool *is_probe)
{
	TimestampTz now = GetCurrentTimestamp();
	HostEntry  *e;
	HostDecision decision = HOST_ADMIT;

	Assert(worker_slot >= 0 && worker_slot < 64);
	*until = 0;
	*is_probe = false;
	LWLockAcquire(ScrapeState->hosts_lock, LW_EXCLUSIVE);
	e = GetHost(host);
	if (e == NULL)
	{
		LWLockRelease(ScrapeState->hosts_lock);
		if (!table_full_logged)
			ereport(LOG,
					(errmsg("scrape_jobs host table is full"),
					 errhint("Pages of new hosts are deferred; raise \"scrape_jobs.max_hosts\".")));
		table_full_logged = true;
		*until = TimestampTzPlusMilliseconds(now, TABLE_FULL_DEFER_MS);
		return HOST_DEFER;
	}
	e->last_used = now;
	e->delay_ms = delay_ms;

	if (e->state == BREAKER_OPEN && now >= e->next_probe_at)
	{
		e->state = BREAKER_HALF_OPEN;
		e->probe_in_flight = false;
	}

	if (e->state == BREAKER_OPEN)
	{
		*until = e->next_probe_at;
		decision = HOST_DEFER;
	}
	else if (e->state == BREAKER_HALF_OPEN && e->probe_in_flight)
	{
		*until = TimestampTzPlusMilliseconds(now, HALF_OPEN_DEFER_MS);
		decision = HOST_DEFER;
	}
	else if (e->active >= max_connections ||
			 OverShare(e, worker_slot, max_connections, now))
	{
		NoteContender(e, worker_slot, now);
		e->waiters |= UINT64CONST(1) << worker_slot;
		*until = TimestampTzPlusMilliseconds(now, CONNECTION_WAIT_RECHECK_MS);
		decision = HOST_WAIT;
	}
	else if (now < Max(e->next_start_at,
					   TimestampTzPlusMilliseconds(e->last_start_at, delay_ms)))
	{
		*until = Max(e->next_start_at,
					 TimestampTzPlusMilliseconds(e->last_start_at, delay_ms));
		decision = HOST_WAIT;
	}
	else
	{
		e->active++;
		e->active_by_slot[worker_slot]++;
		e->requests++;
		e->last_start_at = now;
		e->next_start_at = TimestampTzPlusMilliseconds(now, scrape_per_host_delay_ms);
		if (e->state == BREAKER_HALF_OPEN)
		{
			e->probe_in_flight = true;
			*is_probe = true;
		}
	}
	LWLockRelease(ScrapeState->hosts_lock);
	return decision;
}

/* Wake the workers waiting for a connection to this host.  Lock held. */
static void
WakeWaiters(HostEntry *e)
{
	int			i;

	for (i = 0; i < 64 && e->waiters != 0; i++)
	{
		if ((e->waiters & (UINT64CONST(1) << i)) == 0)
			continue;
		e->waiters &= ~(UINT64CONST(1) << i);
		if (i < ScrapeState->nslots && ScrapeState->slots[i].latch != NULL)
			SetLatch(ScrapeState->slots[i].latch);
	}
}

/* Feed the breaker one outcome; true if it opened a closed circuit. */
static bool
RecordOutcome(HostEntry *e, bool was_probe, bool retryable_failure,
			  TimestampTz now)
{
	if (retryable_failure)
	{
		e->failures++;
		e->consecutive_failures++;
	}
	else
		e->consecutive_failures = 0;

	if (was_probe)
	{
		/* the half-open circuit's probe decides */
		e->probe_in_flight = false;
		e->state = retryable_failure ? BREAKER_OPEN : BREAKER_CLOSED;
	}
	else if (retryable_failure && e->state == BREAKER_CLOSED &&
			 e->consecutive_failures >= scrape_breaker_failure_threshold)
		e->state = BREAKER_OPEN;
	else
		return false;

	if (e->state != BREAKER_OPEN)
		return false;
	e->opened_at = now;
	e->next_probe_at = TimestampTzPlusMilliseconds(now, scrape_breaker_cooldown_ms);
	/* only a closed circuit opening is news: a failed probe reopens quietly */
	return !was_probe;
}

/*
 * A transfer admitted by HostAdmit() ended.  Feeds the breaker (unless the
 * transfer was dropped before it had an outcome); returns true when this
 * failure opened a closed circuit (the caller records the alert), with the
 * count of consecutive failures in *failures.
 */
bool
HostRelease(const char *host, int worker_slot, bool was_probe,
			bool outcome_known, bool retryable_failure,
			const char *error_class, double fetch_ms, int *failures)
{
	TimestampTz now = GetCurrentTimestamp();
	HostEntry  *e;
	bool		opened = false;

	LWLockAcquire(ScrapeState->hosts_lock, LW_EXCLUSIVE);
	e = hash_search(HostTable, host, HASH_FIND, NULL);
	if (e == NULL)
	{
		LWLockRelease(ScrapeState->hosts_lock);
		return false;
	}
	if (e->active_by_slot[worker_slot] > 0)
	{
		e->active_by_slot[worker_slot]--;
		e->active--;
	}
	e->last_used = now;

	if (!outcome_known)
	{
		/* dropped (its job was cancelled): says nothing about the host */
		if (was_probe)
			e->probe_in_flight = false;
	}
	else
	{
		opened = RecordOutcome(e, was_probe, retryable_failure, now);
		if (error_class != NULL)
			e->errors[MetricErrorClassIndex(error_class)]++;
		e->latency[MetricBucketIndex(fetch_ms)]++;
		e->latency_count++;
		e->latency_sum_ms += fetch_ms;
	}
	*failures = e->consecutive_failures;
	WakeWaiters(e);
	LWLockRelease(ScrapeState->hosts_lock);
	return opened;
}

/*
 * A worker is exiting: give back the connections it held, so that a worker
 * that dies mid-transfer does not hold a host's slots for ever.  (A probe
 * it held is given up too; the next admission becomes the probe.)
 */
void
HostForgetWorker(int worker_slot)
{
	HASH_SEQ_STATUS seq;
	HostEntry  *e;

	LWLockAcquire(ScrapeState->hosts_lock, LW_EXCLUSIVE);
	hash_seq_init(&seq, HostTable);
	while ((e = hash_seq_search(&seq)) != NULL)
	{
		if (e->active_by_slot[worker_slot] == 0)
			continue;
		e->active -= e->active_by_slot[worker_slot];
		e->active_by_slot[worker_slot] = 0;
		if (e->state == BREAKER_HALF_OPEN)
			e->probe_in_flight = false;
		WakeWaiters(e);
	}
	LWLockRelease(ScrapeState->hosts_lock);
}

/* A palloc'd copy of every entry, for scrape_circuit_breakers(). */
int
HostSnapshot(HostEntry **entries)
{
	HASH_SEQ_STATUS seq;
	HostEntry  *e;
	int			n = 0;
	int			cap;

	LWLockAcquire(ScrapeState->hosts_lock, LW_SHARED);
	cap = Max(1, (int) hash_get_num_entries(HostTable));
	*entries = palloc(sizeof(HostEntry) * cap);
	hash_seq_init(&seq, HostTable);
	while ((e = hash_seq_search(&seq)) != NULL)
	{
		if (n < cap)
			(*entries)[n++] = *e;
	}
	LWLockRelease(ScrapeState->hosts_lock);
	return n;
}
