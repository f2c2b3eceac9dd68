/*
 * Unit test of the robots.txt parser and matcher (src/robots.c): tables of
 * files and what must be read from them (verdicts, crawl-delays, sitemaps),
 * then a few files built at run time (long lines, the size cap).  Built
 * with plain gcc and run by `make unit`; exits non-zero, naming each
 * failing case, on any mismatch.
 *
 * The rules follow RFC 9309 and, where real files are broken, what
 * Google's reference parser (google/robotstxt) accepts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "robots.h"

/* Bytes of a line that are read: the reference parser's 2083 * 8 buffer. */
#define MAX_LINE (2083 * 8 - 1)

typedef struct VerdictCase
{
	const char *name;
	const char *text;
	size_t		len;
	const char *agent;
	const char *path;
	bool		allowed;
	const char *rule;			/* the deciding pattern; "" none; NULL unchecked */
} VerdictCase;

typedef struct DelayCase
{
	const char *name;
	const char *text;
	size_t		len;
	const char *agent;
	bool		has_delay;
	double		delay;
} DelayCase;

typedef struct SitemapCase
{
	const char *name;
	const char *text;
	size_t		len;
	int			count;
	const char *first;			/* the first Sitemap, when count > 0 */
} SitemapCase;

/* A literal with its length, NUL bytes included. */
#define T(s) s, sizeof(s) - 1
#define UA "scrape_jobs/0.1.0 (+https://example.com/bot)"

/*
 * Realistic whole files, in the shapes real sites serve.
 */

/* A shop: BOM, CRLF, comments, blank lines, shared groups, a Host line. */
#define SHOP \
	"\xEF\xBB\xBF# robots.txt for www.shop.example\r\n" \
	"# Last modified 2023-04-01\r\n" \
	"\r\n" \
	"User-agent: *\r\n" \
	"Disallow: /cart\r\n" \
	"Disallow: /checkout/\r\n" \
	"Disallow: /*?sort=\r\n" \
	"Disallow: /*.pdf$\r\n" \
	"Allow: /checkout/help\r\n" \
	"\r\n" \
	"User-agent: AhrefsBot\r\n" \
	"User-agent: SemrushBot\r\n" \
	"Disallow: /\r\n" \
	"\r\n" \
	"User-agent: scrape_jobs\r\n" \
	"Host: www.shop.example\r\n" \
	"User-agent: Googlebot\r\n" \
	"Crawl-delay: 2\r\n" \
	"Disallow: /search\r\n" \
	"Allow: /search/help$\r\n" \
	"\r\n" \
	"Sitemap: https://www.shop.example/sitemap.xml\r\n" \
	"Sitemap: https://www.shop.example/sitemap-products.xml.gz\r\n"

/* A hand-edited blog: a misspelt key, missing colons. */
#define BLOG \
	"User-agent: *\n" \
	"Disallow: /wp-admin/\n" \
	"Allow: /wp-admin/admin-ajax.php\n" \
	"Dissalow: /wp-login.php\n" \
	"Disallow /xmlrpc.php\n" \
	"\n" \
	"Sitemap https://blog.example/wp-sitemap.xml\n"

/* A news site: old Mac line ends, Yandex records inside a run, index.html. */
#define NEWS \
	"User-agent: Yandex\r" \
	"Clean-param: ref /articles/\r" \
	"Crawl-delay: 5\r" \
	"User-agent: scrape_jobs\r" \
	"Disallow: /archive/\r" \
	"Allow: /archive/index.html\r" \
	"\r" \
	"User-agent: *\r" \
	"Disallow: /archive/\r" \
	"Disallow: /tmp\r"

/* A code host: several agents per group, '*' inside patterns, escapes. */
#define CODE \
	"# If you would like to crawl us, contact us first.\n" \
	"\n" \
	"User-agent: Googlebot\n" \
	"User-agent: Bingbot\n" \
	"User-agent: scrape_jobs\n" \
	"Allow: /*/*/tree/master\n" \
	"Disallow: /*/*/tree/\n" \
	"Disallow: /*/download\n" \
	"Disallow: /*/*/archive/*.zip$\n" \
	"Disallow: /%7Euser/\n" \
	"\n" \
	"User-agent: *\n" \
	"Disallow: /\n"

