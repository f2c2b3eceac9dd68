/*-------------------------------------------------------------------------
 * extract.c
 *	  What a fetched HTML page says about itself: title, description,
 *	  canonical URL, language, links.
 *
 * The page is parsed by libxml2's HTML parser (the one under lxml), with
 * no network access, no DTD and no entity loading, in recovery mode so that
 * broken HTML still yields what it can.  The tree is walked iteratively
 * (a deeply nested page costs no stack).  Links are a[href] and area[href],
 * resolved against <base href> (or the page's URL) as browsers resolve them
 * (urlcore.c's UrlResolveRaw, over libcurl's URL API), normalised like
 * submitted URLs, kept once each in document order, http(s) only, not to
 * the page itself, at most SCRAPE_MAX_LINKS_PER_PAGE.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

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

bool
ScrapeNodeIs(xmlNodePtr node, const char *name)
{
	return node->type == XML_ELEMENT_NODE &&
		pg_strcasecmp((const char *) node->name, name) == 0;
}

/* An attribute's value, palloc'd, or NULL. */
char *
ScrapeAttr(xmlNodePtr node, const char *name)
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
char *
ScrapeNodeText(xmlNodePtr node)
{
	xmlChar    *raw = xmlNodeGetContent(node);
	StringInfoData out;
	bool		space = false;

	if (raw == NULL)
		return NULL;
	initStringInfo(&out);
	ScrapeAppendCollapsed(&out, (const char *) raw, &space, INT_MAX);
	xmlFree(raw);
	return out.data;
}

/*
 * Append text to out with each run of white space made one space (none
 * at the start), until out holds limit bytes.  *space carries a pending
 * space from one piece of text to the next.
 */
void
ScrapeAppendCollapsed(StringInfo out, const char *text, bool *space, int limit)
{
	const char *p;

	for (p = text; *p && out->len < limit; p++)
	{
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			*space = out->len > 0;
		else
		{
			if (*space)
				appendStringInfoChar(out, ' ');
			appendStringInfoChar(out, *p);
			*space = false;
		}
	}
}

/*
 * Resolve href (any URL-valued attribute) against base as a browser would
 * and normalise it (urlcore.c: white space around and inside dropped, an
 * empty or fragment-only href is base itself); NULL if not an http(s) URL.
 */
char *
ScrapeResolveUrl(const char *base, const char *href)
{
	char	   *resolved = NULL;
	char		detail[128];
	char	   *result = NULL;

	if (base == NULL || href == NULL)
		return NULL;
	if (UrlResolveRaw(base, href, &resolved, detail, sizeof(detail)) == URL_OK)
		result = pstrdup(resolved);
	free(resolved);
	return result;
}

typedef struct LinkSet
{
	char	  **urls;
	bool	   *nofollow;
	int			n;
	int			dropped;
	char	   *self;			/* the page's own URL, normalised, or NULL */
} LinkSet;

