/*-------------------------------------------------------------------------
 * worker.c
 *	  A fetch worker: claims pages, fetches them, writes the results.
 *
 * The worker is a dynamic background worker started by the launcher, one per
 * slot of the shared worker table.  Its loop:
 *
 *	 1. a queue pass, short transactions doing what is due: write the
 *		results of finished transfers (in batches), record alerts, heartbeat
 *		the jobs it holds, and, in a transaction of its own after a result
 *		write, claim a batch of pages when its backlog runs low (it holds up
 *		to max_connections_per_worker transfers plus a backlog of one batch,
 *		so a finished transfer is replaced without a claim);
 *	 2. after COMMIT, drop the transfers whose job was cancelled or taken
 *		away, and dispatch the claimed pages: each host admits them (per-host
 *		connection limit and delay, circuit breaker: see breaker.c), defers
 *		them (open circuit: the page goes back to the queue, the attempt not
 *		counted) or makes them wait;
 *	 3. wait on the latch, curl's sockets and the next deadline (result
 *		flush, heartbeat, a host's delay, a retry coming due); let curl run;
 *		collect finished transfers.
 *
 * No transaction is open while pages download, so the slowest transfer never
 * holds a commit back, and the heartbeat deadline is part of every wait, so
 * jobs are kept alive while one slow body still streams.  An idle worker
 * waits on its latch alone: submits wake it at COMMIT and it issues no
 * query until then, but for a retry coming due and a safety sweep every
 * SAFETY_SWEEP_MS.
 *
 * A worker owns the pages it claimed through its token (claimed_by) and
 * the job lease they were claimed under; every write is checked against
 * both, so a worker that lost a job can change nothing of it.  If a worker
 * dies, the launcher returns its pages to the queue.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "breaker.h"
#include "fetcher.h"
#include "guc.h"
#include "journal.h"
#include "metrics.h"
#include "queue.h"
#include "shmem.h"
#include "stages.h"
#include "url.h"
#include "version.h"
#include "worker.h"

/* Longest a finished result waits for more before it is written. */
#define FLUSH_DELAY_MS 20
/* Result bytes that trigger a write whatever the count (bounds memory). */
#define MAX_UNWRITTEN_BYTES (64 * 1024 * 1024)
/*
 * After a claim that came back short with the backlog's full hosts left
 * out, a wake-up claims again at most this often: most wake-ups are then
 * other sessions' stage changes or pages of those same hosts, and each
 * such claim is a query over the whole queue that finds nothing (0.1.9
 * claimed at every one, and a worker of a 2,000-session queue on one host
 * spent its time in empty claims).
 */
#define FULL_HOSTS_RECLAIM_MS 200
/* An idle worker looks for work this often even if nobody woke it. */
#define SAFETY_SWEEP_MS (5 * 60 * 1000)
/* Circuit-opened alerts kept until the next queue pass writes them. */
#define MAX_PENDING_ALERTS 32

typedef struct HeldJob
{
	int64		job_id;
	int64		lease;
} HeldJob;

typedef struct PendingAlert
{
	char		host[SCRAPE_HOST_LEN];
	int			failures;
} PendingAlert;

static int	MySlotNo = -1;
static uint64 MyToken = 0;

static MemoryContext TransferContext = NULL;	/* parent of each transfer's */
static MemoryContext PassContext = NULL;	/* reset after each queue pass */

/* a transfer is in exactly one of these, by its worker_node */
static dlist_head ready = DLIST_STATIC_INIT(ready); /* claimed, not started */
static dlist_head inflight = DLIST_STATIC_INIT(inflight);	/* in libcurl */
static dlist_head unwritten = DLIST_STATIC_INIT(unwritten);	/* finished */
static dlist_head written = DLIST_STATIC_INIT(written);	/* this xact's */
static dlist_head pass_claimed = DLIST_STATIC_INIT(pass_claimed);
static dlist_head returning = DLIST_STATIC_INIT(returning); /* this pass's */
static int	n_ready = 0;
static int	n_inflight = 0;
static int	n_unwritten = 0;
static size_t unwritten_bytes = 0;

static PendingAlert pending_alerts[MAX_PENDING_ALERTS];
static int	n_pending_alerts = 0;

static TimestampTz first_unwritten_at = 0;
static TimestampTz last_heartbeat_at = 0;
static TimestampTz last_claim_at = 0;
static TimestampTz next_due_at = 0; /* a retry or deferral comes due */
static TimestampTz ready_recheck_at = 0;	/* a waiting page may start */
static TimestampTz pass_retry_at = 0;	/* after a pass we must try again */
static int	pass_failures = 0;	/* in a row */
static bool more_work = true;	/* look for work at start */
static bool full_hosts_only = false;	/* what is left: full hosts' pages */
static bool look_for_returns = true;	/* new work since PickReturns ran */
static bool stage_work = true;	/* look for stage work (stages.c) too */
static bool stage_deferred = false; /* a busy pass found none: look when idle */
static bool check_jobs = false; /* a cancel happened: re-check held jobs */
static uint64 seen_work_gen = 0;
static uint64 seen_cancel_gen = 0;
static uint64 stat_claims = 0;
static uint64 stat_pages = 0;

/* Milliseconds from now until since + interval_ms (never negative). */
static long
MsUntil(TimestampTz since, long interval_ms, TimestampTz now)
{
	TimestampTz due = TimestampTzPlusMilliseconds(since, interval_ms);

	if (due <= now)
		return 0;
	return (long) ((due - now + 999) / 1000);
}

