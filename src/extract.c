/*-------------------------------------------------------------------------
 * extract.c
 *	  What a fetched HTML page says about itself: title, description,
 *	  canonical URL, language, links.
 *
 * The page is parsed by libxml2's HTML parser (the one under lxml), with
 * no network access, no DTD and no entity loading, in recovery mode so that
 * broken HTML still yields what it can.  The tree is walked iteratively
 * (a deeply nested page costs no stack).  Links are a[href] and area[href],
 * resolved against <base href> (or the page's URL) by libcurl's URL API,
 * normalised like submitted URLs, kept once each in document order, http(s)
 * only, at most SCRAPE_MAX_LINKS_PER_PAGE.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <curl/curl.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "common/jsonapi.h"
#include "mb/pg_wchar.h"
#include "lib/stringinfo.h"
#include "utils/json.h"

#include "charset.h"
#include "extract.h"
#include "urlcore.h"

/* Is this a media type we parse as HTML? */
bool
ScrapeIsHtml(const char *content_type)
{
	if (content_type == NULL)
		return true;
	return pg_strncasecmp(content_type, "text/html", 9) == 0 ||
		pg_strncasecmp(content_type, "application/xhtml+xml", 21) == 0;
}

static bool
NameIs(xmlNodePtr node, const char *name)
{
	return node->type == XML_ELEMENT_NODE &&
		pg_strcasecmp((const char *) node->name, name) == 0;
}

/* An attribute's value, palloc'd, or NULL. */
static char *
Attr(xmlNodePtr node, const char *name)
{
	xmlChar    *v = xmlGetProp(node, (const xmlChar *) name);
	char	   *copy;

	if (v == NULL)
		return NULL;
	copy = pstrdup((const char *) v);
	xmlFree(v);
	return copy;
}

/* Does a space-separated token list (rel, content) hold the token? */
static bool
HasToken(const char *list, const char *token)
{
	size_t		len = strlen(token);
	const char *p = list;

	while (p != NULL && *p)
	{
		while (*p == ' ' || *p == ',' || *p == '\t' || *p == '\n')
			p++;
		if (pg_strncasecmp(p, token, len) == 0 &&
			(p[len] == '\0' || p[len] == ' ' || p[len] == ',' ||
			 p[len] == '\t' || p[len] == '\n'))
			return true;
		p = strpbrk(p, " ,\t\n");
	}
	return false;
}

/* Text content with runs of white space collapsed to one space. */
static char *
CollapsedText(xmlNodePtr node)
{
	xmlChar    *raw = xmlNodeGetContent(node);
	StringInfoData out;
	const char *p;
	bool		space = false;

	if (raw == NULL)
		return NULL;
	initStringInfo(&out);
	for (p = (const char *) raw; *p; p++)
	{
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			space = out.len > 0;
		else
		{
			if (space)
				appendStringInfoChar(&out, ' ');
			appendStringInfoChar(&out, *p);
			space = false;
		}
	}
	xmlFree(raw);
	return out.data;
}

