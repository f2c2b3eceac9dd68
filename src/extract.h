/*-------------------------------------------------------------------------
 * extract.h
 *	  What a fetched HTML page says about itself: title, description,
 *	  canonical URL, language, links.
 *-------------------------------------------------------------------------
 */
#ifndef SCRAPE_EXTRACT_H
#define SCRAPE_EXTRACT_H

#include "lib/stringinfo.h"

/* Links kept from one page; the rest are dropped (and counted). */
#define SCRAPE_MAX_LINKS_PER_PAGE 1000
typedef struct ScrapeHtmlInfo
{
	char	   *title;
	char	   *description;
	char	   *canonical;		/* normalised absolute URL */
	char	   *lang;
	char	   *links_json;		/* [{"url": ..., "nofollow": bool}, ...] */
	int			nlinks;
	int			links_dropped;	/* over SCRAPE_MAX_LINKS_PER_PAGE */
	bool		nofollow;		/* <meta name="robots" content="nofollow"> */
} ScrapeHtmlInfo;

struct _xmlNode;
struct _xmlDoc;

extern bool ScrapeIsHtml(const char *content_type);
extern struct _xmlDoc *ScrapeReadHtml(const char *html, size_t len,
									  const char *page_url);
extern ScrapeHtmlInfo *ScrapeParseHtml(const char *html, size_t len,
									   const char *page_url);
extern ScrapeHtmlInfo *ScrapeHtmlInfoOfDoc(struct _xmlDoc *doc,
										   const char *page_url);

/* Helpers shared with structured.c */
extern bool ScrapeNodeIs(struct _xmlNode *node, const char *name);
extern char *ScrapeAttr(struct _xmlNode *node, const char *name);
extern char *ScrapeNodeText(struct _xmlNode *node);
extern void ScrapeAppendCollapsed(StringInfo out, const char *text, bool *space,
								  int limit);
extern char *ScrapeResolveUrl(const char *base, const char *href);
extern struct _xmlNode *ScrapeNextNode(struct _xmlNode *node,
									   struct _xmlNode *root, bool descend);
extern char *ScrapeBaseUrl(struct _xmlDoc *doc, const char *page_url);

#endif							/* SCRAPE_EXTRACT_H */
