/*-------------------------------------------------------------------------
 * shmem.c
 *	  Shared memory of scrape_jobs and the wake-ups that go through it.
 *
 * PostgreSQL 15 asks extensions to request their shared memory from
 * shmem_request_hook and to attach to it from shmem_startup_hook.
 *
 * Wake-ups follow pg_net: a backend that queues or cancels work only sets
 * a flag; a transaction callback sets the workers' latches once the
 * transaction has committed, so a worker never wakes up to rows it cannot
 * see yet, and an aborted submit wakes nobody.  DROP EXTENSION wakes them
 * too (an object access hook), so that idle workers leave at once.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/shmem.h"

#include "guc.h"
#include "breaker.h"
#include "metrics.h"
#include "shmem.h"

ScrapeShared *ScrapeState = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;
static object_access_hook_type prev_object_access_hook = NULL;

/* wake-ups waiting for the current transaction to commit */
static bool wake_new_work = false;
static bool wake_cancelled = false;
static bool wake_session_done = false;
static bool wake_alerter = false;
static bool xact_callback_registered = false;

static void ScrapeWakeAlerter(void);

static Size
ScrapeShmemSize(void)
{
	return add_size(offsetof(ScrapeShared, slots),
					mul_size(scrape_num_workers, sizeof(ScrapeWorkerSlot)));
}

static void
ScrapeShmemRequest(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();

	RequestAddinShmemSpace(add_size(add_size(ScrapeShmemSize(), LimitsShmemSize()),
									MetricsShmemSize()));
	RequestNamedLWLockTranche("scrape_jobs", 2);
}

static void
ScrapeShmemStartup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	ScrapeState = ShmemInitStruct("scrape_jobs", ScrapeShmemSize(), &found);
	if (!found)
	{
		memset(ScrapeState, 0, ScrapeShmemSize());
		ScrapeState->lock = &(GetNamedLWLockTranche("scrape_jobs"))[0].lock;
		ScrapeState->hosts_lock = &(GetNamedLWLockTranche("scrape_jobs"))[1].lock;
		pg_atomic_init_u64(&ScrapeState->work_generation, 0);
		pg_atomic_init_u64(&ScrapeState->cancel_generation, 0);
		ConditionVariableInit(&ScrapeState->session_done_cv);
		ScrapeState->nslots = scrape_num_workers;
	}
	LimitsShmemInit();
	MetricsShmemInit();
	LWLockRelease(AddinShmemInitLock);
}

/* Called from _PG_init, in the postmaster. */
/*
 * DROP EXTENSION scrape_jobs wakes the launcher, the workers and the
 * alerter when it commits.  Idle, they would sleep on and learn of the drop
 * only with their next work; woken, they find the extension gone at once
 * and leave or wait (worker.c, launcher.c), so a later CREATE EXTENSION
 * starts them afresh.  The extension's row still exists when the hook runs.
 */
static void
ScrapeObjectAccess(ObjectAccessType access, Oid classId, Oid objectId,
				   int subId, void *arg)
{
	if (prev_object_access_hook)
		prev_object_access_hook(access, classId, objectId, subId, arg);
	if (access == OAT_DROP && classId == ExtensionRelationId)
	{
		char	   *name = get_extension_name(objectId);

		if (name != NULL && strcmp(name, "scrape_jobs") == 0)
		{
			ScrapeWakeAlerterOnCommit();
			ScrapeWakeOnCommit(true, true, false);
		}
	}
}

void
ScrapeShmemInstallHooks(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = ScrapeShmemRequest;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = ScrapeShmemStartup;
	prev_object_access_hook = object_access_hook;
	object_access_hook = ScrapeObjectAccess;
}

/* Set the latch of every live fetch worker. */
void
ScrapeWakeWorkers(void)
{
	int			i;

	if (ScrapeState == NULL)
		return;

	LWLockAcquire(ScrapeState->lock, LW_SHARED);
	for (i = 0; i < ScrapeState->nslots; i++)
	{
		ScrapeWorkerSlot *slot = &ScrapeState->slots[i];

		if (slot->pid != 0 && slot->latch != NULL)
			SetLatch(slot->latch);
	}
	LWLockRelease(ScrapeState->lock);
}

void
ScrapeWakeLauncher(void)
{
	if (ScrapeState == NULL)
		return;

	LWLockAcquire(ScrapeState->lock, LW_SHARED);
	if (ScrapeState->launcher_latch != NULL)
		SetLatch(ScrapeState->launcher_latch);
	LWLockRelease(ScrapeState->lock);
}

/*
 * At COMMIT deliver the wake-ups the transaction asked for; at ABORT forget
 * them.  Runs after the commit record is flushed, so the rows are visible
 * to whoever we wake.
 */
static void
ScrapeXactCallback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			if (wake_new_work)
				pg_atomic_fetch_add_u64(&ScrapeState->work_generation, 1);
			if (wake_cancelled)
				pg_atomic_fetch_add_u64(&ScrapeState->cancel_generation, 1);
			if (wake_new_work || wake_cancelled)
			{
				ScrapeWakeWorkers();
				ScrapeWakeLauncher();
			}
			if (wake_session_done || wake_cancelled)
				ConditionVariableBroadcast(&ScrapeState->session_done_cv);
			if (wake_alerter)
				ScrapeWakeAlerter();
			MetricsAtCommit(true);
			wake_new_work = wake_cancelled = wake_session_done = false;
			wake_alerter = false;
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			/*
			 * A prepared transaction's wake-ups and metrics are dropped too:
			 * COMMIT PREPARED may run in another backend, which never saw
			 * them (the workers' safety sweep claims its pages).
			 */
			wake_new_work = wake_cancelled = wake_session_done = false;
			wake_alerter = false;
			MetricsAtCommit(false);
			break;
		default:
			break;
	}
}

/*
 * A subtransaction rolled back takes the metrics it reported with it.  Its
 * wake-ups stay asked for: a needless wake-up costs one look at the queue.
 */
static void
ScrapeSubXactCallback(SubXactEvent event, SubTransactionId mySubid,
					  SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_COMMIT_SUB)
		MetricsAtSubXactEnd(true, mySubid, parentSubid);
	else if (event == SUBXACT_EVENT_ABORT_SUB)
		MetricsAtSubXactEnd(false, mySubid, parentSubid);
}

/* Set the alerter's latch (alerts.c). */
static void
ScrapeWakeAlerter(void)
{
	LWLockAcquire(ScrapeState->lock, LW_SHARED);
	if (ScrapeState->alerter_latch != NULL)
		SetLatch(ScrapeState->alerter_latch);
	LWLockRelease(ScrapeState->lock);
}

/*
 * Ask for wake-ups when the current transaction commits.  new_work wakes the
 * workers to claim; cancelled also makes them re-check the jobs they hold;
 * session_done wakes scrape_wait() callers.
 */
void
ScrapeWakeOnCommit(bool new_work, bool cancelled, bool session_done)
{
	if (ScrapeState == NULL)
		return;

	if (!xact_callback_registered)
	{
		RegisterXactCallback(ScrapeXactCallback, NULL);
		RegisterSubXactCallback(ScrapeSubXactCallback, NULL);
		xact_callback_registered = true;
	}
	wake_new_work |= new_work;
	wake_cancelled |= cancelled;
	wake_session_done |= session_done;
}

/* Wake the alerter when the current transaction commits (a new alert). */
void
ScrapeWakeAlerterOnCommit(void)
{
	ScrapeWakeOnCommit(false, false, false);
	wake_alerter = true;
}
