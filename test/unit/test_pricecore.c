/*
 * Unit test of the price and availability parser (src/pricecore.c): a
 * table of texts and what must be read from them.  Built with plain gcc
 * and run by `make unit`; exits non-zero, naming each failing case, on any
 * mismatch.
 */
#include <stdio.h>
#include <string.h>

#include "pricecore.h"

typedef struct PriceCase
{
	const char *text;
	size_t		len;
	bool		ok;
	const char *amount;
	const char *currency;
	bool		is_free;
} PriceCase;

typedef struct AvailCase
{
	const char *text;
	size_t		len;
	const char *term;			/* NULL: unknown */
} AvailCase;

/* A literal with its length, NUL bytes included. */
#define T(s) s, sizeof(s) - 1
#define OK(s, amount, currency) {T(s), true, amount, currency, false}
#define FREE(s) {T(s), true, "0", "", true}
#define NO(s) {T(s), false, "", "", false}

static const PriceCase price_cases[] = {
	/* grouping and decimal separators */
	OK("$1,299.00", "1299.00", "USD"),
	OK("1.299,00 \xE2\x82\xAC", "1299.00", "EUR"),
	OK("1 299,00 z\xC5\x82", "1299.00", "PLN"),
	OK("1\xC2\xA0" "299,00\xC2\xA0z\xC5\x82", "1299.00", "PLN"),	/* NBSP */
	OK("1\xE2\x80\xAF" "299,00 z\xC5\x82", "1299.00", "PLN"),	/* narrow NBSP */
	OK("1\xE2\x80\x89" "299,00 Z\xC5\x81", "1299.00", "PLN"),	/* thin space */
	OK("12.5", "12.5", ""),
	OK("1,5", "1.5", ""),
	OK("1,50", "1.50", ""),
	OK("1,299", "1299", ""),
	OK("1.299", "1.299", ""),	/* a single '.' is a decimal point */
	OK("1,2345", "1.2345", ""),
	OK("0,299", "0.299", ""),	/* no valid grouping: decimal */
	OK("1299,000", "1299.000", ""),
	OK("1,299,000", "1299000", ""),
	OK("1.299.000", "1299000", ""),
	OK("1.299.000,00", "1299000.00", ""),
	OK("\xE2\x82\xB9" "1,20,000.00", "120000.00", "INR"),	/* Indian grouping */
	OK("CHF 1'299.90", "1299.90", "CHF"),
	OK("CHF 1\xE2\x80\x99" "299.90", "1299.90", "CHF"),	/* U+2019 */
	OK("1.299,-", "1299", ""),
	OK("12,- \xE2\x82\xAC", "12", "EUR"),
	OK(".99", "0.99", ""),
	OK("$.99", "0.99", "USD"),
	OK("0007", "7", ""),
	OK("0.00", "0.00", ""),
	OK("10 20", "10", ""),		/* a space groups only three digits */
	OK("10 - 20", "10", ""),
	OK("\xE2\x82\xAC" "10 \xE2\x80\x93 \xE2\x82\xAC" "20", "10", "EUR"),
	OK("10 - 20 \xE2\x82\xAC", "10", "EUR"),
	OK("123456789012345678901234567890", "123456789012345678901234567890", ""),
	/* currencies */
	OK("\xE2\x82\xAC" "12", "12", "EUR"),
	OK("USD 45.00", "45.00", "USD"),
	OK("45.00 USD", "45.00", "USD"),
	OK("GBP\xC2\xA3" "9.99", "9.99", "GBP"),
	OK("\xC2\xA3" "9.99", "9.99", "GBP"),
	OK("\xC2\xA5" "1200", "1200", "JPY"),
	OK("\xC2\xA5" "1.200", "1200", "JPY"),	/* no minor unit: grouping */
	OK("Rp 10.000", "10000", "IDR"),
	OK("CN\xC2\xA5" "88", "88", "CNY"),
	OK("R$ 10,50", "10.50", "BRL"),
	OK("kr 99", "99", ""),
	OK("99 kr", "99", ""),
	OK("\xE2\x82\xBD 500", "500", "RUB"),
	OK("500 \xE2\x82\xBD", "500", "RUB"),
	OK("\xE2\x82\xA9" "15,000", "15000", "KRW"),
	OK("\xE2\x82\xBA" "49,90", "49.90", "TRY"),
	OK("US$5", "5", "USD"),
	OK("C$5", "5", "CAD"),
	OK("A$5", "5", "AUD"),
	OK("$5", "5", "USD"),
	OK("USD$5", "5", "USD"),
	OK("Z$5", "5", ""),			/* some dollar, not one we know */
	OK("59,90 K\xC4\x8D", "59.90", "CZK"),
	OK("1.290 Ft", "1290", "HUF"),
	OK("49.99 eur", "49.99", "EUR"),
	OK("TOP DEAL 10 \xE2\x82\xAC", "10", "EUR"),	/* the sign next to it */
	OK("Sale - $10", "10", "USD"),	/* a dash, not a minus */
	OK("A-5", "5", ""),
	OK("Free shipping, $5", "5", "USD"),
	/* free */
	FREE("Free"),
	FREE("  FREE!  "),
	FREE("Gratis"),
	FREE("kostenlos"),
	/* hostile bytes */
	OK("12\0 34", "12", ""),
	OK("\xFF\xFE" "12,50\xC3", "12.50", ""),
	/* a fraction after a separator and a space, or after a sign */
	OK("$119. 95", "119.95", "USD"),
	OK("1.837, 32 \xE2\x82\xAC", "1837.32", "EUR"),
	OK("35\xE2\x82\xAC" "99", "35.99", "EUR"),
	OK("1.299\xE2\x82\xAC" "99", "1299.99", "EUR"),
	OK("10, 12, 14", "10", ""),	/* a list, not a fraction */
	OK("1, 299", "1", ""),		/* three digits are no fraction */
	OK("1\xE2\x82\xAC" "299", "1", "EUR"),
	OK("35 \xE2\x82\xAC" "99", "35", "EUR"),
	/* percentages and discounts are no price */
	NO("40% OFF"),
	NO("-20%"),
	NO("Save 15%"),
	NO("20\xC2\xA0%"),
	NO("Save $20"),
	NO("$10 off"),
	NO("100% free"),			/* digits: not a free price */
	OK("40% OFF 59,99 \xE2\x82\xAC", "59.99", "EUR"),
	OK("-20% $79.99", "79.99", "USD"),
	OK("$10 off $50", "50", "USD"),
	/* a code next to "$" says which dollar (or peso) */
	OK("NZD $100.70", "100.70", "NZD"),
	OK("$1,190.00 AUD", "1190.00", "AUD"),
	OK("AU $59.95", "59.95", "AUD"),
	OK("$ MXN 250", "250", "MXN"),
	OK("1 $U", "1", "UYU"),
	OK("$U 250", "250", "UYU"),
	OK("E\xC2\xA3" "150", "150", "EGP"),
	OK("150 E\xC2\xA3", "150", "EGP"),
	OK("$5 USD", "5", "USD"),
	OK("5 $ AUD", "5", "AUD"),
	/* signs and abbreviations of markets */
	OK("500 \xD0\xA0", "500", "RUB"),	/* Cyrillic Er */
	OK("500 \xD1\x80.", "500", "RUB"),	/* р. */
	OK("500 \xD1\x80\xD1\x83\xD0\xB1", "500", "RUB"),	/* руб */
	OK("500 \xD1\x80\xD1\x83\xD0\xB1.", "500", "RUB"),	/* руб. */
	OK("\xD1\x80\xD1\x83\xD0\xB1.500", "500", "RUB"),	/* not ".500" */
	OK("49,90 TL", "49.90", "TRY"),
	OK("TL 49,90", "49.90", "TRY"),
	OK("1,000 \xE2\x82\xA9", "1000", "KRW"),
	OK("\xE2\x82\xA9" "1,000", "1000", "KRW"),
	OK("10.000\xEC\x9B\x90", "10000", "KRW"),	/* 원 */
	OK("RM 59.90", "59.90", "MYR"),
	OK("RM59.90", "59.90", "MYR"),
	OK("200.000 \xC4\x91", "200000", "VND"),	/* đ */
	OK("200.000\xE2\x82\xAB", "200000", "VND"),	/* ₫ */
	OK("200.000 \xC4\x91\xE1\xBB\x93ng", "200000", "VND"),	/* đồng */
	OK("200.000 VN\xC4\x90", "200000", "VND"),	/* VNĐ */
	OK("Rs. 1,299", "1299", "INR"),
	OK("Rs 499", "499", "INR"),
	OK("Rs.499", "499", "INR"),
	OK("Fr. 12.50", "12.50", "CHF"),
	OK("\xC2\xA5" "1.500", "1500", "JPY"),
	/* short abbreviations only as tokens, and only next to the number */
	OK("FROM 5", "5", ""),
	OK("Free from 5", "5", ""),
	OK("TL brand, 25", "25", ""),
	OK("\xD0\xA0\xD0\xBE\xD1\x81\xD1\x81\xD0\xB8\xD1\x8F 500", "500", ""),	/* Россия */
	OK("Fries 5", "5", ""),
	/* refused */
	NO(""),
	NO("abc"),
	NO("$"),
	NO("Freedom"),
	NO("Price on request"),
	NO("\xE2\x82"),			/* a truncated sign */
	NO("-5"),
	NO("-$5"),
	NO("$-5"),
	NO("USD -5"),
	NO("\xE2\x88\x92" "5 \xE2\x82\xAC"),	/* U+2212 */
	NO("1e5"),
	NO("1.5E+3"),
	NO("1.2.3"),
	NO("1,2.3,4"),
	NO("1299 000"),
	NO("1234567890123456789012345678901"),	/* 31 digits */
	NO("0.1234567890123456789012345678901"),	/* 31 decimals */
};

