/*-------------------------------------------------------------------------
 * structured.c
 *	  The structured data an HTML page carries, for the extracting stage:
 *	  JSON-LD, microdata, OpenGraph, and a session's own XPath rules.
 *
 * The page is parsed again by libxml2 (extract.c's reader: no network, no
 * entities, recovery mode); the scraping stage only needed its links.  The
 * result is one JSON document per page:
 *
 *	 {"json_ld":   [every valid block, as written],
 *	  "microdata": [every top-level item, in JSON-LD's shape:
 *					{"@type": "https://schema.org/Product", "name": "...",
 *					 "offers": {"@type": ..., "price": "..."}}],
 *	  "opengraph": {"og:title": "...", "product:price:amount": "..."},
 *	  "rules":     {"field": ["value", ...] | "string" | number | boolean}}
 *
 * Everything is bounded: blocks, nesting, items, values, value lengths and
 * the XPath operations a rule may spend, so a hostile page costs bounded
 * memory and time.  Invalid pieces are dropped, never thrown: one bad block
 * must not lose the rest of the page.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xpath.h>

#include "common/jsonapi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/json.h"

#include "extract.h"
#include "structured.h"

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


/* The document being built for one page. */
typedef struct PageData
{
	xmlDocPtr	doc;
	char	   *base;			/* what relative URLs resolve against */
	StringInfoData jsonld;		/* "block, block" */
	int			nblocks;
	StringInfoData og;			/* "\"og:title\": \"...\", ..." */
	int			nog;
	StringInfoData items;		/* "item, item" */
	int			nitems;
	int			values_left;	/* microdata values still allowed */
	int			work_left;		/* microdata node visits still allowed */
	/* the items being expanded, outermost first: itemref must not loop */
	xmlNodePtr	expanding[SCRAPE_MAX_MICRODATA_DEPTH + 1];
	int			nexpanding;
} PageData;

/* Append s as a JSON string, cut to SCRAPE_MAX_VALUE_LENGTH bytes. */
static void
AppendValue(StringInfo out, const char *s)
{
	int			len = strlen(s);

	if (len > SCRAPE_MAX_VALUE_LENGTH)
	{
		char	   *cut = pnstrdup(s, pg_mbcliplen(s, len, SCRAPE_MAX_VALUE_LENGTH));

		escape_json(out, cut);
		pfree(cut);
	}
	else
		escape_json(out, s);
}

/* A <script type="application/ld+json">: keep it if it is (lenient) JSON. */
static void
AddJsonLd(PageData *pd, xmlNodePtr node)
{
	xmlChar    *raw;
	char	   *json;

	if (pd->nblocks >= SCRAPE_MAX_JSONLD_BLOCKS)
		return;
	raw = xmlNodeGetContent(node);
	if (raw == NULL)
		return;
	json = LenientJson((const char *) raw);
	xmlFree(raw);
	if (json == NULL || !IsValidJson(json))
		return;
	if (pd->nblocks++ > 0)
		appendStringInfoString(&pd->jsonld, ", ");
	appendStringInfoString(&pd->jsonld, json);
}

/* <meta property="og:..." / "product:..." content="...">: the first wins. */
static void
AddOpenGraph(PageData *pd, const char *property, const char *content)
{
	StringInfoData key;

	/* the first of each property wins, as for og:image */
	if (pd->nog >= SCRAPE_MAX_OPENGRAPH)
		return;
	initStringInfo(&key);
	escape_json(&key, property);
	appendStringInfoString(&key, ": ");
	if (strstr(pd->og.data, key.data) != NULL)
		return;
	if (pd->nog++ > 0)
		appendStringInfoString(&pd->og, ", ");
	appendStringInfoString(&pd->og, key.data);
	AppendValue(&pd->og, content);
}

/* ---- Microdata (HTML Living Standard, "Microdata") ---- */

static bool
HasAttr(xmlNodePtr node, const char *name)
{
	return node->type == XML_ELEMENT_NODE &&
		xmlHasProp(node, (const xmlChar *) name) != NULL;
}

