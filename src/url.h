/*-------------------------------------------------------------------------
 * url.h
 *	  URL validation and normalisation through libcurl's URL API.
 *-------------------------------------------------------------------------
 */
#ifndef SCRAPE_URL_H
#define SCRAPE_URL_H

/* Longest URL accepted; longer ones are refused rather than truncated. */
#define SCRAPE_MAX_URL_LENGTH 8192

extern char *ScrapeNormalizeUrl(const char *url);
extern char *ScrapeUrlHost(const char *url, MemoryContext cxt);

#endif							/* SCRAPE_URL_H */
