/*-------------------------------------------------------------------------
 * fetcher.h
 *	  HTTP transfers through libcurl's multi_socket interface, waited for on
 *	  one PostgreSQL WaitEventSet together with the worker's latch.
 *-------------------------------------------------------------------------
 */
#ifndef SCRAPE_FETCHER_H
#define SCRAPE_FETCHER_H

#include <curl/curl.h>

#include "lib/ilist.h"
#include "utils/palloc.h"
#include "utils/timestamp.h"

/* A page claimed from the queue, as the worker needs it to fetch. */
typedef struct ScrapePage
{
	int64		page_id;
	int64		job_id;
	int64		session_id;
	int64		lease;
	int32		attempt;
	char	   *url;
	int			request_timeout_ms; /* 0: use the GUC */
	int			connect_timeout_ms; /* 0: use the GUC */
	char	   *user_agent;		/* NULL: use the GUC */
	int			per_host_max_connections;	/* 0: use the GUC */
	int			per_host_delay_ms;	/* -1: use the GUC */
	bool		is_sitemap;		/* kind 'sitemap': parse the URLs it lists */
	bool		is_robots;		/* kind 'robots': its prefix is what counts */
	bool		follow_links;	/* a crawl's page: its links are needed now */
} ScrapePage;

/* What became of one fetch, as written back to scraping_pages. */
typedef struct ScrapeResult
{
	bool		ok;
	int			http_status;	/* 0 when no response was received */
	char	   *content_type;
	char	   *final_url;
	text	   *body;			/* NULL for non-text content */
	int64		body_size;		/* bytes received, after decompression */
	double		fetch_ms;
	const char *error_class;	/* NULL on success */
	char	   *error;
	bool		retryable;		/* worth another attempt (README table) */
	int			retry_after_ms; /* the server's Retry-After, or -1 */
	int			defer_ms;		/* not fetched: requeue after this, or -1 */
	/* what an HTML page says about itself (extract.c), or NULLs */
	char	   *title;
	char	   *description;
	char	   *canonical;
	char	   *lang;
	char	   *links_json;
} ScrapeResult;

/*
 * One transfer.  Everything it owns lives in cxt, a child of the worker's
 * transfer context, which is deleted only once curl no longer knows the
 * handle: curl callbacks write into it and must never see it freed.
 */
typedef struct ScrapeTransfer
{
	dlist_node	node;			/* fetcher's list of finished transfers */
	dlist_node	worker_node;	/* worker's list: in flight, then unwritten */
	MemoryContext cxt;
	ScrapePage	page;
	char	   *host;			/* lower-case host of page.url */
	char	   *origin;			/* its key in the host table (breaker, limits) */
	bool		admitted;		/* counted by HostAdmit, to HostRelease */
	bool		is_probe;		/* the half-open circuit's probe */
	TimestampTz wait_until;		/* waiting for the host: ask again then */
	bool		host_waits;		/* in the backlog, its host said wait */
	TimestampTz claimed_at;		/* when the queue handed it out */
	CURL	   *easy;
	/* filled by curl callbacks (no ereport, no palloc that can throw) */
	char	   *buf;
	size_t		len;
	size_t		cap;
	size_t		max_body;
	bool		too_large;
	bool		truncated;		/* a robots.txt cut at ROBOTS_MAX_BYTES */
	bool		out_of_memory;
	const char *blocked;		/* why the SSRF rules refused the address */
	char		blocked_ip[64];
	size_t		header_bytes;	/* response headers received, all hops */
	bool		headers_too_large;
	bool		redirect_too_long;	/* a Location past SCRAPE_MAX_URL_LENGTH */
	char		errbuf[CURL_ERROR_SIZE];
	/* filled when the transfer ends */
	bool		finished;
	CURLcode	curl_code;
	ScrapeResult result;
} ScrapeTransfer;

/*
 * The transfer a list node belongs to.  (cppcheck reads the type check in
 * dlist_container as a NULL dereference; it is a compile-time check.)
 */
static inline ScrapeTransfer *
TransferOfWorkerNode(dlist_node *node)
{
	/* cppcheck-suppress nullPointer */
	return dlist_container(ScrapeTransfer, worker_node, node);
}

static inline ScrapeTransfer *
TransferOfFetcherNode(dlist_node *node)
{
	/* cppcheck-suppress nullPointer */
	return dlist_container(ScrapeTransfer, node, node);
}

extern void FetcherInit(void);
extern void FetcherStart(ScrapeTransfer *t);
extern void FetcherAbort(ScrapeTransfer *t);
extern int	FetcherRunning(void);
extern void FetcherWait(long timeout_ms);
extern ScrapeTransfer *FetcherNextFinished(void);
extern void FetcherBuildResult(ScrapeTransfer *t);
extern bool ScrapeIsRetryable(const char *error_class, int http_status);

#endif							/* SCRAPE_FETCHER_H */
