/*-------------------------------------------------------------------------
 * fetcher.c
 *	  HTTP transfers through libcurl's multi_socket interface.
 *
 * libcurl tells us, through CURLMOPT_SOCKETFUNCTION and
 * CURLMOPT_TIMERFUNCTION, which sockets it waits on and when it next needs
 * to run.  We wait for those sockets, the worker's latch and postmaster
 * death on one WaitEventSet, with curl's timer as the timeout, and feed the
 * events back through curl_multi_socket_action().  So a signal, a COMMIT of
 * new work or a cancel wakes the worker at once, and no wait needs a short
 * timeout just to notice them.
 *
 * The callbacks only record state: they never ereport (no longjmp through
 * libcurl) and allocate only with MCXT_ALLOC_NO_OOM, returning an error to
 * curl instead of throwing.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "miscadmin.h"
#include "pgstat.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "charset.h"
#include "extract.h"
#include "sitemap.h"
#include "fetcher.h"
#include "guc.h"
#include "robots.h"
#include "ssrf.h"
#include "urlcore.h"

/*
 * Room for curl's sockets: at most one connection and one resolver socket
 * per transfer, and transfers are capped by max_connections_per_worker
 * (at most 1024).  Idle cached connections are not watched.
 */
#define MAX_SOCKETS 4096
/* Response headers accepted for one page, redirects included. */
#define SCRAPE_MAX_HEADER_BYTES (256 * 1024)
#define MAX_EVENTS 64

typedef struct SocketEntry
{
	curl_socket_t fd;
	int			what;			/* CURL_POLL_IN, _OUT or _INOUT */
} SocketEntry;

static CURLM *multi = NULL;
static MemoryContext FetcherContext = NULL;

static SocketEntry *sockets = NULL;
static int	nsockets = 0;
static bool sockets_dirty = true;
static bool sockets_overflow = false;
static WaitEventSet *wait_set = NULL;

static TimestampTz timer_deadline = 0;	/* 0: curl wants no timeout */
static int	nactive = 0;		/* transfers added and not yet finished */
static dlist_head finished = DLIST_STATIC_INIT(finished);

/* curl callback: the sockets curl wants watched.  Records state only. */
static int
SocketCallback(CURL *easy, curl_socket_t fd, int what, void *userp,
			   void *socketp)
{
	int			i;

	for (i = 0; i < nsockets; i++)
		if (sockets[i].fd == fd)
			break;

	if (what == CURL_POLL_REMOVE)
	{
		if (i < nsockets)
			sockets[i] = sockets[--nsockets];
	}
	else if (i < nsockets)
		sockets[i].what = what;
	else if (nsockets < MAX_SOCKETS)
	{
		sockets[nsockets].fd = fd;
		sockets[nsockets].what = what;
		nsockets++;
	}
	else
		sockets_overflow = true;

	sockets_dirty = true;
	return 0;
}

/* curl callback: when curl next needs curl_multi_socket_action(TIMEOUT). */
static int
TimerCallback(CURLM *m, long timeout_ms, void *userp)
{
	if (timeout_ms < 0)
		timer_deadline = 0;
	else
		timer_deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													 timeout_ms);
	return 0;
}

/*
 * curl callback: body bytes (already decompressed).  Enforces the size cap
 * while streaming: returning short makes curl abort the transfer.
 */
static size_t
WriteCallback(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	ScrapeTransfer *t = (ScrapeTransfer *) userdata;
	size_t		n = size * nmemb;

	if (t->len + n > t->max_body)
	{
		/*
		 * A robots.txt is read up to ROBOTS_MAX_BYTES and the rest ignored
		 * (RFC 9309 2.5): keep that prefix, and end the transfer as a
		 * response, not as a failure.
		 */
		if (t->page.is_robots)
		{
			n = t->max_body - t->len;
			t->truncated = true;
		}
		else
		{
			t->too_large = true;
			return 0;
		}
	}
	if (t->len + n + 1 > t->cap)
	{
		size_t		newcap = Max(t->cap * 2, Max(t->len + n + 1, 16384));
		char	   *newbuf;

		newcap = Min(newcap, t->max_body + 1);
		newbuf = MemoryContextAllocExtended(t->cxt, newcap, MCXT_ALLOC_NO_OOM);
		if (newbuf == NULL)
		{
			t->out_of_memory = true;
			return 0;
		}
		if (t->buf != NULL)
		{
			memcpy(newbuf, t->buf, t->len);
			pfree(t->buf);
		}
		t->buf = newbuf;
		t->cap = newcap;
	}
	memcpy(t->buf + t->len, ptr, n);
	t->len += n;
	return n;
}

