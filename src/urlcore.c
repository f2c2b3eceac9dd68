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
 *
 * References found in pages (href, src, ...) are resolved against the
 * page's base URL as browsers do (UrlResolveRaw): the white space that
 * templates leave around and inside attribute values is dropped first, and
 * a reference that is empty or only a fragment is the base itself.
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

/*
 * The WHATWG URL Standard's C0 control or space, which its basic URL parser
 * strips from both ends of its input before anything else.
 */
static bool
IsC0OrSpace(char c)
{
	return (unsigned char) c <= 0x20;
}

/*
 * A malloc'd copy of ref cleaned as the WHATWG basic URL parser cleans its
 * input: leading and trailing C0 controls and spaces stripped, every ASCII
 * tab and newline (TAB, LF, CR) removed.  Page templates leave them around
 * and inside attribute values, and browsers follow such links, so we must
 * too; it also makes "java\nscript:" the "javascript:" browsers see.
 */
static char *
CleanReference(const char *ref)
{
	const char *start = ref;
	const char *end = ref + strlen(ref);
	char	   *clean;
	char	   *out;

	while (start < end && IsC0OrSpace(*start))
		start++;
	while (end > start && IsC0OrSpace(end[-1]))
		end--;
	clean = malloc(end - start + 1);
	if (clean == NULL)
		return NULL;
	for (out = clean; start < end; start++)
		if (*start != '\t' && *start != '\n' && *start != '\r')
			*out++ = *start;
	*out = '\0';
	return clean;
}

/* Is c written as an escape in a path (in_query false) or a query? */
static bool
EncodedByBrowsers(unsigned char c, bool in_query)
{
	/* the WHATWG URL Standard's path and special-query percent-encode sets */
	if (c < 0x20 || c >= 0x7f || c == ' ' || c == '"' || c == '<' || c == '>')
		return true;
	return in_query ? c == '\'' : (c == '`' || c == '{' || c == '}');
}

/*
 * Where the path of a URL or reference starts: after "scheme://authority"
 * or "//authority", at the start of a relative reference; NULL for a
 * reference with a scheme and no authority ("mailto:x"), left alone.
 */
static const char *
PathStart(const char *ref)
{
	const char *p = ref;

	if (isalpha((unsigned char) *p))
	{
		while (isalnum((unsigned char) *p) || *p == '+' || *p == '-' || *p == '.')
			p++;
		if (*p != ':')
			return ref;			/* no scheme: relative */
		if (strncmp(p, "://", 3) != 0)
			return NULL;
		p += 1;
	}
	else if (strncmp(p, "//", 2) != 0)
		return ref;
	p += 2;
	return p + strcspn(p, "/?#");
}

/*
 * ref (cleaned) spelled as a browser sends it, malloc'd: the fragment cut
 * off (it is never sent), in the path and query every byte outside
 * US-ASCII (UTF-8 in pages) and the characters browsers escape written as
 * %XX, and a backslash in the path a slash, as browsers read http(s)
 * URLs.  A submitted URL and a link go through this one rule, so that
 * "/你好", "/%E4%BD%A0%E5%A5%BD" and "/a b" are one spelling however they
 * reach us (libcurl 7.88 escapes them in relative references only, and
 * refuses a space in an absolute URL).
 */
static char *
BrowserSpelling(const char *ref)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *path = PathStart(ref);
	size_t		len = strcspn(ref, "#");
	char	   *out = malloc(len * 3 + 1);
	char	   *o = out;
	bool		in_query = false;
	size_t		i;

	if (out == NULL)
		return NULL;
	if (path == NULL || (size_t) (path - ref) > len)
		path = ref + len;		/* nothing to escape */
	memcpy(o, ref, path - ref);
	o += path - ref;
	for (i = path - ref; i < len; i++)
	{
		unsigned char c = (unsigned char) ref[i];

		if (c == '?')
			in_query = true;
		if (c == '\\' && !in_query)
			*o++ = '/';
		else if (EncodedByBrowsers(c, in_query))
		{
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
		else
			*o++ = (char) c;
	}
	*o = '\0';
	return out;
}

/* CleanReference, then BrowserSpelling: what we give libcurl's parser. */
static char *
PrepareReference(const char *ref)
{
	char	   *clean = CleanReference(ref);
	char	   *spelled;

	if (clean == NULL)
		return NULL;
	spelled = BrowserSpelling(clean);
	free(clean);
	return spelled;
}

