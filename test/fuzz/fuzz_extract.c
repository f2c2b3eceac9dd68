/*
 * libFuzzer harness for the HTML extractors: ScrapeParseHtml (src/extract.c:
 * title, description, canonical, language, links) and ScrapeExtractData
 * (src/structured.c: JSON-LD, microdata, OpenGraph, XPath rules), linked
 * with libxml2, libcurl, libpgcommon/libpgport and the stubs of pgstub.c.
 *
 * The input is a page as the extractors receive it: a text datum, so valid
 * in the database encoding (UTF-8 here) and without NUL bytes; other inputs
 * are declined.  An input whose first line starts with '/' gives, on that
 * line, one more XPath rule to evaluate on the rest of the page.
 *
 * Properties: no crash, leak or sanitizer report, no ERROR (pgstub.c aborts
 * on one); links_json and the structured data are JSON that PostgreSQL's
 * parser accepts with escapes de-escaped, as jsonb input does; every string
 * bound for a text column is valid UTF-8; the canonical URL is http(s);
 * the link counts stay within their bounds.  What the extractors palloc'd
 * is freed after each input, as the worker's per-pass context would be.
 */
#include "postgres.h"

#include <assert.h>

#include <libxml/parser.h>

#include "common/jsonapi.h"
#include "mb/pg_wchar.h"
#include "utils/memutils.h"

#include "extract.h"
#include "structured.h"

int			LLVMFuzzerInitialize(int *argc, char ***argv);
int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
extern void PgStubMemoryReset(void);

#define PAGE_URL "https://shop.example/dir/page.html?q=1"

/* A session's options.extract, as sql/ would accept them. */
static char *rule_names[] = {
	"title", "prices", "first_price", "links", "has_offer", "attrs", "bad",
	"nan", "fuzzed"
};
static char *rule_xpaths[] = {
	"//title",
	"//*[@itemprop='price']/@content | //*[@itemprop='price']",
	"string((//*[@itemprop='price'])[1])",
	"count(//a[@href])",
	"boolean(//*[@itemtype])",
	"//@*",
	"//[",						/* does not compile: null */
	"number('x') div 0",
	NULL						/* the input's first line, if any */
};

static bool
IsUtf8(const char *s)
{
	int			len = (int) strlen(s);

	return pg_encoding_verifymbstr(PG_UTF8, s, len) == len;
}

static bool
IsJson(char *s)
{
	JsonLexContext *lex = makeJsonLexContextCstringLen(s, strlen(s),
													   PG_UTF8, true);

	return pg_parse_json(lex, &nullSemAction) == JSON_SUCCESS;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* libxml2's global state, once, so that it is not taken for a leak */
	xmlInitParser();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *html = (const char *) data;
	int			nrules = lengthof(rule_names) - 1;
	ScrapeHtmlInfo *info;
	char	   *structured;

	if (size > MaxAllocSize ||
		pg_encoding_verifymbstr(PG_UTF8, html, (int) size) != (int) size)
		return -1;

	if (size > 0 && html[0] == '/')
	{
		const char *eol = memchr(html, '\n', size);
		size_t		linelen = eol ? (size_t) (eol - html) : size;
		char	   *error;

		rule_xpaths[nrules] = pnstrdup(html, linelen);
		nrules++;
		error = ScrapeXPathError(rule_xpaths[nrules - 1]);
		assert(error == NULL || IsUtf8(error));
		html += linelen;
		size -= linelen;
	}

	info = ScrapeParseHtml(html, size, PAGE_URL);
	assert(info != NULL);
	assert(info->links_json != NULL && IsUtf8(info->links_json));
	assert(IsJson(info->links_json));
	assert(info->title == NULL || IsUtf8(info->title));
	assert(info->description == NULL || IsUtf8(info->description));
	assert(info->lang == NULL || IsUtf8(info->lang));
	assert(info->canonical == NULL ||
		   strncmp(info->canonical, "http://", 7) == 0 ||
		   strncmp(info->canonical, "https://", 8) == 0);
	assert(info->nlinks >= 0 && info->nlinks <= SCRAPE_MAX_LINKS_PER_PAGE);
	assert(info->links_dropped >= 0);

	/* without rules, and with them */
	structured = ScrapeExtractData(html, size, PAGE_URL, NULL, NULL, 0, NULL);
	assert(structured == NULL || (IsUtf8(structured) && IsJson(structured)));
	structured = ScrapeExtractData(html, size, PAGE_URL, rule_names,
								   rule_xpaths, nrules, &info);
	assert(info != NULL && info->links_json != NULL && IsJson(info->links_json));
	assert(structured == NULL || (IsUtf8(structured) && IsJson(structured)));

	PgStubMemoryReset();
	return 0;
}
