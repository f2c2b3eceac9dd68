/*
 * install/extraction.sql
 *
 * What the workers' parsers make of a page, callable from SQL
 * (src/extract_sql.c): HTML metadata and structured data, prices,
 * availability, XPath checks.
 */

-- What the workers make of an HTML page: what the scraping stage stores
-- (title, description, canonical, lang, links) and the extracting stage's
-- document ("structured"), with rules as options.extract gives them.
CREATE OR REPLACE FUNCTION @extschema@.scrape_parse_html(html text, url text,
                                              rules jsonb DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'scrape_parse_html'
LANGUAGE C IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp;

-- A price as written on a page ("$1,299.00", "1 299,00 zł", "Free"): its
-- amount and ISO 4217 currency (NULL when the text names none).  NULLs when
-- no amount can be read.
CREATE OR REPLACE FUNCTION @extschema@.scrape_parse_price(price text,
                                               OUT amount numeric,
                                               OUT currency text)
RETURNS record
AS 'MODULE_PATHNAME', 'scrape_parse_price'
LANGUAGE C IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp;

-- An availability (schema.org URL, or words such as "in stock", "sold
-- out") as a schema.org ItemAvailability term, or NULL.
CREATE OR REPLACE FUNCTION @extschema@.scrape_normalize_availability(availability text)
RETURNS text
AS 'MODULE_PATHNAME', 'scrape_normalize_availability'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp;

-- NULL if the XPath expression compiles, else libxml2's reason.
CREATE OR REPLACE FUNCTION @extschema@._scrape_xpath_error(xpath text)
RETURNS text
AS 'MODULE_PATHNAME', 'scrape_xpath_error'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp;