static const AvailCase avail_cases[] = {
	{T("http://schema.org/InStock"), "InStock"},
	{T("https://schema.org/InStock"), "InStock"},
	{T("HTTPS://SCHEMA.ORG/INSTOCK"), "InStock"},
	{T("schema:InStock"), "InStock"},
	{T("InStock"), "InStock"},
	{T("instock"), "InStock"},
	{T("in stock"), "InStock"},
	{T("In Stock!"), "InStock"},
	{T("in\0stock"), "InStock"},
	{T("12 in stock"), "InStock"},
	{T("available"), "InStock"},
	{T("Auf Lager"), "InStock"},
	{T("https://schema.org/OutOfStock"), "OutOfStock"},
	{T("out of stock"), "OutOfStock"},
	{T("out_of_stock"), "OutOfStock"},
	{T("unavailable"), "OutOfStock"},
	{T("Not available"), "OutOfStock"},
	{T("Nicht auf Lager"), "OutOfStock"},
	{T("0 in stock"), "OutOfStock"},
	{T("sold out"), "SoldOut"},
	{T("\xC3\xA9puis\xC3\xA9"), "SoldOut"},
	{T("Almost sold out"), "LimitedAvailability"},
	{T("Only 3 left in stock"), "LimitedAvailability"},
	{T("https://schema.org/LimitedAvailability"), "LimitedAvailability"},
	{T("preorder"), "PreOrder"},
	{T("pre-order"), "PreOrder"},
	{T("schema:PreOrder"), "PreOrder"},
	{T("backorder"), "BackOrder"},
	{T("http://schema.org/BackOrder"), "BackOrder"},
	{T("Discontinued"), "Discontinued"},
	{T("http://schema.org/InStoreOnly"), "InStoreOnly"},
	{T("OnlineOnly"), "OnlineOnly"},
	{T("PreSale"), "PreSale"},
	{T("SoldOut"), "SoldOut"},
	{T("Reserved"), "Reserved"},
	{T("MadeToOrder"), "MadeToOrder"},
	/* a negated in-stock phrase is out of stock */
	{T("Produit non disponible"), "OutOfStock"},
	{T("nicht vorr\xC3\xA4tig"), "OutOfStock"},
	{T("nicht verf\xC3\xBC" "gbar"), "OutOfStock"},
	{T("hors stock"), "OutOfStock"},
	{T("niet op voorraad"), "OutOfStock"},
	{T("brak w magazynie"), "OutOfStock"},
	{T("\xD0\xBD\xD0\xB5\xD1\x82 \xD0\xB2 \xD0\xBD\xD0\xB0\xD0\xBB\xD0\xB8\xD1\x87\xD0\xB8\xD0\xB8"), "OutOfStock"},	/* нет в наличии */
	{T("\xD0\x9D\xD0\xB5\xD1\x82 \xD0\xB2 \xD0\xBD\xD0\xB0\xD0\xBB\xD0\xB8\xD1\x87\xD0\xB8\xD0\xB8"), "OutOfStock"},	/* Нет в наличии */
	{T("not available"), "OutOfStock"},
	{T("currently unavailable"), "OutOfStock"},
	{T("Nicht mehr verf\xC3\xBC" "gbar"), "OutOfStock"},
	{T("pas disponible"), "OutOfStock"},
	{T("not currently in stock"), "OutOfStock"},
	{T("Kein Lieferbar"), "OutOfStock"},
	{T("Sin stock"), "OutOfStock"},	/* not "in stock" inside "sin" */
	{T("\xD0\x9D\xD0\xB5\xD1\x82 \xD0\xBD\xD0\xB0 \xD1\x81\xD0\xBA\xD0\xBB\xD0\xB0\xD0\xB4\xD0\xB5"), "OutOfStock"},	/* Нет на складе */
	{T("nie ma w magazynie"), "OutOfStock"},
	{T("agotado"), "SoldOut"},	/* "sold out", like "ausverkauft" */
	{T("esaurito"), "SoldOut"},
	{T("op voorraad"), "InStock"},
	{T("\xD0\xB2 \xD0\xBD\xD0\xB0\xD0\xBB\xD0\xB8\xD1\x87\xD0\xB8\xD0\xB8"), "InStock"},	/* в наличии */
	{T("disponible"), "InStock"},
	{T("Casino in stock"), "InStock"},	/* "no" inside a word */
	{T("No. 1 in stock"), "InStock"},	/* not next to the phrase */
	{T("\xC3\x89PUIS\xC3\x89"), "SoldOut"},	/* ÉPUISÉ */
	{T(""), NULL},
	{T("maybe"), NULL},
	{T("Check availability"), NULL},
	{T("\xFF\xFE"), NULL},
	{T("https://schema.org/"), NULL},
};

