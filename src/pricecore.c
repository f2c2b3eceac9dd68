/*-------------------------------------------------------------------------
 * pricecore.c
 *	  Reading a price ("$1,299.00", "1.299,00 €", "CHF 1'299.90", "Free")
 *	  and an availability ("https://schema.org/InStock", "Sold out!") the
 *	  way web pages write them.
 *
 * The text comes from hostile pages: it is read as bytes and never past
 * len; NUL bytes and invalid UTF-8 are bytes that match nothing.  No
 * allocation, no recursion, work linear in len (times the small tables).
 *
 * The price is the first number of the text (so "10 - 20" is 10):
 *	 - digits are ASCII ones; ".5" is 0.5;
 *	 - a number with an exponent ("1e5", "1.5E+3") is refused: prices are
 *	   not written so, and reading "1" of it would be wrong;
 *	 - a negative number is refused: a minus sign ('-' or U+2212, not right
 *	   after a letter or digit) directly before the digits, or before a
 *	   currency sign before them ("-5", "-$5", "$-5", "-€ 5");
 *	 - separators between digit groups are '.', ',', apostrophes (' and
 *	   U+2019) and spaces (plain, no-break U+00A0, narrow no-break U+202F,
 *	   thin U+2009, figure U+2007); an apostrophe or space only when exactly
 *	   three digits follow it (else "10 20" would be 1020);
 *	 - the decimal separator is the last separator if it is a '.' or ','
 *	   that occurs once; the others group thousands: all of one kind, the
 *	   first group 1-3 digits without a leading zero, the last group three
 *	   digits and the ones between two or three (Indian: "1,20,000");
 *	 - the ambiguous cases.  A single ',' followed by exactly three digits
 *	   groups thousands ("1,299" is 1299) when that is valid grouping
 *	   ("0,299" and "1299,000" stay decimals; "1,5" and "1,2345" are).  A
 *	   single '.' is a decimal point, whatever follows ("1.299" is 1.299):
 *	   structured data, schema.org's price above all, writes decimals that
 *	   way and never groups; except in a currency whose prices have no
 *	   minor unit (yen, won, rupiah, forint...: "¥1.200" is 1200), where
 *	   three decimals cannot be meant;
 *	 - ",-" (or ".-", or a dash) after the number says it is whole
 *	   ("1.299,-" is 1299);
 *	 - a number that breaks these rules ("1.2.3", "1,2.3,4", "1299 000")
 *	   is refused rather than guessed at;
 *	 - at most PRICE_MAX_INT_DIGITS digits before the decimal separator
 *	   (leading zeros count: forty digits are no price) and
 *	   PRICE_MAX_FRAC_DIGITS after it; the fraction is kept as written
 *	   ("1299.00"), the integer part loses its leading zeros.
 *
 * The currency is the sign or code next to the number (nothing but spaces
 * and punctuation between them), the one before it first ("GBP£9.99",
 * "USD 45", "45 USD", "1.299,00 €"); failing that, the first one after the
 * number ("10 - 20 €"), then the last one before it.  ISO 4217 codes count
 * in upper case only ("all", "top" and "try" are words) and as whole
 * words.  "$" alone is USD; "US$", "C$", "A$", "R$"... name their dollar
 * (or real); a "$" right after other letters is a dollar we cannot tell,
 * and so no currency, as is "kr" (Swedish, Norwegian, Danish or Icelandic
 * crown).
 *
 * "Free", "gratis", "kostenlos"... (whole words) make a free price, amount
 * "0", but only in a text without digits: "Free shipping, $5" costs 5.
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "pricecore.h"

_Static_assert(PRICE_MAX_INT_DIGITS + 1 + PRICE_MAX_FRAC_DIGITS <
			   sizeof(((PriceParsed *) 0)->amount),
			   "PriceParsed.amount cannot hold the longest amount");

/* Digit groups of one number: each separator precedes at least one digit. */
#define PRICE_MAX_GROUPS (PRICE_MAX_INT_DIGITS + 1)

/* Bytes of an availability text that are compared (letters only). */
#define AVAIL_MAX_FOLDED 128

/* Locale-independent, and safe for bytes above 0x7F. */
static inline bool
IsDigit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static inline bool
IsUpper(unsigned char c)
{
	return c >= 'A' && c <= 'Z';
}