static long
MinTimeout(long a, long b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return Min(a, b);
}

/* Publish what this worker is doing, for scrape_workers(). */
static void
UpdateSlot(ScrapeWorkerState state)
{
	ScrapeWorkerSlot *slot = &ScrapeState->slots[MySlotNo];
	int64		job = 0;

	if (!dlist_is_empty(&inflight))
		job = TransferOfWorkerNode(dlist_head_node(&inflight))->page.job_id;

	LWLockAcquire(ScrapeState->lock, LW_EXCLUSIVE);
	slot->state = state;
	slot->inflight = n_inflight;
	slot->current_job = job;
	slot->claims = stat_claims;
	slot->pages_fetched = stat_pages;
	slot->last_activity = GetCurrentTimestamp();
	LWLockRelease(ScrapeState->lock);
}

static void
DetachSlot(int code, Datum arg)
{
	ScrapeWorkerSlot *slot = &ScrapeState->slots[MySlotNo];

	/* give back the host connections our transfers held */
	HostForgetWorker(MySlotNo);

	LWLockAcquire(ScrapeState->lock, LW_EXCLUSIVE);
	if (slot->pid == MyProcPid)
		memset(slot, 0, sizeof(ScrapeWorkerSlot));
	/* an error or a terminate request, not a clean exit: the launcher alerts */
	if (code != 0 && ScrapeState->ncrashes < SCRAPE_MAX_CRASHES)
	{
		ScrapeCrash *crash = &ScrapeState->crashes[ScrapeState->ncrashes++];

		crash->slot = MySlotNo;
		crash->pid = MyProcPid;
		crash->exit_code = code;
		crash->at = GetCurrentTimestamp();
	}
	LWLockRelease(ScrapeState->lock);
	/* the launcher hands our pages back and starts a replacement */
	ScrapeWakeLauncher();
}

/* Take slot slotno, with a fresh random token for this incarnation. */
static void
AttachSlot(int slotno)
{
	ScrapeWorkerSlot *slot;

	if (slotno < 0 || slotno >= ScrapeState->nslots)
		elog(ERROR, "invalid scrape_jobs worker slot %d", slotno);
	do
	{
		if (!pg_strong_random(&MyToken, sizeof(MyToken)))
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("could not generate a random worker token")));
	} while (MyToken == 0);

	MySlotNo = slotno;
	slot = &ScrapeState->slots[slotno];
	LWLockAcquire(ScrapeState->lock, LW_EXCLUSIVE);
	memset(slot, 0, sizeof(ScrapeWorkerSlot));
	slot->pid = MyProcPid;
	slot->token = MyToken;
	slot->latch = MyLatch;
	slot->state = SCRAPE_WORKER_STARTING;
	slot->started_at = slot->last_activity = GetCurrentTimestamp();
	LWLockRelease(ScrapeState->lock);
	before_shmem_exit(DetachSlot, (Datum) 0);
	JournalOpen(MyToken);
}

/* The distinct (job, lease) pairs of the transfers this worker holds. */
static int
CollectHeldJobs(HeldJob *jobs, int max)
{
	dlist_head *lists[3] = {&ready, &inflight, &unwritten};
	int			n = 0;
	int			l;

	for (l = 0; l < 3; l++)
	{
		dlist_iter	it;

		dlist_foreach(it, lists[l])
		{
			ScrapeTransfer *t = TransferOfWorkerNode(it.cur);
			int			i;

			for (i = 0; i < n; i++)
				if (jobs[i].job_id == t->page.job_id &&
					jobs[i].lease == t->page.lease)
					break;
			if (i == n && n < max)
			{
				jobs[n].job_id = t->page.job_id;
				jobs[n].lease = t->page.lease;
				n++;
			}
		}
	}
	return n;
}

static void
FreeTransfer(ScrapeTransfer *t)
{
	MemoryContextDelete(t->cxt);
}

/*
 * Tell the host table a transfer it admitted has ended: with an outcome
 * (finished), or without (dropped because its job was taken away).
 */
static void
ReleaseHost(ScrapeTransfer *t, bool finished, bool retryable_failure)
{
	int			failures;

	if (!t->admitted)
		return;
	t->admitted = false;
	if (HostRelease(t->origin, MySlotNo, t->is_probe, finished,
					retryable_failure, t->result.error_class,
					t->result.fetch_ms, &failures) &&
		n_pending_alerts < MAX_PENDING_ALERTS)
	{
		PendingAlert *a = &pending_alerts[n_pending_alerts++];

		strlcpy(a->host, t->origin, sizeof(a->host));
		a->failures = failures;
	}
}

static bool
JobIsLost(const int64 *lost, int nlost, int64 job_id)
{
	int			i;

	for (i = 0; i < nlost; i++)
		if (lost[i] == job_id)
			return true;
	return false;
}

/* Drop every transfer, waiting or running, of the given jobs. */
static void
DropLostJobs(const int64 *lost, int nlost)
{
	dlist_mutable_iter it;

	if (nlost == 0)
		return;
	dlist_foreach_modify(it, &inflight)
	{
		ScrapeTransfer *t = TransferOfWorkerNode(it.cur);

		if (!JobIsLost(lost, nlost, t->page.job_id))
			continue;
		dlist_delete(&t->worker_node);
		n_inflight--;
		FetcherAbort(t);
		ReleaseHost(t, false, false);
		FreeTransfer(t);
	}
	dlist_foreach_modify(it, &ready)
	{
		ScrapeTransfer *t = TransferOfWorkerNode(it.cur);

		if (!JobIsLost(lost, nlost, t->page.job_id))
			continue;
		dlist_delete(&t->worker_node);
		n_ready--;
		FreeTransfer(t);
	}
}

