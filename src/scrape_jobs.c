/*-------------------------------------------------------------------------
 * scrape_jobs.c
 *	  Entry point of the scrape_jobs extension.
 *
 * The library must be in shared_preload_libraries: it needs shared memory
 * and registers the launcher background worker, which in turn starts the
 * fetch workers (see launcher.c and docs/architecture.md), and the alerter,
 * which delivers alerts to Sentry (alerts.c).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "postmaster/bgworker.h"

#include "alerts.h"
#include "guc.h"
#include "launcher.h"
#include "shmem.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/*
 * Register a static background worker of ours, connected to
 * scrape_jobs.database (the function does that), restarted 10 s after it
 * dies, started at start_time.
 */
static void
RegisterStaticWorker(const char *function, const char *name,
					 BgWorkerStartTime start_time)
{
	BackgroundWorker bgw;

	memset(&bgw, 0, sizeof(bgw));
	bgw.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	bgw.bgw_start_time = start_time;
	bgw.bgw_restart_time = 10;
	snprintf(bgw.bgw_library_name, BGW_MAXLEN, "scrape_jobs");
	snprintf(bgw.bgw_function_name, BGW_MAXLEN, "%s", function);
	snprintf(bgw.bgw_name, BGW_MAXLEN, "%s", name);
	snprintf(bgw.bgw_type, BGW_MAXLEN, "%s", name);
	RegisterBackgroundWorker(&bgw);
}

void
_PG_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("scrape_jobs must be loaded via \"shared_preload_libraries\""),
				 errhint("Add scrape_jobs to \"shared_preload_libraries\" in postgresql.conf and restart the server.")));

	ScrapeDefineGucs();
	ScrapeShmemInstallHooks();
	/* (the launcher on a hot standby too, to say that it waits there) */
	RegisterStaticWorker("ScrapeLauncherMain", "scrape_jobs launcher",
						 BgWorkerStart_ConsistentState);
	RegisterStaticWorker("ScrapeAlerterMain", "scrape_jobs alerter",
						 BgWorkerStart_RecoveryFinished);
}
