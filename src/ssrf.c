/*-------------------------------------------------------------------------
 * ssrf.c
 *	  Which addresses the fetcher may connect to (SSRF defences).
 *
 * A fetcher inside a database server must not become a way into the
 * server's own network: the cloud metadata service, localhost, the
 * database's neighbours.  The decision is made on the address actually
 * connected to (fetcher.c calls us from libcurl's open-socket callback, and
 * again before every request, reused connections and redirects included),
 * never on the host name as written, so numeric tricks (http://2130706433/,
 * http://0x7f.1/, http://[::ffff:127.0.0.1]/) and DNS rebinding get the
 * same answer as the plain address.
 *
 * Order of the rules:
 *	 1. scrape_jobs.denied_hosts (host names or CIDR ranges): refused;
 *	 2. scrape_jobs.allowed_hosts: allowed, even in a private range;
 *	 3. the special-purpose ranges below: refused unless
 *		scrape_jobs.allow_private_networks is on;
 *	 4. anything else: allowed.
 * A host name in a list matches the URL's host exactly, or any subdomain
 * when written with a leading dot (".corp.example").  Both are compared as
 * the name libcurl resolves (SsrfNormalizeHost), not as spelled: libcurl
 * maps an international name to its ASCII form (fullwidth letters become
 * ASCII ones, the ideographic full stop U+3002 a '.'), and a trailing dot or
 * upper case names the same host in DNS.  A list compared with the spelling
 * is walked past by any other spelling.  A host with no such name is
 * refused (by our callers, fetcher.c and api.c), never matched as nothing.
 *
 * Everything here may run inside libcurl callbacks: no ereport, no palloc.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <curl/curl.h>

#include "guc.h"
#include "ssrf.h"

typedef struct SsrfRule
{
	bool		is_cidr;
	int			family;			/* AF_INET or AF_INET6, for CIDR rules */
	unsigned char addr[16];
	int			prefix;
	bool		suffix;			/* host rule written ".example.com" */
	char		host[SSRF_HOST_BUFSIZE];
} SsrfRule;

typedef struct SsrfList
{
	int			n;
	SsrfRule	rules[FLEXIBLE_ARRAY_MEMBER];
} SsrfList;

typedef struct SpecialRange
{
	int			family;
	const char *addr;
	int			prefix;
	const char *what;
} SpecialRange;

/* Refused unless scrape_jobs.allow_private_networks is on. */
static const SpecialRange special_ranges[] = {
	{AF_INET, "0.0.0.0", 8, "unspecified (\"this network\") address"},
	{AF_INET, "10.0.0.0", 8, "private network address"},
	{AF_INET, "100.64.0.0", 10, "carrier-grade NAT address"},
	{AF_INET, "127.0.0.0", 8, "loopback address"},
	{AF_INET, "169.254.0.0", 16, "link-local address"},
	{AF_INET, "172.16.0.0", 12, "private network address"},
	{AF_INET, "192.0.0.0", 24, "IETF protocol assignment address"},
	{AF_INET, "192.0.2.0", 24, "documentation address"},
	{AF_INET, "192.88.99.0", 24, "6to4 relay address"},
	{AF_INET, "192.168.0.0", 16, "private network address"},
	{AF_INET, "198.18.0.0", 15, "benchmarking address"},
	{AF_INET, "198.51.100.0", 24, "documentation address"},
	{AF_INET, "203.0.113.0", 24, "documentation address"},
	{AF_INET, "224.0.0.0", 4, "multicast address"},
	{AF_INET, "240.0.0.0", 4, "reserved or broadcast address"},
	{AF_INET6, "::", 128, "unspecified address"},
	{AF_INET6, "::1", 128, "loopback address"},
	{AF_INET6, "::", 96, "IPv4-compatible address"},
	{AF_INET6, "::ffff:0:0", 96, "IPv4-mapped address"},
	{AF_INET6, "::ffff:0:0:0", 96, "IPv4-translated address"},
	{AF_INET6, "64:ff9b::", 96, "NAT64 address embedding IPv4"},
	{AF_INET6, "64:ff9b:1::", 48, "NAT64 address embedding IPv4"},
	{AF_INET6, "100::", 64, "discard-only address"},
	{AF_INET6, "2001::", 32, "Teredo address embedding IPv4"},
	{AF_INET6, "2001:db8::", 32, "documentation address"},
	{AF_INET6, "2002::", 16, "6to4 address embedding IPv4"},
	{AF_INET6, "fc00::", 7, "unique local address"},
	{AF_INET6, "fe80::", 10, "link-local address"},
	{AF_INET6, "fec0::", 10, "site-local address"},
	{AF_INET6, "ff00::", 8, "multicast address"},
};

