/*
 * Unit test of the SSRF rules (src/ssrf.c): host names in
 * scrape_jobs.denied_hosts / allowed_hosts match the name libcurl resolves,
 * whatever the spelling of the URL or of the list, and the special ranges
 * are refused up to their edges and no further.
 *
 * A URL is checked as the fetcher checks it (SsrfNormalizeUrlHost on the
 * URL being requested, then the address), a bare host as
 * scrape_check_address() does (SsrfNormalizeHost).  Built like
 * test/fuzz/fuzz_ssrf (the server's headers, libpgport.a, libcurl) with
 * plain gcc; exits non-zero, naming each failing case, on any mismatch.
 *
 * libcurl maps international names in the process's LC_CTYPE, as a worker
 * does in its database's: the cases run in C.UTF-8 (the test clusters'
 * locale), then a few in "C", where no such name converts.
 *
 * Non-ASCII strings are written as UTF-8 escapes, since several of them are
 * made to look like ASCII: FW_DENIED is "DENIED" in fullwidth letters
 * (U+FF24 U+FF25 U+FF2E U+FF29 U+FF25 U+FF24), IDEO_DOT the ideographic
 * full stop U+3002.
 */
#include "postgres.h"

#include <locale.h>
#include <stdarg.h>
#include <stdio.h>

#include "guc.h"
#include "ssrf.h"

#define FW_DENIED \
	"\xEF\xBC\xA4\xEF\xBC\xA5\xEF\xBC\xAE\xEF\xBC\xA9\xEF\xBC\xA5\xEF\xBC\xA4"
#define FW_INTRANET \
	"\xEF\xBD\x89\xEF\xBD\x8E\xEF\xBD\x94\xEF\xBD\x92\xEF\xBD\x81\xEF\xBD\x8E" \
	"\xEF\xBD\x85\xEF\xBD\x94"	/* "intranet", fullwidth lower case */
#define IDEO_DOT "\xE3\x80\x82"
#define FW_DOT "\xEF\xBC\x8E"	/* U+FF0E fullwidth full stop */
#define HW_DOT "\xEF\xBD\xA1"	/* U+FF61 halfwidth ideographic full stop */
#define ZWSP "\xE2\x80\x8B"		/* U+200B zero width space: mapped away */
#define BUCHER "b\xC3\xBC" "cher"	/* "bucher", u with umlaut */
#define BUCHER_UPPER "B\xC3\x9C" "CHER"

/* A public address, which only a list refuses. */
#define PUBLIC_IP "93.184.216.34"

/* What a case wants: allowed (NULL), refused by a list, refused somehow. */
#define DENIED "denied by scrape_jobs.denied_hosts"
#define REFUSED ""
#define NOT_ASCII "host name has no ASCII (IDNA) form"

/* (what ssrf.c needs of the server: test/fuzz/ssrf_stub.c) */

typedef enum Spelling
{
	URL,						/* checked as the fetcher checks a URL */
	HOST						/* as scrape_check_address() checks a host */
} Spelling;

typedef struct HostCase
{
	const char *name;
	const char *denied;			/* scrape_jobs.denied_hosts */
	const char *allowed;		/* scrape_jobs.allowed_hosts */
	Spelling	kind;
	const char *host;			/* the URL or the host */
	const char *ip;
	const char *want;			/* NULL, DENIED, REFUSED or the reason */
} HostCase;

#define D "denied.test"

