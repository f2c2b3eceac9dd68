/*-------------------------------------------------------------------------
 * launcher.c
 *	  The launcher: keeps scrape_jobs.workers fetch workers running.
 *
 * State machine (one loop, woken by its latch), published for
 * scrape_launcher():
 *
 *	 waiting_for_extension	the extension does not exist in
 *				scrape_jobs.database: sleep until CREATE EXTENSION wakes us
 *				at COMMIT (or a minute passes);
 *	 waiting_for_update	it exists at another version than this library
 *				serves (version.c): log it once, start no worker, and
 *				sleep until ALTER EXTENSION UPDATE wakes us at COMMIT;
 *	 running	it exists at our version: hand back the pages of workers
 *				that no longer exist (at start-up, since a crash or a
 *				restart leaves pages "fetching" for workers that are gone,
 *				and whenever one of ours exits), then start a worker in
 *				every empty slot; every scrape_jobs.monitor_interval, run
 *				the monitor (scrape_monitor(): stuck jobs, pruning).

 * The postmaster sets our latch when a worker we started stops
 * (bgw_notify_pid), and an exiting worker sets it too, so a dead worker is
 * replaced at once; a slot that keeps failing is restarted at most every
 * RESTART_DELAY_MS.  DROP EXTENSION wakes the workers at COMMIT (shmem.c):
 * they exit on their own and are not replaced until the extension is
 * created again.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "commands/extension.h"
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

#include "guc.h"
#include "journal.h"
#include "launcher.h"
#include "metrics.h"
#include "queue.h"
#include "shmem.h"

#define RESTART_DELAY_MS 1000
#define ABSENT_RECHECK_MS (60 * 1000)
#define PROMOTION_RECHECK_MS 1000	/* a standby: a look at the recovery state */

typedef struct LauncherSlot
{
	BackgroundWorkerHandle *handle;
	TimestampTz last_start;
} LauncherSlot;

static LauncherSlot *lslots = NULL;

/* The launcher is exiting: nobody is there to wake any more. */
static void
LauncherDetach(int code, Datum arg)
{
	LWLockAcquire(ScrapeState->lock, LW_EXCLUSIVE);
	if (ScrapeState->launcher_pid == MyProcPid)
	{
		ScrapeState->launcher_pid = 0;
		ScrapeState->launcher_latch = NULL;
	}
	LWLockRelease(ScrapeState->lock);
}

/*
 * Begin one of the launcher's short transactions on the extension's
 * objects: SPI, a snapshot, and the extension locked against a DROP
 * EXTENSION until it ends (ScrapeExtensionAttach).  Returns false, with the
 * transaction ended, when the extension is gone or being dropped: the pass
 * is skipped, and the next look at pg_extension tells what happened.
 */
static bool
LauncherBegin(const char *activity)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (!ScrapeExtensionAttach(NULL))
	{
		CommitTransactionCommand();
		return false;
	}
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, activity);
	return true;
}

static void
LauncherCommit(void)
{
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
}

/*
 * Whether the extension is installed here at the version this library
 * serves (version.h).  A change is published for scrape_launcher() and
 * logged once: a library newer than the SQL waits, with one line saying
 * what to run, until ALTER EXTENSION UPDATE commits (which wakes us).
 */
static bool
ExtensionReady(void)
{
	static int	last_status = -1;
	static char last_installed[SCRAPE_VERSION_LEN];
	char		installed[SCRAPE_VERSION_LEN];
	ScrapeExtensionStatus status;
	Oid			ext;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	status = ScrapeExtensionCheck(&ext, installed);
	CommitTransactionCommand();
	/*
	 * The metrics of a new extension (start-up, re-created, restored) are
	 * set before any worker of ours counts into them.
	 */
	if (status == SCRAPE_EXT_READY && MetricsNeedRestore(ext) &&
		LauncherBegin("scrape_jobs: restoring the metrics"))
	{
		MetricsRestore();
		LauncherCommit();
	}

	if ((int) status == last_status && strcmp(installed, last_installed) == 0)
		return status == SCRAPE_EXT_READY;

	LWLockAcquire(ScrapeState->lock, LW_EXCLUSIVE);
	ScrapeState->ext_status = status;
	strlcpy(ScrapeState->ext_installed, installed, SCRAPE_VERSION_LEN);
	LWLockRelease(ScrapeState->lock);

	if (status == SCRAPE_EXT_MISMATCH)
		ereport(LOG,
				(errmsg("scrape_jobs is waiting for ALTER EXTENSION scrape_jobs UPDATE in database \"%s\"",
						scrape_database),
				 errdetail("Version %s of the extension is installed; this library serves version %s.",
						   installed, SCRAPE_JOBS_VERSION),
				 errhint("Run ALTER EXTENSION scrape_jobs UPDATE in database \"%s\"; the workers start when it commits.",
						 scrape_database)));
	else if (status == SCRAPE_EXT_READY && last_status == SCRAPE_EXT_MISMATCH)
		ereport(LOG,
				(errmsg("scrape_jobs found version %s installed in database \"%s\" and starts its workers",
						installed, scrape_database)));
	last_status = status;
	strlcpy(last_installed, installed, SCRAPE_VERSION_LEN);
	return status == SCRAPE_EXT_READY;
}