/* Queue a finished transfer's result for the next write. */
static void
AddUnwritten(ScrapeTransfer *t)
{
	if (n_unwritten == 0)
		first_unwritten_at = GetCurrentTimestamp();
	dlist_push_tail(&unwritten, &t->worker_node);
	n_unwritten++;
	if (t->result.body != NULL)
		unwritten_bytes += VARSIZE_ANY(t->result.body);
}

typedef struct RecordArgs
{
	ScrapeTransfer **batch;
	int			n;
} RecordArgs;

static void
RecordArgsRun(void *arg)
{
	RecordArgs *a = (RecordArgs *) arg;

	(void) QueueRecordResults(MyToken, a->batch, a->n);
}

/*
 * Run QueueRecordResults in a subtransaction; true if it succeeded, else
 * the database's error in *error (QueueTrySubtransaction).
 */
static bool
TryRecord(ScrapeTransfer **batch, int n, char **error)
{
	RecordArgs	a = {batch, n};

	return QueueTrySubtransaction(RecordArgsRun, &a, "could not store the page", error);
}

/*
 * Write a batch of results.  A batch that fails with an error of the
 * database (a trigger, a constraint, a limit an administrator set) is
 * written again a page at a time, so that only the pages that cannot be
 * stored fail, each as store_failed with the error, never retried; the
 * others are stored and the worker goes on.
 */
static void
RecordBatch(ScrapeTransfer **batch, int n)
{
	char	   *error = NULL;
	int			i;

	if (TryRecord(batch, n, &error))
		return;
	for (i = 0; i < n; i++)
	{
		ScrapeResult *r = &batch[i]->result;

		if (n > 1 && TryRecord(&batch[i], 1, &error))
			continue;
		ereport(LOG,
				(errmsg("scrape_jobs worker could not store page " INT64_FORMAT ": %s",
						batch[i]->page.page_id, error)));
		r->ok = false;
		r->retryable = false;
		r->retry_after_ms = -1;
		r->defer_ms = -1;
		r->body = NULL;
		r->error_class = "store_failed";
		r->error = MemoryContextStrdup(batch[i]->cxt, error);
		r->title = r->description = r->canonical = r->lang = r->links_json = NULL;
		(void) QueueRecordResults(MyToken, &batch[i], 1);
	}
}

/*
 * Write (in batches) the results waiting.  Returns whether any of them may
 * have put its page back to wait (a retry or a deferral), which moves the
 * next due time.
 */
static bool
WriteResults(void)
{
	ScrapeTransfer **batch = palloc(sizeof(ScrapeTransfer *) * scrape_batch_size);
	bool		requeued = false;

	while (n_unwritten > 0)
	{
		int			n = 0;
		int			i;

		while (n < scrape_batch_size && !dlist_is_empty(&unwritten))
		{
			dlist_node *node = dlist_pop_head_node(&unwritten);

			batch[n++] = TransferOfWorkerNode(node);
		}
		n_unwritten -= n;
		/*
		 * Kept until the commit makes the rows durable (ForgetWritten), or
		 * given back to the unwritten if the pass fails (UndoPass), the
		 * write itself included.
		 */
		for (i = 0; i < n; i++)
			dlist_push_tail(&written, &batch[i]->worker_node);
		RecordBatch(batch, n);
		for (i = 0; i < n; i++)
			if (!batch[i]->result.ok)
				requeued = true;
	}
	unwritten_bytes = 0;
	first_unwritten_at = 0;
	return requeued;
}

/* The results written by a transaction that committed: done with them. */
static void
ForgetWritten(void)
{
	TimestampTz now = GetCurrentTimestamp();
	dlist_mutable_iter it;

	dlist_foreach_modify(it, &written)
	{
		ScrapeTransfer *t = TransferOfWorkerNode(it.cur);

		dlist_delete(&t->worker_node);
		/* a page stored is extraction work (stages.c) */
		if (t->result.ok)
			stage_work = true;
		if (t->result.defer_ms < 0)
			MetricsObservePage((now - t->claimed_at) / 1000.0);
		FreeTransfer(t);
	}
}

/*
 * A pass that failed and rolled back (RetryPassLater): its results are
 * written again by the next, and what it claimed was never claimed.
 */
static void
UndoPass(void)
{
	dlist_mutable_iter it;

	/* from the last, so that they keep their order at the head */
	while (!dlist_is_empty(&written))
	{
		ScrapeTransfer *t = TransferOfWorkerNode(dlist_tail_node(&written));

		dlist_delete(&t->worker_node);
		dlist_push_head(&unwritten, &t->worker_node);
		n_unwritten++;
		if (t->result.body != NULL)
			unwritten_bytes += VARSIZE_ANY(t->result.body);
	}
	if (n_unwritten > 0 && first_unwritten_at == 0)
		first_unwritten_at = GetCurrentTimestamp();
	dlist_foreach_modify(it, &pass_claimed)
	{
		ScrapeTransfer *t = TransferOfWorkerNode(it.cur);

		dlist_delete(&t->worker_node);
		FreeTransfer(t);
	}
	/* not handed back: still ours, at the end of the backlog again */
	dlist_foreach_modify(it, &returning)
	{
		ScrapeTransfer *t = TransferOfWorkerNode(it.cur);

		dlist_delete(&t->worker_node);
		dlist_push_tail(&ready, &t->worker_node);
		n_ready++;
	}
	more_work = true;
}

