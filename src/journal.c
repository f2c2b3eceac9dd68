/*-------------------------------------------------------------------------
 * journal.c
 *	  The started-pages journal of each fetch worker (journal.h says why).
 *
 * A journal is a file of ScrapeJournalEntry (native int64 page id and
 * attempt), appended to with one write() per group of requests started.
 * Nothing in it is ever fsync'd: it must survive the worker's death, not
 * the machine's.  A worker whose
 * journal cannot be written removes it, so that the pages it holds are
 * charged as they were before the journal existed (more than their due,
 * never less), and says so once in the log.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/file_perm.h"
#include "fmgr.h"
#include "funcapi.h"
#include "storage/fd.h"
#include "storage/ipc.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "journal.h"

/*
 * Rewrite a journal once it holds this many entries (64 kB): the SQL that
 * reads it after a crash compares each page held with the whole journal.
 */
#define JOURNAL_REWRITE_AT 4096

static int	journal_fd = -1;
static int	journal_entries = 0;
static char journal_path[MAXPGPATH];

/* the page being extracted: 8 bytes at offset 0, 0 between pages */
static int	marker_fd = -1;

static bool WriteAll(int fd, const char *buf, size_t len, off_t offset);

static void
JournalPath(uint64 token, char *path)
{
	snprintf(path, MAXPGPATH, "%s/started.%016llx", SCRAPE_STATE_DIR,
			 (unsigned long long) token);
}

static void
MarkerPath(uint64 token, char *path)
{
	snprintf(path, MAXPGPATH, "%s/extracting.%016llx", SCRAPE_STATE_DIR,
			 (unsigned long long) token);
}

/* Give up on the journal: remove it, so our pages are charged in full. */
static void
JournalAbandon(const char *what)
{
	int			save_errno = errno;

	if (journal_fd >= 0)
		close(journal_fd);
	journal_fd = -1;
	(void) unlink(journal_path);
	errno = save_errno;
	ereport(LOG,
			(errcode_for_file_access(),
			 errmsg("scrape_jobs worker could not %s its started-pages journal \"%s\": %m",
					what, journal_path),
			 errdetail("A crash of this worker will charge an attempt to every page it holds, started or not.")));
}

bool
ScrapeStateDirReady(void)
{
	return MakePGDirectory(SCRAPE_STATE_DIR) == 0 || errno == EEXIST;
}

/* A normal exit, FATAL included, is no crash of the page in hand. */
static void
MarkerOnExit(int code, Datum arg)
{
	JournalExtracting(0);
}

/*
 * Without its file a worker's crashes in the extracting stage go
 * uncounted, as before 0.1.6: the page is then tried again after each one.
 */
static void
MarkerOpen(uint64 token)
{
	char		path[MAXPGPATH];

	MarkerPath(token, path);
	marker_fd = BasicOpenFile(path, O_WRONLY | O_CREAT | O_TRUNC | PG_BINARY);
	if (marker_fd < 0)
	{
		ereport(LOG,
				(errcode_for_file_access(),
				 errmsg("scrape_jobs worker could not create its extraction marker \"%s\": %m",
						path),
				 errdetail("A page that crashes this worker while it is extracted will be extracted again after each crash.")));
		return;
	}
	before_shmem_exit(MarkerOnExit, (Datum) 0);
}

void
JournalExtracting(int64 page_id)
{
	if (marker_fd < 0)
		return;
	if (!WriteAll(marker_fd, (const char *) &page_id, sizeof(page_id), 0))
	{
		close(marker_fd);
		marker_fd = -1;
	}
}

int64
JournalReadExtracting(const char *path)
{
	int64		page_id = 0;
	int			fd = OpenTransientFile(path, O_RDONLY | PG_BINARY);

	if (fd < 0)
		return 0;
	if (read(fd, &page_id, sizeof(page_id)) != sizeof(page_id))
		page_id = 0;
	CloseTransientFile(fd);
	return page_id;
}

