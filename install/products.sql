/*
 * install/products.sql
 *
 * The creating_products stage: schema.org Products from JSON-LD, microdata,
 * OpenGraph and a session's rules, merged into products (README, "Products").
 */

-- The first scalar a JSON-LD value holds, as text: a string or number; of
-- an array its first element; of an object its @value or name.
CREATE OR REPLACE FUNCTION @extschema@._scrape_jtext(v jsonb)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN CASE jsonb_typeof(v)
           WHEN 'string' THEN nullif(btrim(v #>> '{}'), '')
           WHEN 'number' THEN v #>> '{}'
           WHEN 'array' THEN @extschema@._scrape_jtext(v -> 0)
           WHEN 'object' THEN coalesce(@extschema@._scrape_jtext(v -> '@value'),
                                       @extschema@._scrape_jtext(v -> 'name'))
           END;
END;
$$;

-- A URL a JSON-LD value holds: a string, an array's first, an object's
-- url, contentUrl or @id (ImageObject).
CREATE OR REPLACE FUNCTION @extschema@._scrape_jurl(v jsonb)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN CASE jsonb_typeof(v)
           WHEN 'string' THEN nullif(btrim(v #>> '{}'), '')
           WHEN 'array' THEN @extschema@._scrape_jurl(v -> 0)
           WHEN 'object' THEN coalesce(@extschema@._scrape_jurl(v -> 'url'),
                                       @extschema@._scrape_jurl(v -> 'contentUrl'),
                                       @extschema@._scrape_jurl(v -> '@id'))
           END;
END;
$$;

-- A decimal number written plainly ("4.5", "12"), else NULL.
CREATE OR REPLACE FUNCTION @extschema@._scrape_number(v text)
RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN btrim(v) ~ '^[0-9]{1,15}([.,][0-9]{1,10})?$'
                THEN replace(btrim(v), ',', '.')::numeric END;
$$;

-- The product columns one source gives, as a jsonb object without nulls.
-- price_text and currency are parsed and checked here for every source.
CREATE OR REPLACE FUNCTION @extschema@._scrape_product_columns(
    p_name text, p_description text, p_sku text, p_gtin text, p_mpn text,
    p_brand text, p_price text, p_high_price text, p_currency text,
    p_availability text, p_image text, p_rating text, p_review_count text)
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'name', left(p_name, 1000),
        'description', left(p_description, 10000),
        'sku', left(p_sku, 200),
        'gtin', CASE WHEN p_gtin ~ '^[0-9]{8,14}$' THEN p_gtin END,
        'mpn', left(p_mpn, 200),
        'brand', left(p_brand, 200),
        'price', price.amount,
        'high_price', high.amount,
        -- a currency the source names beats one guessed from a symbol
        'currency', coalesce(CASE WHEN upper(btrim(p_currency)) ~ '^[A-Z]{3}$'
                                  THEN upper(btrim(p_currency)) END,
                             nullif(price.currency, '')),
        'availability', @extschema@.scrape_normalize_availability(p_availability),
        'image_url', CASE WHEN p_image ~* '^https?://' THEN left(p_image, 2000) END,
        'rating', @extschema@._scrape_number(p_rating),
        'review_count', CASE WHEN btrim(p_review_count) ~ '^[0-9]{1,9}$'
                             THEN btrim(p_review_count)::integer END))
      FROM @extschema@.scrape_parse_price(p_price) AS price,
           @extschema@.scrape_parse_price(p_high_price) AS high;
$$;

-- The columns of a schema.org Product (JSON-LD, or a microdata item in
-- JSON-LD's shape) and of its first Offer / AggregateOffer with a price.
CREATE OR REPLACE FUNCTION @extschema@._scrape_product_from_item(p jsonb)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    o jsonb;
BEGIN
    IF p IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT x INTO o
      FROM jsonb_array_elements(CASE jsonb_typeof(p -> 'offers')
                                WHEN 'array' THEN p -> 'offers'
                                WHEN 'object' THEN jsonb_build_array(p -> 'offers')
                                ELSE '[]' END) WITH ORDINALITY AS t(x, n)
     ORDER BY (x ? 'price' OR x ? 'lowPrice' OR x -> 'priceSpecification' ? 'price') DESC, n
     LIMIT 1;
    RETURN @extschema@._scrape_product_columns(
        @extschema@._scrape_jtext(p -> 'name'),
        @extschema@._scrape_jtext(p -> 'description'),
        @extschema@._scrape_jtext(p -> 'sku'),
        coalesce(@extschema@._scrape_jtext(p -> 'gtin13'), @extschema@._scrape_jtext(p -> 'gtin'),
                 @extschema@._scrape_jtext(p -> 'gtin12'), @extschema@._scrape_jtext(p -> 'gtin14'),
                 @extschema@._scrape_jtext(p -> 'gtin8')),
        @extschema@._scrape_jtext(p -> 'mpn'),
        @extschema@._scrape_jtext(p -> 'brand'),
        coalesce(@extschema@._scrape_jtext(o -> 'price'),
                 @extschema@._scrape_jtext(o -> 'lowPrice'),
                 @extschema@._scrape_jtext(o -> 'priceSpecification' -> 'price')),
        @extschema@._scrape_jtext(o -> 'highPrice'),
        coalesce(@extschema@._scrape_jtext(o -> 'priceCurrency'),
                 @extschema@._scrape_jtext(o -> 'priceSpecification' -> 'priceCurrency')),
        coalesce(@extschema@._scrape_jurl(o -> 'availability'),
                 @extschema@._scrape_jtext(o -> 'availability')),
        @extschema@._scrape_jurl(p -> 'image'),
        @extschema@._scrape_jtext(p -> 'aggregateRating' -> 'ratingValue'),
        coalesce(@extschema@._scrape_jtext(p -> 'aggregateRating' -> 'reviewCount'),
                 @extschema@._scrape_jtext(p -> 'aggregateRating' -> 'ratingCount')));
END;
$$;

-- The first schema.org Product in a list of JSON-LD blocks or microdata
-- items, in document order, at any depth (@graph, ItemPage.mainEntity...).
CREATE OR REPLACE FUNCTION @extschema@._scrape_first_product(p_items jsonb)
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_path_query_first(p_items,
        'lax $.** ? (@."@type" like_regex "(^|[/:#])(Product|ProductGroup|ProductModel|IndividualProduct|SomeProducts)$")');
$$;

-- The product a page describes, merged from its sources, or NULL when no
-- source says it is a product.  Per column, the first source that has it
-- wins, in this order (README, "Products"):
--   1. the session's XPath rules (options.extract) named like a column
--   2. JSON-LD: the first Product
--   3. microdata: the first Product item
--   4. OpenGraph: og:* and product:* properties
--   5. the page's own title and meta description
-- A page is a product if it has a JSON-LD or microdata Product, og:type
-- "product", an OpenGraph product:price:amount, or a rule giving a price or
-- a sku.
CREATE OR REPLACE FUNCTION @extschema@._scrape_product(p_doc jsonb, p_title text,
                                            p_description text)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_ld    jsonb := @extschema@._scrape_first_product(p_doc -> 'json_ld');
    v_md    jsonb := @extschema@._scrape_first_product(p_doc -> 'microdata');
    v_og    jsonb := coalesce(p_doc -> 'opengraph', '{}');
    v_rules jsonb := coalesce(p_doc -> 'rules', '{}');
    v_r     jsonb;
    v_o     jsonb;
BEGIN
    IF jsonb_typeof(v_rules) <> 'object' THEN
        v_rules := '{}';
    END IF;
    v_r := @extschema@._scrape_product_columns(
        @extschema@._scrape_jtext(v_rules -> 'name'),
        @extschema@._scrape_jtext(v_rules -> 'description'),
        @extschema@._scrape_jtext(v_rules -> 'sku'),
        @extschema@._scrape_jtext(v_rules -> 'gtin'),
        @extschema@._scrape_jtext(v_rules -> 'mpn'),
        @extschema@._scrape_jtext(v_rules -> 'brand'),
        @extschema@._scrape_jtext(v_rules -> 'price'),
        @extschema@._scrape_jtext(v_rules -> 'high_price'),
        @extschema@._scrape_jtext(v_rules -> 'currency'),
        @extschema@._scrape_jtext(v_rules -> 'availability'),
        @extschema@._scrape_jtext(v_rules -> 'image_url'),
        @extschema@._scrape_jtext(v_rules -> 'rating'),
        @extschema@._scrape_jtext(v_rules -> 'review_count'));
    v_o := @extschema@._scrape_product_columns(
        v_og ->> 'og:title', v_og ->> 'og:description',
        v_og ->> 'product:retailer_item_id',
        coalesce(v_og ->> 'product:ean', v_og ->> 'product:upc', v_og ->> 'product:gtin'),
        v_og ->> 'product:mfr_part_no', v_og ->> 'product:brand',
        coalesce(v_og ->> 'product:price:amount', v_og ->> 'og:price:amount'),
        NULL,
        coalesce(v_og ->> 'product:price:currency', v_og ->> 'og:price:currency'),
        coalesce(v_og ->> 'product:availability', v_og ->> 'og:availability'),
        coalesce(v_og ->> 'og:image', v_og ->> 'og:image:url', v_og ->> 'og:image:secure_url'),
        NULL, NULL);

    IF v_ld IS NULL AND v_md IS NULL
       AND lower(coalesce(v_og ->> 'og:type', '')) NOT IN ('product', 'og:product', 'product.item')
       AND NOT v_o ? 'price' AND NOT v_r ? 'price' AND NOT v_r ? 'sku' THEN
        RETURN NULL;
    END IF;

    RETURN jsonb_build_object(
        'columns',
        jsonb_strip_nulls(jsonb_build_object('name', left(btrim(p_title), 1000),
                                             'description', left(btrim(p_description), 10000)))
        || v_o
        || coalesce(@extschema@._scrape_product_from_item(v_md), '{}')
        || coalesce(@extschema@._scrape_product_from_item(v_ld), '{}')
        || v_r,
        'raw',
        jsonb_strip_nulls(jsonb_build_object(
            'json_ld', v_ld, 'microdata', v_md,
            'opengraph', nullif(v_og, '{}'), 'rules', nullif(v_rules, '{}'))));
END;
$$;

-- The URL a product is known by: the page's canonical URL if it stays on
-- the page's host (a page cannot claim another site's product), else the
-- URL it was fetched from.
CREATE OR REPLACE FUNCTION @extschema@._scrape_product_url(p_canonical text, p_final_url text,
                                                p_url text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN p_canonical IS NOT NULL
                 AND @extschema@._scrape_host(p_canonical)
                     = @extschema@._scrape_host(coalesce(p_final_url, p_url))
                THEN p_canonical ELSE coalesce(p_final_url, p_url) END;
$$;

-- The products of a batch of extracted pages (p_ids, of session
-- p_session_id): one INSERT ... ON CONFLICT for the batch, the latest page
-- winning when two share a key, in the batch and across batches (batches
-- of one session commit in any order now that every worker takes them: a
-- page of a higher id replaces a product, one of a lower id does not).
-- Returns the number of products written.
CREATE OR REPLACE FUNCTION @extschema@._scrape_write_products(p_session_id bigint,
                                                  p_ids bigint[])
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_workspace uuid;
    v_found     integer;
BEGIN
    SELECT workspace_id INTO v_workspace FROM @extschema@.scraping_sessions
     WHERE id = p_session_id;
    -- (MATERIALIZED: inlined, the merge ran once for each of the three
    -- references to prod below)
    WITH found AS MATERIALIZED (
        SELECT p.id AS page_id,
               @extschema@._scrape_product_url(p.canonical_url, p.final_url, p.url) AS url,
               @extschema@._scrape_product(p.structured, p.title, p.description) AS prod
          FROM @extschema@.scraping_pages p
         WHERE p.id = ANY (p_ids) AND p.session_id = p_session_id
           AND p.status = 'done' AND p.kind = 'page' AND p.structured IS NOT NULL
    ), keyed AS (
        SELECT DISTINCT ON (key) f.*, f.prod -> 'columns' AS c, key
          FROM found f,
               LATERAL (SELECT coalesce('sku:' || (f.prod -> 'columns' ->> 'sku'),
                                        'url:' || f.url) AS key) k
         -- (a key must fit the unique index: a SKU is cut to 200
         -- characters, a URL is at most 2048 bytes as src/urlcore.h stores
         -- them, and a longer one that 0.1.7, which took 8192, stored
         -- makes no product)
         WHERE f.prod IS NOT NULL AND octet_length(k.key) <= 2100
         ORDER BY key, f.page_id DESC
    ), written AS (
        INSERT INTO @extschema@.products AS pr
               (workspace_id, product_key, session_id, page_id, url, name,
                description, sku, gtin, mpn, brand, price, high_price, currency,
                availability, image_url, rating, review_count, raw)
        SELECT v_workspace, k.key, p_session_id, k.page_id, k.url,
               k.c ->> 'name', k.c ->> 'description', k.c ->> 'sku',
               k.c ->> 'gtin', k.c ->> 'mpn', k.c ->> 'brand',
               (k.c ->> 'price')::numeric, (k.c ->> 'high_price')::numeric,
               k.c ->> 'currency', k.c ->> 'availability', k.c ->> 'image_url',
               (k.c ->> 'rating')::numeric, (k.c ->> 'review_count')::integer,
               k.prod -> 'raw'
          FROM keyed k
        ON CONFLICT (workspace_id, product_key) DO UPDATE
           SET session_id = excluded.session_id, page_id = excluded.page_id,
               url = excluded.url, name = excluded.name,
               description = excluded.description, sku = excluded.sku,
               gtin = excluded.gtin, mpn = excluded.mpn, brand = excluded.brand,
               price = excluded.price, high_price = excluded.high_price,
               currency = excluded.currency,
               availability = excluded.availability,
               image_url = excluded.image_url, rating = excluded.rating,
               review_count = excluded.review_count, raw = excluded.raw,
               last_seen = now()
         WHERE pr.page_id IS NULL OR pr.page_id <= excluded.page_id
        RETURNING 1
    )
    SELECT count(*) INTO v_found FROM written;
    PERFORM @extschema@._scrape_count('products_written', v_found);
    RETURN v_found;
END;
$$;
