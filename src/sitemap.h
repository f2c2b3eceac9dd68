/*-------------------------------------------------------------------------
 * sitemap.h
 *	  XML sitemaps (sitemaps.org), plain or gzip: the URLs they list.
 *-------------------------------------------------------------------------
 */
#ifndef SCRAPE_SITEMAP_H
#define SCRAPE_SITEMAP_H

/* URLs taken from one sitemap (the protocol's own limit). */
#define SCRAPE_MAX_SITEMAP_URLS 50000

typedef struct ScrapeSitemap
{
	bool		is_index;		/* a sitemapindex: its URLs are sitemaps */
	char	   *locs_json;		/* [{"url": ..., "sitemap": bool}, ...] */
	int			nlocs;
	int			dropped;		/* invalid, or over SCRAPE_MAX_SITEMAP_URLS */
	const char *error;			/* NULL, or why the document is refused */
} ScrapeSitemap;

extern ScrapeSitemap *ScrapeParseSitemap(const char *data, size_t len,
										 size_t max_bytes);

#endif							/* SCRAPE_SITEMAP_H */