/* The element whose id is id, or NULL (the walk counts as page work). */
static xmlNodePtr
FindById(PageData *pd, const char *id)
{
	xmlNodePtr	root = xmlDocGetRootElement(pd->doc);
	xmlNodePtr	node;

	for (node = root; node != NULL && pd->work_left-- > 0;
		 node = ScrapeNextNode(node, root, true))
	{
		char	   *v;

		if (node->type != XML_ELEMENT_NODE)
			continue;
		v = ScrapeAttr(node, "id");
		if (v != NULL && strcmp(v, id) == 0)
			return node;
	}
	return NULL;
}

/* A URL-valued attribute, resolved; the raw value if it does not resolve. */
static char *
UrlAttr(PageData *pd, xmlNodePtr el, const char *name)
{
	char	   *raw = ScrapeAttr(el, name);
	char	   *resolved;

	if (raw == NULL)
		return pstrdup("");
	resolved = ScrapeResolveUrl(pd->base, raw);
	return resolved ? resolved : raw;
}

/*
 * The text of a node (its descendants' text, white space collapsed), read
 * only up to about SCRAPE_MAX_VALUE_LENGTH bytes: the text of a big element
 * can be the whole page, and many elements may ask for it (nested
 * itemprops, an XPath rule selecting every element), so neither time nor
 * memory may depend on its full size.  AppendValue() cuts it at a
 * character boundary.
 */
static char *
BoundedText(xmlNodePtr node)
{
	StringInfoData out;
	xmlNodePtr	cur;
	bool		space = false;
	int			limit = SCRAPE_MAX_VALUE_LENGTH + 8;

	initStringInfo(&out);
	/* XPath hands namespace nodes as xmlNs, which have no children */
	if (node->type == XML_NAMESPACE_DECL)
	{
		xmlNsPtr	ns = (xmlNsPtr) node;

		if (ns->href != NULL)
			appendBinaryStringInfo(&out, (const char *) ns->href,
								   Min(strlen((const char *) ns->href), (size_t) limit));
		return out.data;
	}
	cur = (node->type == XML_TEXT_NODE || node->type == XML_CDATA_SECTION_NODE) ?
		node : node->children;
	while (cur != NULL && out.len < limit)
	{
		if ((cur->type == XML_TEXT_NODE || cur->type == XML_CDATA_SECTION_NODE) &&
			cur->content != NULL)
			ScrapeAppendCollapsed(&out, (const char *) cur->content, &space, limit);
		if (cur == node)
			break;
		if (cur->type == XML_ELEMENT_NODE && cur->children != NULL)
		{
			cur = cur->children;
			continue;
		}
		while (cur != NULL && cur != node && cur->next == NULL)
			cur = cur->parent;
		cur = (cur == NULL || cur == node) ? NULL : cur->next;
	}
	return out.data;
}

/* An attribute's value or, without it, the element's text. */
static char *
AttrOrText(xmlNodePtr el, const char *name)
{
	char	   *v = ScrapeAttr(el, name);

	if (v != NULL)
		return v;
	return BoundedText(el);
}

/* The value of a property element that is not an item (the standard's rules). */
static char *
PropertyValue(PageData *pd, xmlNodePtr el)
{
	static const char *const src_elements[] =
	{"audio", "embed", "iframe", "img", "source", "track", "video"};
	int			i;

	if (ScrapeNodeIs(el, "meta"))
	{
		char	   *v = ScrapeAttr(el, "content");

		return v ? v : pstrdup("");
	}
	for (i = 0; i < lengthof(src_elements); i++)
		if (ScrapeNodeIs(el, src_elements[i]))
			return UrlAttr(pd, el, "src");
	if (ScrapeNodeIs(el, "a") || ScrapeNodeIs(el, "area") || ScrapeNodeIs(el, "link"))
		return UrlAttr(pd, el, "href");
	if (ScrapeNodeIs(el, "object"))
		return UrlAttr(pd, el, "data");
	if (ScrapeNodeIs(el, "data") || ScrapeNodeIs(el, "meter"))
	{
		char	   *v = ScrapeAttr(el, "value");

		return v ? v : pstrdup("");
	}
	if (ScrapeNodeIs(el, "time"))
		return AttrOrText(el, "datetime");
	return BoundedText(el);
}

