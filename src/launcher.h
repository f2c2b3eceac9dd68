/*-------------------------------------------------------------------------
 * launcher.h
 *	  The launcher: one static background worker that keeps the pool of
 *	  fetch workers running in scrape_jobs.database.
 *-------------------------------------------------------------------------
 */
#ifndef SCRAPE_LAUNCHER_H
#define SCRAPE_LAUNCHER_H

#include "fmgr.h"

extern PGDLLEXPORT void ScrapeLauncherMain(Datum main_arg);

#endif							/* SCRAPE_LAUNCHER_H */