void
JournalOpen(uint64 token)
{
	JournalPath(token, journal_path);
	if (!ScrapeStateDirReady())
	{
		JournalAbandon("create the directory of");
		return;
	}
	journal_fd = BasicOpenFile(journal_path, O_WRONLY | O_CREAT | O_TRUNC | PG_BINARY);
	if (journal_fd < 0)
		JournalAbandon("create");
	journal_entries = 0;
	MarkerOpen(token);
}

/* Write all of buf to fd at offset (or append, offset < 0); false on failure. */
static bool
WriteAll(int fd, const char *buf, size_t len, off_t offset)
{
	while (len > 0)
	{
		ssize_t		w = offset < 0 ? write(fd, buf, len) :
			pwrite(fd, buf, len, offset);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
		{
			if (w == 0)
				errno = ENOSPC;
			return false;
		}
		buf += w;
		len -= w;
		if (offset >= 0)
			offset += w;
	}
	return true;
}

bool
JournalNeedsRewrite(int n)
{
	return journal_fd >= 0 && journal_entries + n > JOURNAL_REWRITE_AT;
}

void
JournalStarted(const ScrapeJournalEntry *e, int n,
			   const ScrapeJournalEntry *held, int nheld)
{
	if (journal_fd < 0 || n <= 0)
		return;
	if (held != NULL)
	{
		/*
		 * The entries still held first, from the start, then the new ones,
		 * then cut the rest: at every moment the file lists every started
		 * page still held (a pwrite of a few kB to a regular file is not
		 * cut short by a signal).
		 */
		size_t		esz = sizeof(ScrapeJournalEntry);

		if (!WriteAll(journal_fd, (const char *) held, esz * nheld, 0) ||
			!WriteAll(journal_fd, (const char *) e, esz * n, (off_t) (esz * nheld)) ||
			ftruncate(journal_fd, (off_t) (esz * (nheld + n))) != 0 ||
			lseek(journal_fd, 0, SEEK_END) < 0)
		{
			JournalAbandon("rewrite");
			return;
		}
		journal_entries = nheld + n;
		return;
	}
	if (!WriteAll(journal_fd, (const char *) e, sizeof(ScrapeJournalEntry) * n, -1))
	{
		JournalAbandon("write");
		return;
	}
	journal_entries += n;
}

ScrapeJournalEntry *
JournalRead(uint64 token, int *n)
{
	const size_t esz = sizeof(ScrapeJournalEntry);
	char		path[MAXPGPATH];
	int			fd;
	struct stat st;
	ScrapeJournalEntry *entries;
	size_t		want;
	size_t		got = 0;

	JournalPath(token, path);
	*n = 0;
	fd = OpenTransientFile(path, O_RDONLY | PG_BINARY);
	if (fd < 0)
	{
		if (errno == ENOENT)
			return NULL;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\": %m", path)));
	}
	if (fstat(fd, &st) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not stat file \"%s\": %m", path)));
	/* a partial last entry (a write cut short by the crash) is none */
	want = ((size_t) st.st_size / esz) * esz;
	if (want > MaxAllocSize)
		want = (MaxAllocSize / esz) * esz;
	entries = palloc(Max(want, esz));
	while (got < want)
	{
		ssize_t		r = read(fd, (char *) entries + got, want - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read file \"%s\": %m", path)));
		if (r == 0)
			break;
		got += r;
	}
	CloseTransientFile(fd);
	*n = (int) (got / esz);
	return entries;
}

static bool
TokenIn(uint64 token, const uint64 *tokens, int n)
{
	int			i;

	for (i = 0; i < n; i++)
		if (tokens[i] == token)
			return true;
	return false;
}

/*
 * Whether name is a worker's journal or extraction marker
 * ("started.<token>" or "extracting.<token>", 16 hex digits); its token.
 */