static inline bool
IsLetter(unsigned char c)
{
	return IsUpper(c) || (c >= 'a' && c <= 'z');
}

static inline unsigned char
Lower(unsigned char c)
{
	return IsUpper(c) ? (unsigned char) (c + ('a' - 'A')) : c;
}

/*
 * Does s[i..len) start with word?  ASCII letters compared in any case when
 * nocase.  i may be len.
 */
static bool
HasAt(const unsigned char *s, size_t len, size_t i, const char *word,
	  bool nocase)
{
	size_t		n = strlen(word);
	size_t		k;

	if (i > len || n > len - i)
		return false;
	for (k = 0; k < n; k++)
	{
		unsigned char a = s[i + k];
		unsigned char b = (unsigned char) word[k];

		if (nocase ? Lower(a) != Lower(b) : a != b)
			return false;
	}
	return true;
}

/* Is s[i, i + n) a whole word, not touching an ASCII letter? */
static bool
StandsAlone(const unsigned char *s, size_t len, size_t i, size_t n)
{
	return (i == 0 || !IsLetter(s[i - 1])) &&
		(i + n >= len || !IsLetter(s[i + n]));
}

/* Length of the white space at s[i] that may group digits, or 0. */
static size_t
SpaceAt(const unsigned char *s, size_t len, size_t i)
{
	if (i < len && s[i] == ' ')
		return 1;
	if (HasAt(s, len, i, "\xC2\xA0", false))	/* no-break space */
		return 2;
	if (HasAt(s, len, i, "\xE2\x80\xAF", false) ||	/* narrow no-break */
		HasAt(s, len, i, "\xE2\x80\x89", false) ||	/* thin space */
		HasAt(s, len, i, "\xE2\x80\x87", false))	/* figure space */
		return 3;
	return 0;
}

/* ISO 4217 codes in circulation (funds and metals too; not XTS, XXX). */
static const char *const iso_codes[] = {
	"AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN",
	"BAM", "BBD", "BDT", "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BOV",
	"BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHE", "CHF",
	"CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUC", "CUP", "CVE",
	"CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD",
	"FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD",
	"HNL", "HRK", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK",
	"JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD",
	"KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL",
	"MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN",
	"MXV", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR",
	"PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD",
	"RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE",
	"SLL", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS",
	"TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD",
	"USN", "UYI", "UYU", "UYW", "UZS", "VED", "VES", "VND", "VUV", "WST",
	"XAF", "XAG", "XAU", "XCD", "XDR", "XOF", "XPF", "XSU", "XUA", "YER",
	"ZAR", "ZMW", "ZWL"
};

/*
 * Currencies whose prices are written without a minor unit: ISO 4217's
 * zero-decimal ones, and the rupiah and forint, whose minor units no shop
 * shows.  A '.' before three digits groups thousands in them.
 */
static const char *const whole_currencies[] = {
	"BIF", "CLP", "DJF", "GNF", "HUF", "IDR", "ISK", "JPY", "KMF", "KRW",
	"PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"
};

typedef struct CurrencySign
{
	const char *text;			/* as written, UTF-8 */
	const char *code;
	bool		word;			/* must not touch an ASCII letter */
	bool		nocase;			/* its ASCII letters in any case */
} CurrencySign;

