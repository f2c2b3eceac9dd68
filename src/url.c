/*-------------------------------------------------------------------------
 * url.c
 *	  URL validation and normalisation for SQL callers and workers: the
 *	  PostgreSQL side of urlcore.c (palloc'd results, ereport on bad input).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "url.h"

/*
 * Validate an absolute http(s) URL and return it normalised (palloc'd).
 * Raises an error with SQLSTATE 22023 for anything we would not fetch.
 */
char *
ScrapeNormalizeUrl(const char *url)
{
	char		detail[256];
	char	   *normalized = NULL;
	char	   *result;
	UrlError	err = UrlNormalizeRaw(url, &normalized, detail, sizeof(detail));

	switch (err)
	{
		case URL_OK:
			break;
		case URL_EMPTY:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("URL must not be empty")));
			break;
		case URL_TOO_LONG:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("URL is too long"),
					 errdetail("The URL has %zu bytes; at most %d are accepted.",
							   strlen(url), SCRAPE_MAX_URL_LENGTH)));
			break;
		case URL_UNPARSABLE:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid URL \"%s\"", url),
					 errdetail("libcurl's URL parser reports: %s.", detail)));
			break;
		case URL_BAD_SCHEME:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("URL scheme \"%s\" is not supported", detail),
					 errdetail("Only http and https URLs can be scraped.")));
			break;
		case URL_NO_HOST:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid URL \"%s\"", url),
					 errdetail("The URL has no host name.")));
			break;
		case URL_NO_MEMORY:
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory")));
			break;
	}
	result = pstrdup(normalized);
	free(normalized);
	return result;
}

/*
 * The lower-case host of a stored URL, allocated in cxt; NULL if it cannot
 * be parsed or memory is short.  Never throws (workers call it on claimed
 * pages).
 */
char *
ScrapeUrlHost(const char *url, MemoryContext cxt)
{
	char	   *host = UrlHostRaw(url);
	char	   *result = NULL;

	if (host == NULL)
		return NULL;
	result = MemoryContextAllocExtended(cxt, strlen(host) + 1, MCXT_ALLOC_NO_OOM);
	if (result != NULL)
		strcpy(result, host);
	free(host);
	return result;
}