#define INDEX_FILE \
	"User-Agent: *\n" \
	"Allow: /allowed-slash/index.html\n" \
	"Disallow: /\n"

static const VerdictCase verdict_cases[] = {
	/* 1. records other than user-agent and rules do not end a run of agents */
	{"host line inside run", T("User-agent: ours\nHost: x\nUser-agent: *\nDisallow: /private\n"),
	"ours", "/private", false, "/private"},
	{"host line inside run, other agent", T("User-agent: ours\nHost: x\nUser-agent: *\nDisallow: /private\n"),
	"other", "/private", false, "/private"},
	{"unknown line inside run", T("User-agent: FooBot\nInvalid-Unknown-Line: unknown\nUser-agent: *\nDisallow: /\n"),
	"FooBot", "/", false, "/"},
	{"sitemap inside run", T("User-agent: BarBot\nSitemap: https://foo.bar/sitemap\nUser-agent: *\nDisallow: /\n"),
	"BarBot", "/", false, "/"},
	{"crawl-delay inside run", T("User-agent: a\nCrawl-delay: 5\nUser-agent: b\nDisallow: /x\n"),
	"a", "/x", false, "/x"},
	{"empty key inside run", T("User-agent: a\n: nothing\nUser-agent: b\nDisallow: /x\n"),
	"a", "/x", false, "/x"},
	{"comment and blank inside run", T("User-agent: a\n# note\n\nUser-agent: b\nDisallow: /z\n"),
	"a", "/z", false, "/z"},
	{"junk line inside run", T("User-agent: a\nthis is junk\nUser-agent: b\nDisallow: /z\n"),
	"a", "/z", false, "/z"},
	{"a rule ends the run", T("User-agent: a\nDisallow: /x\nUser-agent: b\nDisallow: /y\n"),
	"a", "/y", true, ""},
	{"an empty rule ends the run", T("User-agent: a\nDisallow:\nUser-agent: b\nDisallow: /y\n"),
	"a", "/y", true, ""},
	{"crawl-delay after rules", T("User-agent: a\nDisallow: /x\nCrawl-delay: 3\nUser-agent: b\nDisallow: /y\n"),
	"b", "/x", true, ""},

	/* 2a. a missing colon: white space separates exactly two words */
	{"disallow without colon", T("User-agent: *\nDisallow /x\n"), "a", "/x", false, "/x"},
	{"user-agent without colon", T("User-agent *\nDisallow: /x\n"), "a", "/x", false, "/x"},
	{"both without colon", T("user-agent FooBot\ndisallow /\n"), "FooBot", "/x/y", false, "/"},
	{"tab without colon", T("User-agent\t*\nDisallow\t/x\n"), "a", "/x", false, "/x"},
	{"colon inside the value", T("User-agent: *\nDisallow /a:b\n"), "a", "/a:b", false, "/a:b"},
	{"three words are not a line", T("User-agent: *\nDisallow /x /y\n"), "a", "/x", true, ""},
	{"colon after white space", T("User-agent: *\nDisallow :/x\n"), "a", "/x", false, "/x"},
	{"unknown keys", T("foo: FooBot\nbar: /\n"), "FooBot", "/x/y", true, ""},
	{"no colon before any agent", T("Disallow /x\nUser-agent: *\n"), "a", "/x", true, ""},
	{"garbage", T("\x01\x02 this is not a robots file \n::::\nDisallow /nothing\n"),
	NULL, "/nothing", true, ""},

	/* 2b. keys misspelt as the reference parser accepts them */
	{"useragent", T("useragent: *\nDisallow: /x\n"), "a", "/x", false, "/x"},
	{"user agent", T("user agent: *\nDisallow: /x\n"), "a", "/x", false, "/x"},
	{"USER-AGENT", T("USER-AGENT: *\nDISALLOW: /x\n"), "a", "/x", false, "/x"},
	{"dissallow", T("User-agent: *\ndissallow: /x\n"), "a", "/x", false, "/x"},
	{"dissalow", T("User-agent: *\nDissalow: /x\n"), "a", "/x", false, "/x"},
	{"disalow", T("User-agent: *\nDISALOW: /x\n"), "a", "/x", false, "/x"},
	{"diasllow", T("User-agent: *\ndiasllow: /x\n"), "a", "/x", false, "/x"},
	{"disallaw", T("User-agent: *\ndisallaw: /x\n"), "a", "/x", false, "/x"},
	{"key by its prefix", T("User-agent: *\nDisallowed: /x\n"), "a", "/x", false, "/x"},
	{"no typo of allow", T("User-agent: *\nDisallow: /\nAlow: /x\n"), "a", "/x", false, "/"},
	{"not a typo", T("User-agent: *\nDis-allow: /x\n"), "a", "/x", true, ""},

	/* 2c. an allowed /dir/index.html also allows /dir/ itself */
	{"index.html allows the directory", T(INDEX_FILE), "foobot", "/allowed-slash/", true, "/allowed-slash/$"},
	{"index.html itself", T(INDEX_FILE), "foobot", "/allowed-slash/index.html", true, "/allowed-slash/index.html"},
	{"index.html, not index.htm", T(INDEX_FILE), "foobot", "/allowed-slash/index.htm", false, "/"},
	{"index.html, not the subtree", T(INDEX_FILE), "foobot", "/allowed-slash/x", false, "/"},
	{"index.html, other url", T(INDEX_FILE), "foobot", "/anyother-url", false, "/"},
	{"index.htm allows the directory", T("User-agent: *\nDisallow: /\nAllow: /d/index.htm\n"),
	"a", "/d/", true, "/d/$"},
	{"index.html beats the directory's disallow", T("User-agent: *\nAllow: /d/index.html\nDisallow: /d/\n"),
	"a", "/d/", true, "/d/$"},
	{"root index.html", T("User-agent: *\nDisallow: /\nAllow: /index.html\n"), "a", "/", true, "/$"},
	{"root index.html, not the rest", T("User-agent: *\nDisallow: /\nAllow: /index.html\n"), "a", "/x", false, "/"},
	{"disallowed index.html keeps the directory", T("User-agent: *\nDisallow: /d/index.html\n"),
	"a", "/d/", true, ""},

	/* BOM: whole or a prefix of it at the start only */
	{"BOM", T("\xEF\xBB\xBFUser-agent: *\nDisallow: /x\n"), "a", "/x", false, "/x"},
	{"two bytes of a BOM", T("\xEF\xBBUser-agent: *\nDisallow: /x\n"), "a", "/x", false, "/x"},
	{"one byte of a BOM", T("\xEFUser-agent: *\nDisallow: /x\n"), "a", "/x", false, "/x"},
	{"broken BOM", T("\xEF\x11\xBFUser-agent: *\nDisallow: /x\n"), "a", "/x", true, ""},
	{"BOM in the middle", T("User-agent: *\n\xEF\xBB\xBF" "Disallow: /x\n"), "a", "/x", true, ""},

	/* "*" followed by white space and words is still the global agent */
	{"star with words", T("User-agent: * all robots\nDisallow: /x\n"), "a", "/x", false, "/x"},

	/* RFC 9309 behaviour that stays */
	{"robots.txt always allowed", T("User-agent: *\nDisallow: /robots.txt\nDisallow: /\n"),
	"a", "/robots.txt", true, ""},
	{"longest match", T("User-agent: *\nAllow: /p\nDisallow: /\n"), "a", "/page", true, "/p"},
	{"allow wins a tie", T("User-agent: *\nAllow: /folder\nDisallow: /folder\n"), "a", "/folder/page", true, "/folder"},
	{"specific group only", T("User-agent: *\nDisallow: /x/\nUser-agent: FooBot\nDisallow: /y/\n"),
	"FooBot", "/x/page", true, ""},
	{"escapes", T("User-agent: *\nDisallow: /%7ejoe/\n"), "a", "/~joe/x", false, "/~joe/"},
	{"rules before any agent", T("Disallow: /orphan\nUser-agent: *\n"), "a", "/orphan", true, ""},

	/* the shop */
	{"shop: own group via Host line", T(SHOP), UA, "/search?q=shoes", false, "/search"},
	{"shop: own group, not *", T(SHOP), UA, "/cart", true, ""},
	{"shop: $ of own group", T(SHOP), UA, "/search/help", true, "/search/help$"},
	{"shop: shared group", T(SHOP), "SemrushBot/7", "/", false, "/"},
	{"shop: * query wildcard", T(SHOP), "OtherBot", "/p/shoe?sort=price", false, "/*?sort="},
	{"shop: * $", T(SHOP), "OtherBot", "/docs/manual.pdf", false, "/*.pdf$"},
	{"shop: * $ with query", T(SHOP), "OtherBot", "/docs/manual.pdf?x=1", true, ""},
	{"shop: * allow", T(SHOP), "OtherBot", "/checkout/help", true, "/checkout/help"},
	{"shop: * disallow", T(SHOP), "OtherBot", "/checkout/pay", false, "/checkout/"},

	/* the blog */
	{"blog: misspelt disallow", T(BLOG), UA, "/wp-login.php", false, "/wp-login.php"},
	{"blog: disallow without colon", T(BLOG), UA, "/xmlrpc.php", false, "/xmlrpc.php"},
	{"blog: allow", T(BLOG), UA, "/wp-admin/admin-ajax.php", true, "/wp-admin/admin-ajax.php"},
	{"blog: disallow", T(BLOG), UA, "/wp-admin/options.php", false, "/wp-admin/"},

	/* the news site */
	{"news: directory of index.html", T(NEWS), UA, "/archive/", true, "/archive/$"},
	{"news: index.html", T(NEWS), UA, "/archive/index.html", true, "/archive/index.html"},
	{"news: below the directory", T(NEWS), UA, "/archive/2019/", false, "/archive/"},
	{"news: own group, not *", T(NEWS), UA, "/tmp", true, ""},
	{"news: Yandex shares the group", T(NEWS), "Yandex", "/archive/x", false, "/archive/"},
	{"news: *", T(NEWS), "OtherBot", "/tmp", false, "/tmp"},

	/* the code host */
	{"code: allow with stars", T(CODE), UA, "/a/b/tree/master/x", true, "/*/*/tree/master"},
	{"code: disallow with stars", T(CODE), UA, "/a/b/tree/dev", false, "/*/*/tree/"},
	{"code: one star", T(CODE), "Bingbot", "/a/download", false, "/*/download"},
	{"code: stars and $", T(CODE), UA, "/a/b/archive/v1.zip", false, "/*/*/archive/*.zip$"},
	{"code: stars and $, query", T(CODE), UA, "/a/b/archive/v1.zip?x", true, ""},
	{"code: escape", T(CODE), UA, "/~user/x", false, "/~user/"},
	{"code: *", T(CODE), "OtherBot", "/a", false, "/"},
};

