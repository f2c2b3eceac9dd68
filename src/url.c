/*-------------------------------------------------------------------------
 * url.c
 *	  URL validation and normalisation for SQL callers and workers: the
 *	  PostgreSQL side of urlcore.c (palloc'd results, ereport on bad input).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "catalog/pg_collation.h"
#include "utils/builtins.h"
#include "utils/formatting.h"
#include "utils/memutils.h"

#include "ssrf.h"
#include "url.h"

PG_FUNCTION_INFO_V1(scrape_url_origin);
PG_FUNCTION_INFO_V1(scrape_url_path);
PG_FUNCTION_INFO_V1(scrape_url_host);
PG_FUNCTION_INFO_V1(scrape_url_in_scope);

/*
 * The parts of a stored URL, as byte offsets: what the SQL helpers
 * _scrape_origin, _scrape_path and _scrape_host return.  They were regular
 * expressions in SQL; a crawl calls them for every link it finds (tens of
 * thousands per second), so they are plain scans here, with the same
 * results as those expressions (sql/urlparts.sql compares the two):
 *	 origin  ^[a-z][a-z0-9+.-]*://[^/?#]*
 *	 path    what follows the origin up to a '#', or "/" if empty
 *	 host    after the scheme, less a userinfo "[^@/?#]*@", a bracketed
 *			 "[...]" literal or a run of [^:/?#], lower-cased
 */
typedef struct UrlParts
{
	size_t		authority;		/* start of the authority (after "://") */
	size_t		origin_end;		/* end of the authority */
	size_t		path_end;		/* the first '#', or the end */
	size_t		host;			/* start and end of the host */
	size_t		host_end;
} UrlParts;

static bool
IsSchemeChar(char c, bool first)
{
	if (c >= 'a' && c <= 'z')
		return true;
	return !first && ((c >= '0' && c <= '9') || c == '+' || c == '.' || c == '-');
}

/* Split url (len bytes); false if it has no "scheme://" prefix. */
static bool
SplitUrl(const char *url, size_t len, UrlParts *parts)
{
	size_t		i = 0;
	size_t		at;
	size_t		run;

	if (len == 0 || !IsSchemeChar(url[0], true))
		return false;
	while (i < len && IsSchemeChar(url[i], false))
		i++;
	if (len - i < 3 || memcmp(url + i, "://", 3) != 0)
		return false;
	parts->authority = i + 3;

	for (i = parts->authority; i < len && !strchr("/?#", url[i]); i++)
		;
	parts->origin_end = i;
	for (; i < len && url[i] != '#'; i++)
		;
	parts->path_end = i;

	/* userinfo: up to the first '@' met before any of "/?#" */
	for (at = parts->authority; at < len && !strchr("@/?#", url[at]); at++)
		;
	parts->host = (at < len && url[at] == '@') ? at + 1 : parts->authority;

	/* the longer of a bracketed literal and a run without ":/?#" */
	for (run = parts->host; run < len && !strchr(":/?#", url[run]); run++)
		;
	parts->host_end = run;
	if (parts->host < len && url[parts->host] == '[')
	{
		const char *close = memchr(url + parts->host, ']', len - parts->host);

		if (close != NULL && (size_t) (close - url) + 1 > run)
			parts->host_end = (size_t) (close - url) + 1;
	}
	return true;
}

/* The host of the URL in t, lower-cased (palloc'd); NULL if none. */
static char *
HostOf(text *t)
{
	UrlParts	parts;
	const char *url = VARDATA_ANY(t);

	if (!SplitUrl(url, VARSIZE_ANY_EXHDR(t), &parts))
		return NULL;
	/* lower() of the database collation, as the SQL expression did */
	return str_tolower(url + parts.host, parts.host_end - parts.host,
					   DEFAULT_COLLATION_OID);
}

Datum
scrape_url_origin(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	UrlParts	parts;

	if (!SplitUrl(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &parts))
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text_with_len(VARDATA_ANY(t), parts.origin_end));
}

Datum
scrape_url_path(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	UrlParts	parts;

	if (!SplitUrl(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &parts) ||
		parts.path_end == parts.origin_end)
		PG_RETURN_TEXT_P(cstring_to_text("/"));
	PG_RETURN_TEXT_P(cstring_to_text_with_len(VARDATA_ANY(t) + parts.origin_end,
											  parts.path_end - parts.origin_end));
}

Datum
scrape_url_host(PG_FUNCTION_ARGS)
{
	char	   *host = HostOf(PG_GETARG_TEXT_PP(0));

	if (host == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(host));
}