/* Tokens of the workers alive now; returns their count. */
static int
LiveTokens(uint64 *tokens)
{
	int			n = 0;
	int			i;

	LWLockAcquire(ScrapeState->lock, LW_SHARED);
	for (i = 0; i < ScrapeState->nslots; i++)
		if (ScrapeState->slots[i].pid != 0)
			tokens[n++] = ScrapeState->slots[i].token;
	LWLockRelease(ScrapeState->lock);
	return n;
}

#define MAX_MARKERS 256			/* extraction markers read per release */

/*
 * Count against its page each crash of the extracting stage that a dead
 * worker's extraction marker names (journal.h), in the release's
 * transaction.  A token alive before the release or now is no crash: the
 * worker may be parsing that page.
 */
static void
NoteExtractionCrashes(const uint64 *live_before, int n_before)
{
	uint64	   *tokens = palloc(sizeof(uint64) * MAX_MARKERS);
	int64	   *pages = palloc(sizeof(int64) * MAX_MARKERS);
	int			n = JournalListExtracting(tokens, pages, MAX_MARKERS);
	uint64	   *live_now = palloc(sizeof(uint64) * ScrapeState->nslots);
	int			n_now = LiveTokens(live_now);
	int			i,
				j;

	for (i = 0; i < n; i++)
	{
		bool		live = false;
		int			crashes;

		for (j = 0; j < n_before && !live; j++)
			live = (live_before[j] == tokens[i]);
		for (j = 0; j < n_now && !live; j++)
			live = (live_now[j] == tokens[i]);
		if (live)
			continue;
		crashes = QueueNoteExtractionCrash(pages[i]);
		if (crashes > 0)
			ereport(LOG,
					(errmsg("scrape_jobs worker crashed while extracting page " INT64_FORMAT " (crash %d of the page)",
							pages[i], crashes),
					 errdetail("After %d crashes the extracting stage passes the page by (scrape_jobs.max_attempts).",
							   scrape_max_attempts)));
	}
}

/*
 * Return to the queue the pages of workers that no longer exist, and count
 * the crashes of the extracting stage they had in hand.
 */
static void
ReleaseOrphans(void)
{
	uint64	   *tokens = palloc(sizeof(uint64) * ScrapeState->nslots);
	int			n = LiveTokens(tokens);
	int			released;

	if (!LauncherBegin("scrape_jobs: releasing orphaned pages"))
	{
		pfree(tokens);
		return;
	}
	released = QueueReleaseOrphans(tokens, n);
	NoteExtractionCrashes(tokens, n);
	LauncherCommit();

	/* the journals of the workers whose pages went back are done with */
	{
		uint64	   *now_live = palloc(sizeof(uint64) * ScrapeState->nslots);
		int			n_now = LiveTokens(now_live);

		JournalRemoveDead(tokens, n, now_live, n_now);
		pfree(now_live);
	}
	pfree(tokens);

	if (released > 0)
		ereport(LOG,
				(errmsg("scrape_jobs returned %d pages held by exited workers to the queue",
						released)));
}

/*
 * Whether the monitor has anything to look at.  With no job processing at
 * the last pass, no work queued since, and every worker idle with nothing
 * in hand, nothing can get stuck and no count can have changed: the
 * monitor rests, so that an idle system runs no query at all.  (History
 * pruning waits for the next activity; pg_cron can still run
 * scrape_monitor() on its own schedule.)
 */
static uint64 monitor_seen_generation = 0;
static uint64 monitor_seen_counts = 0;
static bool monitor_saw_jobs = true;