static const DelayCase delay_cases[] = {
	{"delay of the run's first agent", T("User-agent: a\nCrawl-delay: 5\nUser-agent: b\nDisallow: /x\n"), "a", true, 5},
	{"delay of the run's second agent", T("User-agent: a\nCrawl-delay: 5\nUser-agent: b\nDisallow: /x\n"), "b", true, 5},
	{"delay after rules, its group", T("User-agent: a\nDisallow: /x\nCrawl-delay: 3\nUser-agent: b\nDisallow: /y\n"), "a", true, 3},
	{"delay after rules, not the next group", T("User-agent: a\nDisallow: /x\nCrawl-delay: 3\nUser-agent: b\nDisallow: /y\n"), "b", false, 0},
	{"delay before any agent", T("Crawl-delay: 9\nUser-agent: *\nDisallow: /x\n"), "a", false, 0},
	{"delay without colon", T("User-agent: *\nCrawl-delay 4\n"), "a", true, 4},
	{"bad delay", T("User-agent: *\nCrawl-delay: soon\n"), "a", false, 0},
	{"shop: delay via Host line", T(SHOP), UA, true, 2},
	{"shop: no delay for *", T(SHOP), "OtherBot", false, 0},
	{"news: delay via Clean-param line", T(NEWS), UA, true, 5},
	{"news: Yandex delay", T(NEWS), "Yandex", true, 5},
};