/* Signs and local names; the longest match at a position wins. */
static const CurrencySign currency_signs[] = {
	{"$", "USD", false, false},
	{"US$", "USD", true, false},
	{"C$", "CAD", true, false},
	{"CA$", "CAD", true, false},
	{"A$", "AUD", true, false},
	{"AU$", "AUD", true, false},
	{"NZ$", "NZD", true, false},
	{"HK$", "HKD", true, false},
	{"S$", "SGD", true, false},
	{"SG$", "SGD", true, false},
	{"MX$", "MXN", true, false},
	{"NT$", "TWD", true, false},
	{"RD$", "DOP", true, false},
	{"R$", "BRL", true, false},
	{"\xE2\x82\xAC", "EUR", false, false},	/* € */
	{"euro", "EUR", true, true},
	{"euros", "EUR", true, true},
	{"eur", "EUR", true, true},
	{"\xC2\xA3", "GBP", false, false},	/* £ */
	{"\xC2\xA5", "JPY", false, false},	/* ¥ */
	{"\xEF\xBF\xA5", "JPY", false, false},	/* fullwidth ¥ */
	{"JP\xC2\xA5", "JPY", true, false},
	{"\xE5\x86\x86", "JPY", false, false},	/* 円 */
	{"CN\xC2\xA5", "CNY", true, false},
	{"\xE5\x85\x83", "CNY", false, false},	/* 元 */
	{"RMB", "CNY", true, false},
	{"\xE2\x82\xB9", "INR", false, false},	/* ₹ */
	{"\xE2\x82\xBD", "RUB", false, false},	/* ₽ */
	{"\xD1\x80\xD1\x83\xD0\xB1", "RUB", true, false},	/* руб */
	{"\xE2\x82\xA9", "KRW", false, false},	/* ₩ */
	{"\xE2\x82\xBA", "TRY", false, false},	/* ₺ */
	{"\xE2\x82\xB4", "UAH", false, false},	/* ₴ */
	{"\xD0\xB3\xD1\x80\xD0\xBD", "UAH", true, false},	/* грн */
	{"\xE2\x82\xAA", "ILS", false, false},	/* ₪ */
	{"\xE2\x82\xAB", "VND", false, false},	/* ₫ */
	{"\xE0\xB8\xBF", "THB", false, false},	/* ฿ */
	{"\xE2\x82\xB1", "PHP", false, false},	/* ₱ */
	{"\xE2\x82\xA6", "NGN", false, false},	/* ₦ */
	{"\xE2\x82\xB8", "KZT", false, false},	/* ₸ */
	{"\xE2\x82\xBC", "AZN", false, false},	/* ₼ */
	{"\xE2\x82\xBE", "GEL", false, false},	/* ₾ */
	{"\xE2\x82\xA1", "CRC", false, false},	/* ₡ */
	{"\xE2\x82\xB2", "PYG", false, false},	/* ₲ */
	{"z\xC5\x82", "PLN", true, true},	/* zł */
	{"Z\xC5\x81", "PLN", true, false},	/* ZŁ */
	{"K\xC4\x8D", "CZK", true, true},	/* Kč */
	{"K\xC4\x8C", "CZK", true, false},	/* KČ */
	{"Ft", "HUF", true, false},
	{"lei", "RON", true, true},
	{"\xD0\xBB\xD0\xB2", "BGN", true, false},	/* лв */
	{"Rp", "IDR", true, false},
};

/*
 * The currency named at s[i]: returns the length of its sign or code (0 if
 * there is none) and sets *code (to "" for a dollar we cannot tell).
 */
static size_t
CurrencyAt(const unsigned char *s, size_t len, size_t i, const char **code)
{
	size_t		best = 0;
	size_t		k;

	if (i + 3 <= len && IsUpper(s[i]) && IsUpper(s[i + 1]) &&
		IsUpper(s[i + 2]) && StandsAlone(s, len, i, 3))
	{
		for (k = 0; k < sizeof(iso_codes) / sizeof(iso_codes[0]); k++)
			if (memcmp(iso_codes[k], s + i, 3) == 0)
			{
				*code = iso_codes[k];
				return 3;
			}
	}
	for (k = 0; k < sizeof(currency_signs) / sizeof(currency_signs[0]); k++)
	{
		const CurrencySign *sign = &currency_signs[k];
		size_t		n = strlen(sign->text);

		if (n > best && HasAt(s, len, i, sign->text, sign->nocase) &&
			(!sign->word || StandsAlone(s, len, i, n)))
		{
			best = n;
			*code = sign->code;
		}
	}
	/* "Z$", "Preis$": some dollar, but not one we know */
	if (best == 1 && s[i] == '$' && i > 0 && IsLetter(s[i - 1]))
		*code = "";
	return best;
}

static bool
IsWholeCurrency(const char *code)
{
	size_t		k;

	for (k = 0; k < sizeof(whole_currencies) / sizeof(whole_currencies[0]); k++)
		if (strcmp(whole_currencies[k], code) == 0)
			return true;
	return false;
}

/* Is there no ASCII letter or digit in s[from, to)? */
static bool
OnlyPunctuation(const unsigned char *s, size_t from, size_t to)
{
	for (; from < to; from++)
		if (IsLetter(s[from]) || IsDigit(s[from]))
			return false;
	return true;
}

