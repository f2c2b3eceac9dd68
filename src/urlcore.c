/*-------------------------------------------------------------------------
 * urlcore.c
 *	  URL validation and normalisation through libcurl's URL API, with
 *	  malloc'd results and error codes instead of palloc and ereport (see
 *	  url.c for the PostgreSQL side).
 *
 * URLs are parsed by curl_url(), the parser the fetcher itself uses, so a
 * URL accepted at submit time is one libcurl will fetch as we stored it.
 * Normalisation, so that the same page submitted twice is one row (and a
 * crawl does not fetch one page under several spellings): scheme and host
 * lower-cased, the default port dropped, dot-segments removed and an empty
 * path made "/" (by libcurl), the fragment dropped (it is never sent),
 * percent-encoding normalised (unreserved characters decoded, other escapes
 * in upper case).
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "urlcore.h"

/* A malloc'd copy of part of a parsed URL, or NULL when it is absent. */
static char *
GetPart(CURLU *h, CURLUPart part)
{
	char	   *value = NULL;
	char	   *copy;

	if (curl_url_get(h, part, &value, 0) != CURLUE_OK || value == NULL)
		return NULL;
	copy = strdup(value);
	curl_free(value);
	return copy;
}

static void
LowerCase(char *s)
{
	for (; *s; s++)
		*s = (char) tolower((unsigned char) *s);
}

/* Remove an explicit port that is the scheme's default. */
static void
DropDefaultPort(CURLU *h, const char *scheme)
{
	char	   *port = GetPart(h, CURLUPART_PORT);

	if (port == NULL)
		return;
	if ((strcmp(scheme, "http") == 0 && strcmp(port, "80") == 0) ||
		(strcmp(scheme, "https") == 0 && strcmp(port, "443") == 0))
		(void) curl_url_set(h, CURLUPART_PORT, NULL, 0);
	free(port);
}

static int
HexDigit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

/*
 * Normalise percent-encoding in the path and query (RFC 3986, 6.2.2.2):
 * escapes of unreserved characters are decoded, other escapes written in
 * upper case.  In place: the result is never longer.
 */
static void
NormalizePercent(char *url)
{
	static const char hex[] = "0123456789ABCDEF";
	char	   *p = strstr(url, "://");
	char	   *out;

	if (p == NULL || (p = strchr(p + 3, '/')) == NULL)
		return;
	for (out = p; *p; p++)
	{
		int			hi;
		int			lo;

		if (*p == '%' && (hi = HexDigit(p[1])) >= 0 && (lo = HexDigit(p[2])) >= 0)
		{
			int			c = hi * 16 + lo;

			if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
				*out++ = (char) c;
			else
			{
				*out++ = '%';
				*out++ = hex[hi];
				*out++ = hex[lo];
			}
			p += 2;
		}
		else
			*out++ = *p;
	}
	*out = '\0';
}

/* Does libcurl parse this URL again, with a host? */
static bool
Reparses(const char *url)
{
	CURLU	   *h = curl_url();
	char	   *host;
	bool		ok;

	if (h == NULL)
		return false;
	ok = curl_url_set(h, CURLUPART_URL, url, 0) == CURLUE_OK;
	host = ok ? GetPart(h, CURLUPART_HOST) : NULL;
	ok = ok && host != NULL && host[0] != '\0';
	free(host);
	curl_url_cleanup(h);
	return ok;
}

