/*-------------------------------------------------------------------------
 * stages.h
 *	  The stages of a job after scraping: extracting and creating_products.
 *-------------------------------------------------------------------------
 */
#ifndef SCRAPE_STAGES_H
#define SCRAPE_STAGES_H

/*
 * Do one batch of stage work in its own transaction, if any session has
 * some.  A busy worker (transfers waiting to start) takes a session that
 * still scrapes only for a quarter of a batch or more; an idle one takes
 * any.  Returns false when none was found (the worker stops looking until
 * it is woken again, or until it is idle after a busy pass found none).
 */
extern bool StagePass(bool busy);

#endif							/* SCRAPE_STAGES_H */