static const SitemapCase sitemap_cases[] = {
	{"sitemap", T("Sitemap: https://x.example/s.xml\n"), 1, "https://x.example/s.xml"},
	{"site-map", T("Site-map: https://x.example/s.xml\n"), 1, "https://x.example/s.xml"},
	{"sitemap without colon", T("Sitemap https://x.example/s.xml\n"), 1, "https://x.example/s.xml"},
	{"sitemap in a group", T("User-agent: *\nSitemap: /s.xml\nDisallow: /\n"), 1, "/s.xml"},
	{"sitemap, three words", T("Sitemap https://x.example/s.xml extra\n"), 0, NULL},
	{"shop sitemaps", T(SHOP), 2, "https://www.shop.example/sitemap.xml"},
	{"blog sitemap", T(BLOG), 1, "https://blog.example/wp-sitemap.xml"},
};

static int
CheckVerdict(const char *name, const char *text, size_t len, const char *agent,
			 const char *path, bool allowed, const char *rule)
{
	Robots	   *r = RobotsParse(text, len);
	RobotsVerdict v;
	bool		ok;

	if (r == NULL)
	{
		printf("FAIL verdict case \"%s\": out of memory\n", name);
		return 1;
	}
	v = RobotsCheck(r, agent, path);
	ok = (v.allowed == allowed &&
		  (rule == NULL ||
		   (rule[0] == '\0' ? v.rule == NULL :
			(v.rule != NULL && strcmp(v.rule, rule) == 0))));
	if (!ok)
		printf("FAIL verdict case \"%s\" (%s, %.60s): expected %s \"%s\", got %s \"%s\"\n",
			   name, agent ? agent : "NULL", path,
			   allowed ? "allowed" : "disallowed", rule ? rule : "?",
			   v.allowed ? "allowed" : "disallowed", v.rule ? v.rule : "");
	RobotsFree(r);
	return ok ? 0 : 1;
}