/* Record the circuits our transfers opened since the last pass. */
static void
WriteAlerts(void)
{
	int			i;

	for (i = 0; i < n_pending_alerts; i++)
	{
		PendingAlert *a = &pending_alerts[i];

		QueueRecordHostAlert("circuit_opened", a->host,
							 psprintf("circuit opened for host %s after %d consecutive failures",
									  a->host, a->failures),
							 psprintf("{\"consecutive_failures\": %d, \"cooldown_ms\": %d}",
									  a->failures, scrape_breaker_cooldown_ms));
	}
	/* (a pass that then rolls back loses these alerts: they are advisory) */
	n_pending_alerts = 0;
}

/* Heartbeat the jobs held; returns the ones lost, in PassContext. */
static int
Heartbeat(int64 **lost)
{
	int			max = n_ready + n_inflight + n_unwritten;
	HeldJob    *jobs = palloc(sizeof(HeldJob) * Max(max, 1));
	int64	   *ids = palloc(sizeof(int64) * Max(max, 1));
	int64	   *leases = palloc(sizeof(int64) * Max(max, 1));
	int			n = CollectHeldJobs(jobs, max);
	int			nlost = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		ids[i] = jobs[i].job_id;
		leases[i] = jobs[i].lease;
	}
	*lost = MemoryContextAlloc(PassContext, sizeof(int64) * Max(n, 1));
	if (n > 0)
		nlost = QueueHeartbeat(ids, leases, n, *lost);
	last_heartbeat_at = GetCurrentTimestamp();
	check_jobs = false;
	return nlost;
}

/*
 * Claimed pages in the backlog whose host said wait (a connection limit or
 * its delay) when they were last offered to it.
 */
static int
ReadyWaiting(void)
{
	int			n = 0;
	dlist_iter	it;

	dlist_foreach(it, &ready)
	{
		if (TransferOfWorkerNode(it.cur)->host_waits)
			n++;
	}
	return n;
}

/*
 * Pages this worker may still claim: its transfer slots plus a backlog of
 * up to one batch, so that a finished transfer is replaced from memory at
 * once rather than after a claim transaction, and a claim takes a whole
 * batch (a claim per batch_size pages, not per few free slots).  Pages
 * waiting for their host do not count against that batch, so that other
 * hosts' pages are claimed beside them, but the backlog never holds more
 * than two batches.
 */
static int
ClaimRoom(void)
{
	int			room = scrape_max_connections_per_worker + scrape_batch_size -
		n_inflight - (n_ready - ReadyWaiting());

	return Min(room, scrape_max_connections_per_worker +
			   2 * scrape_batch_size - n_inflight - n_ready);
}

/* A host whose pages wait in the backlog, and how many of them. */
typedef struct BacklogHost
{
	const char *host;
	int			waiting;
	int			keep;			/* HostKeep() of its first page */
} BacklogHost;

/*
 * How many of a host's pages are worth holding while they wait: what the
 * host can start within about a second (its connections, and one more
 * page per delay), or four times its connections when it has no delay; at
 * most a batch.  Pages beyond that only take room that other sessions'
 * pages could use.
 */
static int
HostKeep(const ScrapeTransfer *t)
{
	int			conn = ScrapeHostConnections(t->page.per_host_max_connections);
	int			delay = ScrapeHostDelayMs(t->page.per_host_delay_ms);
	int			keep = delay > 0 ? conn + (1000 + delay - 1) / delay : 4 * conn;

	return Max(1, Min(keep, scrape_batch_size));
}

/* The index of host among the n entries of hosts, or n if it has none. */
static int
FindHost(const BacklogHost *hosts, int n, const char *host)
{
	int			i;

	for (i = 0; i < n; i++)
		if (strcmp(hosts[i].host, host) == 0)
			break;
	return i;
}

/*
 * The hosts of the backlog's waiting pages, without repeats, into hosts
 * (room for n_ready); returns how many.
 */
static int
BacklogHosts(BacklogHost *hosts)
{
	int			n = 0;
	dlist_iter	it;

	dlist_foreach(it, &ready)
	{
		ScrapeTransfer *t = TransferOfWorkerNode(it.cur);
		int			i;

		if (!t->host_waits || t->host == NULL)
			continue;
		i = FindHost(hosts, n, t->host);
		if (i == n)
		{
			hosts[n].host = t->host;
			hosts[n].waiting = 0;
			hosts[n].keep = HostKeep(t);
			n++;
		}
		hosts[i].waiting++;
	}
	return n;
}

/* Whether some host of the backlog holds as many pages as it keeps. */
static bool
AnyHostFull(void)
{
	BacklogHost *hosts = palloc(sizeof(BacklogHost) * Max(n_ready, 1));
	int			n = BacklogHosts(hosts);
	bool		full = false;
	int			i;

	for (i = 0; i < n && !full; i++)
		full = hosts[i].waiting >= hosts[i].keep;
	pfree(hosts);
	return full;
}

/*
 * With the backlog too full to claim and other work perhaps queued: move
 * the waiting pages of each host beyond what it keeps (the first claimed
 * stay) to the pass's returning list, for the queue pass to hand back.
 * Without this, a few slow hosts' pages filled every worker's backlog,
 * and a session submitted meanwhile waited until they drained (a page per
 * delay).  Returns how many.
 */