static void
AddLink(LinkSet *links, char *url, bool nofollow)
{
	int			i;

	if (url == NULL)
		return;
	/*
	 * A link to the page itself ("#top", "", its own URL) is no new page:
	 * left out, so that it neither takes one of the kept links nor, on a
	 * page reached through a redirect (whose row has the URL before it),
	 * gets the page queued and fetched again.
	 */
	if (links->self != NULL && strcmp(url, links->self) == 0)
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

/*
 * The next node of a depth-first walk of root's subtree, without recursion
 * (a deeply nested page costs no stack); descend = false skips node's
 * children.
 */
xmlNodePtr
ScrapeNextNode(xmlNodePtr node, xmlNodePtr root, bool descend)
{
	if (descend && node->children != NULL && node->type == XML_ELEMENT_NODE)
		return node->children;
	while (node != NULL && node != root)
	{
		if (node->next != NULL)
			return node->next;
		node = node->parent;
	}
	return NULL;
}

/*
 * Parse an HTML page (text already in the database encoding, UTF-8 or not:
 * libxml2 is told which): recovery mode, so that broken HTML still yields
 * what it can; no network, no error output.  The caller frees the document
 * (xmlFreeDoc) in a PG_FINALLY.
 */
xmlDocPtr
ScrapeReadHtml(const char *html, size_t len, const char *page_url)
{
	return htmlReadMemory(html, (int) Min(len, (size_t) PG_INT32_MAX), page_url,
						  ScrapeDatabaseCharsetName(),
						  HTML_PARSE_RECOVER | HTML_PARSE_NONET |
						  HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
						  HTML_PARSE_COMPACT);
}

/* The URL relative links resolve against: the first <base href>, if valid. */
char *
ScrapeBaseUrl(xmlDocPtr doc, const char *page_url)
{
	xmlNodePtr	root = xmlDocGetRootElement(doc);
	xmlNodePtr	node;

	for (node = root; node != NULL; node = ScrapeNextNode(node, root, true))
	{
		if (ScrapeNodeIs(node, "base"))
		{
			char	   *resolved = ScrapeResolveUrl(page_url, ScrapeAttr(node, "href"));

			return resolved ? resolved : pstrdup(page_url);
		}
		/* <base> belongs in <head>: stop at the body */
		if (ScrapeNodeIs(node, "body"))
			break;
	}
	return pstrdup(page_url);
}

/* Walk the document once, filling info and links. */
static void
Walk(xmlDocPtr doc, const char *page_url, ScrapeHtmlInfo *info, LinkSet *links)
{
	xmlNodePtr	root = xmlDocGetRootElement(doc);
	xmlNodePtr	node;
	char	   *base = ScrapeBaseUrl(doc, page_url);
	char	   *canonical_href = NULL;

	for (node = root; node != NULL; node = ScrapeNextNode(node, root, true))
	{
		if (node->type != XML_ELEMENT_NODE)
			continue;
		if (ScrapeNodeIs(node, "html") && info->lang == NULL)
			info->lang = ScrapeAttr(node, "lang");
		else if (ScrapeNodeIs(node, "title") && info->title == NULL)
			info->title = ScrapeNodeText(node);
		else if (ScrapeNodeIs(node, "meta"))
		{
			char	   *name = ScrapeAttr(node, "name");
			char	   *content = ScrapeAttr(node, "content");

			if (name && content && pg_strcasecmp(name, "description") == 0 &&
				info->description == NULL)
				info->description = content;
			else if (name && content && pg_strcasecmp(name, "robots") == 0 &&
					 HasToken(content, "nofollow"))
				info->nofollow = true;
		}
		else if (ScrapeNodeIs(node, "link") && canonical_href == NULL)
		{
			char	   *rel = ScrapeAttr(node, "rel");

			if (rel && HasToken(rel, "canonical"))
				canonical_href = ScrapeAttr(node, "href");
		}
		else if (ScrapeNodeIs(node, "a") || ScrapeNodeIs(node, "area"))
		{
			char	   *rel = ScrapeAttr(node, "rel");

			AddLink(links, ScrapeResolveUrl(base, ScrapeAttr(node, "href")),
					rel != NULL && HasToken(rel, "nofollow"));
		}
	}
	if (canonical_href != NULL)
		info->canonical = ScrapeResolveUrl(base, canonical_href);
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
 * What an HTML page fetched from page_url says about itself and where it
 * links to, from its parsed document (NULL: nothing).  The crawl follows
 * the links; the stages store the rest.
 */
ScrapeHtmlInfo *
ScrapeHtmlInfoOfDoc(struct _xmlDoc *doc, const char *page_url)
{
	ScrapeHtmlInfo *info = palloc0(sizeof(ScrapeHtmlInfo));
	LinkSet		links;

	links.urls = palloc(sizeof(char *) * SCRAPE_MAX_LINKS_PER_PAGE);
	links.nofollow = palloc(sizeof(bool) * SCRAPE_MAX_LINKS_PER_PAGE);
	links.n = links.dropped = 0;
	links.self = ScrapeResolveUrl(page_url, "");

	if (doc != NULL)
		Walk(doc, page_url, info, &links);

	info->nlinks = links.n;
	info->links_dropped = links.dropped;
	info->links_json = LinksJson(&links, info->nofollow);
	return info;
}

/* The same, parsing the page first. */
ScrapeHtmlInfo *
ScrapeParseHtml(const char *html, size_t len, const char *page_url)
{
	ScrapeHtmlInfo *volatile info = NULL;
	xmlDocPtr	doc = NULL;

	PG_TRY();
	{
		doc = ScrapeReadHtml(html, len, page_url);
		info = ScrapeHtmlInfoOfDoc(doc, page_url);
	}
	PG_FINALLY();
	{
		if (doc != NULL)
			xmlFreeDoc(doc);
	}
	PG_END_TRY();
	return info;
}