static bool
MonitorNeeded(void)
{
	uint64		gen = pg_atomic_read_u64(&ScrapeState->work_generation);
	bool		busy = false;
	int			i;

	if (monitor_saw_jobs || gen != monitor_seen_generation ||
		MetricsFingerprint() != monitor_seen_counts)
		return true;
	LWLockAcquire(ScrapeState->lock, LW_SHARED);
	for (i = 0; i < ScrapeState->nslots; i++)
	{
		ScrapeWorkerSlot *slot = &ScrapeState->slots[i];

		if (slot->pid != 0 &&
			(slot->inflight > 0 || slot->current_job != 0 ||
			 slot->state == SCRAPE_WORKER_FETCHING ||
			 slot->state == SCRAPE_WORKER_WRITING))
			busy = true;
	}
	LWLockRelease(ScrapeState->lock);
	return busy;
}

/* The monitor: recover stuck jobs, prune old history (scrape_monitor()). */
static void
DetectStuckJobs(void)
{
	int			recovered;
	uint64		gen = pg_atomic_read_u64(&ScrapeState->work_generation);
	uint64		counts;

	if (!LauncherBegin("scrape_jobs: detecting stuck jobs"))
		return;
	MetricsRestore();
	/* (after the restore, which changes them, and before the save) */
	counts = MetricsFingerprint();
	recovered = QueueDetectStuck();
	MetricsFlush();
	monitor_saw_jobs = QueueAnyJobProcessing();
	monitor_seen_generation = gen;
	monitor_seen_counts = counts;
	LauncherCommit();

	if (recovered > 0)
		ereport(LOG,
				(errmsg("scrape_jobs recovered %d stuck jobs", recovered)));
}

/* Alert the abnormal worker exits the workers reported (worker.c). */
static void
AlertCrashes(void)
{
	ScrapeCrash crashes[SCRAPE_MAX_CRASHES];
	int			n;
	int			i;

	/*
	 * At shutdown the postmaster terminates the workers and us together:
	 * their exits are no crash.  If we are being terminated too, go.
	 */
	CHECK_FOR_INTERRUPTS();
	LWLockAcquire(ScrapeState->lock, LW_EXCLUSIVE);
	n = ScrapeState->ncrashes;
	memcpy(crashes, ScrapeState->crashes, sizeof(ScrapeCrash) * n);
	ScrapeState->ncrashes = 0;
	LWLockRelease(ScrapeState->lock);
	if (n == 0)
		return;

	if (!LauncherBegin("scrape_jobs: recording worker crashes"))
		return;
	for (i = 0; i < n; i++)
		QueueRecordWorkerCrash(crashes[i].slot, crashes[i].pid,
							   crashes[i].exit_code, crashes[i].at);
	LauncherCommit();
	ereport(LOG,
			(errmsg("scrape_jobs recorded %d worker_crashed alerts", n)));
}

/* Forget handles of workers that stopped; true if any did. */
static bool
ReapWorkers(void)
{
	bool		any = false;
	int			i;

	for (i = 0; i < ScrapeState->nslots; i++)
	{
		pid_t		pid;

		if (lslots[i].handle == NULL)
			continue;
		if (GetBackgroundWorkerPid(lslots[i].handle, &pid) == BGWH_STOPPED)
		{
			pfree(lslots[i].handle);
			lslots[i].handle = NULL;
			any = true;
		}
	}
	return any;
}

static bool
SlotOccupied(int slotno)
{
	bool		occupied;

	LWLockAcquire(ScrapeState->lock, LW_SHARED);
	occupied = ScrapeState->slots[slotno].pid != 0;
	LWLockRelease(ScrapeState->lock);
	return occupied;
}

static void
StartWorker(int slotno)
{
	BackgroundWorker bgw;
	MemoryContext old;
	bool		ok;

	memset(&bgw, 0, sizeof(bgw));
	bgw.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	bgw.bgw_start_time = BgWorkerStart_RecoveryFinished;
	bgw.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(bgw.bgw_library_name, BGW_MAXLEN, "scrape_jobs");
	snprintf(bgw.bgw_function_name, BGW_MAXLEN, "ScrapeWorkerMain");
	snprintf(bgw.bgw_name, BGW_MAXLEN, "scrape_jobs worker %d", slotno);
	snprintf(bgw.bgw_type, BGW_MAXLEN, "scrape_jobs worker");
	bgw.bgw_main_arg = Int32GetDatum(slotno);
	memcpy(bgw.bgw_extra, &MyDatabaseId, sizeof(Oid));
	bgw.bgw_notify_pid = MyProcPid;

	lslots[slotno].last_start = GetCurrentTimestamp();
	old = MemoryContextSwitchTo(TopMemoryContext);
	ok = RegisterDynamicBackgroundWorker(&bgw, &lslots[slotno].handle);
	MemoryContextSwitchTo(old);
	if (!ok)
	{
		lslots[slotno].handle = NULL;
		ereport(WARNING,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("could not start scrape_jobs worker %d", slotno),
				 errhint("You may need to increase \"max_worker_processes\".")));
	}
}