/*
 * The host of the URL being requested now (after redirects, which change
 * the effective URL before the new connection), as libcurl resolves it
 * (ssrf.c); NULL, or why it has no such name.
 */
static const char *
CurrentHost(ScrapeTransfer *t, char *buf, size_t buflen)
{
	char	   *url = NULL;

	if (curl_easy_getinfo(t->easy, CURLINFO_EFFECTIVE_URL, &url) != CURLE_OK ||
		url == NULL)
		url = "";
	return SsrfNormalizeUrlHost(url, buf, buflen);
}

/* Remember why an address was refused, for the page's error text. */
static void
NoteBlocked(ScrapeTransfer *t, const char *why, const char *ip)
{
	t->blocked = why;
	strlcpy(t->blocked_ip, ip, sizeof(t->blocked_ip));
}

/*
 * curl callback: open the socket of a connection attempt, unless the SSRF
 * rules refuse the address.  Refusing here means not even a SYN reaches an
 * internal address; curl then tries the host's next address, if any.
 */
static curl_socket_t
OpenSocketCallback(void *clientp, curlsocktype purpose,
				   struct curl_sockaddr *address)
{
	ScrapeTransfer *t = (ScrapeTransfer *) clientp;
	char		host[SSRF_HOST_BUFSIZE];
	const char *why;

	if (purpose != CURLSOCKTYPE_IPCXN)
		return CURL_SOCKET_BAD;
	why = CurrentHost(t, host, sizeof(host));
	if (why == NULL)
		why = SsrfCheckSockaddr(&address->addr, host);
	if (why != NULL)
	{
		char		ip[64] = "?";

		if (address->family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *) &address->addr)->sin_addr,
					  ip, sizeof(ip));
		else if (address->family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *) &address->addr)->sin6_addr,
					  ip, sizeof(ip));
		NoteBlocked(t, why, ip);
		return CURL_SOCKET_BAD;
	}
	/* an earlier address of the host may have been refused: not this one */
	t->blocked = NULL;
	return socket(address->family, address->socktype, address->protocol);
}

/*
 * Whether the URL being requested now (after a redirect) is longer than
 * SCRAPE_MAX_URL_LENGTH: a hostile site's Location of megabytes would be
 * stored as the page's final URL.  (The first request's URL was checked
 * at submit or discovery.)
 */
static bool
RedirectTooLong(ScrapeTransfer *t)
{
	char	   *url = NULL;

	if (curl_easy_getinfo(t->easy, CURLINFO_EFFECTIVE_URL, &url) == CURLE_OK &&
		url != NULL && strlen(url) > SCRAPE_MAX_URL_LENGTH)
		t->redirect_too_long = true;
	return t->redirect_too_long;
}

/*
 * curl callback, before every request (the first, each redirect, and on a
 * reused connection, where no socket is opened): check the address the
 * connection actually goes to.
 */
static int
PrereqCallback(void *clientp, char *conn_primary_ip, char *conn_local_ip,
			   int conn_primary_port, int conn_local_port)
{
	ScrapeTransfer *t = (ScrapeTransfer *) clientp;
	char		host[SSRF_HOST_BUFSIZE];
	const char *why;

	/* a redirect is held to the URL limit of a submit (too_large) */
	if (RedirectTooLong(t))
		return CURL_PREREQFUNC_ABORT;
	why = CurrentHost(t, host, sizeof(host));
	if (why == NULL)
		why = SsrfCheckIpString(conn_primary_ip, host);
	if (why != NULL)
	{
		NoteBlocked(t, why, conn_primary_ip);
		return CURL_PREREQFUNC_ABORT;
	}
	return CURL_PREREQFUNC_OK;
}

