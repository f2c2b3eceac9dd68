/*-------------------------------------------------------------------------
 * charset.h
 *	  Turning a fetched body into text in the database encoding.
 *-------------------------------------------------------------------------
 */
#ifndef SCRAPE_CHARSET_H
#define SCRAPE_CHARSET_H

extern bool ScrapeIsTextType(const char *content_type);
extern const char *ScrapeDatabaseCharsetName(void);
extern text *ScrapeBodyToText(const char *content_type,
							  const char *data, size_t len,
							  const char **charset_used);

#endif							/* SCRAPE_CHARSET_H */
