/*
 * The few backend symbols src/extract.c needs, for running it in a
 * libFuzzer harness (fuzz_extract.c) without a server.
 *
 * extract.c is compiled as backend code (postgres.h) and linked with the
 * frontend libpgcommon.a and libpgport.a, which supply stringinfo, psprintf,
 * jsonapi (makeJsonLexContextCstringLen, pg_parse_json), the encoding
 * routines and pg_strcasecmp.  What is left, and why each exists:
 *
 *	 - palloc, palloc0, palloc_extended, repalloc, pfree, pstrdup, pnstrdup:
 *	   libpgcommon's fe_memutils.o would make them plain malloc, and every
 *	   page's allocations would leak (in the server a memory context reset
 *	   frees them).  Here each chunk is a malloc of its own (so
 *	   AddressSanitizer still sees overruns), linked into a list that
 *	   PgStubMemoryReset() frees after every input: LeakSanitizer then
 *	   reports only real leaks (of libxml2 or libcurl objects).  Requests
 *	   over MaxAllocSize abort, where the server would throw.  Defining
 *	   them here keeps fe_memutils.o out of the link (a duplicate-symbol
 *	   error would say if something pulled it in).
 *	 - escape_json (utils/adt/json.c): written again, with the backend's
 *	   output, since the harness checks the JSON it produces.
 *	 - GetDatabaseEncoding, pg_mbcliplen (mbutils.c): a UTF-8 database.
 *	 - ScrapeDatabaseCharsetName (charset.c, which needs the server's
 *	   conversion machinery): the libxml2 name of that encoding.
 *	 - PG_exception_stack, error_context_stack, pg_re_throw: what PG_TRY /
 *	   PG_FINALLY / PG_END_TRY use.  Nothing here longjmps, so re-throwing
 *	   cannot happen; it aborts if it does.
 *	 - errstart, errstart_cold, errfinish, errcode, errmsg, errmsg_internal:
 *	   elog/ereport.  Messages below ERROR are dropped; an ERROR aborts,
 *	   since the extractor is meant never to throw on any page.
 *	 - InterruptPending, ProcessInterrupts: CHECK_FOR_INTERRUPTS(); no
 *	   interrupt ever arrives.
 */
#include "postgres.h"

#include <stdio.h>
#include <stdlib.h>

#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/json.h"
#include "utils/memutils.h"

#include "charset.h"

void		PgStubMemoryReset(void);

/* A palloc'd chunk: this header, then the caller's bytes (MAXALIGNed). */
typedef struct StubChunk
{
	struct StubChunk *prev;
	struct StubChunk *next;
} StubChunk;

#define STUB_HEADER MAXALIGN(sizeof(StubChunk))

static StubChunk *chunks = NULL;

static inline StubChunk *
ChunkOf(void *pointer)
{
	return (StubChunk *) ((char *) pointer - STUB_HEADER);
}

static void
Link(StubChunk *c)
{
	c->prev = NULL;
	c->next = chunks;
	if (chunks != NULL)
		chunks->prev = c;
	chunks = c;
}

static void
Unlink(StubChunk *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		chunks = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
}

static void
CheckSize(Size size)
{
	if (!AllocSizeIsValid(size))
	{
		fprintf(stderr, "pgstub: invalid memory alloc request size %zu\n", size);
		abort();
	}
}

void *
palloc_extended(Size size, int flags)
{
	StubChunk  *c;

	CheckSize(size);
	c = malloc(STUB_HEADER + size);
	if (c == NULL)
	{
		if (flags & MCXT_ALLOC_NO_OOM)
			return NULL;
		fprintf(stderr, "pgstub: out of memory\n");
		abort();
	}
	Link(c);
	if (flags & MCXT_ALLOC_ZERO)
		memset((char *) c + STUB_HEADER, 0, size);
	return (char *) c + STUB_HEADER;
}

void *
palloc(Size size)
{
	return palloc_extended(size, 0);
}

void *
palloc0(Size size)
{
	return palloc_extended(size, MCXT_ALLOC_ZERO);
}