static bool
TokenFile(const char *name, uint64 *token)
{
	static const char *const prefixes[] = {"started.", "extracting."};
	int			i;

	for (i = 0; i < lengthof(prefixes); i++)
	{
		size_t		plen = strlen(prefixes[i]);
		unsigned long long t;
		char		end;

		if (strncmp(name, prefixes[i], plen) == 0 &&
			strlen(name) == plen + 16 &&
			sscanf(name + plen, "%16llx%c", &t, &end) == 1)
		{
			*token = (uint64) t;
			return true;
		}
	}
	return false;
}

int
JournalListExtracting(uint64 *tokens, int64 *pages, int max)
{
	DIR		   *dir;
	struct dirent *de;
	int			n = 0;

	dir = AllocateDir(SCRAPE_STATE_DIR);
	if (dir == NULL && errno == ENOENT)
		return 0;
	while (n < max && (de = ReadDirExtended(dir, SCRAPE_STATE_DIR, LOG)) != NULL)
	{
		char		path[MAXPGPATH];
		uint64		token;
		int64		page_id;

		if (strncmp(de->d_name, "extracting.", 11) != 0 ||
			!TokenFile(de->d_name, &token))
			continue;
		snprintf(path, sizeof(path), "%s/%s", SCRAPE_STATE_DIR, de->d_name);
		page_id = JournalReadExtracting(path);
		if (page_id <= 0)
			continue;
		tokens[n] = token;
		pages[n++] = page_id;
	}
	FreeDir(dir);
	return n;
}

void
JournalRemoveDead(const uint64 *live_before, int n_before,
				  const uint64 *live_after, int n_after)
{
	DIR		   *dir;
	struct dirent *de;

	dir = AllocateDir(SCRAPE_STATE_DIR);
	if (dir == NULL && errno == ENOENT)
		return;
	while ((de = ReadDirExtended(dir, SCRAPE_STATE_DIR, LOG)) != NULL)
	{
		uint64		token;
		char		path[MAXPGPATH];

		if (!TokenFile(de->d_name, &token))
			continue;
		if (TokenIn(token, live_before, n_before) ||
			TokenIn(token, live_after, n_after))
			continue;
		snprintf(path, sizeof(path), "%s/%s", SCRAPE_STATE_DIR, de->d_name);
		if (unlink(path) != 0 && errno != ENOENT)
			ereport(LOG,
					(errcode_for_file_access(),
					 errmsg("could not remove file \"%s\": %m", path)));
	}
	FreeDir(dir);
}

/*
 * _scrape_started_pages(token bigint, OUT page_ids bigint[], OUT attempts
 * integer[]): the requests the worker of token started, as its journal
 * lists them; both NULL when it has none (a worker of a library without
 * the journal, one whose journal could not be written, or a journal lost
 * to an operating system crash).
 */
PG_FUNCTION_INFO_V1(scrape_started_pages);
Datum
scrape_started_pages(PG_FUNCTION_ARGS)
{
	uint64		token = (uint64) PG_GETARG_INT64(0);
	TupleDesc	tupdesc;
	Datum		values[2];
	bool		nulls[2] = {true, true};
	int			n;
	ScrapeJournalEntry *e = JournalRead(token, &n);

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	if (e != NULL)
	{
		Datum	   *ids = palloc(sizeof(Datum) * Max(n, 1));
		Datum	   *attempts = palloc(sizeof(Datum) * Max(n, 1));
		int			i;

		for (i = 0; i < n; i++)
		{
			ids[i] = Int64GetDatum(e[i].page_id);
			attempts[i] = Int32GetDatum((int32) e[i].attempt);
		}
		values[0] = PointerGetDatum(construct_array(ids, n, INT8OID,
													sizeof(int64), true,
													TYPALIGN_DOUBLE));
		values[1] = PointerGetDatum(construct_array(attempts, n, INT4OID,
													sizeof(int32), true,
													TYPALIGN_INT));
		nulls[0] = nulls[1] = false;
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
