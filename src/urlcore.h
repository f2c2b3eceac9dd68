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

/* Longest URL accepted; longer ones are refused rather than truncated. */
#define SCRAPE_MAX_URL_LENGTH 8192

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
