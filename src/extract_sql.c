/*-------------------------------------------------------------------------
 * extract_sql.c
 *	  SQL-callable functions of the extraction: what the workers make of an
 *	  HTML page (scrape_parse_html), prices and availability as the
 *	  products stage reads them, and the XPath check of options.extract.
 *
 * They let a user see, and the regression tests pin down, exactly what
 * the workers do, without a server to fetch from.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "extract.h"
#include "pricecore.h"
#include "structured.h"

PG_FUNCTION_INFO_V1(scrape_parse_html);
PG_FUNCTION_INFO_V1(scrape_parse_price);
PG_FUNCTION_INFO_V1(scrape_normalize_availability);
PG_FUNCTION_INFO_V1(scrape_xpath_error);

static void
JsonStringOrNull(StringInfo out, const char *s)
{
	if (s == NULL)
		appendStringInfoString(out, "null");
	else
		escape_json(out, s);
}

/*
 * The fields of an options.extract object, as the workers get them
 * (_scrape_claim_stage): names and expressions, in key order.
 */
static int
RulesOf(Jsonb *rules, char ***names, char ***xpaths)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			n = 0;
	int			max;

	if (rules == NULL || !JB_ROOT_IS_OBJECT(rules))
		return 0;
	max = JB_ROOT_COUNT(rules);
	*names = palloc(sizeof(char *) * Max(max, 1));
	*xpaths = palloc(sizeof(char *) * Max(max, 1));
	it = JsonbIteratorInit(&rules->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY && n < max)
			(*names)[n] = pnstrdup(v.val.string.val, v.val.string.len);
		else if (tok == WJB_VALUE && n < max)
		{
			if (v.type == jbvString)
				(*xpaths)[n++] = pnstrdup(v.val.string.val, v.val.string.len);
			else
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid XPath expression for field \"%s\" of option \"extract\"",
								(*names)[n]),
						 errhint("Give a string of 1 to 1000 characters.")));
		}
	}
	return n;
}

/* scrape_parse_html(html, url, extract): everything the workers store. */
Datum
scrape_parse_html(PG_FUNCTION_ARGS)
{
	text	   *html;
	char	   *url;
	ScrapeHtmlInfo *info;
	char	   *data;
	char	  **names = NULL;
	char	  **xpaths = NULL;
	int			nrules;
	StringInfoData out;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	html = PG_GETARG_TEXT_PP(0);
	url = text_to_cstring(PG_GETARG_TEXT_PP(1));
	nrules = RulesOf(PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2), &names, &xpaths);

	/* one parse for both, as the extracting stage does */
	data = ScrapeExtractData(VARDATA_ANY(html), VARSIZE_ANY_EXHDR(html), url,
							 names, xpaths, nrules, &info);

	initStringInfo(&out);
	appendStringInfoString(&out, "{\"title\": ");
	JsonStringOrNull(&out, info->title);
	appendStringInfoString(&out, ", \"description\": ");
	JsonStringOrNull(&out, info->description);
	appendStringInfoString(&out, ", \"canonical\": ");
	JsonStringOrNull(&out, info->canonical);
	appendStringInfoString(&out, ", \"lang\": ");
	JsonStringOrNull(&out, info->lang);
	appendStringInfo(&out, ", \"nofollow\": %s, \"links_dropped\": %d, \"links\": %s"
					 ", \"structured\": %s}",
					 info->nofollow ? "true" : "false", info->links_dropped,
					 info->links_json, data ? data : "null");
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(out.data)));
}

/* scrape_parse_price(text, OUT amount numeric, OUT currency text) */
Datum
scrape_parse_price(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[2] = {0};
	bool		nulls[2] = {true, true};
	PriceParsed parsed;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);

	if (!PG_ARGISNULL(0))
	{
		text	   *t = PG_GETARG_TEXT_PP(0);

		if (PriceParse(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &parsed))
		{
			values[0] = DirectFunctionCall3(numeric_in,
											CStringGetDatum(parsed.amount),
											ObjectIdGetDatum(InvalidOid),
											Int32GetDatum(-1));
			nulls[0] = false;
			if (parsed.currency[0] != '\0')
			{
				values[1] = CStringGetTextDatum(parsed.currency);
				nulls[1] = false;
			}
		}
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* scrape_normalize_availability(text): a schema.org term or NULL. */
Datum
scrape_normalize_availability(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	const char *term = AvailabilityNormalize(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));

	if (term == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(term));
}

/* _scrape_xpath_error(text): NULL if the expression compiles. */
Datum
scrape_xpath_error(PG_FUNCTION_ARGS)
{
	char	   *xpath = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *error = ScrapeXPathError(xpath);

	if (error == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(error));
}