/* Is s[i] a minus sign ('-' or U+2212)?  Its length, or 0. */
static size_t
MinusAt(const unsigned char *s, size_t len, size_t i)
{
	if (i > 0 && (IsLetter(s[i - 1]) || IsDigit(s[i - 1])))
		return 0;				/* a hyphen: "A-5" */
	if (s[i] == '-')
		return 1;
	return HasAt(s, len, i, "\xE2\x88\x92", false) ? 3 : 0;
}

/*
 * The currency of the number at s[start, end), per the rules in the file
 * header, or "" for none; *negative is set when a minus sign belongs to
 * the number.
 */
static const char *
FindCurrency(const unsigned char *s, size_t len, size_t start, size_t end,
			 bool *negative)
{
	const char *before = NULL;
	size_t		before_end = 0;
	const char *after = NULL;
	int			minus = 0;		/* 1: just after '-'; 2: then a sign */
	size_t		i = 0;

	while (i < start)
	{
		const char *code = NULL;
		size_t		n = CurrencyAt(s, len, i, &code);

		if (n > 0)
		{
			/* a sign right after another restates it: "GBP£", "USD$" */
			if (before != NULL && before_end == i)
				before_end = i + n;
			else if (code[0] != '\0')
			{
				before = code;
				before_end = i + n;
			}
			if (minus > 0)
				minus = 2;
		}
		else if ((n = MinusAt(s, len, i)) > 0)
			minus = 1;
		else if ((n = SpaceAt(s, len, i)) > 0)
		{
			/* "- 5" is a dash, "-$ 5" a negative price */
			if (minus == 1)
				minus = 0;
		}
		else
		{
			minus = 0;
			n = 1;
		}
		i += n;
	}
	*negative = minus > 0;

	for (i = end; i < len && after == NULL;)
	{
		const char *code = NULL;
		size_t		n = CurrencyAt(s, len, i, &code);

		if (n > 0 && code[0] != '\0')
			after = code;
		i += (n > 0) ? n : 1;
	}

	if (before != NULL && OnlyPunctuation(s, before_end, start))
		return before;
	if (after != NULL)
		return after;
	return before != NULL ? before : "";
}

typedef enum SepKind
{
	SEP_DOT,
	SEP_COMMA,
	SEP_SPACE,
	SEP_APOSTROPHE
} SepKind;

/* A number as written: digit groups and the separators between them. */
typedef struct Number
{
	size_t		start;			/* of the number (its '.' for ".5") */
	size_t		end;
	bool		leading_point;	/* ".5" */
	bool		whole;			/* "1.299,-" */
	int			ngroups;
	size_t		group[PRICE_MAX_GROUPS];	/* where each digit run starts */
	size_t		glen[PRICE_MAX_GROUPS];
	SepKind		sep[PRICE_MAX_GROUPS];	/* sep[g] precedes group g >= 1 */
} Number;

static size_t
DigitsAt(const unsigned char *s, size_t len, size_t i)
{
	size_t		n = 0;

	while (i + n < len && IsDigit(s[i + n]))
		n++;
	return n;
}

/* A separator between digit groups at s[i]: its length, or 0. */
static size_t
SeparatorAt(const unsigned char *s, size_t len, size_t i, SepKind *kind)
{
	size_t		n;

	if (i >= len)
		return 0;
	switch (s[i])
	{
		case '.':
			*kind = SEP_DOT;
			return 1;
		case ',':
			*kind = SEP_COMMA;
			return 1;
		case '\'':
			*kind = SEP_APOSTROPHE;
			return 1;
		default:
			break;
	}
	if (HasAt(s, len, i, "\xE2\x80\x99", false))	/* ’ */
	{
		*kind = SEP_APOSTROPHE;
		return 3;
	}
	if ((n = SpaceAt(s, len, i)) > 0)
		*kind = SEP_SPACE;
	return n;
}

/*
 * Read the digit groups of the number whose first digit is s[first].
 * False when it has more groups than any acceptable number.
 */