static int
CheckDelay(const DelayCase *c)
{
	Robots	   *r = RobotsParse(c->text, c->len);
	RobotsVerdict v = RobotsCheck(r, c->agent, "/");
	bool		ok = (r != NULL && v.has_crawl_delay == c->has_delay &&
					  (!c->has_delay || v.crawl_delay == c->delay));

	if (!ok)
		printf("FAIL crawl-delay case \"%s\": expected %s %g, got %s %g\n",
			   c->name, c->has_delay ? "delay" : "none", c->delay,
			   v.has_crawl_delay ? "delay" : "none", v.crawl_delay);
	RobotsFree(r);
	return ok ? 0 : 1;
}

static int
CheckSitemaps(const SitemapCase *c)
{
	Robots	   *r = RobotsParse(c->text, c->len);
	const char *first = RobotsSitemap(r, 0);
	bool		ok = (r != NULL && RobotsSitemapCount(r) == c->count &&
					  (c->count == 0 || (first != NULL && strcmp(first, c->first) == 0)));

	if (!ok)
		printf("FAIL sitemap case \"%s\": expected %d \"%s\", got %d \"%s\"\n",
			   c->name, c->count, c->first ? c->first : "",
			   RobotsSitemapCount(r), first ? first : "");
	RobotsFree(r);
	return ok ? 0 : 1;
}

/* "/x/" and then 'c' up to n bytes: a long path. */
static char *
LongPath(size_t n, char c)
{
	char	   *s = malloc(n + 1);

	if (s == NULL)
		exit(2);
	memset(s, c, n);
	memcpy(s, "/x/", 3);
	s[n] = '\0';
	return s;
}

static char *
Concat(const char *a, const char *b, const char *c, const char *d)
{
	size_t		n = strlen(a) + strlen(b) + strlen(c) + strlen(d);
	char	   *s = malloc(n + 1);

	if (s == NULL)
		exit(2);
	strcpy(s, a);
	strcat(s, b);
	strcat(s, c);
	strcat(s, d);
	return s;
}

/*
 * Bytes of a line past MAX_LINE are not read (the reference parser's test
 * GoogleOnly_LineTooLong): the rule is cut, and what is left of it applies.
 */