static int
PickReturns(void)
{
	BacklogHost *hosts = palloc(sizeof(BacklogHost) * Max(n_ready, 1));
	int			nhosts = BacklogHosts(hosts);
	int			n = 0;
	dlist_mutable_iter it;

	dlist_foreach_modify(it, &ready)
	{
		ScrapeTransfer *t = TransferOfWorkerNode(it.cur);
		int			i;

		if (!t->host_waits || t->host == NULL)
			continue;
		i = FindHost(hosts, nhosts, t->host);
		/* the first keep of each host stay; the rest go */
		if (hosts[i].keep > 0)
		{
			hosts[i].keep--;
			continue;
		}
		dlist_delete(&t->worker_node);
		n_ready--;
		dlist_push_tail(&returning, &t->worker_node);
		n++;
	}
	pfree(hosts);
	return n;
}

/* Hand back the n pages of the returning list. */
static void
ReturnPages(int n)
{
	int64	   *ids = palloc(sizeof(int64) * n);
	int64	   *leases = palloc(sizeof(int64) * n);
	int			i = 0;
	dlist_iter	it;

	dlist_foreach(it, &returning)
	{
		ScrapeTransfer *t = TransferOfWorkerNode(it.cur);

		ids[i] = t->page.page_id;
		leases[i] = t->page.lease;
		i++;
	}
	(void) QueueReturnPages(MyToken, ids, leases, i);
}

/* The pages handed back by a transaction that committed: gone. */
static void
ForgetReturned(void)
{
	dlist_mutable_iter it;

	dlist_foreach_modify(it, &returning)
	{
		ScrapeTransfer *t = TransferOfWorkerNode(it.cur);

		dlist_delete(&t->worker_node);
		FreeTransfer(t);
	}
}

/*
 * Claim pages into *claimed; note whether more wait.  Returns whether the
 * queue ran short of due pages.
 */
static bool
Claim(dlist_head *claimed)
{
	int			limit = Min(ClaimRoom(), scrape_batch_size);
	BacklogHost *hosts = palloc(sizeof(BacklogHost) * Max(n_ready, 1));
	int			nhosts = BacklogHosts(hosts);
	char	  **busy = palloc(sizeof(char *) * Max(nhosts, 1));
	char	  **full = palloc(sizeof(char *) * Max(nhosts, 1));
	int			nfull = 0;
	int			i;
	int			got;
	bool		short_claim;
	dlist_iter	it;

	for (i = 0; i < nhosts; i++)
	{
		busy[i] = (char *) hosts[i].host;
		if (hosts[i].waiting >= hosts[i].keep)
			full[nfull++] = (char *) hosts[i].host;
	}
	got = QueueClaim(MyToken, limit, busy, nhosts, full, nfull,
					 TransferContext, claimed);
	short_claim = got < limit;
	/*
	 * Short of pages with full hosts left out: the queue may hold theirs,
	 * so look again once one of them has room (WorkerLoop), not only when
	 * woken.
	 */
	full_hosts_only = short_claim && nfull > 0;
	/*
	 * Only an empty claim says the queue has nothing due.  A claim the
	 * other worker's claim left short (it skips the pages that claim
	 * locks) may leave most of a session queued: taken for the end of the
	 * queue, it left both workers idle, the pages waiting for the safety
	 * sweep.  The claim after it, paced as any, finds out.
	 */
	if (got == 0)
		more_work = false;
	last_claim_at = GetCurrentTimestamp();
	stat_claims++;

	dlist_foreach(it, claimed)
	{
		ScrapeTransfer *t = TransferOfWorkerNode(it.cur);

		t->host = ScrapeUrlHost(t->page.url, t->cxt);
		t->origin = ScrapeUrlOrigin(t->page.url, t->cxt);
		t->claimed_at = last_claim_at;
	}
	return short_claim;
}

/* Start one of a pass's transactions, with SPI and a snapshot. */
static void
PassBegin(void)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
}

/* Commit it. */
static void
PassCommit(void)
{
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
}

/*
 * Lock the extension for this transaction of the pass (a DROP EXTENSION
 * waits for it), or exit if it was dropped or changed version.
 */
static void
PassAttach(void)
{
	if (QueueAttach())
		return;
	PassCommit();
	ereport(LOG,
			(errmsg("scrape_jobs worker exiting because extension scrape_jobs %s is not installed in database \"%s\"",
					SCRAPE_JOBS_VERSION, scrape_database)));
	proc_exit(0);
}

/* Commit one transaction of a pass and begin the next. */
static void
PassNext(void)
{
	PassCommit();
	PassBegin();
	PassAttach();
}

/*
 * After a pass that failed for a reason that passes (QueueAbortTransient):
 * try again after a backoff of 100 ms doubling to 5 s, so a lock conflict
 * clears and a persistent one does not spin.
 */
static void
RetryPassLater(void)
{
	long		ms = 100L << Min(pass_failures, 6);

	pass_failures++;
	pass_retry_at = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
												Min(ms, 5000L));
}

/*
 * Short transactions doing whatever is due.  Transfers claimed are started
 * only after COMMIT, so no page is fetched for a claim that could still roll
 * back.  A result write commits before the claim that follows it: it holds
 * its sessions' and jobs' rows, which the other workers' result writes wait
 * for, and a claim in the same transaction kept them waiting through it
 * (a third of a result write's time, with two workers on one session).
 */