static const HostCase host_cases[] = {
	/* spellings of the URL's host that name denied.test in DNS */
	{"url: plain", D, NULL, URL, "http://denied.test/", PUBLIC_IP, DENIED},
	{"url: trailing dot", D, NULL, URL, "http://denied.test./", PUBLIC_IP, DENIED},
	{"url: two trailing dots", D, NULL, URL, "http://denied.test../", PUBLIC_IP, DENIED},
	{"url: upper case", D, NULL, URL, "http://DENIED.TEST/", PUBLIC_IP, DENIED},
	{"url: fullwidth letters", D, NULL, URL,
	"http://" FW_DENIED ".test/", PUBLIC_IP, DENIED},
	{"url: ideographic full stop", D, NULL, URL,
	"http://denied" IDEO_DOT "test/", PUBLIC_IP, DENIED},
	{"url: fullwidth full stop", D, NULL, URL,
	"http://denied" FW_DOT "test/", PUBLIC_IP, DENIED},
	{"url: halfwidth ideographic full stop", D, NULL, URL,
	"http://denied" HW_DOT "test/", PUBLIC_IP, DENIED},
	{"url: ideographic full stop at the end", D, NULL, URL,
	"http://denied.test" IDEO_DOT "/", PUBLIC_IP, DENIED},
	{"url: zero width space inside", D, NULL, URL,
	"http://den" ZWSP "ied.test/", PUBLIC_IP, DENIED},
	{"url: percent-encoded letter", D, NULL, URL,
	"http://d%65nied.test/", PUBLIC_IP, DENIED},
	{"url: fullwidth with user, port, path", D, NULL, URL,
	"https://u:p@" FW_DENIED IDEO_DOT "test.:8443/a?b#c", PUBLIC_IP, DENIED},
	/* names that are not denied.test stay allowed */
	{"url: other name", D, NULL, URL, "http://notdenied.test/", PUBLIC_IP, NULL},
	{"url: as a label", D, NULL, URL, "http://denied.test.evil/", PUBLIC_IP, NULL},
	{"url: subdomain", D, NULL, URL, "http://a.denied.test/", PUBLIC_IP, NULL},
	{"url: other IDN", D, NULL, URL, "http://" BUCHER ".test/", PUBLIC_IP, NULL},

	/* the same, given to scrape_check_address() as its host */
	{"host: trailing dot", D, NULL, HOST, "denied.test.", PUBLIC_IP, DENIED},
	{"host: upper case", D, NULL, HOST, "DENIED.TEST", PUBLIC_IP, DENIED},
	{"host: fullwidth letters", D, NULL, HOST, FW_DENIED ".test", PUBLIC_IP, DENIED},
	{"host: ideographic full stop", D, NULL, HOST,
	"denied" IDEO_DOT "test", PUBLIC_IP, DENIED},
	{"host: percent-encoded letter", D, NULL, HOST, "d%65nied.test", PUBLIC_IP, DENIED},
	{"host: other name", D, NULL, HOST, "notdenied.test", PUBLIC_IP, NULL},
	/* URL syntax in a host is not a way around the list */
	{"host: with a path", D, NULL, HOST, "evil.test/@denied.test", PUBLIC_IP, REFUSED},

	/* list entries are read as URL hosts are */
	{"entry: trailing dot, mixed case", "Denied.Test.", NULL, URL,
	"http://denied.test/", PUBLIC_IP, DENIED},
	{"entry: upper case", "DENIED.TEST", NULL, URL, "http://denied.test/", PUBLIC_IP, DENIED},
	{"entry: fullwidth letters", FW_DENIED ".test", NULL, URL,
	"http://denied.test/", PUBLIC_IP, DENIED},
	{"entry: ideographic full stop", "denied" IDEO_DOT "test", NULL, URL,
	"http://denied.test/", PUBLIC_IP, DENIED},
	{"entry: ideographic full stop at the end", "denied.test" IDEO_DOT, NULL, URL,
	"http://denied.test/", PUBLIC_IP, DENIED},
	{"entry: IDN, its ASCII form", BUCHER ".example", NULL, URL,
	"http://xn--bcher-kva.example/", PUBLIC_IP, DENIED},
	{"entry: IDN, upper case", BUCHER ".example", NULL, URL,
	"http://" BUCHER_UPPER ".example/", PUBLIC_IP, DENIED},
	{"entry: xn--, the IDN", "XN--BCHER-KVA.example", NULL, URL,
	"http://" BUCHER ".example/", PUBLIC_IP, DENIED},
	{"suffix: subdomain, trailing dot", ".example.com", NULL, URL,
	"http://a.example.com./", PUBLIC_IP, DENIED},
	{"suffix: the domain, trailing dot", ".example.com", NULL, URL,
	"http://example.com./", PUBLIC_IP, DENIED},
	{"suffix: fullwidth subdomain", ".example.com", NULL, URL,
	"http://" FW_DENIED ".example" IDEO_DOT "com/", PUBLIC_IP, DENIED},
	{"suffix: upper case and trailing dot", ".Example.COM.", NULL, URL,
	"http://a.example.com/", PUBLIC_IP, DENIED},
	{"suffix: lookalike", ".example.com", NULL, URL,
	"http://evilexample.com./", PUBLIC_IP, NULL},
	{"suffix: as a label", ".example.com", NULL, URL,
	"http://example.com.evil/", PUBLIC_IP, NULL},
	/* "810" alone would read as the address 0.0.3.42 (found by fuzz_ssrf) */
	{"suffix: numeric last label", ".810", NULL, URL,
	"http://a.810/", PUBLIC_IP, DENIED},
	/* a name that libcurl reads as an address is that address */
	{"entry: 0x7f.1 is 127.0.0.1", "0x7f.1", NULL, URL,
	"http://localhost.test/", "127.0.0.1", DENIED},

	/* allowed_hosts, which lets a name reach a private address */
	{"allowed: trailing dot, upper case", NULL, "intranet.example", URL,
	"http://INTRANET.example./", "10.0.0.1", NULL},
	{"allowed: fullwidth entry", NULL, FW_INTRANET IDEO_DOT "example", URL,
	"http://intranet.example/", "10.0.0.1", NULL},
	{"allowed: other name", NULL, "intranet.example", URL,
	"http://intranet.example.evil/", "10.0.0.1", "private network address"},

	/* no name libcurl could resolve: refused, not matched as nothing */
	{"url: invalid UTF-8", NULL, NULL, URL, "http://\xFF.test/", PUBLIC_IP, NOT_ASCII},
};

