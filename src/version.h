/*-------------------------------------------------------------------------
 * version.h
 *	  Does the installed SQL match this library?
 *
 * After a package upgrade and a restart, the new library can meet the SQL
 * of an older release until someone runs ALTER EXTENSION scrape_jobs
 * UPDATE.  The background workers serve only the SQL version this library
 * was built for (SCRAPE_JOBS_VERSION, from scrape_jobs.control) and wait
 * for the update otherwise; user backends call whatever the installed SQL
 * declares, so every C function an older release's SQL names stays in the
 * library with the same arguments and result (install/README.md).
 *-------------------------------------------------------------------------
 */
#ifndef SCRAPE_VERSION_H
#define SCRAPE_VERSION_H

#ifndef SCRAPE_JOBS_VERSION
#error "SCRAPE_JOBS_VERSION must be defined by the Makefile"
#endif

typedef enum ScrapeExtensionStatus
{
	SCRAPE_EXT_ABSENT,			/* not installed in this database */
	SCRAPE_EXT_READY,			/* installed at the version we serve */
	SCRAPE_EXT_MISMATCH,		/* installed at another version */
	SCRAPE_EXT_STANDBY			/* the server is in recovery: not looked at */
} ScrapeExtensionStatus;

#define SCRAPE_VERSION_LEN 64

/*
 * The extension's state in the current database; inside a transaction.
 * *ext (if not NULL) gets its oid, installed (if not NULL, of
 * SCRAPE_VERSION_LEN bytes) its installed version or "".
 */
extern ScrapeExtensionStatus ScrapeExtensionCheck(Oid *ext, char *installed);

/*
 * For a background process about to use the extension's objects in the
 * current transaction: true if it is installed at our version and now
 * locked against DROP EXTENSION until the transaction ends.  False if not,
 * or if a DROP EXTENSION holds it (never waited for).
 */
extern bool ScrapeExtensionAttach(Oid *ext);

#endif							/* SCRAPE_VERSION_H */
