/*
 * libFuzzer harness for the price and availability parser
 * (src/pricecore.c), which reads text from hostile pages.
 *
 * Besides "does not crash or trip a sanitizer" (libFuzzer's input buffer
 * is exactly len bytes, so AddressSanitizer catches any read past it), it
 * checks: a parsed amount is digits with at most one '.', digits on both
 * sides of it; the currency is "" or three upper-case letters; a free price
 * is "0"; a refused text leaves the result cleared; an amount parses again
 * to itself; availability is NULL or one of schema.org's terms.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "pricecore.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
CheckAmount(const char *amount)
{
	size_t		len = strnlen(amount, sizeof(((PriceParsed *) 0)->amount));
	const char *point = strchr(amount, '.');
	size_t		i;

	assert(len > 0 && len < sizeof(((PriceParsed *) 0)->amount));
	for (i = 0; i < len; i++)
		assert((amount[i] >= '0' && amount[i] <= '9') ||
			   (amount[i] == '.' && amount + i == point));
	if (point != NULL)
		assert(point > amount && point[1] != '\0');
}

static void
CheckCurrency(const char *currency)
{
	size_t		len = strnlen(currency, sizeof(((PriceParsed *) 0)->currency));
	size_t		i;

	assert(len == 0 || len == 3);
	for (i = 0; i < len; i++)
		assert(currency[i] >= 'A' && currency[i] <= 'Z');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const terms[] = {
		"InStock", "OutOfStock", "PreOrder", "BackOrder", "Discontinued",
		"InStoreOnly", "LimitedAvailability", "OnlineOnly", "PreSale",
		"SoldOut", "Reserved", "MadeToOrder"
	};
	PriceParsed out;
	const char *term;

	if (PriceParse((const char *) data, size, &out))
	{
		PriceParsed again;

		CheckAmount(out.amount);
		CheckCurrency(out.currency);
		if (out.is_free)
			assert(strcmp(out.amount, "0") == 0);

		/* the normalised amount reads back as itself */
		assert(PriceParse(out.amount, strlen(out.amount), &again));
		assert(strcmp(again.amount, out.amount) == 0);
		assert(again.currency[0] == '\0' && !again.is_free);
	}
	else
		assert(out.amount[0] == '\0' && out.currency[0] == '\0' && !out.is_free);

	term = AvailabilityNormalize((const char *) data, size);
	if (term != NULL)
	{
		size_t		i;
		int			found = 0;

		for (i = 0; i < sizeof(terms) / sizeof(terms[0]); i++)
			found |= strcmp(term, terms[i]) == 0;
		assert(found);
	}
	return 0;
}
