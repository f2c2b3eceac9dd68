/*-------------------------------------------------------------------------
 * pricecore.h
 *	  Prices and availability as web pages write them, read without
 *	  PostgreSQL's memory or error machinery (the fuzzer and the unit test
 *	  link it alone).
 *-------------------------------------------------------------------------
 */
#ifndef SCRAPE_PRICECORE_H
#define SCRAPE_PRICECORE_H

#include <stdbool.h>
#include <stddef.h>

/* Digits accepted before and after the decimal point; more is refused. */
#define PRICE_MAX_INT_DIGITS 30
#define PRICE_MAX_FRAC_DIGITS 30

typedef struct PriceParsed
{
	/* normalised decimal: digits, optional '.', digits ("1299.00", "0") */
	char		amount[64];
	/* ISO 4217 code in upper case, or "" when the text names none */
	char		currency[4];
	/* the text said "free" (and had no digits): amount is "0" */
	bool		is_free;
} PriceParsed;

extern bool PriceParse(const char *text, size_t len, PriceParsed *out);
extern const char *AvailabilityNormalize(const char *text, size_t len);

#endif							/* SCRAPE_PRICECORE_H */