static int
CheckPrice(const PriceCase *c, int i)
{
	PriceParsed out;
	bool		ok = PriceParse(c->text, c->len, &out);

	if (ok == c->ok && (!ok || (strcmp(out.amount, c->amount) == 0 &&
								strcmp(out.currency, c->currency) == 0 &&
								out.is_free == c->is_free)))
		return 0;
	printf("FAIL price case %d \"%.*s\": expected %s \"%s\" \"%s\"%s, got %s \"%s\" \"%s\"%s\n",
		   i, (int) c->len, c->text,
		   c->ok ? "ok" : "false", c->amount, c->currency, c->is_free ? " free" : "",
		   ok ? "ok" : "false", out.amount, out.currency, out.is_free ? " free" : "");
	return 1;
}

int
main(void)
{
	int			failed = 0;
	int			n = 0;
	size_t		i;

	for (i = 0; i < sizeof(price_cases) / sizeof(price_cases[0]); i++, n++)
		failed += CheckPrice(&price_cases[i], (int) i);

	/* never reads past len: a digit just past the end is not seen */
	{
		PriceCase	c = {"\xE2\x82\xAC" "5", 3, false, "", "", false};

		failed += CheckPrice(&c, -1);
		n++;
	}

	for (i = 0; i < sizeof(avail_cases) / sizeof(avail_cases[0]); i++, n++)
	{
		const AvailCase *c = &avail_cases[i];
		const char *got = AvailabilityNormalize(c->text, c->len);

		if ((got == NULL) != (c->term == NULL) ||
			(got != NULL && strcmp(got, c->term) != 0))
		{
			printf("FAIL availability case %zu \"%.*s\": expected %s, got %s\n",
				   i, (int) c->len, c->text,
				   c->term ? c->term : "NULL", got ? got : "NULL");
			failed++;
		}
	}

	printf("%d of %d pricecore cases passed\n", n - failed, n);
	return failed > 0 ? 1 : 0;
}