/* The properties of one item, as parallel arrays. */
typedef struct PropList
{
	char	  **names;
	char	  **values;				/* JSON text */
	int			n;
	int			max;
} PropList;

static void AppendItem(PageData *pd, StringInfo out, xmlNodePtr item, int depth);

/* Record the property (or properties: itemprop is a token list) of el. */
static void
AddProperty(PageData *pd, PropList *props, xmlNodePtr el, int depth)
{
	char	   *names = ScrapeAttr(el, "itemprop");
	char	   *save = NULL;
	char	   *name;
	StringInfoData value;
	int			i;

	/* a blank itemprop names no property: nothing to expand for it */
	if (strspn(names, " \t\n\r\f") == strlen(names))
		return;
	initStringInfo(&value);
	if (HasAttr(el, "itemscope"))
	{
		if (depth >= SCRAPE_MAX_MICRODATA_DEPTH || pd->work_left <= 0)
			return;
		/* an item inside itself (through itemref) is not expanded again */
		for (i = 0; i < pd->nexpanding; i++)
			if (pd->expanding[i] == el)
				return;
		AppendItem(pd, &value, el, depth + 1);
	}
	else
	{
		/* the text of a big element can be the whole page: not kept */
		char	   *v = PropertyValue(pd, el);

		AppendValue(&value, v);
		pfree(v);
	}

	for (name = strtok_r(names, " \t\n\r\f", &save); name != NULL;
		 name = strtok_r(NULL, " \t\n\r\f", &save))
	{
		if (pd->values_left <= 0)
			return;
		pd->values_left--;
		if (props->n == props->max)
		{
			props->max *= 2;
			props->names = repalloc(props->names, sizeof(char *) * props->max);
			props->values = repalloc(props->values, sizeof(char *) * props->max);
		}
		props->names[props->n] = name;
		props->values[props->n] = value.data;
		props->n++;
	}
}

/*
 * Collect the properties of item: the elements with itemprop under it and
 * under the elements its itemref names, not looking inside nested items.
 * The standard's crawl, iterative, in tree order, with a visit budget so
 * that itemref loops cannot run away.
 */
typedef struct NodeStack
{
	xmlNodePtr *nodes;
	int			top;
	int			cap;
} NodeStack;

static void
Push(NodeStack *st, xmlNodePtr node)
{
	if (st->top == st->cap)
	{
		st->cap *= 2;
		st->nodes = repalloc(st->nodes, sizeof(xmlNodePtr) * st->cap);
	}
	st->nodes[st->top++] = node;
}

/* Push node's children so that the first is popped first. */
static void
PushChildren(NodeStack *st, xmlNodePtr node)
{
	xmlNodePtr	child;

	for (child = node->last; child != NULL; child = child->prev)
		Push(st, child);
}

static void
CollectProperties(PageData *pd, PropList *props, xmlNodePtr item, int depth)
{
	NodeStack	st;
	char	   *refs = ScrapeAttr(item, "itemref");
	char	   *save = NULL;
	char	   *ref;
	int			nrefs = 0;

	st.cap = 64;
	st.top = 0;
	st.nodes = palloc(sizeof(xmlNodePtr) * st.cap);

	/* refs first onto the stack: the item's own children are popped first */
	for (ref = refs ? strtok_r(refs, " \t\n\r\f", &save) : NULL;
		 ref != NULL && nrefs < 16; ref = strtok_r(NULL, " \t\n\r\f", &save), nrefs++)
	{
		xmlNodePtr	el = FindById(pd, ref);

		if (el != NULL && el != item)
			Push(&st, el);
	}
	PushChildren(&st, item);

	while (st.top > 0 && pd->work_left-- > 0 && pd->values_left > 0)
	{
		xmlNodePtr	el = st.nodes[--st.top];

		if (el->type != XML_ELEMENT_NODE)
			continue;
		if (HasAttr(el, "itemprop"))
			AddProperty(pd, props, el, depth);
		if (!HasAttr(el, "itemscope"))
			PushChildren(&st, el);
	}
	pfree(st.nodes);
}