static bool
ReadNumber(const unsigned char *s, size_t len, size_t first, Number *num)
{
	size_t		i = first;

	memset(num, 0, sizeof(*num));
	num->start = first;
	num->leading_point = first > 0 && s[first - 1] == '.' &&
		(first == 1 || !IsLetter(s[first - 2]));
	if (num->leading_point)
		num->start = first - 1;
	for (;;)
	{
		size_t		n = DigitsAt(s, len, i);
		size_t		seplen;
		SepKind		kind = SEP_DOT;

		num->group[num->ngroups] = i;
		num->glen[num->ngroups] = n;
		num->ngroups++;
		i += n;
		if (num->leading_point)
			break;
		seplen = SeparatorAt(s, len, i, &kind);
		if (seplen == 0 || i + seplen >= len || !IsDigit(s[i + seplen]))
			break;
		/* white space or an apostrophe only before a group of three */
		if ((kind == SEP_SPACE || kind == SEP_APOSTROPHE) &&
			DigitsAt(s, len, i + seplen) != 3)
			break;
		if (num->ngroups == PRICE_MAX_GROUPS)
			return false;
		num->sep[num->ngroups] = kind;
		i += seplen;
	}
	num->end = i;
	if (i < len && (s[i] == ',' || s[i] == '.') &&
		(HasAt(s, len, i + 1, "-", false) ||
		 HasAt(s, len, i + 1, "\xE2\x80\x93", false) ||	/* – */
		 HasAt(s, len, i + 1, "\xE2\x80\x94", false)))	/* — */
		num->whole = true;
	return true;
}

/* Are groups [0, n) (n >= 2) thousands grouping, per the file header? */
static bool
GroupingValid(const unsigned char *s, const Number *num, int n)
{
	int			g;

	if (num->glen[0] < 1 || num->glen[0] > 3 || s[num->group[0]] == '0')
		return false;
	for (g = 1; g < n; g++)
	{
		if (num->sep[g] != num->sep[1])
			return false;
		if (g == n - 1 ? num->glen[g] != 3 :
			(num->glen[g] < 2 || num->glen[g] > 3))
			return false;
	}
	return true;
}

/* Is s[i] the start of an exponent ("e5", "E+3", "e-2")? */
static bool
ExponentAt(const unsigned char *s, size_t len, size_t i)
{
	if (i >= len || (s[i] != 'e' && s[i] != 'E'))
		return false;
	i++;
	if (i < len && (s[i] == '+' || s[i] == '-'))
		i++;
	return i < len && IsDigit(s[i]);
}

/*
 * Write the number as a normalised decimal into amount (of size
 * sizeof(PriceParsed.amount)); false when it is not an acceptable number.
 */
static bool
FormatNumber(const unsigned char *s, const Number *num, bool whole_currency,
			 char *amount)
{
	int			ndot = 0;
	int			ncomma = 0;
	int			fraction = -1;	/* index of the fraction's group */
	int			nint;
	size_t		intdigits = 0;
	bool		significant = false;
	char	   *o = amount;
	int			g;

	for (g = 1; g < num->ngroups; g++)
	{
		if (num->sep[g] == SEP_DOT)
			ndot++;
		else if (num->sep[g] == SEP_COMMA)
			ncomma++;
	}

	if (num->leading_point)
		fraction = 0;
	else if (num->ngroups > 1 && !num->whole)
	{
		int			last = num->ngroups - 1;
		SepKind		kind = num->sep[last];

		if ((kind == SEP_DOT && ndot == 1) || (kind == SEP_COMMA && ncomma == 1))
		{
			bool		thousands = ndot + ncomma == 1 &&
				num->glen[last] == 3 &&
				(kind == SEP_COMMA || whole_currency) &&
				GroupingValid(s, num, num->ngroups);

			if (!thousands)
				fraction = last;
		}
	}
	nint = fraction >= 0 ? fraction : num->ngroups;
	if (nint > 1 && !GroupingValid(s, num, nint))
		return false;

	for (g = 0; g < nint; g++)
		intdigits += num->glen[g];
	if (intdigits > PRICE_MAX_INT_DIGITS)
		return false;
	if (fraction >= 0 && num->glen[fraction] > PRICE_MAX_FRAC_DIGITS)
		return false;

	for (g = 0; g < nint; g++)
	{
		size_t		k;

		for (k = 0; k < num->glen[g]; k++)
		{
			unsigned char c = s[num->group[g] + k];

			if (c == '0' && !significant)
				continue;
			significant = true;
			*o++ = (char) c;
		}
	}
	if (!significant)
		*o++ = '0';
	if (fraction >= 0)
	{
		*o++ = '.';
		memcpy(o, s + num->group[fraction], num->glen[fraction]);
		o += num->glen[fraction];
	}
	*o = '\0';
	return true;
}

