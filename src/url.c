/*-------------------------------------------------------------------------
 * url.c
 *	  URL validation and normalisation through libcurl's URL API.
 *
 * URLs are parsed by curl_url(), the parser the fetcher itself uses, so a
 * URL accepted at submit time is one libcurl will fetch as we stored it.
 * Normalisation, so that the same page submitted twice is one row: scheme
 * and host lower-cased, the default port dropped, an empty path made "/"
 * (by libcurl), the fragment dropped (it is never sent).  Fuller
 * canonicalisation for crawl dedupe (dot-segments, percent-encoding) comes
 * with crawl mode.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <curl/curl.h>

#include "url.h"

/* Raise the error for a URL that libcurl refused. */
static void
ReportBadUrl(const char *url, CURLU *h, CURLUcode rc)
{
	const char *reason = curl_url_strerror(rc);

	curl_url_cleanup(h);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid URL \"%s\"", url),
			 errdetail("libcurl's URL parser reports: %s.", reason)));
}

/* Return a copy of part of a parsed URL, or NULL when it is absent. */
static char *
GetUrlPart(CURLU *h, CURLUPart part)
{
	char	   *value = NULL;
	char	   *copy;

	if (curl_url_get(h, part, &value, 0) != CURLUE_OK || value == NULL)
		return NULL;
	copy = pstrdup(value);
	curl_free(value);
	return copy;
}

/* Remove an explicit port that is the scheme's default. */
static void
DropDefaultPort(CURLU *h, const char *scheme)
{
	char	   *port = GetUrlPart(h, CURLUPART_PORT);

	if (port == NULL)
		return;
	if ((strcmp(scheme, "http") == 0 && strcmp(port, "80") == 0) ||
		(strcmp(scheme, "https") == 0 && strcmp(port, "443") == 0))
		(void) curl_url_set(h, CURLUPART_PORT, NULL, 0);
}

/*
 * Validate an absolute http(s) URL and return it normalised (palloc'd).
 * Raises an error with SQLSTATE 22023 for anything we would not fetch.
 */
char *
ScrapeNormalizeUrl(const char *url)
{
	CURLU	   *h;
	CURLUcode	rc;
	char	   *scheme;
	char	   *host;
	char	   *c;
	char	   *result;

	if (url[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("URL must not be empty")));
	if (strlen(url) > SCRAPE_MAX_URL_LENGTH)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("URL is too long"),
				 errdetail("The URL has %zu bytes; at most %d are accepted.",
						   strlen(url), SCRAPE_MAX_URL_LENGTH)));

	h = curl_url();
	if (h == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));

	/* Accept any scheme here so that we can say which one we refuse. */
	rc = curl_url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
	if (rc != CURLUE_OK)
		ReportBadUrl(url, h, rc);

	scheme = GetUrlPart(h, CURLUPART_SCHEME);
	if (scheme == NULL ||
		(strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0))
	{
		curl_url_cleanup(h);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("URL scheme \"%s\" is not supported",
						scheme ? scheme : ""),
				 errdetail("Only http and https URLs can be scraped.")));
	}

	host = GetUrlPart(h, CURLUPART_HOST);
	if (host == NULL || host[0] == '\0')
	{
		curl_url_cleanup(h);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid URL \"%s\"", url),
				 errdetail("The URL has no host name.")));
	}

	/* host names are case-insensitive (RFC 3986, 3.2.2) */
	for (c = host; *c; c++)
		*c = pg_ascii_tolower((unsigned char) *c);
	(void) curl_url_set(h, CURLUPART_HOST, host, 0);
	DropDefaultPort(h, scheme);
	(void) curl_url_set(h, CURLUPART_FRAGMENT, NULL, 0);
	result = GetUrlPart(h, CURLUPART_URL);
	curl_url_cleanup(h);

	if (result == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid URL \"%s\"", url)));
	return result;
}

/*
 * The lower-case host of a stored URL, allocated in cxt; NULL if it cannot
 * be parsed.  Never throws (workers call it on claimed pages).
 */
char *
ScrapeUrlHost(const char *url, MemoryContext cxt)
{
	CURLU	   *h = curl_url();
	char	   *host = NULL;
	char	   *result = NULL;

	if (h == NULL)
		return NULL;
	if (curl_url_set(h, CURLUPART_URL, url, 0) == CURLUE_OK &&
		curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK && host != NULL)
	{
		result = MemoryContextAllocExtended(cxt, strlen(host) + 1,
											MCXT_ALLOC_NO_OOM);
		if (result != NULL)
		{
			char	   *c;

			strcpy(result, host);
			for (c = result; *c; c++)
				*c = pg_ascii_tolower((unsigned char) *c);
		}
	}
	if (host != NULL)
		curl_free(host);
	curl_url_cleanup(h);
	return result;
}