/* One round of parsing and normalising. */
static UrlError
NormalizeOnce(const char *url, char **normalized, char *detail,
			  size_t detaillen)
{
	CURLU	   *h;
	CURLUcode	rc;
	UrlError	err;
	char	   *spelled;

	*normalized = NULL;
	detail[0] = '\0';
	if (strlen(url) > SCRAPE_MAX_URL_LENGTH)
		return URL_TOO_LONG;
	/*
	 * Every round, not only the first: libcurl may read a URL we left
	 * alone as one with a path to spell ("http:/30/a>b" comes back as
	 * "http://30/a>b"; found by test/fuzz/fuzz_url).
	 */
	spelled = PrepareReference(url);
	if (spelled == NULL)
		return URL_NO_MEMORY;
	if (spelled[0] == '\0')
		err = URL_EMPTY;
	else if (strlen(spelled) > SCRAPE_MAX_URL_LENGTH)
		err = URL_TOO_LONG;
	else if ((h = curl_url()) == NULL)
		err = URL_NO_MEMORY;
	else
	{
		/* accept any scheme here so that we can say which one we refuse */
		rc = curl_url_set(h, CURLUPART_URL, spelled, CURLU_NON_SUPPORT_SCHEME);
		if (rc != CURLUE_OK)
		{
			snprintf(detail, detaillen, "%s", curl_url_strerror(rc));
			err = URL_UNPARSABLE;
		}
		else
			err = Normalize(h, normalized, detail, detaillen);
		curl_url_cleanup(h);
	}
	free(spelled);
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

/* libcurl's resolution of ref against base, curl_free'd by the caller. */
static UrlError
JoinReference(const char *base, const char *ref, char **joined, char *detail,
			  size_t detaillen)
{
	CURLU	   *h = curl_url();
	CURLUcode	rc;

	*joined = NULL;
	if (h == NULL)
		return URL_NO_MEMORY;
	rc = curl_url_set(h, CURLUPART_URL, base, 0);
	if (rc == CURLUE_OK)
		rc = curl_url_set(h, CURLUPART_URL, ref, CURLU_NON_SUPPORT_SCHEME);
	if (rc == CURLUE_OK)
		rc = curl_url_get(h, CURLUPART_URL, joined, 0);
	curl_url_cleanup(h);
	if (rc != CURLUE_OK)
	{
		snprintf(detail, detaillen, "%s", curl_url_strerror(rc));
		return URL_UNPARSABLE;
	}
	return URL_OK;
}

/*
 * Resolve a reference found in a page against its base URL (the page's
 * URL or its <base href>), as a browser would, and normalise the result
 * (UrlNormalizeRaw: so it has an http(s) scheme and a host).  On URL_OK
 * *resolved is malloc'd; otherwise detail says why not.
 *
 * A reference that is empty or only a fragment ("#top") is the base itself
 * without its fragment (RFC 3986, 5.2.2: the base's path and query are
 * kept).  libcurl 7.88 resolves both to the base's directory instead, a
 * page nobody linked to ("https://shop.example/dir/page.html" + "#top"
 * gives "https://shop.example/dir/"), so we answer them ourselves; every
 * other reference, "?q=1" included, libcurl resolves as RFC 3986 says.
 */
UrlError
UrlResolveRaw(const char *base, const char *ref, char **resolved,
			  char *detail, size_t detaillen)
{
	char	   *clean;
	char	   *joined = NULL;
	UrlError	err;

	*resolved = NULL;
	detail[0] = '\0';
	if (base == NULL || ref == NULL)
		return URL_EMPTY;
	/* longer than any URL we keep (dot-segments aside): not worth parsing */
	if (strlen(ref) > SCRAPE_MAX_URL_LENGTH * 3)
		return URL_TOO_LONG;
	clean = PrepareReference(ref);		/* (without its fragment) */
	if (clean == NULL)
		return URL_NO_MEMORY;
	if (strlen(clean) > SCRAPE_MAX_URL_LENGTH)
		err = URL_TOO_LONG;
	else if (clean[0] == '\0')
		err = UrlNormalizeRaw(base, resolved, detail, detaillen);
	else
	{
		err = JoinReference(base, clean, &joined, detail, detaillen);
		if (err == URL_OK)
			err = UrlNormalizeRaw(joined, resolved, detail, detaillen);
	}
	if (joined != NULL)
		curl_free(joined);
	free(clean);
	return err;
}
