/*-------------------------------------------------------------------------
 * url.h
 *	  URL validation and normalisation for SQL callers and workers.
 *-------------------------------------------------------------------------
 */
#ifndef SCRAPE_URL_H
#define SCRAPE_URL_H

#include "urlcore.h"

extern char *ScrapeNormalizeUrl(const char *url);
extern char *ScrapeUrlHost(const char *url, MemoryContext cxt);
extern char *ScrapeUrlOrigin(const char *url, MemoryContext cxt);

#endif							/* SCRAPE_URL_H */
