/*-------------------------------------------------------------------------
 * stages.h
 *	  The stages of a job after scraping: extracting and creating_products.
 *-------------------------------------------------------------------------
 */
#ifndef SCRAPE_STAGES_H
#define SCRAPE_STAGES_H

/*
 * Do one batch of stage work in its own transaction, if any session has
 * some.  Returns false when none was found (the worker stops looking until
 * it is woken again).
 */
extern bool StagePass(void);

#endif							/* SCRAPE_STAGES_H */