/* Resolve href against base and normalise it; NULL if not an http(s) URL. */
static char *
ResolveLink(const char *base, const char *href)
{
	CURLU	   *h = curl_url();
	char	   *joined = NULL;
	char	   *normalized = NULL;
	char		detail[128];
	char	   *result = NULL;

	if (h == NULL || href == NULL)
		goto done;
	if (curl_url_set(h, CURLUPART_URL, base, 0) != CURLUE_OK ||
		curl_url_set(h, CURLUPART_URL, href, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
		curl_url_get(h, CURLUPART_URL, &joined, 0) != CURLUE_OK)
		goto done;
	if (UrlNormalizeRaw(joined, &normalized, detail, sizeof(detail)) == URL_OK)
		result = pstrdup(normalized);
done:
	free(normalized);
	if (joined)
		curl_free(joined);
	if (h)
		curl_url_cleanup(h);
	return result;
}

/*
 * Make a JSON-LD block as pages write it into JSON: HTML comment markers
 * and CDATA wrappers dropped, trailing commas before } or ] removed (all
 * outside strings).  NULL if it nests deeper than SCRAPE_MAX_JSON_DEPTH:
 * PostgreSQL's JSON parser would throw on a "JSON bomb" instead of
 * declining it.
 */
static char *
LenientJson(const char *in)
{
	StringInfoData out;
	const char *p = in;
	bool		in_string = false;
	int			depth = 0;

	initStringInfo(&out);
	while (*p)
	{
		if (!in_string && (strncmp(p, "<!--", 4) == 0 || strncmp(p, "-->", 3) == 0))
		{
			p += (*p == '<') ? 4 : 3;
			continue;
		}
		if (!in_string && (strncmp(p, "<![CDATA[", 9) == 0 || strncmp(p, "]]>", 3) == 0))
		{
			p += (*p == '<') ? 9 : 3;
			continue;
		}
		if (in_string)
		{
			if (*p == '\\' && p[1] != '\0')
			{
				appendStringInfoChar(&out, *p++);
			}
			else if (*p == '"')
				in_string = false;
		}
		else if (*p == '"')
			in_string = true;
		else if (*p == '{' || *p == '[')
		{
			if (++depth > SCRAPE_MAX_JSON_DEPTH)
				return NULL;
		}
		else if (*p == '}' || *p == ']')
		{
			int			i = out.len;

			depth--;
			/* drop a trailing comma (and the white space after it) */
			while (i > 0 && (out.data[i - 1] == ' ' || out.data[i - 1] == '\n' ||
							 out.data[i - 1] == '\t' || out.data[i - 1] == '\r'))
				i--;
			if (i > 0 && out.data[i - 1] == ',')
			{
				out.len = i - 1;
				out.data[out.len] = '\0';
			}
		}
		appendStringInfoChar(&out, *p++);
	}
	return out.data;
}

/* Is text valid JSON?  Never throws (the lexer reports, it does not raise). */
static bool
IsValidJson(char *text)
{
	JsonLexContext *lex = makeJsonLexContextCstringLen(text, strlen(text),
													   GetDatabaseEncoding(), true);

	return pg_parse_json(lex, &nullSemAction) == JSON_SUCCESS;
}

typedef struct Structured
{
	StringInfoData jsonld;		/* "block, block" */
	int			nblocks;
	StringInfoData og;			/* "\"og:title\": \"...\", ..." */
	int			nog;
} Structured;

/* A <script type="application/ld+json">: keep it if it is (lenient) JSON. */
static void
AddJsonLd(Structured *st, xmlNodePtr node)
{
	xmlChar    *raw;
	char	   *json;

	if (st->nblocks >= SCRAPE_MAX_JSONLD_BLOCKS)
		return;
	raw = xmlNodeGetContent(node);
	if (raw == NULL)
		return;
	json = LenientJson((const char *) raw);
	xmlFree(raw);
	if (json == NULL || !IsValidJson(json))
		return;
	if (st->nblocks++ > 0)
		appendStringInfoString(&st->jsonld, ", ");
	appendStringInfoString(&st->jsonld, json);
}

/* <meta property="og:..." / "product:..." content="...">. */
static void
AddOpenGraph(Structured *st, const char *property, const char *content)
{
	if (st->nog++ > 0)
		appendStringInfoString(&st->og, ", ");
	escape_json(&st->og, property);
	appendStringInfoString(&st->og, ": ");
	escape_json(&st->og, content);
}

typedef struct LinkSet
{
	char	  **urls;
	bool	   *nofollow;
	int			n;
	int			dropped;
} LinkSet;

static void
AddLink(LinkSet *links, char *url, bool nofollow)
{
	int			i;

	if (url == NULL)
		return;
	for (i = 0; i < links->n; i++)
		if (strcmp(links->urls[i], url) == 0)
			return;
	if (links->n >= SCRAPE_MAX_LINKS_PER_PAGE)
	{
		links->dropped++;
		return;
	}
	links->urls[links->n] = url;
	links->nofollow[links->n] = nofollow;
	links->n++;
}

/* The next node of a depth-first walk, without recursion. */
static xmlNodePtr
NextNode(xmlNodePtr node, xmlNodePtr root)
{
	if (node->children != NULL && node->type == XML_ELEMENT_NODE)
		return node->children;
	while (node != NULL && node != root)
	{
		if (node->next != NULL)
			return node->next;
		node = node->parent;
	}
	return NULL;
}

/* Walk the document once, filling info and links. */
static void
Walk(xmlDocPtr doc, const char *page_url, ScrapeHtmlInfo *info, LinkSet *links,
	 Structured *st)
{
	xmlNodePtr	root = xmlDocGetRootElement(doc);
	xmlNodePtr	node;
	char	   *base = pstrdup(page_url);
	bool		base_seen = false;
	char	   *canonical_href = NULL;

	for (node = root; node != NULL; node = NextNode(node, root))
	{
		if (node->type != XML_ELEMENT_NODE)
			continue;
		if (NameIs(node, "html") && info->lang == NULL)
			info->lang = Attr(node, "lang");
		else if (NameIs(node, "base") && !base_seen)
		{
			char	   *href = Attr(node, "href");
			char	   *resolved = ResolveLink(page_url, href);

			base_seen = true;
			if (resolved != NULL)
				base = resolved;
		}
		else if (NameIs(node, "title") && info->title == NULL)
			info->title = CollapsedText(node);
		else if (NameIs(node, "script"))
		{
			char	   *type = Attr(node, "type");

			if (type && pg_strncasecmp(type, "application/ld+json", 19) == 0)
				AddJsonLd(st, node);
		}
		else if (NameIs(node, "meta"))
		{
			char	   *name = Attr(node, "name");
			char	   *content = Attr(node, "content");
			char	   *property = Attr(node, "property");

			if (property && content &&
				(pg_strncasecmp(property, "og:", 3) == 0 ||
				 pg_strncasecmp(property, "product:", 8) == 0))
				AddOpenGraph(st, property, content);

			if (name && content && pg_strcasecmp(name, "description") == 0 &&
				info->description == NULL)
				info->description = content;
			else if (name && content && pg_strcasecmp(name, "robots") == 0 &&
					 HasToken(content, "nofollow"))
				info->nofollow = true;
		}
		else if (NameIs(node, "link") && canonical_href == NULL)
		{
			char	   *rel = Attr(node, "rel");

			if (rel && HasToken(rel, "canonical"))
				canonical_href = Attr(node, "href");
		}
		else if (NameIs(node, "a") || NameIs(node, "area"))
		{
			char	   *rel = Attr(node, "rel");

			AddLink(links, ResolveLink(base, Attr(node, "href")),
					rel != NULL && HasToken(rel, "nofollow"));
		}
	}
	if (canonical_href != NULL)
		info->canonical = ResolveLink(base, canonical_href);
}

/* The links as JSON; a page-wide nofollow marks every link nofollow. */
static char *
LinksJson(const LinkSet *links, bool page_nofollow)
{
	StringInfoData out;
	int			i;

	initStringInfo(&out);
	appendStringInfoChar(&out, '[');
	for (i = 0; i < links->n; i++)
	{
		if (i > 0)
			appendStringInfoString(&out, ", ");
		appendStringInfoString(&out, "{\"url\": ");
		escape_json(&out, links->urls[i]);
		appendStringInfo(&out, ", \"nofollow\": %s}",
						 (links->nofollow[i] || page_nofollow) ? "true" : "false");
	}
	appendStringInfoChar(&out, ']');
	return out.data;
}

/*
 * Parse an HTML page (text already in the database encoding, UTF-8 or
 * not: libxml2 is told which) fetched from page_url.
 */
ScrapeHtmlInfo *
ScrapeParseHtml(const char *html, size_t len, const char *page_url)
{
	ScrapeHtmlInfo *info = palloc0(sizeof(ScrapeHtmlInfo));
	LinkSet		links;
	Structured	st;
	xmlDocPtr	doc = NULL;

	initStringInfo(&st.jsonld);
	initStringInfo(&st.og);
	st.nblocks = st.nog = 0;

	links.urls = palloc(sizeof(char *) * SCRAPE_MAX_LINKS_PER_PAGE);
	links.nofollow = palloc(sizeof(bool) * SCRAPE_MAX_LINKS_PER_PAGE);
	links.n = links.dropped = 0;

	PG_TRY();
	{
		doc = htmlReadMemory(html, (int) len, page_url,
							 ScrapeDatabaseCharsetName(),
							 HTML_PARSE_RECOVER | HTML_PARSE_NONET |
							 HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
							 HTML_PARSE_COMPACT);
		if (doc != NULL)
			Walk(doc, page_url, info, &links, &st);
	}
	PG_FINALLY();
	{
		if (doc != NULL)
			xmlFreeDoc(doc);
	}
	PG_END_TRY();

	info->nlinks = links.n;
	info->links_dropped = links.dropped;
	info->links_json = LinksJson(&links, info->nofollow);
	if (st.nblocks > 0 || st.nog > 0)
		info->structured_json = psprintf("{\"json_ld\": [%s], \"opengraph\": {%s}}",
										 st.jsonld.data, st.og.data);
	return info;
}