static void
QueuePass(bool flush, bool claim, bool beat, int nreturn)
{
	int64	   *volatile lost = NULL;
	volatile int nlost = 0;
	volatile bool look_due = false;
	bool		held_before = n_ready + n_inflight + n_unwritten > 0;
	dlist_mutable_iter it;

	UpdateSlot(SCRAPE_WORKER_WRITING);
	MemoryContextSwitchTo(PassContext);

	PG_TRY();
	{
		PassBegin();
		pgstat_report_activity(STATE_RUNNING, "scrape_jobs: queue pass");
		PassAttach();

		/*
		 * The heartbeat commits on its own, first: a result write that
		 * waits for a lock and fails (lock_timeout) must not take the
		 * heartbeat down with it, or the jobs it holds look stuck.  (It
		 * skips rows other transactions hold, so it never waits.)
		 */
		if (beat)
		{
			int64	   *l;

			nlost = Heartbeat(&l);
			lost = l;
			if (flush || claim || nreturn > 0 || n_pending_alerts > 0)
				PassNext();
		}
		/*
		 * Pages handed back in a transaction of their own: the result
		 * write locks pages, then sessions and jobs, and these pages after
		 * that would break the lock order.
		 */
		if (nreturn > 0)
		{
			ReturnPages(nreturn);
			PassCommit();
			ForgetReturned();
			PassBegin();
			PassAttach();
		}
		if (flush)
			look_due = WriteResults();
		if (n_pending_alerts > 0)
			WriteAlerts();
		if (flush && claim)
		{
			PassCommit();
			ForgetWritten();
			PassBegin();
			PassAttach();
		}
		if (claim && Claim(&pass_claimed))
			look_due = true;

		/*
		 * When the next waiting page comes due matters once the due ones
		 * run out, or when our results put pages back to wait.  Not after
		 * a full claim: we come back for more anyway, and the query reads
		 * the pending pages' index, which is long while a big session is
		 * being claimed.
		 */
		if (look_due)
			next_due_at = QueueNextDue();

		PassCommit();
	}
	PG_CATCH();
	{
		if (!QueueAbortTransient("queue pass"))
			PG_RE_THROW();
		UndoPass();
		RetryPassLater();
		/*
		 * The jobs lost, if the heartbeat committed, went with the pass's
		 * memory; if it rolled back, it did not happen.  Either way the
		 * retry heartbeats again.
		 */
		check_jobs = true;
		MemoryContextSwitchTo(TopMemoryContext);
		MemoryContextReset(PassContext);
		return;
	}
	PG_END_TRY();
	pass_failures = 0;
	ForgetWritten();
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);

	/* committed: act on it */
	DropLostJobs(lost, nlost);
	dlist_foreach_modify(it, &pass_claimed)
	{
		ScrapeTransfer *t = TransferOfWorkerNode(it.cur);

		dlist_delete(&t->worker_node);
		dlist_push_tail(&ready, &t->worker_node);
		n_ready++;
	}
	/*
	 * The claim gave its jobs a fresh heartbeat: if they are all the worker
	 * holds, the next is an interval away.  Not otherwise: the pages held
	 * before it were not heartbeated (0.1.9 put the heartbeat off at every
	 * claim, and a worker whose claims kept coming back empty, woken by
	 * other sessions' stage changes, let the jobs of its backlog go stuck).
	 */
	if (claim && !held_before && n_ready > 0)
		last_heartbeat_at = GetCurrentTimestamp();

	MemoryContextSwitchTo(TopMemoryContext);
	MemoryContextReset(PassContext);
}

/* Make t a result that sends its page back to the queue, unfetched. */
static void
DeferTransfer(ScrapeTransfer *t, TimestampTz until, TimestampTz now)
{
	ScrapeResult *r = &t->result;

	r->ok = false;
	r->retryable = false;
	r->retry_after_ms = -1;
	r->defer_ms = (int) Min(MsUntil(until, 0, now), 24L * 3600 * 1000);
	r->error_class = "circuit_open";
	r->error = MemoryContextStrdup(t->cxt, "deferred: the host's circuit is open");
	t->finished = true;
	AddUnwritten(t);
}

/*
 * Journal the starts of the n transfers (journal.h), before any of them
 * starts: from then on a crash charges their pages an attempt.
 */
static void
JournalStarts(ScrapeTransfer **start, int n)
{
	ScrapeJournalEntry *e = palloc(sizeof(ScrapeJournalEntry) * n);
	ScrapeJournalEntry *held = NULL;
	int			nheld = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		e[i].page_id = start[i]->page.page_id;
		e[i].attempt = start[i]->page.attempt;
	}
	if (JournalNeedsRewrite(n))
	{
		dlist_head *lists[2] = {&inflight, &unwritten};
		int			l;

		held = palloc(sizeof(ScrapeJournalEntry) *
					  Max(n_inflight + n_unwritten, 1));
		for (l = 0; l < 2; l++)
		{
			dlist_iter	it;

			dlist_foreach(it, lists[l])
			{
				ScrapeTransfer *t = TransferOfWorkerNode(it.cur);

				/* (a deferred page was never started) */
				if (t->finished && t->result.defer_ms >= 0)
					continue;
				held[nheld].page_id = t->page.page_id;
				held[nheld].attempt = t->page.attempt;
				nheld++;
			}
		}
	}
	JournalStarted(e, n, held, nheld);
	pfree(e);
	if (held)
		pfree(held);
}