/*
 * curl callback: response header lines, counted against
 * SCRAPE_MAX_HEADER_BYTES (for all responses of a redirect chain).
 */
static size_t
HeaderCallback(char *buffer, size_t size, size_t nitems, void *userdata)
{
	ScrapeTransfer *t = (ScrapeTransfer *) userdata;
	size_t		n = size * nitems;

	t->header_bytes += n;
	if (t->header_bytes > SCRAPE_MAX_HEADER_BYTES)
	{
		t->headers_too_large = true;
		return 0;
	}
	return n;
}

static void
FetcherShutdown(int code, Datum arg)
{
	if (multi != NULL)
	{
		curl_multi_cleanup(multi);
		multi = NULL;
	}
}

/* Set up libcurl for this process.  Once per worker. */
void
FetcherInit(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		ereport(ERROR,
				(errcode(ERRCODE_SYSTEM_ERROR),
				 errmsg("could not initialize libcurl")));

	FetcherContext = AllocSetContextCreate(TopMemoryContext,
										   "scrape_jobs fetcher",
										   ALLOCSET_DEFAULT_SIZES);
	sockets = MemoryContextAlloc(FetcherContext,
								 sizeof(SocketEntry) * MAX_SOCKETS);

	multi = curl_multi_init();
	if (multi == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_SYSTEM_ERROR),
				 errmsg("could not create a libcurl multi handle")));
	before_shmem_exit(FetcherShutdown, (Datum) 0);

	curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, SocketCallback);
	curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, TimerCallback);
	/* keep connections for reuse across pages of the same hosts */
	curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS,
					  (long) scrape_max_connections_per_worker);
}

/* Mark a transfer finished without curl (it could not be started). */
static void
FinishEarly(ScrapeTransfer *t, const char *error_class, const char *error)
{
	t->finished = true;
	t->result.ok = false;
	t->result.retry_after_ms = -1;
	t->result.defer_ms = -1;
	t->result.retryable = ScrapeIsRetryable(error_class, 0);
	t->result.error_class = error_class;
	t->result.error = MemoryContextStrdup(t->cxt, error);
	dlist_push_tail(&finished, &t->node);
}

/* Start fetching t->page.  Its result arrives through FetcherNextFinished. */
void
FetcherStart(ScrapeTransfer *t)
{
	CURL	   *e = curl_easy_init();
	long		request_ms = ScrapeRequestTimeoutMs(t->page.request_timeout_ms);
	long		connect_ms = ScrapeConnectTimeoutMs(t->page.connect_timeout_ms);

	/* (a robots.txt is read up to its limit whatever max_body_size says) */
	t->max_body = t->page.is_robots ? ROBOTS_MAX_BYTES :
		(size_t) scrape_max_body_size_kb * 1024;
	t->errbuf[0] = '\0';
	if (e == NULL)
	{
		FinishEarly(t, "other", "could not create a libcurl easy handle");
		return;
	}
	t->easy = e;

	curl_easy_setopt(e, CURLOPT_URL, t->page.url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, t);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, WriteCallback);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_NOPROGRESS, 1L);
	/* http and https only, on the first request and after every redirect */
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, (long) scrape_max_redirects);
	curl_easy_setopt(e, CURLOPT_AUTOREFERER, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, request_ms);
	curl_easy_setopt(e, CURLOPT_USERAGENT,
					 t->page.user_agent ? t->page.user_agent : scrape_user_agent);
	/* accept every encoding libcurl can decode; bodies arrive decoded */
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	/* fail early when Content-Length already exceeds the cap */
	if (!t->page.is_robots)
		curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) t->max_body);
	/* a database server must not pick up proxies from its environment */
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	/*
	 * A retry never rides a kept-alive connection: libcurl sends a request
	 * again, once, on a fresh connection when a reused one is found dead
	 * before any byte of an answer, and that second request would be one
	 * more than the page's attempts count (README, "Error classes and
	 * retries").
	 */
	if (t->page.attempt > 1)
		curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
	/* SSRF: decide on the address actually connected to (ssrf.c) */
	curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, OpenSocketCallback);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, t);
	curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, PrereqCallback);
	curl_easy_setopt(e, CURLOPT_PREREQDATA, t);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, HeaderCallback);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, t);

	if (curl_multi_add_handle(multi, e) != CURLM_OK)
	{
		curl_easy_cleanup(e);
		t->easy = NULL;
		FinishEarly(t, "other", "could not add the transfer to libcurl");
		return;
	}
	nactive++;
}

