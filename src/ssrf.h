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

extern const char *SsrfCheckSockaddr(const struct sockaddr *sa,
									 const char *host);
extern const char *SsrfCheckIpString(const char *ip, const char *host);

#endif							/* SCRAPE_SSRF_H */