/*
 * Start the claimed pages their hosts admit now, once their starts are in
 * the journal; defer those whose circuit is open; leave the others
 * waiting, noting when to look again.
 */
static void
DispatchReady(void)
{
	TimestampTz now = GetCurrentTimestamp();
	static ScrapeTransfer **start = NULL;
	static int	start_size = 0;
	int			nstart = 0;
	int			i;
	dlist_mutable_iter it;

	/* (reallocated only when a reload raised max_connections_per_worker) */
	if (start_size < scrape_max_connections_per_worker)
	{
		if (start != NULL)
			pfree(start);
		start = MemoryContextAlloc(TopMemoryContext, sizeof(ScrapeTransfer *) *
								   scrape_max_connections_per_worker);
		start_size = scrape_max_connections_per_worker;
	}
	ready_recheck_at = 0;
	dlist_foreach_modify(it, &ready)
	{
		ScrapeTransfer *t = TransferOfWorkerNode(it.cur);
		int			max_conn = ScrapeHostConnections(t->page.per_host_max_connections);
		int			delay = ScrapeHostDelayMs(t->page.per_host_delay_ms);
		HostDecision d = HOST_ADMIT;
		TimestampTz until = 0;
		bool		probe = false;

		/* the rest is backlog until a transfer slot frees */
		if (n_inflight + nstart >= scrape_max_connections_per_worker)
			break;
		if (t->origin != NULL)
			d = HostAdmit(t->origin, max_conn, delay, MySlotNo, &until, &probe);

		t->host_waits = (d == HOST_WAIT);
		if (d == HOST_WAIT)
		{
			if (ready_recheck_at == 0 || until < ready_recheck_at)
				ready_recheck_at = until;
			continue;
		}
		dlist_delete(&t->worker_node);
		n_ready--;
		if (d == HOST_DEFER)
		{
			DeferTransfer(t, until, now);
			continue;
		}
		t->admitted = (t->origin != NULL);
		t->is_probe = probe;
		start[nstart++] = t;
	}
	if (nstart > 0)
		JournalStarts(start, nstart);
	for (i = 0; i < nstart; i++)
	{
		dlist_push_tail(&inflight, &start[i]->worker_node);
		n_inflight++;
		FetcherStart(start[i]);
	}
}

/* Note wake-ups sent through shared memory since we last looked. */
static void
NoteWakeups(TimestampTz now)
{
	uint64		gen = pg_atomic_read_u64(&ScrapeState->work_generation);

	if (gen != seen_work_gen)
	{
		seen_work_gen = gen;
		more_work = true;
		stage_work = true;
		look_for_returns = true;
	}
	gen = pg_atomic_read_u64(&ScrapeState->cancel_generation);
	if (gen != seen_cancel_gen)
	{
		seen_cancel_gen = gen;
		check_jobs = true;
	}
	if (next_due_at != 0 && now >= next_due_at)
	{
		next_due_at = 0;
		more_work = true;
	}
	if (MsUntil(last_claim_at, SAFETY_SWEEP_MS, now) == 0)
		more_work = stage_work = true;
}

/*
 * Whether a transfer timed out under its session's own timeout, shorter
 * than the administrator's: that says nothing of the host's health, and
 * one tenant's 1 ms timeout must not open a circuit that defers every
 * other tenant's pages of that host.
 */
static bool
SessionsOwnTimeout(const ScrapeTransfer *t)
{
	return t->result.error_class != NULL &&
		strcmp(t->result.error_class, "timeout") == 0 &&
		ScrapeTimeoutsTightened(ScrapeRequestTimeoutMs(t->page.request_timeout_ms),
								ScrapeConnectTimeoutMs(t->page.connect_timeout_ms));
}

/* Move transfers the fetcher finished onto the list of results to write. */
static void
TakeFinished(void)
{
	ScrapeTransfer *t;

	while ((t = FetcherNextFinished()) != NULL)
	{
		dlist_delete(&t->worker_node);
		n_inflight--;
		/* (the host table hears of the outcome unless it was such a timeout) */
		ReleaseHost(t, !SessionsOwnTimeout(t), t->result.retryable);
		if (t->result.defer_ms < 0)
			MetricsCountTransfer(t->result.http_status, t->result.error_class,
								 t->result.body_size, t->result.fetch_ms);
		AddUnwritten(t);
		stat_pages++;
	}
}

/* The earliest a claim may follow the last one. */
static int
ClaimGapMs(void)
{
	return full_hosts_only ? Max(scrape_batch_delay_ms, FULL_HOSTS_RECLAIM_MS) :
		scrape_batch_delay_ms;
}

/*
 * The fewest pages a claim is made for while the backlog holds some: a
 * quarter of a batch (without it, a backlog full of waiting pages made a
 * claim of a page or two for every page started).
 */
static int
ClaimMin(void)
{
	return Max(1, scrape_batch_size / 4);
}

/*
 * Whether the worker wants to claim (the time since the last claim aside):
 * when the backlog no longer covers the transfer slots (pages waiting for
 * their host do not cover them) and a quarter of a batch fits, or along
 * with a result write that happens anyway (flush), half a batch.
 */
static bool
ClaimWanted(int room, bool flush)
{
	return more_work && room > 0 &&
		(n_inflight + n_ready == 0 ||
		 (n_ready - ReadyWaiting() < scrape_max_connections_per_worker / 2 &&
		  room >= ClaimMin()) ||
		 (flush && room >= Max(1, scrape_batch_size / 2)));
}