void *
repalloc(void *pointer, Size size)
{
	StubChunk  *c = ChunkOf(pointer);
	StubChunk  *moved;

	CheckSize(size);
	Unlink(c);
	moved = realloc(c, STUB_HEADER + size);
	if (moved == NULL)
	{
		fprintf(stderr, "pgstub: out of memory\n");
		abort();
	}
	Link(moved);
	return (char *) moved + STUB_HEADER;
}

void
pfree(void *pointer)
{
	StubChunk  *c = ChunkOf(pointer);

	Unlink(c);
	free(c);
}

char *
pnstrdup(const char *in, Size len)
{
	char	   *out;

	len = strnlen(in, len);
	out = palloc(len + 1);
	memcpy(out, in, len);
	out[len] = '\0';
	return out;
}

char *
pstrdup(const char *in)
{
	return pnstrdup(in, strlen(in));
}

/* Free everything palloc'd since the last reset (a context reset). */
void
PgStubMemoryReset(void)
{
	while (chunks != NULL)
	{
		StubChunk  *next = chunks->next;

		free(chunks);
		chunks = next;
	}
}

/* A JSON string literal, as the backend writes it. */
void
escape_json(StringInfo buf, const char *str)
{
	const char *p;

	appendStringInfoChar(buf, '"');
	for (p = str; *p; p++)
	{
		switch (*p)
		{
			case '\b':
				appendStringInfoString(buf, "\\b");
				break;
			case '\f':
				appendStringInfoString(buf, "\\f");
				break;
			case '\n':
				appendStringInfoString(buf, "\\n");
				break;
			case '\r':
				appendStringInfoString(buf, "\\r");
				break;
			case '\t':
				appendStringInfoString(buf, "\\t");
				break;
			case '"':
				appendStringInfoString(buf, "\\\"");
				break;
			case '\\':
				appendStringInfoString(buf, "\\\\");
				break;
			default:
				if ((unsigned char) *p < ' ')
					appendStringInfo(buf, "\\u%04x", (int) *p);
				else
					appendStringInfoChar(buf, *p);
				break;
		}
	}
	appendStringInfoChar(buf, '"');
}

int
GetDatabaseEncoding(void)
{
	return PG_UTF8;
}

/* Bytes of the longest prefix of mbstr within limit that ends on a character. */
int
pg_mbcliplen(const char *mbstr, int len, int limit)
{
	int			clen = 0;

	while (len > 0 && *mbstr)
	{
		int			l = pg_encoding_mblen(PG_UTF8, mbstr);

		if (clen + l > limit)
			break;
		clen += l;
		if (clen == limit)
			break;
		len -= l;
		mbstr += l;
	}
	return clen;
}

const char *
ScrapeDatabaseCharsetName(void)
{
	return "UTF-8";
}

sigjmp_buf *PG_exception_stack = NULL;
ErrorContextCallback *error_context_stack = NULL;
volatile sig_atomic_t InterruptPending = false;

void
ProcessInterrupts(void)
{
}

void
pg_re_throw(void)
{
	fprintf(stderr, "pgstub: pg_re_throw without an error\n");
	abort();
}

static int	stub_elevel;

bool
errstart(int elevel, const char *domain)
{
	stub_elevel = elevel;
	return elevel >= ERROR;
}

bool
errstart_cold(int elevel, const char *domain)
{
	return errstart(elevel, domain);
}

int
errcode(int sqlerrcode)
{
	return 0;
}

static int
StubMessage(const char *fmt, va_list args)
{
	fprintf(stderr, "pgstub: ERROR: ");
	vfprintf(stderr, fmt, args);
	fprintf(stderr, "\n");
	return 0;
}

int
errmsg(const char *fmt,...)
{
	va_list		args;

	va_start(args, fmt);
	StubMessage(fmt, args);
	va_end(args);
	return 0;
}

int
errmsg_internal(const char *fmt,...)
{
	va_list		args;

	va_start(args, fmt);
	StubMessage(fmt, args);
	va_end(args);
	return 0;
}

/* Only an ERROR (or worse) gets here: the extractor threw. */
void
errfinish(const char *filename, int lineno, const char *funcname)
{
	fprintf(stderr, "pgstub: elevel %d raised at %s:%d (%s)\n",
			stub_elevel, filename ? filename : "?", lineno,
			funcname ? funcname : "?");
	abort();
}
