/*-------------------------------------------------------------------------
 * extract.h
 *	  What a fetched HTML page says about itself: title, description,
 *	  canonical URL, language, links.
 *-------------------------------------------------------------------------
 */
#ifndef SCRAPE_EXTRACT_H
#define SCRAPE_EXTRACT_H

/* Links kept from one page; the rest are dropped (and counted). */
#define SCRAPE_MAX_LINKS_PER_PAGE 1000
/* JSON-LD blocks kept from one page, and the nesting they may have. */
#define SCRAPE_MAX_JSONLD_BLOCKS 20
#define SCRAPE_MAX_JSON_DEPTH 64

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
	char	   *structured_json;	/* {"json_ld": [...], "opengraph": {...}} or NULL */
} ScrapeHtmlInfo;

extern bool ScrapeIsHtml(const char *content_type);
extern ScrapeHtmlInfo *ScrapeParseHtml(const char *html, size_t len,
									   const char *page_url);

#endif							/* SCRAPE_EXTRACT_H */