/* Drop a running transfer (its job was cancelled or taken away). */
void
FetcherAbort(ScrapeTransfer *t)
{
	if (t->easy != NULL)
	{
		curl_multi_remove_handle(multi, t->easy);
		curl_easy_cleanup(t->easy);
		t->easy = NULL;
		nactive--;
	}
	else if (t->finished)
		dlist_delete(&t->node);
}

int
FetcherRunning(void)
{
	return nactive;
}

/* Rebuild the WaitEventSet from the socket table after curl changed it. */
static void
RebuildWaitSet(void)
{
	int			i;

	if (wait_set != NULL)
		FreeWaitEventSet(wait_set);
	wait_set = CreateWaitEventSet(FetcherContext, nsockets + 2);
	AddWaitEventToSet(wait_set, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
	AddWaitEventToSet(wait_set, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET,
					  NULL, NULL);
	for (i = 0; i < nsockets; i++)
	{
		uint32		events = 0;

		if (sockets[i].what & CURL_POLL_IN)
			events |= WL_SOCKET_READABLE;
		if (sockets[i].what & CURL_POLL_OUT)
			events |= WL_SOCKET_WRITEABLE;
		AddWaitEventToSet(wait_set, events, sockets[i].fd, NULL, NULL);
	}
	sockets_dirty = false;
}

/* Error class of a transfer that ended without a usable response. */
static const char *
ClassifyCurlError(ScrapeTransfer *t)
{
	if (t->blocked != NULL)
		return "blocked_address";
	if (t->headers_too_large || t->redirect_too_long)
		return "too_large";
	switch (t->curl_code)
	{
		case CURLE_OPERATION_TIMEDOUT:
			return "timeout";
		case CURLE_COULDNT_RESOLVE_HOST:
			return "dns";
		case CURLE_COULDNT_CONNECT:
		case CURLE_SEND_ERROR:
		case CURLE_RECV_ERROR:
		case CURLE_GOT_NOTHING:
			return "connection";
		case CURLE_PARTIAL_FILE:
			return "partial_body";
		case CURLE_TOO_MANY_REDIRECTS:
			return "too_many_redirects";
		case CURLE_UNSUPPORTED_PROTOCOL:
			return "unsupported_scheme";
		case CURLE_FILESIZE_EXCEEDED:
			return "too_large";
		case CURLE_WRITE_ERROR:
			if (t->too_large)
				return "too_large";
			if (t->out_of_memory)
				return "out_of_memory";
			return "other";
		case CURLE_PEER_FAILED_VERIFICATION:
		case CURLE_SSL_CONNECT_ERROR:
		case CURLE_SSL_CERTPROBLEM:
		case CURLE_SSL_CIPHER:
		case CURLE_SSL_CACERT_BADFILE:
			return "tls";
		default:
			return "other";
	}
}

/*
 * Is a failure worth another attempt?  The classes here are those of the
 * README's error table: the network and the server may recover from these;
 * the others would fail the same way again.
 */
bool
ScrapeIsRetryable(const char *error_class, int http_status)
{
	static const char *const retryable_classes[] = {
		"timeout", "connection", "dns", "partial_body", "worker_lost",
		"out_of_memory", NULL
	};
	int			i;

	if (error_class == NULL)
		return false;
	if (strcmp(error_class, "http_4xx") == 0)
		return http_status == 408 || http_status == 429;
	if (strcmp(error_class, "http_5xx") == 0)
		return http_status == 500 || http_status == 502 ||
			http_status == 503 || http_status == 504 ||
			http_status == 522 || http_status == 524;
	for (i = 0; retryable_classes[i] != NULL; i++)
		if (strcmp(error_class, retryable_classes[i]) == 0)
			return true;
	return false;
}

/* The URLs a sitemap lists, from its raw (maybe gzip) bytes. */
static void
ExtractSitemap(ScrapeTransfer *t, ScrapeResult *r)
{
	ScrapeSitemap *sm = ScrapeParseSitemap(t->buf ? t->buf : "", t->len,
										   t->max_body);

	if (sm->error != NULL)
	{
		r->ok = false;
		r->error_class = "invalid_sitemap";
		r->error = pstrdup(sm->error);
		return;
	}
	r->links_json = sm->locs_json;
}

/*
 * Parse an HTML page's own description of itself and its links into its
 * result.  Only for a crawl's pages (follow_links), whose links are queued
 * with the result; the others are parsed in the extracting stage
 * (stages.c), out of the path from fetch to stored result.
 */
static void
ExtractPageInfo(ScrapeResult *r, const char *page_url)
{
	ScrapeHtmlInfo *info = ScrapeParseHtml(VARDATA_ANY(r->body),
										   VARSIZE_ANY_EXHDR(r->body),
										   r->final_url ? r->final_url : page_url);

	r->title = info->title;
	r->description = info->description;
	r->canonical = info->canonical;
	r->lang = info->lang;
	r->links_json = info->links_json;
}

/*
 * Fill t->result from the finished easy handle.  Runs outside curl's
 * callbacks, so it may allocate and, in the worst case, throw.
 */
void
FetcherBuildResult(ScrapeTransfer *t)
{
	ScrapeResult *r = &t->result;
	MemoryContext old = MemoryContextSwitchTo(t->cxt);
	long		code = 0;
	char	   *ctype = NULL;
	char	   *url = NULL;
	curl_off_t	total_us = 0;
	curl_off_t	retry_after = 0;
	const char *charset;

	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(t->easy, CURLINFO_CONTENT_TYPE, &ctype);
	curl_easy_getinfo(t->easy, CURLINFO_EFFECTIVE_URL, &url);
	curl_easy_getinfo(t->easy, CURLINFO_TOTAL_TIME_T, &total_us);

	curl_easy_getinfo(t->easy, CURLINFO_RETRY_AFTER, &retry_after);

	r->http_status = (int) code;
	r->defer_ms = -1;
	/* Retry-After is honoured on 429 and 503 only, as HTTP intends */
	r->retry_after_ms = (retry_after > 0 && (code == 429 || code == 503)) ?
		(int) Min(retry_after, (curl_off_t) 24 * 3600) * 1000 : -1;
	r->content_type = ctype ? pstrdup(ctype) : NULL;
	r->final_url = url ? pstrdup(url) : NULL;
	r->fetch_ms = total_us / 1000.0;

	/* a robots.txt cut at its limit is a response: its prefix is parsed */
	if (t->curl_code == CURLE_WRITE_ERROR && t->truncated)
		t->curl_code = CURLE_OK;
	if (t->curl_code == CURLE_OK)
	{
		r->body = ScrapeBodyToText(r->content_type, t->buf ? t->buf : "",
								   t->len, &charset);
		r->body_size = t->len;
		r->ok = code >= 200 && code < 300;
		if (r->ok && t->page.is_sitemap)
			ExtractSitemap(t, r);
		else if (r->ok && r->body != NULL && t->page.follow_links &&
				 ScrapeIsHtml(r->content_type))
			ExtractPageInfo(r, t->page.url);
		if (!r->ok && r->error_class == NULL)
		{
			r->error_class = code >= 500 ? "http_5xx" :
				code >= 400 ? "http_4xx" : "http_other";
			r->error = psprintf("HTTP status %ld", code);
		}
	}
	else
	{
		r->ok = false;
		r->body_size = t->len;
		r->error_class = ClassifyCurlError(t);
		if (t->blocked != NULL)
			r->error = psprintf("refused to connect to %s: %s", t->blocked_ip,
								t->blocked);
		else if (t->headers_too_large)
			r->error = psprintf("response headers exceed %d bytes",
								SCRAPE_MAX_HEADER_BYTES);
		else if (t->redirect_too_long)
			r->error = psprintf("a redirect's URL exceeds %d bytes",
								SCRAPE_MAX_URL_LENGTH);
		else if (t->too_large)
			r->error = psprintf("body exceeds scrape_jobs.max_body_size (%zu bytes)",
								t->max_body);
		else
			r->error = pstrdup(t->errbuf[0] ? t->errbuf :
							   curl_easy_strerror(t->curl_code));
	}

	r->retryable = !r->ok && ScrapeIsRetryable(r->error_class, r->http_status);

	/* the raw bytes are no longer needed */
	if (t->buf != NULL)
	{
		pfree(t->buf);
		t->buf = NULL;
		t->cap = 0;
	}
	MemoryContextSwitchTo(old);
}

/* Move transfers curl reports as done to the finished list. */
static void
CollectFinished(void)
{
	CURLMsg    *msg;
	int			left;

	while ((msg = curl_multi_info_read(multi, &left)) != NULL)
	{
		ScrapeTransfer *t = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &t);
		t->curl_code = msg->data.result;
		curl_multi_remove_handle(multi, t->easy);
		nactive--;
		FetcherBuildResult(t);
		curl_easy_cleanup(t->easy);
		t->easy = NULL;
		t->finished = true;
		dlist_push_tail(&finished, &t->node);
	}
}