/* Append "@type"/"@id" and a list of tokens as one value or an array. */
static void
AppendTokens(StringInfo out, const char *key, char *tokens)
{
	char	   *save = NULL;
	char	   *tok;
	int			n = 0;
	StringInfoData list;

	initStringInfo(&list);
	for (tok = strtok_r(tokens, " \t\n\r\f", &save); tok != NULL;
		 tok = strtok_r(NULL, " \t\n\r\f", &save))
	{
		if (n++ > 0)
			appendStringInfoString(&list, ", ");
		AppendValue(&list, tok);
	}
	if (n == 0)
		return;
	appendStringInfo(out, "%s\"%s\": ", out->len > 1 ? ", " : "", key);
	if (n == 1)
		appendStringInfoString(out, list.data);
	else
		appendStringInfo(out, "[%s]", list.data);
}

/*
 * An item as a JSON-LD-shaped object: "@type", "@id", then each property
 * name once, with its one value or the array of its values in tree order.
 */
static void
AppendItem(PageData *pd, StringInfo out, xmlNodePtr item, int depth)
{
	PropList	props;
	char	   *type = ScrapeAttr(item, "itemtype");
	char	   *id = ScrapeAttr(item, "itemid");
	bool	   *done;
	int			i;
	int			j;
	StringInfoData obj;

	initStringInfo(&obj);
	props.max = 8;
	props.n = 0;
	props.names = palloc(sizeof(char *) * props.max);
	props.values = palloc(sizeof(char *) * props.max);
	Assert(pd->nexpanding <= SCRAPE_MAX_MICRODATA_DEPTH);
	pd->expanding[pd->nexpanding++] = item;
	CollectProperties(pd, &props, item, depth);
	pd->nexpanding--;

	appendStringInfoChar(&obj, '{');
	if (type != NULL)
		AppendTokens(&obj, "@type", type);
	if (id != NULL)
	{
		char	   *resolved = ScrapeResolveUrl(pd->base, id);

		AppendTokens(&obj, "@id", resolved ? resolved : id);
	}
	done = palloc0(sizeof(bool) * Max(props.n, 1));
	for (i = 0; i < props.n; i++)
	{
		int			count = 0;

		if (done[i])
			continue;
		for (j = i; j < props.n; j++)
			if (strcmp(props.names[j], props.names[i]) == 0)
				count++;
		if (obj.len > 1)
			appendStringInfoString(&obj, ", ");
		escape_json(&obj, props.names[i]);
		appendStringInfoString(&obj, count > 1 ? ": [" : ": ");
		for (j = i, count = 0; j < props.n; j++)
		{
			if (done[j] || strcmp(props.names[j], props.names[i]) != 0)
				continue;
			done[j] = true;
			if (count++ > 0)
				appendStringInfoString(&obj, ", ");
			appendStringInfoString(&obj, props.values[j]);
		}
		if (count > 1)
			appendStringInfoChar(&obj, ']');
	}
	appendStringInfoChar(&obj, '}');
	appendBinaryStringInfo(out, obj.data, obj.len);
}

/* ---- XPath rules ---- */

/* libxml2 reports to stderr unless told otherwise: we keep its last word. */
static char xml_last_error[256];

static void
KeepXmlError(void *ctx, xmlErrorPtr error)
{
	if (error != NULL && error->message != NULL)
		strlcpy(xml_last_error, error->message, sizeof(xml_last_error));
}

static void
IgnoreXmlError(void *ctx, const char *msg,...)
{
}

typedef struct XmlErrorHandlers
{
	xmlGenericErrorFunc generic;
	void	   *generic_ctx;
	xmlStructuredErrorFunc structured;
	void	   *structured_ctx;
} XmlErrorHandlers;

