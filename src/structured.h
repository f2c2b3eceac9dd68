/*-------------------------------------------------------------------------
 * structured.h
 *	  The structured data an HTML page carries: JSON-LD, microdata,
 *	  OpenGraph, and the values of a session's own XPath rules.
 *-------------------------------------------------------------------------
 */
#ifndef SCRAPE_STRUCTURED_H
#define SCRAPE_STRUCTURED_H

#include "extract.h"

/*
 * JSON-LD blocks kept from one page (a listing page has one per event or
 * product), the bytes they may take in all (a block that would go over is
 * left out, whole), and the nesting they may have.
 */
#define SCRAPE_MAX_JSONLD_BLOCKS 100
#define SCRAPE_MAX_JSONLD_BYTES (4 * 1024 * 1024)
#define SCRAPE_MAX_JSON_DEPTH 64
/* Microdata: top-level items, nesting of items, values in all. */
#define SCRAPE_MAX_MICRODATA_ITEMS 50
#define SCRAPE_MAX_MICRODATA_DEPTH 8
#define SCRAPE_MAX_MICRODATA_VALUES 2000
/* Microdata: elements visited for a page's items in all (itemref and
 * nesting make the same elements count again). */
#define SCRAPE_MAX_MICRODATA_WORK 200000
/* OpenGraph properties kept from one page. */
#define SCRAPE_MAX_OPENGRAPH 200
/* XPath rules: how many a session may give, and what one may return. */
#define SCRAPE_MAX_RULES 50
#define SCRAPE_MAX_RULE_LENGTH 1000
#define SCRAPE_MAX_RULE_VALUES 100
#define SCRAPE_MAX_VALUE_LENGTH 10000
/*
 * libxml2 XPath operations one rule may spend on one page, and all of a
 * session's rules together (50 rules of the most a rule may spend would
 * hold a worker for seconds a page: issue 21).
 */
#define SCRAPE_XPATH_OP_LIMIT 5000000
#define SCRAPE_XPATH_PAGE_OP_LIMIT 10000000

/*
 * The document of one page as JSON text:
 *	 {"json_ld": [...], "microdata": [...], "opengraph": {...}, "rules": {...}}
 * or NULL when the page carries none of them and no rule was given.
 * rule_names/rule_xpaths are the session's options.extract (nrules pairs).
 * With info not NULL, *info gets the page's metadata and links too, from
 * the same parse (extract.c).
 */
extern char *ScrapeExtractData(const char *html, size_t len,
							   const char *page_url, char **rule_names,
							   char **rule_xpaths, int nrules,
							   ScrapeHtmlInfo **info);

/* NULL if xpath compiles, else libxml2's reason (palloc'd). */
extern char *ScrapeXPathError(const char *xpath);

#endif							/* SCRAPE_STRUCTURED_H */
