/*-------------------------------------------------------------------------
 * charset.c
 *	  Turning a fetched body into text in the database encoding.
 *
 * A page's bytes are decoded with the first charset found in:
 *	 1. the charset parameter of the Content-Type header;
 *	 2. for HTML, a <meta charset> or <meta http-equiv> in the first
 *		SCRAPE_PRESCAN_BYTES bytes, and for XML its encoding declaration
 *		(both found by libxml2, which also reads byte-order marks);
 *	 3. otherwise UTF-8 if the bytes are valid UTF-8, else windows-1252 (what
 *		browsers assume for unlabelled Western pages).
 * Conversion uses iconv.  Bytes that cannot be decoded, and NUL bytes
 * (which text cannot hold), become U+FFFD (or '?' when the database
 * encoding has no such character), so a hostile body can never make the
 * INSERT fail.  Non-text media types are not stored as text (see README).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <errno.h>
#include <iconv.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/memutils.h"
#include "utils/builtins.h"

#include "charset.h"

/* How much of an unlabelled document is parsed to find its declaration. */
#define SCRAPE_PRESCAN_BYTES 4096

#define UTF8_REPLACEMENT "\xEF\xBF\xBD"

/* Does the media type carry text we should store? */
bool
ScrapeIsTextType(const char *content_type)
{
	static const char *const text_types[] = {
		"application/xhtml+xml", "application/xml", "application/json",
		"application/ld+json", "application/javascript",
		"application/ecmascript", "application/rss+xml",
		"application/atom+xml", "image/svg+xml", NULL
	};
	size_t		typelen;
	int			i;

	/* A server that does not say is most likely sending a page. */
	if (content_type == NULL || content_type[0] == '\0')
		return true;

	typelen = strcspn(content_type, "; \t");
	if (pg_strncasecmp(content_type, "text/", 5) == 0)
		return true;
	for (i = 0; text_types[i] != NULL; i++)
	{
		if (strlen(text_types[i]) == typelen &&
			pg_strncasecmp(content_type, text_types[i], typelen) == 0)
			return true;
	}
	/* structured-syntax suffixes (RFC 6839): foo+xml, foo+json */
	if (typelen > 4 && pg_strncasecmp(content_type + typelen - 4, "+xml", 4) == 0)
		return true;
	if (typelen > 5 && pg_strncasecmp(content_type + typelen - 5, "+json", 5) == 0)
		return true;
	return false;
}

static bool
MediaTypeIs(const char *content_type, const char *type)
{
	size_t		len = strlen(type);

	return content_type != NULL &&
		pg_strncasecmp(content_type, type, len) == 0 &&
		(content_type[len] == '\0' || content_type[len] == ';' ||
		 content_type[len] == ' ' || content_type[len] == '\t');
}

/* The charset parameter of a Content-Type value, or NULL. */
static char *
CharsetFromContentType(const char *content_type)
{
	const char *p;
	size_t		len;

	if (content_type == NULL)
		return NULL;
	for (p = strchr(content_type, ';'); p != NULL; p = strchr(p + 1, ';'))
	{
		const char *param = p + 1;

		while (*param == ' ' || *param == '\t')
			param++;
		if (pg_strncasecmp(param, "charset=", 8) != 0)
			continue;
		param += 8;
		if (*param == '"')
			param++;
		len = strcspn(param, "\"; \t");
		if (len == 0 || len > 64)
			return NULL;
		return pnstrdup(param, len);
	}
	return NULL;
}

/*
 * Let libxml2 read the start of the document and report the encoding it
 * declares (meta tag, XML declaration or byte-order mark).  No network, no
 * DTD, no entity expansion: the document is hostile until proven otherwise.
 */