/*
 * Longest host, as written, that SsrfNormalizeHost reads: room for a name of
 * 253 characters in 3-byte UTF-8 (fullwidth letters) with escapes to spare.
 */
#define SSRF_MAX_HOST_TEXT 1024

/* Why a host is refused when libcurl has no ASCII name for it. */
static const char SSRF_HOST_NOT_ASCII[] = "host name has no ASCII (IDNA) form";

static SsrfList *allowed_list = NULL;
static SsrfList *denied_list = NULL;

/* Does addr fall in net/prefix (both in network byte order)? */
static bool
InPrefix(const unsigned char *addr, const unsigned char *net, int prefix)
{
	int			full = prefix / 8;
	int			rest = prefix % 8;

	if (memcmp(addr, net, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((addr[full] ^ net[full]) & (0xFF << (8 - rest))) == 0;
}

/* Parse "addr" or "addr/prefix" into rule; false if it is not an address. */
static bool
ParseCidr(const char *text, SsrfRule *rule)
{
	char		buf[INET6_ADDRSTRLEN + 8];
	char	   *slash;
	int			maxprefix;

	if (strlen(text) >= sizeof(buf))
		return false;
	strcpy(buf, text);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, rule->addr) == 1)
	{
		rule->family = AF_INET;
		maxprefix = 32;
	}
	else if (inet_pton(AF_INET6, buf, rule->addr) == 1)
	{
		rule->family = AF_INET6;
		maxprefix = 128;
	}
	else
		return false;

	rule->prefix = maxprefix;
	if (slash)
	{
		char	   *end;
		long		p = strtol(slash + 1, &end, 10);

		if (*end != '\0' || end == slash + 1 || p < 0 || p > maxprefix)
			return false;
		rule->prefix = (int) p;
	}
	rule->is_cidr = true;
	return true;
}

/*
 * The name libcurl resolves for the host of the parsed URL h, into buf:
 * libcurl's own IDNA conversion (CURLU_PUNYCODE: the UTS #46 mapping of
 * libidn2, the code the transfer itself runs), then without trailing dots
 * and in lower case, which name the same host in DNS.  NULL, or why there
 * is no such name.
 *
 * libcurl converts in the process's LC_CTYPE: in the database's locale in a
 * worker, so the same answer the transfer gets.  In a "C" locale no
 * international name converts, and libcurl cannot fetch one either.
 */
static const char *
NormalizeParsedHost(CURLU *h, char *buf, size_t buflen)
{
	char	   *host = NULL;
	size_t		len;
	size_t		i;

	if (curl_url_get(h, CURLUPART_HOST, &host, CURLU_PUNYCODE) != CURLUE_OK)
	{
		/* libcurl keeps its copy of the host in *part when it fails */
		curl_free(host);
		return SSRF_HOST_NOT_ASCII;
	}
	len = strlen(host);
	while (len > 0 && host[len - 1] == '.')
		len--;
	if (len >= buflen)
	{
		curl_free(host);
		return "host name too long";
	}
	for (i = 0; i < len; i++)
		buf[i] = pg_ascii_tolower((unsigned char) host[i]);
	buf[len] = '\0';
	curl_free(host);
	return NULL;
}

/*
 * The name libcurl resolves for the host of url (the fetcher's: the URL
 * being requested, after redirects).  NULL, or why there is none: a URL we
 * cannot read is refused rather than let through without a host.
 */
