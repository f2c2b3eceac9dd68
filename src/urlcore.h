/*-------------------------------------------------------------------------
 * urlcore.h
 *	  URL normalisation and the resolution of a page's references, without
 *	  PostgreSQL's memory or error machinery, so that it can run in libcurl
 *	  callbacks and in fuzzing harnesses.
 *-------------------------------------------------------------------------
 */
#ifndef SCRAPE_URLCORE_H
#define SCRAPE_URLCORE_H

#include <stddef.h>

/*
 * Longest URL accepted, in bytes as stored (normalised, percent-encoded):
 * at submit, for the links a page gives, for sitemaps' URLs.  Longer ones
 * are refused rather than truncated.  A URL must fit the btree entry of
 * scraping_pages' unique (session_id, url) index, at most 2704 bytes: 0.1.7
 * took 8192, and a hostile page's long link failed the worker's result
 * write.  2048 is the sitemaps protocol's limit too (Scrapy's
 * URLLENGTH_LIMIT is 2083).
 */
#define SCRAPE_MAX_URL_LENGTH 2048

typedef enum UrlError
{
	URL_OK = 0,
	URL_EMPTY,
	URL_TOO_LONG,
	URL_UNPARSABLE,				/* libcurl's parser refused it */
	URL_BAD_SCHEME,				/* not http or https */
	URL_NO_HOST,
	URL_NO_MEMORY
} UrlError;

extern UrlError UrlNormalizeRaw(const char *url, char **normalized,
								char *detail, size_t detaillen);
extern UrlError UrlResolveRaw(const char *base, const char *ref,
							  char **resolved, char *detail, size_t detaillen);
extern char *UrlHostRaw(const char *url);

#endif							/* SCRAPE_URLCORE_H */