static char *
CharsetFromDocument(const char *content_type, const char *data, size_t len)
{
	bool		is_html = content_type == NULL ||
		MediaTypeIs(content_type, "text/html") ||
		MediaTypeIs(content_type, "application/xhtml+xml");
	int			prefix = (int) Min(len, SCRAPE_PRESCAN_BYTES);
	xmlDocPtr	doc = NULL;
	char	   *result = NULL;

	if (prefix == 0)
		return NULL;

	PG_TRY();
	{
		if (is_html)
			doc = htmlReadMemory(data, prefix, NULL, NULL,
								 HTML_PARSE_RECOVER | HTML_PARSE_NONET |
								 HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
								 HTML_PARSE_NOBLANKS);
		else
			doc = xmlReadMemory(data, prefix, NULL, NULL,
								XML_PARSE_RECOVER | XML_PARSE_NONET |
								XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
		if (doc != NULL && doc->encoding != NULL)
			result = pstrdup((const char *) doc->encoding);
	}
	PG_FINALLY();
	{
		if (doc != NULL)
			xmlFreeDoc(doc);
	}
	PG_END_TRY();

	return result;
}

/* iconv's (and libxml2's) name for the database encoding. */
const char *
ScrapeDatabaseCharsetName(void)
{
	int			enc = GetDatabaseEncoding();
	int			i;

	/* SQL_ASCII stores bytes unchecked: give it UTF-8. */
	if (enc == PG_UTF8 || enc == PG_SQL_ASCII)
		return "UTF-8";
	for (i = 0; pg_enc2gettext_tbl[i].name != NULL; i++)
	{
		if (pg_enc2gettext_tbl[i].encoding == enc)
			return pg_enc2gettext_tbl[i].name;
	}
	return pg_encoding_to_char(enc);
}

/*
 * Convert with iconv, replacing every undecodable byte.  Returns false if
 * iconv does not know the source charset.
 */
static bool
ConvertWithIconv(const char *from, const char *data, size_t len,
				 StringInfo out)
{
	const char *to = ScrapeDatabaseCharsetName();
	bool		to_utf8 = strcmp(to, "UTF-8") == 0;
	const char *replacement = to_utf8 ? UTF8_REPLACEMENT : "?";
	char	   *tocode;
	iconv_t		cd;
	char	   *in = unconstify(char *, data);
	size_t		inleft = len;

	/* //TRANSLIT: approximate characters the target encoding lacks */
	tocode = to_utf8 ? pstrdup(to) : psprintf("%s//TRANSLIT", to);
	cd = iconv_open(tocode, from);
	if (cd == (iconv_t) -1)
		return false;

	enlargeStringInfo(out, (int) Min(len + 16, (size_t) MaxAllocSize / 4));
	while (inleft > 0)
	{
		char	   *outp = out->data + out->len;
		size_t		outleft = out->maxlen - out->len - 1;
		size_t		rc = iconv(cd, &in, &inleft, &outp, &outleft);

		out->len = outp - out->data;
		out->data[out->len] = '\0';
		if (rc != (size_t) -1)
			break;
		if (errno == E2BIG)
			enlargeStringInfo(out, out->maxlen);
		else if (errno == EILSEQ || errno == EINVAL)
		{
			/* undecodable byte (or truncated sequence at the end) */
			appendStringInfoString(out, replacement);
			in++;
			inleft--;
			iconv(cd, NULL, NULL, NULL, NULL);
		}
		else
			break;
	}
	iconv_close(cd);
	return true;
}

/* Replace NUL bytes, which text values cannot contain. */
static void
ReplaceNulBytes(StringInfo s)
{
	StringInfoData fixed;
	int			i;

	if (memchr(s->data, '\0', s->len) == NULL)
		return;
	initStringInfo(&fixed);
	for (i = 0; i < s->len; i++)
	{
		if (s->data[i] == '\0')
			appendStringInfoString(&fixed,
								   GetDatabaseEncoding() == PG_UTF8 ?
								   UTF8_REPLACEMENT : "?");
		else
			appendStringInfoChar(&fixed, s->data[i]);
	}
	pfree(s->data);
	*s = fixed;
}

/*
 * Decode a body to a text datum in the database encoding.  Returns NULL for
 * media types that are not text.  *charset_used tells what we decoded from.
 */
text *
ScrapeBodyToText(const char *content_type, const char *data, size_t len,
				 const char **charset_used)
{
	char	   *charset;
	int			valid_utf8 = -1;	/* not checked yet */
	StringInfoData out;
	text	   *result;

	*charset_used = NULL;
	if (!ScrapeIsTextType(content_type))
		return NULL;

	charset = CharsetFromContentType(content_type);
	if (charset == NULL)
		charset = CharsetFromDocument(content_type, data, len);
	if (charset == NULL)
	{
		valid_utf8 = pg_verify_mbstr(PG_UTF8, data, (int) len, true);
		charset = valid_utf8 ? "UTF-8" : "WINDOWS-1252";
	}

	/*
	 * Most pages are UTF-8 and so are most databases: a body that is valid
	 * as it is needs no conversion (iconv from UTF-8 to UTF-8 and the copy
	 * were ~2 % of a worker's CPU over pages of 31 kB).  Valid UTF-8 has no
	 * NUL byte (pg_verify_mbstr rejects it).
	 */
	if (GetDatabaseEncoding() == PG_UTF8 &&
		(pg_strcasecmp(charset, "UTF-8") == 0 || pg_strcasecmp(charset, "UTF8") == 0) &&
		(valid_utf8 >= 0 ? valid_utf8 : pg_verify_mbstr(PG_UTF8, data, (int) len, true)))
	{
		*charset_used = charset;
		return cstring_to_text_with_len(data, (int) len);
	}

	initStringInfo(&out);
	if (!ConvertWithIconv(charset, data, len, &out))
	{
		/* unknown label: decode as UTF-8, replacing what is not */
		charset = "UTF-8";
		resetStringInfo(&out);
		(void) ConvertWithIconv(charset, data, len, &out);
	}
	ReplaceNulBytes(&out);

	/* Belt and braces: never hand the executor an invalid string. */
	if (!pg_verify_mbstr(GetDatabaseEncoding(), out.data, out.len, true))
	{
		resetStringInfo(&out);
		appendStringInfoString(&out, "");
	}

	*charset_used = charset;
	result = cstring_to_text_with_len(out.data, out.len);
	pfree(out.data);
	return result;
}