static int
CheckLongLines(int *n)
{
	/* "disallow: " + path + "/qux": the cut leaves path + "/" */
	char	   *path = LongPath(MAX_LINE - strlen("disallow: ") - 1, 'a');
	char	   *file = Concat("user-agent: FooBot\ndisallow: ", path, "/qux\n", "");
	char	   *cut = Concat(path, "/fux", "", "");
	char	   *pa = LongPath(MAX_LINE - strlen("allow: ") - 1, 'a');
	char	   *pb = LongPath(MAX_LINE - strlen("allow: ") - 1, 'b');
	char	   *file2 = Concat("user-agent: FooBot\ndisallow: /\nallow: ", pa, "/qux\nallow: ", pb);
	char	   *file3 = Concat(file2, "/qux\n", "", "");
	char	   *exact_a = Concat(pa, "/qux", "", "");
	char	   *cut_b = Concat(pb, "/fux", "", "");
	int			failed = 0;

	failed += CheckVerdict("long disallow, other path", file, strlen(file),
						   "FooBot", "/fux", true, "");
	failed += CheckVerdict("long disallow, cut rule", file, strlen(file),
						   "FooBot", cut, false, NULL);
	failed += CheckVerdict("long allows, disallow", file3, strlen(file3),
						   "FooBot", "/", false, "/");
	failed += CheckVerdict("long allows, whole rule", file3, strlen(file3),
						   "FooBot", exact_a, true, NULL);
	failed += CheckVerdict("long allows, cut rule", file3, strlen(file3),
						   "FooBot", cut_b, true, NULL);
	*n += 5;
	free(path);
	free(file);
	free(cut);
	free(pa);
	free(pb);
	free(file2);
	free(file3);
	free(exact_a);
	free(cut_b);
	return failed;
}

/* A line of exactly MAX_LINE bytes is whole; one byte more loses its last. */
static int
CheckLineBoundary(int *n)
{
	/* "disallow: " + path + "$" */
	char	   *path = LongPath(MAX_LINE - strlen("disallow: ") - 1, 'p');
	char	   *whole = Concat("user-agent: *\ndisallow: ", path, "$\n", "");
	char	   *path2 = LongPath(MAX_LINE - strlen("disallow: "), 'p');
	char	   *over = Concat("user-agent: *\ndisallow: ", path2, "$\n", "");
	char	   *longer = Concat(path, "x", "", "");
	char	   *longer2 = Concat(path2, "x", "", "");
	char	   *after = Concat("user-agent: *\n# ", path2, path2, "\ndisallow: /after\n");
	int			failed = 0;

	failed += CheckVerdict("line of the cap: $ kept", whole, strlen(whole),
						   "a", longer, true, "");
	failed += CheckVerdict("line of the cap: exact", whole, strlen(whole),
						   "a", path, false, NULL);
	failed += CheckVerdict("line over the cap: $ lost", over, strlen(over),
						   "a", longer2, false, NULL);
	failed += CheckVerdict("line after a long line", after, strlen(after),
						   "a", "/after", false, "/after");
	*n += 4;
	free(path);
	free(whole);
	free(path2);
	free(over);
	free(longer);
	free(longer2);
	free(after);
	return failed;
}

/* Only the first ROBOTS_MAX_BYTES of a body are read. */
static int
CheckSizeCap(int *n)
{
	size_t		filler = ROBOTS_MAX_BYTES + 1000;
	const char *head = "user-agent: *\ndisallow: /early\n";
	const char *tail = "disallow: /late\n";
	size_t		len = strlen(head) + filler + strlen(tail);
	char	   *body = malloc(len + 1);
	size_t		i;
	int			failed = 0;

	if (body == NULL)
		exit(2);
	strcpy(body, head);
	for (i = strlen(head); i < strlen(head) + filler; i++)
		body[i] = ((i - strlen(head)) % 9 == 8) ? '\n' : '#';
	strcpy(body + strlen(head) + filler, tail);
	failed += CheckVerdict("size cap: before", body, len, "a", "/early", false, "/early");
	failed += CheckVerdict("size cap: after", body, len, "a", "/late", true, "");
	*n += 2;
	free(body);
	return failed;
}

int
main(void)
{
	int			failed = 0;
	int			n = 0;
	size_t		i;

	for (i = 0; i < sizeof(verdict_cases) / sizeof(verdict_cases[0]); i++, n++)
	{
		const VerdictCase *c = &verdict_cases[i];

		failed += CheckVerdict(c->name, c->text, c->len, c->agent, c->path,
							   c->allowed, c->rule);
	}
	for (i = 0; i < sizeof(delay_cases) / sizeof(delay_cases[0]); i++, n++)
		failed += CheckDelay(&delay_cases[i]);
	for (i = 0; i < sizeof(sitemap_cases) / sizeof(sitemap_cases[0]); i++, n++)
		failed += CheckSitemaps(&sitemap_cases[i]);
	failed += CheckLongLines(&n);
	failed += CheckLineBoundary(&n);
	failed += CheckSizeCap(&n);

	printf("%d of %d robots cases passed\n", n - failed, n);
	return failed > 0 ? 1 : 0;
}