/* How long the wait may last before something is due. */
static long
NextTimeout(TimestampTz now, int room)
{
	long		timeout = -1;

	if (n_unwritten > 0)
		timeout = MinTimeout(timeout, MsUntil(first_unwritten_at,
											  FLUSH_DELAY_MS, now));
	if (n_inflight > 0 || n_ready > 0 || n_unwritten > 0)
		timeout = MinTimeout(timeout, MsUntil(last_heartbeat_at,
											  scrape_heartbeat_interval_ms,
											  now));
	if (ready_recheck_at != 0)
		timeout = MinTimeout(timeout, MsUntil(ready_recheck_at, 0, now));
	if (next_due_at != 0)
		timeout = MinTimeout(timeout, MsUntil(next_due_at, 0, now));
	if (ClaimWanted(room, false))
		timeout = MinTimeout(timeout, MsUntil(last_claim_at, ClaimGapMs(), now));
	if (n_pending_alerts > 0 || stage_work)
		timeout = 0;
	if (pass_retry_at != 0)
		timeout = Max(timeout, MsUntil(pass_retry_at, 0, now));
	return MinTimeout(timeout, MsUntil(last_claim_at, SAFETY_SWEEP_MS, now));
}

/* Decide what is due, do it, then wait for the next event or deadline. */
static void
WorkerLoop(void)
{
	for (;;)
	{
		TimestampTz now;
		bool		holding;
		bool		flush;
		bool		claim;
		bool		busy;
		bool		beat;
		int			room;
		int			nreturn;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		now = GetCurrentTimestamp();
		NoteWakeups(now);
		if (full_hosts_only && !AnyHostFull())
		{
			full_hosts_only = false;
			more_work = true;
		}
		holding = n_inflight > 0 || n_ready > 0 || n_unwritten > 0;
		room = ClaimRoom();
		nreturn = 0;
		/*
		 * Too little room to claim, so make some: a backlog a few pages
		 * short of full claimed nothing and handed nothing back, and new
		 * sessions waited for its hosts.  (Once per wake-up for new work:
		 * the walk is O(backlog x hosts).)
		 */
		if (more_work && room < ClaimMin() && look_for_returns &&
			(pass_retry_at == 0 || now >= pass_retry_at))
		{
			look_for_returns = false;
			nreturn = PickReturns();
			room = ClaimRoom();
		}

		flush = n_unwritten > 0 &&
			(n_unwritten >= scrape_batch_size ||
			 unwritten_bytes >= MAX_UNWRITTEN_BYTES ||
			 n_inflight == 0 ||
			 MsUntil(first_unwritten_at, FLUSH_DELAY_MS, now) == 0);
		/* refill in bulk (ClaimMin), paced while full hosts are left out */
		claim = ClaimWanted(room, flush) &&
			MsUntil(last_claim_at, ClaimGapMs(), now) == 0;
		beat = holding &&
			(check_jobs ||
			 MsUntil(last_heartbeat_at, scrape_heartbeat_interval_ms, now) == 0);
		if (!holding)
			check_jobs = false;

		if ((flush || claim || beat || nreturn > 0 || n_pending_alerts > 0) &&
			(pass_retry_at == 0 || now >= pass_retry_at))
		{
			pass_retry_at = 0;
			QueuePass(flush, claim, beat, nreturn);
		}
		if (n_ready > 0)
			DispatchReady();
		/*
		 * One batch of stage work between two waits: fetches keep going.
		 * Busy, the worker leaves a few pages of a session that scrapes
		 * for later (stages.c); once idle, it looks again.
		 */
		busy = n_ready > 0 || n_inflight >= scrape_max_connections_per_worker / 2;
		if (stage_deferred && !busy)
			stage_work = true;
		if (stage_work)
		{
			UpdateSlot(SCRAPE_WORKER_WRITING);
			stage_work = StagePass(busy);
			stage_deferred = busy && !stage_work;
		}

		MetricsSaveSnapshot(MySlotNo);
		now = GetCurrentTimestamp();
		UpdateSlot(n_inflight > 0 ? SCRAPE_WORKER_FETCHING : SCRAPE_WORKER_IDLE);
		FetcherWait(NextTimeout(now, ClaimRoom()));
		TakeFinished();
		/* a finished transfer's slot goes to the backlog at once */
		if (n_ready > 0 && n_inflight < scrape_max_connections_per_worker)
			DispatchReady();
	}
}

void
ScrapeWorkerMain(Datum main_arg)
{
	Oid			dboid;

	memcpy(&dboid, MyBgworkerEntry->bgw_extra, sizeof(Oid));

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	ScrapePinSessionSettings();
	pgstat_report_appname("scrape_jobs worker");

	AttachSlot(DatumGetInt32(main_arg));
	seen_work_gen = pg_atomic_read_u64(&ScrapeState->work_generation);
	seen_cancel_gen = pg_atomic_read_u64(&ScrapeState->cancel_generation);

	TransferContext = AllocSetContextCreate(TopMemoryContext,
											"scrape_jobs transfers",
											ALLOCSET_DEFAULT_SIZES);
	PassContext = AllocSetContextCreate(TopMemoryContext,
										"scrape_jobs queue pass",
										ALLOCSET_DEFAULT_SIZES);
	FetcherInit();

	WorkerLoop();
}
