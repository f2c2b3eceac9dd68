/*
 * Unit test of the HTML extractors (src/extract.c, src/structured.c) and
 * the URL resolver under them (src/urlcore.c), on pages shaped like real
 * ones: tables of pages and what must (and must not) be read from them.
 *
 * The extractors are backend code: this is built like test/fuzz/fuzz_extract
 * (the server's headers, libpgcommon.a, libpgport.a and test/fuzz/pgstub.c;
 * see the Makefile), with plain gcc.  Exits non-zero, naming each failing
 * case, on any mismatch.
 */
#include "postgres.h"

#include <stdio.h>

#include <libxml/parser.h>

#include "common/jsonapi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"

#include "extract.h"
#include "structured.h"
#include "urlcore.h"

extern void PgStubMemoryReset(void);

static int	failures = 0;
static int	checks = 0;

static void
Fail(const char *name, const char *what, const char *want, const char *got)
{
	failures++;
	printf("FAIL %s: %s\n       want: %s\n       got:  %s\n",
		   name, what, want ? want : "(null)", got ? got : "(null)");
}

static bool
SameString(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool
IsJson(const char *s)
{
	JsonLexContext *lex = makeJsonLexContextCstringLen(pstrdup(s), strlen(s),
													   PG_UTF8, true);

	return pg_parse_json(lex, &nullSemAction) == JSON_SUCCESS;
}

static int
Occurrences(const char *haystack, const char *needle)
{
	int			n = 0;
	const char *p = haystack;

	while (p != NULL && (p = strstr(p, needle)) != NULL)
	{
		n++;
		p += strlen(needle);
	}
	return n;
}

/* ---- Pages, shaped like real ones ---- */

/*
 * A Shopify-like product page (a Dawn-style theme): its Liquid templates
 * leave white space and newlines around attribute values, the theme's
 * JSON-LD has a comment, trailing commas and a description with raw
 * newlines (Liquid's strip_html, not its json filter), the microdata puts
 * machine values in content attributes, and the description is HTML.
 */
#define SHOPIFY_URL "https://shop.example/products/burr-grinder?variant=4242"
static const char shopify_page[] =
"<!doctype html>\n"
"<html class=\"no-js\" lang=\"en\">\n"
"<head>\n"
"  <meta charset=\"utf-8\">\n"
"  <title>Burr Grinder &ndash; Example Coffee Co</title>\n"
"  <meta name=\"description\" content=\"Conical steel burrs, 40 grind settings.\">\n"
"  <link rel=\"canonical\" href=\"\n"
"    https://shop.example/products/burr-grinder\n"
"  \">\n"
"  <meta property=\"og:title\" content=\"Burr Grinder\">\n"
"  <meta property=\"og:price:amount\" content=\"129.00\">\n"
"  <script type=\"application/ld+json\">\n"
"    <!-- Product JSON-LD, theme 'Dawn' -->\n"
"    {\n"
"      \"@context\": \"http://schema.org/\",\n"
"      \"@type\": \"Product\",\n"
"      \"name\": \"Burr Grinder\",\n"
"      \"url\": \"https://shop.example/products/burr-grinder\",\n"
"      \"description\": \"Conical steel burrs.\n"
"40 grind settings.\",\n"
"      \"offers\": [\n"
"        {\n"
"          \"@type\" : \"Offer\",\n"
"          \"sku\": \"BG-40\",\n"
"          \"availability\" : \"http://schema.org/InStock\",\n"
"          \"price\" : 129.00,\n"
"          \"priceCurrency\" : \"EUR\",\n"
"          \"url\" : \"https://shop.example/products/burr-grinder?variant=4242\"\n"
"        },\n"
"      ],\n"
"      \"brand\": {\"@type\": \"Brand\", \"name\": \"Example Coffee Co\"},\n"
"    }\n"
"  </script>\n"
"  <script type=\"application/ld+json\">\n"
"  {\"@context\": \"http://schema.org\", \"@type\": \"Organization\", \"name\": \"Example Coffee Co\",\n"
"   \"sameAs\": [\"https://instagram.com/example\",], \"url\": \"https://shop.example\"}\n"
"  </script>\n"
"</head>\n"
"<body>\n"
"  <a class=\"skip-to-content-link\" href=\"#MainContent\">Skip to content</a>\n"
"  <header>\n"
"    <a href=\"/\" class=\"header__heading-link\">Example Coffee Co</a>\n"
"    <nav><a href=\"/collections/all\">Catalog</a> <a href=\"\n"
"       /pages/contact\n"
"    \">Contact</a></nav>\n"
"  </header>\n"
"  <main id=\"MainContent\">\n"
"  <div class=\"product\" itemscope itemtype=\"http://schema.org/Product\">\n"
"    <meta itemprop=\"url\" content=\"https://shop.example/products/burr-grinder\">\n"
"    <h1 itemprop=\"name\">Burr Grinder</h1>\n"
"    <img itemprop=\"image\" src=\" //shop.example/cdn/shop/files/grinder.jpg?v=1 \" alt=\"\">\n"
"    <div itemprop=\"offers\" itemscope itemtype=\"http://schema.org/Offer\">\n"
"      <span itemprop=\"price\" content=\"129.00\">\xE2\x82\xAC" "129,00</span>\n"
"      <span itemprop=\"priceCurrency\" content=\"EUR\"></span>\n"
"      <link itemprop=\"availability\" href=\"\n"
"            http://schema.org/InStock\n"
"          \">\n"
"    </div>\n"
"    <div itemprop=\"description\" class=\"product__description rte\">"
"<p>Conical steel burrs.</p><p>40 grind settings.</p>"
"<ul><li>Hopper 250 g</li><li>Weight 0.8 kg</li></ul>"
"<script>window.ShopifyAnalytics = window.ShopifyAnalytics || {};</script>"
"<style>.rte p{margin:0}</style></div>\n"
"    <a href=\"?variant=4243\">Black</a>\n"
"    <a href=\"\" class=\"js-refresh\">Refresh</a>\n"
"    <a href=\"#reviews\">Reviews</a>\n"
"  </div>\n"
"  </main>\n"
"</body></html>\n";

/*
 * A WooCommerce-like product page (a WordPress theme of some age): the
 * product's JSON-LD in a CDATA wrapper with a block comment and a line
 * comment, Yoast's graph, and the old WooCommerce microdata templates
 * (meta and content attributes, a description of headings and lists).
 */
#define WOO_URL "https://store.example/product/treatment-pack/"
static const char woo_page[] =
"<!DOCTYPE html>\n"
"<html lang=\"en-US\">\n"
"<head>\n"
"<title>Treatment Pack &#8211; Example Store</title>\n"
"<link rel='canonical' href='https://store.example/product/treatment-pack/' />\n"
"<script type=\"application/ld+json\" class=\"yoast-schema-graph\">"
"{\"@context\":\"https://schema.org\",\"@graph\":[{\"@type\":\"WebPage\",\"@id\":\"https://store.example/product/treatment-pack/\",\"name\":\"Treatment Pack\"},"
"{\"@type\":\"BreadcrumbList\",\"itemListElement\":[{\"@type\":\"ListItem\",\"position\":1,\"name\":\"Home\",\"item\":\"https://store.example/\"},]}]}"
"</script>\n"
"<script type=\"application/ld+json\">\n"
"//<![CDATA[\n"
"/* WooCommerce structured data */\n"
"{\"@context\":\"https://schema.org/\",\"@type\":\"Product\",\"@id\":\"https://store.example/product/treatment-pack/#product\",\n"
" \"name\":\"Treatment Pack\", // shown in the shop\n"
" \"offers\":[{\"@type\":\"Offer\",\"price\":\"13.00\",\"priceCurrency\":\"USD\",\n"
"   \"availability\":\"http://schema.org/InStock\",\"url\":\"https://store.example/product/treatment-pack/\"}]}\n"
"//]]>\n"
"</script>\n"
"</head>\n"
"<body class=\"product-template-default single single-product\">\n"
"<div id=\"product-77\" itemscope itemtype=\"http://schema.org/Product\" class=\"product type-product\">\n"
"  <h1 itemprop=\"name\" class=\"product_title entry-title\">Treatment Pack</h1>\n"
"  <div itemprop=\"offers\" itemscope itemtype=\"http://schema.org/Offer\">\n"
"    <p class=\"price\"><span class=\"woocommerce-Price-amount amount\">"
"<span class=\"woocommerce-Price-currencySymbol\">&#36;</span>13.00</span></p>\n"
"    <meta itemprop=\"price\" content=\"13.00\" />\n"
"    <meta itemprop=\"priceCurrency\" content=\" USD \" />\n"
"    <link itemprop=\"availability\" href=\" http://schema.org/InStock\" />\n"
"  </div>\n"
"  <div itemprop=\"description\" class=\"woocommerce-product-details__short-description\">"
"<h2>Treatment Pack</h2><p>For use on dry hair.<br>Twice a week.</p>"
"<table><tr><td>Size</td><td>250 ml</td></tr></table>"
"<noscript><img src=\"/pixel.gif\">Enable JavaScript</noscript>"
"<template><p>Out of stock</p></template></div>\n"
"  <div itemprop=\"aggregateRating\" itemscope itemtype=\"http://schema.org/AggregateRating\">\n"
"    <span class=\"star-rating\" itemprop=\"ratingValue\" content=\"4.50\">Rated 4.50 out of 5</span>\n"
"    <span itemprop=\"reviewCount\" content=\"12\">12 reviews</span>\n"
"  </div>\n"
"  <a href=\"https://store.example/product/treatment-pack/#reviews\">12 reviews</a>\n"
"  <a href=\"https://store.example/product/treatment-pack/\">this page</a>\n"
"  <a href=\"?add-to-cart=77\" rel=\"nofollow\">Add to cart</a>\n"
"  <a href=\"#\" class=\"woocommerce-product-gallery__trigger\">zoom</a>\n"
"</div>\n"
"</body></html>\n";

/* ---- Resolving a page's references (urlcore.c) ---- */

typedef struct ResolveCase
{
	const char *base;
	const char *ref;
	const char *resolved;		/* NULL: not resolved */
	UrlError	err;
} ResolveCase;

#define RFC "http://a/b/c/d;p?q"

static const ResolveCase resolve_cases[] = {
	/* RFC 3986, 5.4.1 and 5.4.2, normalised (fragments dropped) */
	{RFC, "g", "http://a/b/c/g"},
	{RFC, "./g", "http://a/b/c/g"},
	{RFC, "g/", "http://a/b/c/g/"},
	{RFC, "/g", "http://a/g"},
	{RFC, "//g", "http://g/"},
	{RFC, "?y", "http://a/b/c/d;p?y"},
	{RFC, "g?y", "http://a/b/c/g?y"},
	{RFC, "#s", "http://a/b/c/d;p?q"},	/* libcurl: http://a/b/c/ */
	{RFC, "g#s", "http://a/b/c/g"},
	{RFC, ";x", "http://a/b/c/;x"},
	{RFC, "", "http://a/b/c/d;p?q"},	/* libcurl: http://a/b/c/ */
	{RFC, ".", "http://a/b/c/"},
	{RFC, "./", "http://a/b/c/"},
	{RFC, "..", "http://a/b/"},
	{RFC, "../g", "http://a/b/g"},
	{RFC, "../..", "http://a/"},
	{RFC, "../../../../g", "http://a/g"},
	{RFC, "/./g", "http://a/g"},
	{RFC, "/../g", "http://a/g"},
	{RFC, "g.", "http://a/b/c/g."},
	{RFC, "..g", "http://a/b/c/..g"},
	{RFC, "./../g", "http://a/b/g"},
	{RFC, "g/../h", "http://a/b/c/h"},
	{RFC, "g;x=1/../y", "http://a/b/c/y"},
	{RFC, "g?y/./x", "http://a/b/c/g?y/./x"},
	{RFC, "g:h", NULL, URL_UNPARSABLE},
	{RFC, "http:g", NULL, URL_UNPARSABLE},
	/* the document itself: the base without its fragment */
	{"https://shop.example/dir/page.html?q=1#frag", "#top", "https://shop.example/dir/page.html?q=1"},
	{"https://shop.example/dir/page.html?q=1#frag", "#", "https://shop.example/dir/page.html?q=1"},
	{"https://shop.example/dir/page.html?q=1#frag", "", "https://shop.example/dir/page.html?q=1"},
	{"https://shop.example/dir/page.html?q=1", "?q=2", "https://shop.example/dir/page.html?q=2"},
	{"https://shop.example/dir/page.html?q=1", "?q=2#x", "https://shop.example/dir/page.html?q=2"},
	{"HTTPS://Shop.Example:443/a/%7euser", "#x", "https://shop.example/a/~user"},
	{"https://shop.example", "#x", "https://shop.example/"},
	{"https://shop.example", "?x=1", "https://shop.example/?x=1"},
	/* WHATWG: C0 controls and spaces around, tabs and newlines inside */
	{RFC, "  g  ", "http://a/b/c/g"},
	{RFC, "\t\n\f\r g \x01", "http://a/b/c/g"},
	{RFC, "/g\n/h\ti\r", "http://a/g/hi"},
	{RFC, " \n ", "http://a/b/c/d;p?q"},
	{RFC, "  #s", "http://a/b/c/d;p?q"},
	{RFC, "\n?y", "http://a/b/c/d;p?y"},
	{RFC, " https://other.example/x ", "https://other.example/x"},
	{RFC, "htt\tps://other.example/", "https://other.example/"},
	{RFC, "java\nscript:alert(1)", NULL, URL_UNPARSABLE},	/* no slashes */
	{RFC, "/g\fh", "http://a/g%0Ch"},	/* a form feed inside is escaped */
	/* one spelling for a link and a submitted URL, as browsers send them */
	{RFC, "/\xE4\xBD\xA0\xE5\xA5\xBD", "http://a/%E4%BD%A0%E5%A5%BD"},
	{RFC, "http://a/\xE4\xBD\xA0\xE5\xA5\xBD", "http://a/%E4%BD%A0%E5%A5%BD"},
	{RFC, "/%e4%bd%a0%e5%a5%bd", "http://a/%E4%BD%A0%E5%A5%BD"},
	{RFC, "/caf\xC3\xA9?q=cr\xC3\xA8me", "http://a/caf%C3%A9?q=cr%C3%A8me"},
	{RFC, "a b", "http://a/b/c/a%20b"},
	{RFC, "http://a/a b?c d", "http://a/a%20b?c%20d"},
	{RFC, "/p?q=\"x\"&r='y'", "http://a/p?q=%22x%22&r=%27y%27"},
	{RFC, "/{x}`<y>", "http://a/%7Bx%7D%60%3Cy%3E"},
	{RFC, "/a\\b?c\\d", "http://a/a/b?c\\d"},	/* a backslash is a slash in a path */
	{RFC, "g#a b", "http://a/b/c/g"},	/* the fragment is never sent */
	{RFC, "//other.example/\xC3\xA9", "http://other.example/%C3%A9"},
	/* what cannot resolve */
	{"not a url", "g", NULL, URL_UNPARSABLE},
	{"mailto:a@b.example", "", NULL, URL_UNPARSABLE},
	{RFC, NULL, NULL, URL_EMPTY},
};

static void
RunResolveCases(void)
{
	int			i;
	char	   *longref = malloc(SCRAPE_MAX_URL_LENGTH + 2);
	char	   *resolved;
	char		detail[256];
	UrlError	err;

	for (i = 0; i < lengthof(resolve_cases); i++)
	{
		const ResolveCase *c = &resolve_cases[i];
		char		name[128];

		snprintf(name, sizeof(name), "resolve [%s] against %s", c->ref ? c->ref : "NULL", c->base);
		err = UrlResolveRaw(c->base, c->ref, &resolved, detail, sizeof(detail));
		checks++;
		if (!SameString(resolved, c->resolved))
			Fail(name, "resolved", c->resolved, resolved);
		else if (err != c->err)
			Fail(name, "error code", "another one", detail);
		free(resolved);
	}

	/* a reference no URL we keep could come from; padding does not count */
	memset(longref, 'g', SCRAPE_MAX_URL_LENGTH + 1);
	longref[SCRAPE_MAX_URL_LENGTH + 1] = '\0';
	err = UrlResolveRaw(RFC, longref, &resolved, detail, sizeof(detail));
	checks++;
	if (err != URL_TOO_LONG || resolved != NULL)
		Fail("resolve a reference over SCRAPE_MAX_URL_LENGTH", "error code",
			 "URL_TOO_LONG", resolved);
	free(resolved);
	free(longref);
}

/* ---- Links and canonical (ScrapeParseHtml) ---- */

typedef struct LinkCase
{
	const char *name;
	const char *page_url;
	const char *html;
	const char *links;			/* links_json, exactly */
	const char *canonical;		/* exactly (NULL: none) */
} LinkCase;

#define PAGE "https://shop.example/dir/page.html?q=1"
#define L(u) "{\"url\": \"" u "\", \"nofollow\": false}"
#define LNF(u) "{\"url\": \"" u "\", \"nofollow\": true}"

static const LinkCase link_cases[] = {
	/* 1. white space around and inside URLs, as browsers strip it */
	{"href with spaces around", PAGE,
		"<a href=\"  /p/1  \">x</a>",
	"[" L("https://shop.example/p/1") "]", NULL},
	{"absolute href with spaces before", PAGE,
		"<a href=\"  http://other.example/x\">x</a>",
	"[" L("http://other.example/x") "]", NULL},
	{"href with a newline inside", PAGE,
		"<a href=\"/collections/\nall\">x</a>",
	"[" L("https://shop.example/collections/all") "]", NULL},
	{"href with a tab inside", PAGE,
		"<a href=\"/products/\tgrinder\">x</a>",
	"[" L("https://shop.example/products/grinder") "]", NULL},
	{"href with CR LF and tabs around", PAGE,
		"<a href=\"\r\n\t/p/2\r\n\">x</a>",
	"[" L("https://shop.example/p/2") "]", NULL},
	{"href with a form feed before", PAGE,
		"<a href=\"\f/p/3\">x</a>",
	"[" L("https://shop.example/p/3") "]", NULL},
	{"href with a newline entity inside", PAGE,
		"<a href=\"/p/&#10;4\">x</a>",
	"[" L("https://shop.example/p/4") "]", NULL},
	{"area href with white space", PAGE,
		"<map><area href=\" /map/target\n\" alt=\"\"></map>",
	"[" L("https://shop.example/map/target") "]", NULL},
	{"javascript: split by a newline is still javascript:", PAGE,
		"<a href=\"java\nscript:alert(1)\">x</a><a href=\" mailto:a@shop.example\">m</a>",
	"[]", NULL},
	{"canonical with white space and newlines", PAGE,
		"<link rel=\"canonical\" href=\"\n  https://shop.example/products/grinder\n\">",
	"[]", "https://shop.example/products/grinder"},
	{"base href with white space", PAGE,
		"<base href=\" https://cdn.shop.example/store/ \"><a href=\"p/1\">x</a>",
	"[" L("https://cdn.shop.example/store/p/1") "]", NULL},

	/* 2. a fragment or nothing is the document itself */
	{"fragment-only and empty hrefs are the page: not links", PAGE,
		"<a href=\"#top\">t</a><a href=\"\">e</a><a href=\"#\">h</a><a href=\"  #x \">w</a>",
	"[]", NULL},
	{"a link to the page itself is not a link", PAGE,
		"<a href=\"page.html?q=1\">self</a>"
		"<a href=\"https://shop.example/dir/page.html?q=1#reviews\">self</a>"
		"<a href=\"HTTPS://SHOP.EXAMPLE:443/dir/page.html?q=1\">self</a>"
		"<a href=\"page.html\">no query: another page</a>",
	"[" L("https://shop.example/dir/page.html") "]", NULL},
	{"fragment with a base href: the base URL", PAGE,
		"<base href=\"https://shop.example/catalog/index.php?page=2\">"
		"<a href=\"#top\">t</a><a href=\"\">e</a>",
	"[" L("https://shop.example/catalog/index.php?page=2") "]", NULL},
	{"query-only href: the document's path", "https://shop.example/collections/all?page=1",
		"<a href=\"?page=2\">2</a><a href=\"?page=3#grid\">3</a><a href=\" ?sort=price \">s</a>",
	"[" L("https://shop.example/collections/all?page=2") ", "
	 L("https://shop.example/collections/all?page=3") ", "
	 L("https://shop.example/collections/all?sort=price") "]", NULL},
	{"query-only href on a directory page", "https://shop.example/blog/",
		"<a href=\"?page=2\">2</a>",
	"[" L("https://shop.example/blog/?page=2") "]", NULL},
	{"empty canonical: the page itself", PAGE,
		"<link rel=\"canonical\" href=\"\">",
	"[]", PAGE},
	{"fragment canonical: the page itself", PAGE,
		"<link rel=\"canonical\" href=\"#main\">",
	"[]", PAGE},

	/* the fixtures */
	{"Shopify-like product page: links", SHOPIFY_URL, shopify_page,
		"[" L("https://shop.example/") ", "
		L("https://shop.example/collections/all") ", "
		L("https://shop.example/pages/contact") ", "
		L("https://shop.example/products/burr-grinder?variant=4243") "]",
	"https://shop.example/products/burr-grinder"},
	{"WooCommerce-like product page: links", WOO_URL, woo_page,
		"[" LNF("https://store.example/product/treatment-pack/?add-to-cart=77") "]",
	"https://store.example/product/treatment-pack/"},

	/* unchanged: what already worked */
	{"relative links, dedupe, schemes", "https://shop.example/index.html",
		"<base href=\"https://shop.example/catalog/\">"
		"<a href=\"item-1.html\">1</a><a href=\"./item-1.html#reviews\">1</a>"
		"<a href=\"../About%2dus/\">a</a><a href=\"HTTPS://SHOP.EXAMPLE:443/catalog/item-2.html\" rel=\"nofollow\">2</a>"
		"<a href=\"mailto:x@shop.example\">m</a><a href=\"javascript:void(0)\">j</a><a>none</a>"
		"<a href=\"//cdn.example/x.png\">p</a>",
		"[" L("https://shop.example/catalog/item-1.html") ", "
		L("https://shop.example/About-us/") ", "
		LNF("https://shop.example/catalog/item-2.html") ", "
	L("https://cdn.example/x.png") "]", NULL},
};

static void
RunLinkCases(void)
{
	int			i;

	for (i = 0; i < lengthof(link_cases); i++)
	{
		const LinkCase *c = &link_cases[i];
		ScrapeHtmlInfo *info = ScrapeParseHtml(c->html, strlen(c->html), c->page_url);

		checks++;
		if (!SameString(info->links_json, c->links))
			Fail(c->name, "links", c->links, info->links_json);
		else if (!SameString(info->canonical, c->canonical))
			Fail(c->name, "canonical", c->canonical, info->canonical);
		else if (!IsJson(info->links_json))
			Fail(c->name, "links are JSON", "valid JSON", info->links_json);
		PgStubMemoryReset();
	}
}

/* ---- Structured data (ScrapeExtractData) ---- */

typedef struct DataCase
{
	const char *name;
	const char *page_url;
	const char *html;
	const char *want[8];		/* substrings of the document */
	const char *unwanted[4];	/* not substrings of it */
	const char *counted;		/* a substring ... */
	int			count;			/* ... that occurs this many times */
} DataCase;

/* A microdata item of one property, on a page of its own. */
#define ITEM(props) "<div itemscope itemtype=\"https://schema.org/Thing\">" props "</div>"
#define LD(json) "<script type=\"application/ld+json\">" json "</script>"

static const DataCase data_cases[] = {
	/* 1. white space in URL-valued microdata; JSON-LD is left alone */
	{"microdata link href with newlines around", PAGE,
		ITEM("<link itemprop=\"availability\" href=\"\n      http://schema.org/InStock\n    \">"),
	{"\"availability\": \"http://schema.org/InStock\""}, {"%20", "%0A"}},
	{"microdata img src with spaces", PAGE,
		ITEM("<img itemprop=\"image\" src=\"  /cdn/grinder.jpg \">"),
	{"\"image\": \"https://shop.example/cdn/grinder.jpg\""}, {"%20"}},
	{"microdata a href with a tab inside", PAGE,
		ITEM("<a itemprop=\"url\" href=\"/p/\t7\">x</a>"),
	{"\"url\": \"https://shop.example/p/7\""}},
	{"microdata itemid with spaces", PAGE,
		"<div itemscope itemtype=\"https://schema.org/Product\" itemid=\" /p/7#product \"></div>",
	{"\"@id\": \"https://shop.example/p/7\""}, {"%20"}},
	{"microdata meta content with spaces", PAGE,
		ITEM("<meta itemprop=\"availability\" content=\" https://schema.org/InStock\n\">"),
	{"\"availability\": \"https://schema.org/InStock\""}},
	{"JSON-LD URLs are not touched", PAGE,
		LD("{\"@type\": \"Product\", \"url\": \"  /p/7 \"}"),
	{"\"url\": \"  /p/7 \""}},

	/* 2. fragments and nothing resolve to the document (URL values kept) */
	{"microdata a href fragment: the page", PAGE,
		ITEM("<a itemprop=\"url\" href=\"#reviews\">r</a>"),
	{"\"url\": \"" PAGE "\""}},
	{"microdata a href empty: the page", PAGE,
		ITEM("<a itemprop=\"url\" href=\"\">r</a>"),
	{"\"url\": \"" PAGE "\""}},
	{"microdata a href query: the page's path", PAGE,
		ITEM("<a itemprop=\"url\" href=\"?q=2\">r</a>"),
	{"\"url\": \"https://shop.example/dir/page.html?q=2\""}},

	/* 3. JSON-LD as pages write it */
	{"JSON-LD after an HTML comment", PAGE,
		LD("<!-- note -->{\"@type\": \"Product\", \"name\": \"A\"}"),
	{"\"name\": \"A\""}, {"note"}},
	{"JSON-LD inside an HTML comment", PAGE,
		LD("<!--{\"@type\": \"Product\", \"name\": \"B\"}-->"),
	{"\"name\": \"B\""}},
	{"JSON-LD with an HTML comment inside", PAGE,
		LD("{\"@type\": \"Product\", <!-- the name --> \"name\": \"C\"}"),
	{"\"name\": \"C\""}, {"the name"}},
	{"JSON-LD with an HTML comment after", PAGE,
		LD("{\"@type\": \"Product\", \"name\": \"C2\"}\n<!-- /schema -->"),
	{"\"name\": \"C2\""}},
	{"JSON-LD with an HTML comment left open after it", PAGE,
		LD("{\"@type\": \"Product\", \"name\": \"C3\"}<!-- [ { <!-- /* //"),
	{"\"name\": \"C3\""}},
	{"JSON-LD in an HTML comment left open", PAGE,
		LD("<!-- {\"@type\": \"Product\", \"name\": \"C4\"}"),
	{"\"name\": \"C4\""}},
	{"JSON-LD of unclosed comment markers only", PAGE,
		LD("<!-- <!-- <!-- [ { <!-- /* //") LD("{\"name\": \"C5\"}"),
	{"\"json_ld\": [{\"name\": \"C5\"}]"}},
	{"JSON-LD with raw newlines and tabs in strings", PAGE,
		LD("{\"@type\": \"Product\", \"description\": \"line one\nline\ttwo\r\n\"}"),
	{"\"description\": \"line one\\nline\\ttwo\\r\\n\""}},
	{"JSON-LD with a raw newline after an escaped quote", PAGE,
		LD("{\"@type\": \"Product\", \"name\": \"12\\\" pan\n\\\\ lid\"}"),
	{"\"name\": \"12\\\" pan\\n\\\\ lid\""}},
	{"JSON-LD with // comments", PAGE,
		LD("{\n\"@type\": \"Product\", // the type\n\"url\": \"https://shop.example/p\" // a URL\n}"),
	{"\"url\": \"https://shop.example/p\""}, {"the type", "a URL"}},
	{"JSON-LD with /* */ comments", PAGE,
		LD("/* generated */{\"@type\": /* a type */ \"Product\", \"name\": \"D\"}/* end */"),
	{"\"name\": \"D\""}, {"generated"}},
	{"JSON-LD comment markers inside strings are text", PAGE,
		LD("{\"@type\": \"WebPage\", \"text\": \"a // b /* c */ <!-- d --> <![CDATA[e]]>\"}"),
	{"\"text\": \"a // b /* c */ <!-- d --> <![CDATA[e]]>\""}},
	{"JSON-LD with trailing commas", PAGE,
		LD("{\"@type\": \"Product\", \"tags\": [\"a\", \"b\", ], \"name\": \"E\",\n}"),
	{"\"name\": \"E\""}},
	{"JSON-LD with a trailing comma before a comment", PAGE,
		LD("{\"@type\": \"Product\", \"name\": \"E2\", // last\n}"),
	{"\"name\": \"E2\""}},
	{"JSON-LD in a //<![CDATA[ wrapper", PAGE,
		LD("\n//<![CDATA[\n{\"@type\": \"Product\", \"name\": \"F\"}\n//]]>\n"),
	{"\"name\": \"F\""}, {"CDATA"}},
	{"JSON-LD in a //<![CDATA[ wrapper on one line", PAGE,
		LD("//<![CDATA[{\"@type\": \"Product\", \"name\": \"G\"}//]]>"),
	{"\"name\": \"G\""}},
	{"JSON-LD in a /*<![CDATA[*/ wrapper", PAGE,
		LD("/*<![CDATA[*/{\"@type\": \"Product\", \"name\": \"H\"}/*]]>*/"),
	{"\"name\": \"H\""}},
	{"JSON-LD in a <![CDATA[ wrapper", PAGE,
		LD("<![CDATA[{\"@type\": \"Product\", \"name\": \"H2\"}]]>"),
	{"\"name\": \"H2\""}},
	{"JSON-LD: a broken block is still dropped, the next kept", PAGE,
		LD("{\"broken\": ") LD("{\"@type\": \"Thing\", \"name\": \"I\"}")
		LD("/* never closed {\"name\": \"J\"}") LD("{\"name\": \"unterminated"),
	{"\"name\": \"I\""}, {"\"J\"", "unterminated"}, "\"name\"", 1},
	{"JSON-LD: a JSON bomb is still dropped", PAGE,
		LD("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]")
		LD("{\"@type\": \"Thing\", \"name\": \"K\"}"),
	{"\"json_ld\": [{\"@type\": \"Thing\", \"name\": \"K\"}]"}},

	/* 4. microdata values in content attributes */
	{"microdata content attribute on a span", PAGE,
		ITEM("<span itemprop=\"price\" content=\"13.00\">$13.00</span>"),
	{"\"price\": \"13.00\""}, {"$13.00"}},
	{"microdata content attribute on a div", PAGE,
		ITEM("<div itemprop=\"availability\" content=\"https://schema.org/InStock\">In stock</div>"),
	{"\"availability\": \"https://schema.org/InStock\""}, {"In stock"}},
	{"microdata empty content attribute: the text", PAGE,
		ITEM("<span itemprop=\"price\" content=\"\">$13.00</span>"),
	{"\"price\": \"$13.00\""}},
	{"microdata data, meter, time (unchanged)", PAGE,
		ITEM("<data itemprop=\"sku\" value=\"MK-7\">Moka</data><meter itemprop=\"w\" value=\"0.8\">heavy</meter>"
			 "<time itemprop=\"d\" datetime=\"2024-05-01\">May</time><time itemprop=\"t\">June 2</time>"),
	{"\"sku\": \"MK-7\"", "\"w\": \"0.8\"", "\"d\": \"2024-05-01\"", "\"t\": \"June 2\""}},
	{"microdata a href wins over content", PAGE,
		ITEM("<a itemprop=\"url\" href=\"/p/9\" content=\"nope\">x</a>"),
	{"\"url\": \"https://shop.example/p/9\""}, {"nope"}},

	/* 5. text values */
	{"microdata text: block elements are separated", PAGE,
		ITEM("<div itemprop=\"description\"><h2>Treatment Pack</h2><p>For use</p><ul><li>one</li><li>two</li></ul>"
			 "<p>a<br>b</p><table><tr><td>Size</td><td>250 ml</td></tr><tr><td>x</td></tr></table></div>"),
	{"\"description\": \"Treatment Pack For use one two a b Size 250 ml x\""}},
	{"microdata text: script, style, template, noscript left out", PAGE,
		ITEM("<div itemprop=\"description\">Moka<script>var x = 1;</script><style>p{}</style>"
			 "<template><p>tpl</p></template><noscript>no js</noscript> pot</div>"),
	{"\"description\": \"Moka pot\""}},
	{"microdata text: inline elements join", PAGE,
		ITEM("<p itemprop=\"name\">Mo<b>ka</b> <i>pot</i>\n\n  3 cups</p>"),
	{"\"name\": \"Moka pot 3 cups\""}},

	/* the fixtures */
	{"Shopify-like product page: structured data", SHOPIFY_URL, shopify_page,
		{"\"sku\": \"BG-40\"", "\"description\": \"Conical steel burrs.\\n40 grind settings.\"",
			"\"price\": \"129.00\"", "\"priceCurrency\": \"EUR\"",
			"\"availability\": \"http://schema.org/InStock\"",
			"\"image\": \"https://shop.example/cdn/shop/files/grinder.jpg?v=1\"",
			"\"description\": \"Conical steel burrs. 40 grind settings. Hopper 250 g Weight 0.8 kg\"",
		"\"sameAs\": [\"https://instagram.com/example\"]"},
	{"ShopifyAnalytics", "margin", "%20", "%0A"}, "\"@context\"", 2},
	{"WooCommerce-like product page: structured data", WOO_URL, woo_page,
		{"\"@type\":\"Product\"", "\"price\":\"13.00\"", "\"@type\":\"BreadcrumbList\"",
			"\"price\": \"13.00\"", "\"priceCurrency\": \"USD\"",
			"\"availability\": \"http://schema.org/InStock\"",
			"\"description\": \"Treatment Pack For use on dry hair. Twice a week. Size 250 ml\"",
		"\"ratingValue\": \"4.50\""},
	{"CDATA", "shown in the shop", "Enable JavaScript", "Out of stock"}, "\"@context\"", 2},
};

static void
CheckDocument(const char *name, const char *doc, const char *const *want,
			  int nwant, const char *const *unwanted, int nunwanted,
			  const char *counted, int count)
{
	int			j;

	if (doc == NULL)
	{
		Fail(name, "a document", "not NULL", NULL);
		return;
	}
	if (!IsJson(doc))
	{
		Fail(name, "document is JSON", "valid JSON", doc);
		return;
	}
	for (j = 0; j < nwant && want[j] != NULL; j++)
		if (strstr(doc, want[j]) == NULL)
		{
			Fail(name, "document holds", want[j], doc);
			return;
		}
	for (j = 0; j < nunwanted && unwanted[j] != NULL; j++)
		if (strstr(doc, unwanted[j]) != NULL)
		{
			Fail(name, "document does not hold", unwanted[j], doc);
			return;
		}
	if (counted != NULL && Occurrences(doc, counted) != count)
	{
		char		want_count[64];

		snprintf(want_count, sizeof(want_count), "%d times %s", count, counted);
		Fail(name, "count", want_count, doc);
	}
}

static void
RunDataCases(void)
{
	int			i;

	for (i = 0; i < lengthof(data_cases); i++)
	{
		const DataCase *c = &data_cases[i];
		char	   *doc = ScrapeExtractData(c->html, strlen(c->html), c->page_url,
											NULL, NULL, 0, NULL);

		checks++;
		CheckDocument(c->name, doc, c->want, lengthof(c->want),
					  c->unwanted, lengthof(c->unwanted), c->counted, c->count);
		PgStubMemoryReset();
	}
}

/* ---- XPath rules read text like microdata does ---- */

static void
RunRuleCases(void)
{
	static const char html[] =
	"<div id=\"d\"><h3>Specs</h3><p>Steel</p><script>x()</script><p>0.8 kg</p></div>"
	"<script id=\"s\">window.a = 1;</script>";
	char	   *names[] = {"specs", "script"};
	char	   *xpaths[] = {"//div[@id='d']", "//script[@id='s']"};
	char	   *doc;

	doc = ScrapeExtractData(html, strlen(html), PAGE, names, xpaths, 2, NULL);
	checks++;
	CheckDocument("XPath rule: text of blocks, a selected script read",
				  doc,
				  (const char *const[]) {"\"specs\": [\"Specs Steel 0.8 kg\"]",
				  "\"script\": [\"window.a = 1;\"]"}, 2,
				  (const char *const[]) {"x()"}, 1, NULL, 0);
	PgStubMemoryReset();
}

/* ---- Listing pages: many JSON-LD blocks ---- */

/* An events listing of n cards, each with its Event's JSON-LD. */
static char *
ListingPage(int n, int padding)
{
	StringInfoData page;
	int			i;
	int			k;

	initStringInfo(&page);
	appendStringInfoString(&page,
						   "<!DOCTYPE html><html lang=\"en\"><head><title>What's on - Example Hall</title>\n"
						   "<script type=\"application/ld+json\">{\"@context\": \"https://schema.org\", "
						   "\"@type\": \"Organization\", \"name\": \"Example Hall\"}</script>\n"
						   "</head><body><h1>What's on</h1><ul class=\"events\">\n");
	for (i = 1; i <= n; i++)
	{
		appendStringInfo(&page,
						 "<li class=\"event-card\"><h2><a href=\"/events/%d\">Concert %d</a></h2>\n"
						 "<script type=\"application/ld+json\">\n"
						 "{\"@context\": \"https://schema.org\", \"@type\": \"Event\", \"name\": \"Concert %d\",\n"
						 " \"startDate\": \"2025-06-%02dT20:00:00+02:00\",\n"
						 " \"location\": {\"@type\": \"Place\", \"name\": \"Example Hall\"},\n"
						 " \"offers\": {\"@type\": \"Offer\", \"price\": \"%d.00\", \"priceCurrency\": \"EUR\", "
						 "\"url\": \"https://hall.example/events/%d\",},\n"
						 " \"description\": \"",
						 i, i, i, (i % 30) + 1, 10 + i, i);
		/* a long description, for the size cap */
		for (k = 0; k < padding; k++)
			appendStringInfoChar(&page, 'a' + k % 26);
		appendStringInfoString(&page, "\",\n}\n</script></li>\n");
	}
	appendStringInfoString(&page, "</ul></body></html>\n");
	return page.data;
}

static void
RunListingCases(void)
{
	char	   *page;
	char	   *doc;
	char		last[64];

	/* 30 events, and the organisation: all of them */
	page = ListingPage(30, 0);
	doc = ScrapeExtractData(page, strlen(page), "https://hall.example/events", NULL, NULL, 0, NULL);
	checks++;
	CheckDocument("listing page with 31 JSON-LD blocks", doc,
				  (const char *const[]) {"\"name\": \"Concert 30\"", "\"price\": \"40.00\""}, 2,
				  NULL, 0, "\"@type\": \"Event\"", 30);
	PgStubMemoryReset();

	/* at most SCRAPE_MAX_JSONLD_BLOCKS blocks: the first ones */
	page = ListingPage(SCRAPE_MAX_JSONLD_BLOCKS + 20, 0);
	doc = ScrapeExtractData(page, strlen(page), "https://hall.example/events", NULL, NULL, 0, NULL);
	snprintf(last, sizeof(last), "\"name\": \"Concert %d\"", SCRAPE_MAX_JSONLD_BLOCKS - 1);
	checks++;
	CheckDocument("listing page over the block cap (100 kept)", doc,
				  (const char *const[]) {last}, 1,
				  (const char *const[]) {"\"name\": \"Concert 100\""}, 1,
				  "\"@type\": \"Event\"", 99);
	checks++;
	if (SCRAPE_MAX_JSONLD_BLOCKS != 100)
		Fail("the block cap", "SCRAPE_MAX_JSONLD_BLOCKS", "100", "another value");
	PgStubMemoryReset();

	/* 12 blocks of 1 MB: 4 MB of JSON-LD kept at most, whole blocks only */
	page = ListingPage(12, 1024 * 1024);
	doc = ScrapeExtractData(page, strlen(page), "https://hall.example/events", NULL, NULL, 0, NULL);
	checks++;
	CheckDocument("listing page over the JSON-LD size cap", doc,
				  (const char *const[]) {"\"name\": \"Example Hall\"", "\"name\": \"Concert 3\""}, 2,
				  (const char *const[]) {"\"name\": \"Concert 4\""}, 1,
				  "\"@type\": \"Event\"", 3);
	checks++;
	if (doc != NULL && strlen(doc) > 4 * 1024 * 1024 + 4096)
		Fail("the JSON-LD size cap", "document size", "<= 4 MB", "more");
	PgStubMemoryReset();
}

int
main(void)
{
	xmlInitParser();
	RunResolveCases();
	RunLinkCases();
	RunDataCases();
	RunRuleCases();
	RunListingCases();
	if (failures > 0)
	{
		printf("%d of %d cases failed\n", failures, checks);
		return 1;
	}
	printf("all %d cases passed\n", checks);
	return 0;
}