/* Check the parsed URL and put it in normal form; returns URL_OK or why not. */
static UrlError
Normalize(CURLU *h, char **normalized, char *detail, size_t detaillen)
{
	char	   *scheme = GetPart(h, CURLUPART_SCHEME);
	char	   *host;
	UrlError	err = URL_OK;

	if (scheme == NULL ||
		(strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0))
	{
		snprintf(detail, detaillen, "%s", scheme ? scheme : "");
		free(scheme);
		return URL_BAD_SCHEME;
	}
	host = GetPart(h, CURLUPART_HOST);
	if (host == NULL || host[0] == '\0')
		err = URL_NO_HOST;
	else
	{
		/* host names are case-insensitive (RFC 3986, 3.2.2) */
		LowerCase(host);
		(void) curl_url_set(h, CURLUPART_HOST, host, 0);
		DropDefaultPort(h, scheme);
		(void) curl_url_set(h, CURLUPART_FRAGMENT, NULL, 0);
		*normalized = GetPart(h, CURLUPART_URL);
		if (*normalized != NULL)
			NormalizePercent(*normalized);
		if (*normalized == NULL)
			err = URL_UNPARSABLE;
		else if (!Reparses(*normalized))
		{
			/*
			 * libcurl accepts some hosts (percent-encoded control bytes,
			 * say) in a form it then refuses to parse again: a URL we could
			 * never fetch.  Found by test/fuzz/fuzz_url.
			 */
			snprintf(detail, detaillen, "%s", "the host name is not valid");
			free(*normalized);
			*normalized = NULL;
			err = URL_UNPARSABLE;
		}
	}
	free(host);
	free(scheme);
	return err;
}

/* One round of parsing and normalising. */
static UrlError
NormalizeOnce(const char *url, char **normalized, char *detail,
			  size_t detaillen)
{
	CURLU	   *h;
	CURLUcode	rc;
	UrlError	err;

	*normalized = NULL;
	detail[0] = '\0';
	if (url[0] == '\0')
		return URL_EMPTY;
	if (strlen(url) > SCRAPE_MAX_URL_LENGTH)
		return URL_TOO_LONG;

	h = curl_url();
	if (h == NULL)
		return URL_NO_MEMORY;
	/* accept any scheme here so that we can say which one we refuse */
	rc = curl_url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
	if (rc != CURLUE_OK)
	{
		snprintf(detail, detaillen, "%s", curl_url_strerror(rc));
		curl_url_cleanup(h);
		return URL_UNPARSABLE;
	}
	err = Normalize(h, normalized, detail, detaillen);
	curl_url_cleanup(h);
	return err;
}

/* The lower-case host of a URL, malloc'd; NULL if it cannot be parsed. */
char *
UrlHostRaw(const char *url)
{
	CURLU	   *h = curl_url();
	char	   *host = NULL;

	if (h == NULL)
		return NULL;
	if (curl_url_set(h, CURLUPART_URL, url, 0) == CURLUE_OK)
		host = GetPart(h, CURLUPART_HOST);
	curl_url_cleanup(h);
	if (host != NULL)
		LowerCase(host);
	return host;
}

/*
 * Validate an absolute http(s) URL.  On URL_OK *normalized is a malloc'd
 * normal form; otherwise detail says more (libcurl's reason, the scheme).
 *
 * libcurl's output is not always a fixed point of libcurl's parser
 * ("https:/%35" gives "https://5/", whose host then reads as 0.0.0.5), so
 * we normalise again until the URL stops changing: storing the fixed point
 * is what makes two spellings of a page one row.  (Found by
 * test/fuzz/fuzz_url.)
 */
UrlError
UrlNormalizeRaw(const char *url, char **normalized, char *detail,
				size_t detaillen)
{
	UrlError	err = NormalizeOnce(url, normalized, detail, detaillen);
	int			round;

	for (round = 0; err == URL_OK && round < 4; round++)
	{
		char	   *again = NULL;

		err = NormalizeOnce(*normalized, &again, detail, detaillen);
		if (err != URL_OK)
			break;
		if (strcmp(again, *normalized) == 0)
		{
			free(again);
			return URL_OK;
		}
		free(*normalized);
		*normalized = again;
	}
	if (err == URL_OK)
	{
		snprintf(detail, detaillen, "%s", "its normal form does not settle");
		err = URL_UNPARSABLE;
	}
	free(*normalized);
	*normalized = NULL;
	return err;
}
