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

#include "alerts.h"
#include "guc.h"
#include "launcher.h"
#include "shmem.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

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
	ScrapeRegisterLauncher();
	ScrapeRegisterAlerter();
}