/* Words that make a text without digits a free price (lower case). */
static const char *const free_words[] = {
	"free", "gratis", "kostenlos", "umsonst", "gratuit", "gratuite",
	"gratuito", "gratuita", "darmo", "darmowy", "darmowa", "darmowe",
	"bezp\xC5\x82" "atny", "bezp\xC5\x82" "atnie", "bezp\xC5\x82" "atne",
	"\xC3\xBC" "cretsiz",		/* ücretsiz */
	"\xD0\xB1\xD0\xB5\xD1\x81\xD0\xBF\xD0\xBB\xD0\xB0\xD1\x82\xD0\xBD\xD0\xBE",	/* бесплатно */
	"\xE5\x85\x8D\xE8\xB4\xB9",	/* 免费 */
	"\xE7\x84\xA1\xE6\x96\x99"	/* 無料 */
};

static bool
SaysFree(const unsigned char *s, size_t len)
{
	size_t		i;
	size_t		k;

	for (i = 0; i < len; i++)
		for (k = 0; k < sizeof(free_words) / sizeof(free_words[0]); k++)
			if (HasAt(s, len, i, free_words[k], true) &&
				StandsAlone(s, len, i, strlen(free_words[k])))
				return true;
	return false;
}

/*
 * Parse a price as a web page writes it (rules in the file header).
 * Returns false, with *out cleared, when no amount can be read.
 */
bool
PriceParse(const char *text, size_t len, PriceParsed *out)
{
	const unsigned char *s = (const unsigned char *) text;
	Number		num;
	const char *currency;
	bool		negative = false;
	size_t		first;

	memset(out, 0, sizeof(*out));
	if (text == NULL)
		return false;

	for (first = 0; first < len && !IsDigit(s[first]); first++)
		;
	if (first == len)
	{
		if (!SaysFree(s, len))
			return false;
		out->is_free = true;
		strcpy(out->amount, "0");
		currency = FindCurrency(s, len, len, len, &negative);
		memcpy(out->currency, currency, strlen(currency) + 1);
		return true;
	}

	if (!ReadNumber(s, len, first, &num) || ExponentAt(s, len, num.end))
		return false;
	currency = FindCurrency(s, len, num.start, num.end, &negative);
	if (negative ||
		!FormatNumber(s, &num, currency[0] != '\0' && IsWholeCurrency(currency),
					  out->amount))
	{
		memset(out, 0, sizeof(*out));
		return false;
	}
	memcpy(out->currency, currency, strlen(currency) + 1);
	return true;
}

/* schema.org's ItemAvailability terms. */
static const char *const avail_terms[] = {
	"InStock", "OutOfStock", "PreOrder", "BackOrder", "Discontinued",
	"InStoreOnly", "LimitedAvailability", "OnlineOnly", "PreSale", "SoldOut",
	"Reserved", "MadeToOrder"
};

typedef struct AvailPhrase
{
	const char *phrase;			/* letters only, lower case ASCII */
	const char *term;
} AvailPhrase;

/*
 * Phrases a text may contain, tried in this order: a phrase that contains
 * another comes before it ("unavailable" before "available", "almost sold
 * out" before "sold out", "not in stock" before "in stock").
 */