/* Route libxml2's errors to us, saving whoever had them (PostgreSQL's xml.c). */
static void
CaptureXmlErrors(XmlErrorHandlers *saved)
{
	saved->generic = xmlGenericError;
	saved->generic_ctx = xmlGenericErrorContext;
	saved->structured = xmlStructuredError;
	saved->structured_ctx = xmlStructuredErrorContext;
	xml_last_error[0] = '\0';
	xmlSetGenericErrorFunc(NULL, IgnoreXmlError);
	xmlSetStructuredErrorFunc(NULL, KeepXmlError);
}

static void
RestoreXmlErrors(const XmlErrorHandlers *saved)
{
	xmlSetGenericErrorFunc(saved->generic_ctx, saved->generic);
	xmlSetStructuredErrorFunc(saved->structured_ctx, saved->structured);
}

/* Append what one XPath result holds as JSON. */
static void
AppendXPathResult(StringInfo out, xmlXPathObjectPtr res)
{
	int			i;
	int			n;

	switch (res->type)
	{
		case XPATH_NODESET:
			n = res->nodesetval ? res->nodesetval->nodeNr : 0;
			appendStringInfoChar(out, '[');
			for (i = 0; i < Min(n, SCRAPE_MAX_RULE_VALUES); i++)
			{
				char	   *v = BoundedText(res->nodesetval->nodeTab[i]);

				if (i > 0)
					appendStringInfoString(out, ", ");
				AppendValue(out, v);
				pfree(v);
			}
			appendStringInfoChar(out, ']');
			break;
		case XPATH_STRING:
			AppendValue(out, (const char *) res->stringval);
			break;
		case XPATH_NUMBER:
			if (isnan(res->floatval) || isinf(res->floatval))
				appendStringInfoString(out, "null");
			else
				appendStringInfo(out, "%.15g", res->floatval);
			break;
		case XPATH_BOOLEAN:
			appendStringInfoString(out, res->boolval ? "true" : "false");
			break;
		default:
			appendStringInfoString(out, "null");
			break;
	}
}

/*
 * The libxml2 objects of the rule being evaluated: the caller's PG_FINALLY
 * frees them if an error (out of memory) cuts the evaluation short.
 */
typedef struct RuleState
{
	xmlXPathCompExprPtr comp;
	xmlXPathContextPtr ctx;
	xmlXPathObjectPtr res;
} RuleState;

static void
FreeRuleState(RuleState *rs)
{
	if (rs->res != NULL)
		xmlXPathFreeObject(rs->res);
	if (rs->ctx != NULL)
		xmlXPathFreeContext(rs->ctx);
	if (rs->comp != NULL)
		xmlXPathFreeCompExpr(rs->comp);
	rs->res = NULL;
	rs->ctx = NULL;
	rs->comp = NULL;
}

/* Evaluate one rule on the page; null when it does not evaluate. */
static void
AppendRule(StringInfo out, xmlDocPtr doc, const char *xpath, RuleState *rs)
{
	rs->comp = xmlXPathCompile((const xmlChar *) xpath);
	rs->ctx = rs->comp ? xmlXPathNewContext(doc) : NULL;
	if (rs->ctx != NULL)
	{
		/* a costly expression on a big page stops, it does not hang */
		rs->ctx->opLimit = SCRAPE_XPATH_OP_LIMIT;
		rs->res = xmlXPathCompiledEval(rs->comp, rs->ctx);
	}
	if (rs->res != NULL)
		AppendXPathResult(out, rs->res);
	else
		appendStringInfoString(out, "null");
	FreeRuleState(rs);
}