/*
 * Start a worker in every empty slot whose last start is long enough ago.
 * Returns the milliseconds until a delayed restart is due, or -1.
 */
static long
StartMissingWorkers(void)
{
	TimestampTz now = GetCurrentTimestamp();
	long		next = -1;
	int			i;

	for (i = 0; i < ScrapeState->nslots; i++)
	{
		TimestampTz due;

		/* a worker of a previous launcher may still hold the slot */
		if (lslots[i].handle != NULL || SlotOccupied(i))
			continue;
		due = TimestampTzPlusMilliseconds(lslots[i].last_start, RESTART_DELAY_MS);
		if (lslots[i].last_start != 0 && due > now)
		{
			long		ms = (long) ((due - now) / 1000) + 1;

			next = next < 0 ? ms : Min(next, ms);
			continue;
		}
		StartWorker(i);
		if (lslots[i].handle == NULL)
			next = next < 0 ? 10 * RESTART_DELAY_MS :
				Min(next, 10 * RESTART_DELAY_MS);
	}
	return next;
}

/*
 * On a hot standby the launcher starts at consistency (scrape_jobs.c), so
 * that the log and scrape_launcher() say why nothing runs, and waits here,
 * unconnected, until the server is promoted: a standby's database is read
 * only, and its queue is the primary's.
 */
static void
WaitForPromotion(void)
{
	if (!RecoveryInProgress())
		return;

	LWLockAcquire(ScrapeState->lock, LW_EXCLUSIVE);
	ScrapeState->ext_status = SCRAPE_EXT_STANDBY;
	LWLockRelease(ScrapeState->lock);
	ereport(LOG,
			(errmsg("scrape_jobs launcher is waiting for the server to be promoted"),
			 errdetail("The server is a standby; no fetch worker runs while it is in recovery.")));

	while (RecoveryInProgress())
	{
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 PROMOTION_RECHECK_MS, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
	}
	ereport(LOG,
			(errmsg("scrape_jobs launcher is starting: the server was promoted")));
}

void
ScrapeLauncherMain(Datum main_arg)
{
	sigjmp_buf	local_sigjmp_buf;
	volatile bool released_once = false;
	volatile TimestampTz last_monitor = 0;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	LWLockAcquire(ScrapeState->lock, LW_EXCLUSIVE);
	ScrapeState->launcher_pid = MyProcPid;
	ScrapeState->launcher_latch = MyLatch;
	LWLockRelease(ScrapeState->lock);
	before_shmem_exit(LauncherDetach, (Datum) 0);

	WaitForPromotion();
	BackgroundWorkerInitializeConnection(scrape_database, NULL, 0);
	pgstat_report_appname("scrape_jobs launcher");

	lslots = MemoryContextAllocZero(TopMemoryContext,
									sizeof(LauncherSlot) * ScrapeState->nslots);

	/*
	 * Our queries give up on a lock after 500 ms (guc.c), before the
	 * deadlock detector (deadlock_timeout, 1 s) could pick an
	 * administrator's DROP EXTENSION as the victim; a pass that fails is
	 * retried (below).
	 */
	ScrapePinSessionSettings();
	if (sigsetjmp(local_sigjmp_buf, 1) != 0)
	{
		QueueRecoverFromError();
		released_once = false;	/* what failed may have been that */
	}
	PG_exception_stack = &local_sigjmp_buf;

	for (;;)
	{
		long		timeout = ABSENT_RECHECK_MS;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		if (ExtensionReady())
		{
			bool		exited = ReapWorkers();

			TimestampTz now;
			long		monitor_ms;

			/* (a worker of a previous launcher reports its exit here too) */
			AlertCrashes();
			if (!released_once || exited)
			{
				ReleaseOrphans();
				released_once = true;
			}
			timeout = StartMissingWorkers();

			now = GetCurrentTimestamp();
			if (TimestampDifferenceExceeds(last_monitor, now,
										   scrape_monitor_interval_ms))
			{
				if (MonitorNeeded())
					DetectStuckJobs();
				last_monitor = now;
			}
			monitor_ms = scrape_monitor_interval_ms -
				(long) ((now - last_monitor) / 1000);
			timeout = timeout < 0 ? Max(monitor_ms, 1) :
				Min(timeout, Max(monitor_ms, 1));
		}
		else
			released_once = false;

		(void) WaitLatch(MyLatch,
						 WL_LATCH_SET | WL_EXIT_ON_PM_DEATH |
						 (timeout >= 0 ? WL_TIMEOUT : 0),
						 timeout, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}
