/*-------------------------------------------------------------------------
 * alerts.h
 *	  Delivery of the alerts outbox to Sentry by the alerter background
 *	  worker.
 *-------------------------------------------------------------------------
 */
#ifndef SCRAPE_ALERTS_H
#define SCRAPE_ALERTS_H

#include "utils/guc.h"

/* A Sentry DSN, taken apart. */
typedef struct SentryDsn
{
	char		public_key[128];
	char		envelope_url[1024];	/* scheme://host[:port]/[path/]api/ID/envelope/ */
} SentryDsn;

/* Parse dsn; false (with the reason in *error) if it is not a Sentry DSN. */
extern bool SentryParseDsn(const char *dsn, SentryDsn *out, const char **error);
extern bool SentryDsnCheckHook(char **newval, void **extra, GucSource source);

extern PGDLLEXPORT void ScrapeAlerterMain(Datum main_arg);

#endif							/* SCRAPE_ALERTS_H */