/* Does host lie in the domain of seed_host (less a leading "www.")? */
static bool
InDomain(const char *host, const char *seed_host)
{
	size_t		hl = strlen(host);
	size_t		dl;

	if (strncmp(seed_host, "www.", 4) == 0)
		seed_host += 4;
	dl = strlen(seed_host);
	if (strcmp(host, seed_host) == 0)
		return true;
	return hl > dl && host[hl - dl - 1] == '.' &&
		strcmp(host + hl - dl, seed_host) == 0;
}

/*
 * _scrape_in_scope(seed, url, scope): is url within the crawl scope of
 * seed?  host (the default): the same host; domain: the seed's host less a
 * leading "www.", or a subdomain of it; prefix: under the seed's directory
 * (the seed up to its last '/').  NULL when seed or url is NULL or has no
 * host (or, for prefix, the seed has no '/').
 */
Datum
scrape_url_in_scope(PG_FUNCTION_ARGS)
{
	text	   *seed;
	text	   *url;
	char	   *scope = PG_ARGISNULL(2) ? "host" : text_to_cstring(PG_GETARG_TEXT_PP(2));

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	seed = PG_GETARG_TEXT_PP(0);
	url = PG_GETARG_TEXT_PP(1);

	if (strcmp(scope, "host") == 0 || strcmp(scope, "domain") == 0)
	{
		char	   *seed_host = HostOf(seed);
		char	   *host = HostOf(url);

		if (seed_host == NULL || host == NULL)
			PG_RETURN_NULL();
		if (scope[0] == 'h')
			PG_RETURN_BOOL(strcmp(host, seed_host) == 0);
		PG_RETURN_BOOL(InDomain(host, seed_host));
	}
	else
	{
		const char *s = VARDATA_ANY(seed);
		size_t		n = VARSIZE_ANY_EXHDR(seed);

		while (n > 0 && s[n - 1] != '/')
			n--;
		if (n == 0)
			PG_RETURN_NULL();
		PG_RETURN_BOOL(VARSIZE_ANY_EXHDR(url) >= n &&
					   memcmp(VARDATA_ANY(url), s, n) == 0);
	}
}

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
					 strlen(url) > SCRAPE_MAX_URL_LENGTH ?
					 errdetail("The URL has %zu bytes; at most %d are accepted.",
							   strlen(url), SCRAPE_MAX_URL_LENGTH) :
					 errdetail("Percent-encoded as it is sent, the URL has more than %d bytes.",
							   SCRAPE_MAX_URL_LENGTH)));
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

/*
 * The origin of a stored URL as the host table keys it: scheme, the name
 * libcurl resolves for the host (SsrfNormalizeUrlHost: IDNA-mapped, no
 * trailing dot, lower case) and port, without userinfo (a key shows in
 * scrape_circuit_breakers() and in alerts, and must carry no credentials).
 * Allocated in cxt; NULL if the URL has no "scheme://" or memory is short.
 * Never throws.
 *
 * Breakers and rate limits are kept per origin, not per host: two sites on
 * two ports of one address are two servers as far as a tenant can tell, and
 * one must not open the other's circuit.  And per resolved name, not per
 * spelling: "ＳＨＯＰ.example" and "shop.example." are shop.example, and a
 * tenant who spells a host many ways must not get its connections many
 * times over.  (A host libcurl cannot map, in a database whose locale is
 * not UTF-8, keeps its spelling: libcurl cannot fetch it either.)
 */
char *
ScrapeUrlOrigin(const char *url, MemoryContext cxt)
{
	size_t		len = strlen(url);
	UrlParts	parts;
	char		name[SSRF_HOST_BUFSIZE];
	const char *host;
	size_t		host_len;
	size_t		port_len;
	char	   *result;
	size_t		i;

	if (!SplitUrl(url, len, &parts))
		return NULL;
	if (SsrfNormalizeUrlHost(url, name, sizeof(name)) == NULL)
	{
		host = name;
		host_len = strlen(name);
	}
	else
	{
		host = url + parts.host;
		host_len = parts.host_end - parts.host;
	}
	port_len = parts.origin_end - Min(parts.host_end, parts.origin_end);
	result = MemoryContextAllocExtended(cxt, parts.authority + host_len + port_len + 1,
										MCXT_ALLOC_NO_OOM);
	if (result == NULL)
		return NULL;
	memcpy(result, url, parts.authority);	/* "scheme://" */
	for (i = 0; i < host_len; i++)
		result[parts.authority + i] = pg_ascii_tolower((unsigned char) host[i]);
	memcpy(result + parts.authority + host_len, url + parts.origin_end - port_len, port_len);
	result[parts.authority + host_len + port_len] = '\0';
	return result;
}
