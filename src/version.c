/*-------------------------------------------------------------------------
 * version.c
 *	  The installed version of the extension, read from pg_extension.
 *
 * Read from the catalog, not through SPI, so that the launcher can ask on
 * every pass without a query plan, and a worker before each queue pass
 * (ALTER EXTENSION UPDATE keeps the extension's oid: the version is what
 * tells the two releases apart).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/pg_extension.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"

#include "version.h"

ScrapeExtensionStatus
ScrapeExtensionCheck(Oid *ext, char *installed)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	ScrapeExtensionStatus status = SCRAPE_EXT_ABSENT;

	if (ext)
		*ext = InvalidOid;
	if (installed)
		installed[0] = '\0';

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber,
				F_NAMEEQ, CStringGetDatum("scrape_jobs"));
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
	{
		bool		isnull;
		Datum		d = heap_getattr(tuple, Anum_pg_extension_extversion,
									 RelationGetDescr(rel), &isnull);
		char	   *version = isnull ? pstrdup("") : TextDatumGetCString(d);

		if (ext)
			*ext = ((Form_pg_extension) GETSTRUCT(tuple))->oid;
		if (installed)
			strlcpy(installed, version, SCRAPE_VERSION_LEN);
		status = strcmp(version, SCRAPE_JOBS_VERSION) == 0 ?
			SCRAPE_EXT_READY : SCRAPE_EXT_MISMATCH;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return status;
}

/*
 * The lock DROP EXTENSION takes on the extension conflicts with this one: a
 * pass that holds it runs to its end on objects that exist, and a DROP
 * waits for that pass (a short transaction) instead of pulling the tables
 * from under it, which made the pass fail with "relation does not exist".
 * Taken conditionally, so that we never queue behind a DROP (pg_net's
 * rule), and the extension looked up again under the lock, since a DROP
 * may have committed between the look and the lock.
 */
bool
ScrapeExtensionAttach(Oid *ext)
{
	Oid			found;
	Oid			again;

	if (ext)
		*ext = InvalidOid;
	if (ScrapeExtensionCheck(&found, NULL) != SCRAPE_EXT_READY)
		return false;
	if (!ConditionalLockDatabaseObject(ExtensionRelationId, found, 0, AccessShareLock))
		return false;
	if (ScrapeExtensionCheck(&again, NULL) != SCRAPE_EXT_READY || again != found)
		return false;
	if (ext)
		*ext = found;
	return true;
}