const char *
SsrfNormalizeUrlHost(const char *url, char *buf, size_t buflen)
{
	CURLU	   *h = curl_url();
	const char *why;

	buf[0] = '\0';
	if (h == NULL)
		return "out of memory";
	/* read as libcurl reads a transfer's URL (url.c) */
	if (curl_url_set(h, CURLUPART_URL, url,
					 CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK)
		why = "URL not understood";
	else
		why = NormalizeParsedHost(h, buf, buflen);
	curl_url_cleanup(h);
	return why;
}

/*
 * The name libcurl resolves for host, written as in a URL (so percent
 * escapes are decoded, as in "d%65nied.test"): the lists' entries and the
 * host given to scrape_check_address().  NULL, or why there is none.
 */
const char *
SsrfNormalizeHost(const char *host, char *buf, size_t buflen)
{
	char		url[SSRF_MAX_HOST_TEXT + sizeof("http:///")];
	CURLU	   *h;
	const char *why;

	buf[0] = '\0';
	/* nothing that would end the host and leave the rest unchecked */
	if (strlen(host) > SSRF_MAX_HOST_TEXT ||
		host[strcspn(host, "/?#@\\")] != '\0')
		return "not a host name";
	snprintf(url, sizeof(url), "http://%s/", host);
	if ((h = curl_url()) == NULL)
		return "out of memory";
	if (curl_url_set(h, CURLUPART_URL, url, 0) != CURLUE_OK)
		why = "not a host name";
	else
		why = NormalizeParsedHost(h, buf, buflen);
	curl_url_cleanup(h);
	return why;
}

/* Letters, digits, '-' and '.': what a list's host name may be made of. */
static bool
IsHostNameText(const char *text, bool allow_non_ascii)
{
	const unsigned char *c;

	for (c = (const unsigned char *) text; *c; c++)
		if (!((IS_HIGHBIT_SET(*c) && allow_non_ascii) ||
			  (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			  (*c >= '0' && *c <= '9') || *c == '-' || *c == '.'))
			return false;
	return true;
}

/*
 * A list's item, into rule: an address or CIDR range, or a host name,
 * normalised as URL hosts are, so that "Denied.Test." or a fullwidth
 * spelling is the rule "denied.test"; a leading '.' makes it a suffix
 * rule.  A name that is an address once normalised ("0x7f.1") is that
 * address's rule.  False, with the GUC error detail set, if unusable.
 */
static bool
ParseListItem(const char *item, SsrfRule *rule)
{
	const char *why;
	bool		suffix;

	memset(rule, 0, sizeof(SsrfRule));
	if (ParseCidr(item, rule))
		return true;
	/* no URL syntax may reach the parser: it would be read as a host */
	if (item[0] == '\0' || !IsHostNameText(item, true))
	{
		GUC_check_errdetail("\"%s\" is neither a host name nor an address or CIDR range.",
							item);
		return false;
	}
	/*
	 * ".example.com" is normalised whole, dot included, as the end of a
	 * URL's host would be: alone, "810" of ".810" would read as an address.
	 */
	why = SsrfNormalizeHost(item, rule->host, sizeof(rule->host));
	/* a leading dot, however written ("\u3002example.com"): a suffix rule */
	suffix = (rule->host[0] == '.');
	if (why == NULL && (rule->host[suffix] == '\0' ||
						!IsHostNameText(rule->host, false)))
		why = "not a host name once normalised";
	if (why != NULL)
	{
		GUC_check_errdetail("\"%s\" cannot be matched: %s.", item, why);
		if (why == SSRF_HOST_NOT_ASCII)
			GUC_check_errhint("Write the name in its ASCII (\"xn--\") form.");
		return false;
	}
	if (!suffix && ParseCidr(rule->host, rule))
		return true;
	rule->suffix = suffix;
	return true;
}

/*
 * GUC check hook of scrape_jobs.allowed_hosts / denied_hosts: a comma
 * separated list of host names and CIDR ranges, parsed once into "extra".
 */
bool
SsrfCheckHostList(char **newval, void **extra, GucSource source)
{
	char	   *copy;
	char	   *item;
	char	   *save = NULL;
	int			n = 0;
	SsrfList   *list;

	if (*newval == NULL)
		return true;
	copy = strdup(*newval);
	list = malloc(offsetof(SsrfList, rules) +
				  sizeof(SsrfRule) * (strlen(*newval) / 2 + 1));
	if (copy == NULL || list == NULL)
	{
		free(copy);
		free(list);
		GUC_check_errcode(ERRCODE_OUT_OF_MEMORY);
		return false;
	}
	for (item = strtok_r(copy, ",", &save); item != NULL;
		 item = strtok_r(NULL, ",", &save))
	{
		char	   *end;

		while (*item == ' ' || *item == '\t')
			item++;
		end = item + strlen(item);
		while (end > item && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (*item == '\0')
			continue;
		if (!ParseListItem(item, &list->rules[n]))
		{
			free(copy);
			free(list);
			return false;
		}
		n++;
	}
	list->n = n;
	free(copy);
	*extra = list;
	return true;
}

void
SsrfAssignAllowedHosts(const char *newval, void *extra)
{
	allowed_list = (SsrfList *) extra;
}

void
SsrfAssignDeniedHosts(const char *newval, void *extra)
{
	denied_list = (SsrfList *) extra;
}

static bool
HostMatches(const SsrfRule *rule, const char *host)
{
	size_t		hl;
	size_t		rl;

	if (host == NULL)
		return false;
	if (!rule->suffix)
		return pg_strcasecmp(rule->host, host) == 0;
	/* ".example.com" matches example.com and every subdomain */
	hl = strlen(host);
	rl = strlen(rule->host);
	if (pg_strcasecmp(rule->host + 1, host) == 0)
		return true;
	return hl > rl && pg_strcasecmp(host + hl - rl, rule->host) == 0;
}

static bool
ListMatches(const SsrfList *list, int family, const unsigned char *addr,
			const char *host)
{
	int			i;

	if (list == NULL)
		return false;
	for (i = 0; i < list->n; i++)
	{
		const SsrfRule *r = &list->rules[i];

		if (r->is_cidr)
		{
			if (r->family == family && InPrefix(addr, r->addr, r->prefix))
				return true;
		}
		else if (HostMatches(r, host))
			return true;
	}
	return false;
}

/* The special range addr falls in, or NULL. */
static const char *
SpecialRangeOf(int family, const unsigned char *addr)
{
	int			i;

	for (i = 0; i < lengthof(special_ranges); i++)
	{
		const SpecialRange *r = &special_ranges[i];
		unsigned char net[16];

		if (r->family != family)
			continue;
		if (inet_pton(family, r->addr, net) != 1)
			continue;
		if (InPrefix(addr, net, r->prefix))
			return r->what;
	}
	return NULL;
}

/* The rules, on one address.  NULL: allowed; else why it is refused. */
static const char *
CheckAddress(int family, const unsigned char *addr, const char *host)
{
	const char *special;

	if (ListMatches(denied_list, family, addr, host))
		return "denied by scrape_jobs.denied_hosts";
	if (ListMatches(allowed_list, family, addr, host))
		return NULL;
	special = SpecialRangeOf(family, addr);
	if (special != NULL && !scrape_allow_private_networks)
		return special;
	return NULL;
}

/* Check a socket address (open-socket callback). */
const char *
SsrfCheckSockaddr(const struct sockaddr *sa, const char *host)
{
	if (sa->sa_family == AF_INET)
		return CheckAddress(AF_INET, (const unsigned char *)
							&((const struct sockaddr_in *) sa)->sin_addr, host);
	if (sa->sa_family == AF_INET6)
		return CheckAddress(AF_INET6, (const unsigned char *)
							&((const struct sockaddr_in6 *) sa)->sin6_addr, host);
	return "address family not supported";
}

/* Check an address written as text (pre-request callback, SQL). */
const char *
SsrfCheckIpString(const char *ip, const char *host)
{
	unsigned char addr[16];

	if (inet_pton(AF_INET, ip, addr) == 1)
		return CheckAddress(AF_INET, addr, host);
	if (inet_pton(AF_INET6, ip, addr) == 1)
		return CheckAddress(AF_INET6, addr, host);
	return "not an IP address";
}