static const AvailPhrase avail_phrases[] = {
	{"almostsoldout", "LimitedAvailability"},
	{"nearlysoldout", "LimitedAvailability"},
	{"discontinued", "Discontinued"},
	{"nolongeravailable", "Discontinued"},
	{"soldout", "SoldOut"},
	{"ausverkauft", "SoldOut"},
	{"vergriffen", "SoldOut"},
	{"agotado", "SoldOut"},
	{"esaurito", "SoldOut"},
	{"\xC3\xA9puis\xC3\xA9", "SoldOut"},	/* épuisé */
	{"outofstock", "OutOfStock"},
	{"notinstock", "OutOfStock"},
	{"nostock", "OutOfStock"},
	{"unavailable", "OutOfStock"},
	{"notavailable", "OutOfStock"},
	{"availablesoon", "OutOfStock"},
	{"comingsoon", "OutOfStock"},
	{"nichtverf\xC3\xBCgbar", "OutOfStock"},	/* nicht verfügbar */
	{"nichtlieferbar", "OutOfStock"},
	{"nichtauflager", "OutOfStock"},
	{"indisponible", "OutOfStock"},
	{"nodisponible", "OutOfStock"},
	{"nondisponibile", "OutOfStock"},
	{"rupturedestock", "OutOfStock"},
	{"niedost\xC4\x99pn", "OutOfStock"},	/* niedostępny, -e, -a */
	{"brakwmagazynie", "OutOfStock"},
	{"preorder", "PreOrder"},
	{"vorbestell", "PreOrder"},
	{"pr\xC3\xA9" "commande", "PreOrder"},	/* précommande */
	{"precommande", "PreOrder"},
	{"presale", "PreSale"},
	{"vorverkauf", "PreSale"},
	{"backorder", "BackOrder"},
	{"madetoorder", "MadeToOrder"},
	{"builttoorder", "MadeToOrder"},
	{"instoreonly", "InStoreOnly"},
	{"onlyinstore", "InStoreOnly"},
	{"onlineonly", "OnlineOnly"},
	{"onlyonline", "OnlineOnly"},
	{"limitedavailability", "LimitedAvailability"},
	{"limitedstock", "LimitedAvailability"},
	{"lowstock", "LimitedAvailability"},
	{"fewleft", "LimitedAvailability"},
	{"onlyleft", "LimitedAvailability"},	/* "only 3 left" */
	{"reserved", "Reserved"},
	{"reserviert", "Reserved"},
	{"instock", "InStock"},
	{"available", "InStock"},
	{"auflager", "InStock"},
	{"lieferbar", "InStock"},
	{"verf\xC3\xBCgbar", "InStock"},	/* verfügbar */
	{"vorr\xC3\xA4tig", "InStock"}, /* vorrätig */
	{"enstock", "InStock"},
	{"disponible", "InStock"},
	{"disponibile", "InStock"},
	{"dost\xC4\x99pn", "InStock"},	/* dostępny, -e, -a */
};

/* Is the folded text the term, in any case? */
static bool
IsTerm(const char *folded, size_t n, const char *term)
{
	size_t		k;

	if (strlen(term) != n)
		return false;
	for (k = 0; k < n; k++)
		if ((unsigned char) folded[k] != Lower((unsigned char) term[k]))
			return false;
	return true;
}

/*
 * Map an availability, as a schema.org URL or CURIE, a bare term or a
 * shop's words, to a schema.org ItemAvailability term; NULL if unknown.
 * The text is compared on its letters only, ASCII ones in lower case
 * (other bytes as they are), so that case, spaces, punctuation and
 * underscores do not matter; a schema.org prefix is dropped first.  A
 * count of zero ("0 in stock", "Available: 0") makes an in-stock text out
 * of stock.
 */
const char *
AvailabilityNormalize(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *) text;
	char		folded[AVAIL_MAX_FOLDED + 1];
	size_t		n = 0;
	size_t		i = 0;
	size_t		k;
	bool		zero = false;
	const char *term = NULL;

	if (text == NULL)
		return NULL;

	/* "http(s)://schema.org/InStock", "schema:InStock" */
	for (k = 0; k < len; k++)
		if (HasAt(s, len, k, "schema.org/", true))
		{
			i = k + 11;
			break;
		}
	if (i == 0)
	{
		for (k = 0; k < len && SpaceAt(s, len, k) == 1; k++)
			;
		if (HasAt(s, len, k, "schema:", true))
			i = k + 7;
	}

	/* the first number of the text, if it is zero */
	for (k = i; k < len && !IsDigit(s[k]); k++)
		;
	if (k < len)
	{
		zero = true;
		for (; k < len && IsDigit(s[k]); k++)
			if (s[k] != '0')
				zero = false;
	}

	for (; i < len && n < AVAIL_MAX_FOLDED; i++)
	{
		if (IsLetter(s[i]))
			folded[n++] = (char) Lower(s[i]);
		else if (s[i] >= 0x80)
			folded[n++] = (char) s[i];
	}
	folded[n] = '\0';
	if (n == 0)
		return NULL;

	for (k = 0; k < sizeof(avail_terms) / sizeof(avail_terms[0]) && !term; k++)
		if (IsTerm(folded, n, avail_terms[k]))
			term = avail_terms[k];
	for (k = 0; k < sizeof(avail_phrases) / sizeof(avail_phrases[0]) && !term; k++)
		if (strstr(folded, avail_phrases[k].phrase) != NULL)
			term = avail_phrases[k].term;

	if (zero && term != NULL &&
		(strcmp(term, "InStock") == 0 || strcmp(term, "LimitedAvailability") == 0))
		term = "OutOfStock";
	return term;
}
