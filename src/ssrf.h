/*-------------------------------------------------------------------------
 * ssrf.h
 *	  Which addresses the fetcher may connect to (SSRF defences).
 *-------------------------------------------------------------------------
 */
#ifndef SCRAPE_SSRF_H
#define SCRAPE_SSRF_H

#include <sys/socket.h>

#include "utils/guc.h"

extern bool SsrfCheckHostList(char **newval, void **extra, GucSource source);
extern void SsrfAssignAllowedHosts(const char *newval, void *extra);
extern void SsrfAssignDeniedHosts(const char *newval, void *extra);

/* Room for a host name as resolved (at most 253 characters in DNS). */
#define SSRF_HOST_BUFSIZE 256

/*
 * The name libcurl resolves for a host, into buf; NULL, or why there is
 * none (and the address is then refused).  The checks below take this name.
 */
extern const char *SsrfNormalizeHost(const char *host, char *buf,
									 size_t buflen);
extern const char *SsrfNormalizeUrlHost(const char *url, char *buf,
										size_t buflen);

extern const char *SsrfCheckSockaddr(const struct sockaddr *sa,
									 const char *host);
extern const char *SsrfCheckIpString(const char *ip, const char *host);

#endif							/* SCRAPE_SSRF_H */
