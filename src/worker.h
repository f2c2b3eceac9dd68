/*-------------------------------------------------------------------------
 * worker.h
 *	  A fetch worker: claims pages, fetches them, writes the results.
 *-------------------------------------------------------------------------
 */
#ifndef SCRAPE_WORKER_H
#define SCRAPE_WORKER_H

#include "fmgr.h"

extern PGDLLEXPORT void ScrapeWorkerMain(Datum main_arg);

#endif							/* SCRAPE_WORKER_H */