/* Entries that are not host names, refused by the check hook. */
static const char *const bad_entries[] = {
	"exa mple.com", "a/b.test", "%64enied.test", "a@b.test", ".", "..",
	"a\xEF\xBC\xBF" "b.test",	/* fullwidth low line: "a_b.test" */
};

typedef struct RangeCase
{
	const char *address;
	const char *want;			/* the reason, or NULL: allowed */
} RangeCase;

/* Each new range refused at both ends, and what lies beside it. */
static const RangeCase range_cases[] = {
	{"::ffff:0:0:0", "IPv4-translated address"},
	{"::ffff:0:7f00:1", "IPv4-translated address"},
	{"::ffff:0:ffff:ffff", "IPv4-translated address"},
	{"::fffe:ffff:ffff:ffff", NULL},
	{"::ffff:1:0:0", NULL},
	{"2001::", "Teredo address embedding IPv4"},
	{"2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo address embedding IPv4"},
	{"2001:0:ffff:ffff:ffff:ffff:ffff:ffff", "Teredo address embedding IPv4"},
	{"2001:1::1", NULL},
	{"2000:ffff:ffff:ffff:ffff:ffff:ffff:ffff", NULL},
	{"2001:4860:4860::8888", NULL},
	{"fec0::", "site-local address"},
	{"fec0::1", "site-local address"},
	{"feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "site-local address"},
	/* its neighbours are refused too, each by its own rule */
	{"febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "link-local address"},
	{"ff00::", "multicast address"},
};

static int	failures = 0;
static int	checks = 0;

/* The lists now set, freed when replaced (the GUC machinery's job). */
static void *lists_extra[2] = {NULL, NULL};

/* Set denied_hosts or allowed_hosts; false if the check hook refuses it. */
static bool
SetList(bool denied, const char *text)
{
	char	   *value = strdup(text ? text : "");
	void	   *extra = NULL;
	bool		ok = SsrfCheckHostList(&value, &extra, PGC_S_SESSION);

	if (ok)
	{
		if (denied)
			SsrfAssignDeniedHosts(value, extra);
		else
			SsrfAssignAllowedHosts(value, extra);
		free(lists_extra[denied]);
		lists_extra[denied] = extra;
	}
	free(value);
	return ok;
}

static void
Fail(const char *name, const char *want, const char *got)
{
	failures++;
	printf("FAIL %s\n       want: %s\n       got:  %s\n", name,
		   want == NULL ? "allowed" : want[0] ? want : "refused",
		   got ? got : "allowed");
}

/* Does a verdict (NULL: allowed) give what a case wants? */
static bool
Gives(const char *got, const char *want)
{
	if (want == NULL || got == NULL)
		return want == got;
	return want[0] == '\0' || strcmp(got, want) == 0;
}

/* The fetcher's check, or scrape_check_address()'s. */
static const char *
Check(Spelling kind, const char *host, const char *ip)
{
	char		name[SSRF_HOST_BUFSIZE];
	const char *why;

	if (kind == URL)
		why = SsrfNormalizeUrlHost(host, name, sizeof(name));
	else
		why = SsrfNormalizeHost(host, name, sizeof(name));
	return why != NULL ? why : SsrfCheckIpString(ip, name);
}

static void
RunHostCase(const HostCase *c)
{
	const char *got;

	checks++;
	if (!SetList(true, c->denied) || !SetList(false, c->allowed))
	{
		failures++;
		printf("FAIL %s\n       list refused: %s\n", c->name,
			   GUC_check_errdetail_string ? GUC_check_errdetail_string : "");
		return;
	}
	got = Check(c->kind, c->host, c->ip);
	if (!Gives(got, c->want))
		Fail(c->name, c->want, got);
}

static void
RunBadEntries(void)
{
	int			i;

	SetList(true, NULL);
	for (i = 0; i < lengthof(bad_entries); i++)
	{
		checks++;
		if (SetList(true, bad_entries[i]))
			Fail(bad_entries[i], "list refused", "list accepted");
	}
	SetList(true, NULL);
}

static void
RunRangeCases(void)
{
	int			i;

	SetList(true, NULL);
	SetList(false, NULL);
	for (i = 0; i < lengthof(range_cases); i++)
	{
		const char *got = SsrfCheckIpString(range_cases[i].address, NULL);

		checks++;
		if (!Gives(got, range_cases[i].want))
			Fail(range_cases[i].address, range_cases[i].want, got);
	}
	/* allow_private_networks lets them through, as the other ranges */
	scrape_allow_private_networks = true;
	checks++;
	if (SsrfCheckIpString("2001::1", NULL) != NULL)
		Fail("2001::1 with allow_private_networks", NULL, "refused");
	scrape_allow_private_networks = false;
}

/* In a "C" locale no international name converts: refused, not skipped. */
static void
RunCLocale(void)
{
	static const HostCase c_cases[] = {
		{"C locale: fullwidth URL", NULL, NULL, URL,
		"http://" FW_DENIED ".test/", PUBLIC_IP, NOT_ASCII},
		{"C locale: ideographic full stop", NULL, NULL, HOST,
		"denied" IDEO_DOT "test", PUBLIC_IP, NOT_ASCII},
		{"C locale: ASCII names still match", D, NULL, URL,
		"http://Denied.test./", PUBLIC_IP, DENIED},
	};
	int			i;

	if (setlocale(LC_CTYPE, "C") == NULL)
	{
		Fail("C locale", "LC_CTYPE set", "setlocale failed");
		return;
	}
	for (i = 0; i < lengthof(c_cases); i++)
		RunHostCase(&c_cases[i]);
	checks++;
	if (SetList(true, FW_DENIED ".test"))
		Fail("C locale: entry with no ASCII form", "list refused", "list accepted");
}

int
main(void)
{
	int			i;

	if (setlocale(LC_CTYPE, "C.UTF-8") == NULL)
	{
		printf("the C.UTF-8 locale is missing\n");
		return 2;
	}
	for (i = 0; i < lengthof(host_cases); i++)
		RunHostCase(&host_cases[i]);
	RunBadEntries();
	RunRangeCases();
	RunCLocale();
	SetList(true, NULL);
	SetList(false, NULL);

	printf("%d of %d ssrf cases passed\n", checks - failures, checks);
	return failures > 0 ? 1 : 0;
}