/*
 * Wait up to timeout_ms (-1: no limit but curl's) for the latch, curl's
 * sockets or curl's timer, and let curl act on what happened.  Returns with
 * the latch reset: the caller checks its flags after every call.
 */
void
FetcherWait(long timeout_ms)
{
	WaitEvent	events[MAX_EVENTS];
	int			nevents;
	int			running;
	int			i;
	long		curl_ms = -1;

	if (timer_deadline != 0)
	{
		long		secs;
		int			usecs;

		TimestampDifference(GetCurrentTimestamp(), timer_deadline, &secs, &usecs);
		curl_ms = secs * 1000 + (usecs + 999) / 1000;
	}
	if (curl_ms >= 0 && (timeout_ms < 0 || curl_ms < timeout_ms))
		timeout_ms = curl_ms;
	if (sockets_overflow)		/* cannot happen, see MAX_SOCKETS */
		elog(ERROR, "libcurl asked to watch more than %d sockets",
			 MAX_SOCKETS);

	if (sockets_dirty || wait_set == NULL)
		RebuildWaitSet();

	nevents = WaitEventSetWait(wait_set, timeout_ms, events, MAX_EVENTS,
							   PG_WAIT_EXTENSION);
	for (i = 0; i < nevents; i++)
	{
		int			flags = 0;

		if (events[i].events & WL_LATCH_SET)
		{
			ResetLatch(MyLatch);
			continue;
		}
		if (events[i].events & WL_SOCKET_READABLE)
			flags |= CURL_CSELECT_IN;
		if (events[i].events & WL_SOCKET_WRITEABLE)
			flags |= CURL_CSELECT_OUT;
		if (flags != 0)
			curl_multi_socket_action(multi, events[i].fd, flags, &running);
	}

	if (timer_deadline != 0 && GetCurrentTimestamp() >= timer_deadline)
	{
		timer_deadline = 0;
		curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
	}

	CollectFinished();
}

/* Next finished transfer (result built), or NULL. */
ScrapeTransfer *
FetcherNextFinished(void)
{
	if (dlist_is_empty(&finished))
		return NULL;
	return TransferOfFetcherNode(dlist_pop_head_node(&finished));
}