char *
ScrapeXPathError(const char *xpath)
{
	XmlErrorHandlers saved;
	xmlXPathCompExprPtr comp;
	char	   *error = NULL;

	CaptureXmlErrors(&saved);
	comp = xmlXPathCompile((const xmlChar *) xpath);
	RestoreXmlErrors(&saved);
	if (comp != NULL)
		xmlXPathFreeCompExpr(comp);
	else
	{
		int			len = strlen(xml_last_error);

		/* libxml2's messages end with a newline */
		while (len > 0 && (xml_last_error[len - 1] == '\n' || xml_last_error[len - 1] == ' '))
			xml_last_error[--len] = '\0';
		error = pstrdup(len > 0 ? xml_last_error : "invalid XPath expression");
	}
	return error;
}

/* ---- The page ---- */

/* One walk: JSON-LD scripts, OpenGraph meta, top-level microdata items. */
static void
WalkPage(PageData *pd)
{
	xmlNodePtr	root = xmlDocGetRootElement(pd->doc);
	xmlNodePtr	node;

	for (node = root; node != NULL; node = ScrapeNextNode(node, root, true))
	{
		if (node->type != XML_ELEMENT_NODE)
			continue;
		if (ScrapeNodeIs(node, "script"))
		{
			char	   *type = ScrapeAttr(node, "type");

			if (type && pg_strncasecmp(type, "application/ld+json", 19) == 0)
				AddJsonLd(pd, node);
		}
		else if (ScrapeNodeIs(node, "meta"))
		{
			char	   *content = ScrapeAttr(node, "content");
			char	   *property = ScrapeAttr(node, "property");

			if (property && content &&
				(pg_strncasecmp(property, "og:", 3) == 0 ||
				 pg_strncasecmp(property, "product:", 8) == 0))
				AddOpenGraph(pd, property, content);
		}
		if (HasAttr(node, "itemscope") && !HasAttr(node, "itemprop") &&
			pd->nitems < SCRAPE_MAX_MICRODATA_ITEMS && pd->values_left > 0)
		{
			if (pd->nitems++ > 0)
				appendStringInfoString(&pd->items, ", ");
			AppendItem(pd, &pd->items, node, 0);
		}
	}
}

char *
ScrapeExtractData(const char *html, size_t len, const char *page_url,
				  char **rule_names, char **rule_xpaths, int nrules,
				  ScrapeHtmlInfo **info)
{
	PageData	pd;
	RuleState	rs = {NULL, NULL, NULL};
	StringInfoData rules;
	XmlErrorHandlers saved;
	int			i;

	memset(&pd, 0, sizeof(pd));
	initStringInfo(&pd.jsonld);
	initStringInfo(&pd.og);
	initStringInfo(&pd.items);
	initStringInfo(&rules);
	pd.values_left = SCRAPE_MAX_MICRODATA_VALUES;
	pd.work_left = SCRAPE_MAX_MICRODATA_WORK;

	CaptureXmlErrors(&saved);
	PG_TRY();
	{
		pd.doc = ScrapeReadHtml(html, len, page_url);
		/* the page's own metadata and links, from the same parse */
		if (info != NULL)
			*info = ScrapeHtmlInfoOfDoc(pd.doc, page_url);
		if (pd.doc != NULL && xmlDocGetRootElement(pd.doc) != NULL)
		{
			pd.base = ScrapeBaseUrl(pd.doc, page_url);
			WalkPage(&pd);
			for (i = 0; i < Min(nrules, SCRAPE_MAX_RULES); i++)
			{
				if (i > 0)
					appendStringInfoString(&rules, ", ");
				escape_json(&rules, rule_names[i]);
				appendStringInfoString(&rules, ": ");
				AppendRule(&rules, pd.doc, rule_xpaths[i], &rs);
			}
		}
	}
	PG_FINALLY();
	{
		FreeRuleState(&rs);
		if (pd.doc != NULL)
			xmlFreeDoc(pd.doc);
		RestoreXmlErrors(&saved);
	}
	PG_END_TRY();

	if (pd.nblocks == 0 && pd.nog == 0 && pd.nitems == 0 && rules.len == 0)
		return NULL;
	return psprintf("{\"json_ld\": [%s], \"microdata\": [%s], \"opengraph\": {%s}, \"rules\": {%s}}",
					pd.jsonld.data, pd.items.data, pd.og.data, rules.data);
}
