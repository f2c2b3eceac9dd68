/*-------------------------------------------------------------------------
 * sitemap.c
 *	  XML sitemaps (sitemaps.org), plain or gzip: the URLs they list.
 *
 * A sitemap is hostile input like any page:
 *	 - a gzip body is inflated with zlib, never past max_bytes (a
 *	   decompression bomb fails cleanly);
 *	 - libxml2 reads it with no network access and without substituting
 *	   entities, and a document with a DOCTYPE is refused outright, so
 *	   neither "billion laughs" nor external entities can cost anything;
 *	 - at most SCRAPE_MAX_SITEMAP_URLS URLs are taken.
 * <loc> values are canonicalised like every URL; invalid ones are dropped.
 * Element names are compared without their namespace prefix.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <zlib.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "lib/stringinfo.h"
#include "utils/json.h"

#include "sitemap.h"
#include "urlcore.h"

/* Inflate a gzip body into a palloc'd buffer of at most max_bytes. */
static char *
Gunzip(const char *data, size_t len, size_t max_bytes, size_t *outlen,
	   const char **error)
{
	z_stream	zs;
	size_t		cap = Min(Max(len * 4, (size_t) 65536), max_bytes + 1);
	char	   *out = palloc(cap);
	int			rc;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
	{
		*error = "could not start gzip decoding";
		return NULL;
	}
	zs.next_in = (Bytef *) unconstify(char *, data);
	zs.avail_in = (uInt) len;
	for (;;)
	{
		zs.next_out = (Bytef *) out + zs.total_out;
		zs.avail_out = (uInt) (cap - zs.total_out);
		rc = inflate(&zs, Z_NO_FLUSH);
		if (rc == Z_STREAM_END)
			break;
		if (rc != Z_OK && rc != Z_BUF_ERROR)
		{
			*error = "invalid gzip data";
			break;
		}
		if (zs.total_out >= max_bytes)
		{
			*error = "sitemap exceeds scrape_jobs.max_body_size once decompressed";
			break;
		}
		if (zs.avail_out == 0)
		{
			cap = Min(cap * 2, max_bytes + 1);
			out = repalloc(out, cap);
		}
		else if (zs.avail_in == 0)
		{
			*error = "truncated gzip data";
			break;
		}
	}
	*outlen = zs.total_out;
	inflateEnd(&zs);
	return *error ? NULL : out;
}

static bool
LocalNameIs(xmlNodePtr node, const char *name)
{
	return node->type == XML_ELEMENT_NODE &&
		strcmp((const char *) node->name, name) == 0;
}

/* The trimmed text of the <loc> child of node, palloc'd, or NULL. */
static char *
LocOf(xmlNodePtr node)
{
	xmlNodePtr	c;

	for (c = node->children; c != NULL; c = c->next)
	{
		if (LocalNameIs(c, "loc"))
		{
			xmlChar    *raw = xmlNodeGetContent(c);
			char	   *s;
			char	   *end;

			if (raw == NULL)
				return NULL;
			s = (char *) raw;
			while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
				s++;
			s = pstrdup(s);
			xmlFree(raw);
			end = s + strlen(s);
			while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
							   end[-1] == '\n' || end[-1] == '\r'))
				*--end = '\0';
			return s;
		}
	}
	return NULL;
}

/* Collect the <loc>s of the document's <url> or <sitemap> entries. */
static void
CollectLocs(xmlDocPtr doc, ScrapeSitemap *sm)
{
	xmlNodePtr	root = xmlDocGetRootElement(doc);
	xmlNodePtr	node;
	const char *entry;
	StringInfoData out;

	if (root != NULL && LocalNameIs(root, "urlset"))
		entry = "url";
	else if (root != NULL && LocalNameIs(root, "sitemapindex"))
	{
		entry = "sitemap";
		sm->is_index = true;
	}
	else
	{
		sm->error = "not a sitemap: the root element is neither urlset nor sitemapindex";
		return;
	}

	initStringInfo(&out);
	appendStringInfoChar(&out, '[');
	for (node = root->children; node != NULL; node = node->next)
	{
		char	   *loc;
		char	   *normalized = NULL;
		char		detail[128];

		if (!LocalNameIs(node, entry))
			continue;
		loc = LocOf(node);
		if (loc == NULL || sm->nlocs >= SCRAPE_MAX_SITEMAP_URLS ||
			UrlNormalizeRaw(loc, &normalized, detail, sizeof(detail)) != URL_OK)
		{
			sm->dropped++;
			continue;
		}
		if (sm->nlocs > 0)
			appendStringInfoString(&out, ", ");
		appendStringInfoString(&out, "{\"url\": ");
		escape_json(&out, normalized);
		appendStringInfo(&out, ", \"sitemap\": %s}", sm->is_index ? "true" : "false");
		free(normalized);
		sm->nlocs++;
	}
	appendStringInfoChar(&out, ']');
	sm->locs_json = out.data;
}

/* Read the XML with libxml2 (no network, no entities, no DOCTYPE). */
static void
ParseXml(const char *xml, size_t len, ScrapeSitemap *sm)
{
	xmlDocPtr	doc = NULL;

	PG_TRY();
	{
		doc = xmlReadMemory(xml, (int) len, NULL, NULL,
							XML_PARSE_NONET | XML_PARSE_NOERROR |
							XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
		if (doc == NULL)
			sm->error = "not well-formed XML";
		else if (doc->intSubset != NULL || doc->extSubset != NULL)
			sm->error = "a sitemap with a DOCTYPE is refused";
		else
			CollectLocs(doc, sm);
	}
	PG_FINALLY();
	{
		if (doc != NULL)
			xmlFreeDoc(doc);
	}
	PG_END_TRY();
}

/*
 * Parse a fetched sitemap (the raw bytes: gzip is recognised by its magic
 * number).  On failure sm->error says why and no URL is returned.
 */
ScrapeSitemap *
ScrapeParseSitemap(const char *data, size_t len, size_t max_bytes)
{
	ScrapeSitemap *sm = palloc0(sizeof(ScrapeSitemap));
	const char *xml = data;
	size_t		xmllen = len;

	if (len >= 2 && (unsigned char) data[0] == 0x1f && (unsigned char) data[1] == 0x8b)
	{
		xml = Gunzip(data, len, max_bytes, &xmllen, &sm->error);
		if (xml == NULL)
			return sm;
	}
	ParseXml(xml, xmllen, sm);
	return sm;
}
