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
 * The price is the first number of the text (so "10 - 20" is 10) that is
 * not a percentage or a discount: a number followed by '%' ("40% OFF",
 * "-20 %"), by "off" ("$10 off") or after "save" ("Save $20") is skipped,
 * and a text with nothing else has no price:
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
 *	 - a fraction of exactly two digits may also follow a '.' or ',' and
 *	   one space ("$119. 95", "1.837, 32 €"), or a currency symbol that
 *	   stands for the decimal separator ("35€99" is 35.99 EUR); not when a
 *	   separator and a digit come next ("10, 12, 14" is a list: 10);
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
 * words.  "$" alone is USD; "US$", "C$", "A$", "R$", "AU $", "$U"... name
 * their dollar (or real, or peso), and a code next to a plain "$" decides
 * which one it is ("NZD $100.70", "$1,190.00 AUD"); a "$" right after other
 * letters is a dollar we cannot tell, and so no currency, as is "kr"
 * (Swedish, Norwegian, Danish or Icelandic crown).  Short abbreviations
 * that are also pieces of words ("RM", "Rs", "TL", "Fr.", "р.", "Р", "đ")
 * count only as whole tokens, touching no letter of any script, and only
 * next to a number ("FROM 5" and "TL brand, 25" name no currency).
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

static inline bool
IsContinuation(unsigned char c)
{
	return c >= 0x80 && c <= 0xBF;
}

/*
 * Does a letter start at s[i]?  ASCII ones, and in UTF-8 the Latin, Greek
 * and Cyrillic letters of U+00C0..U+052F and Latin Extended Additional
 * (U+1E00..U+1EFF, Vietnamese): the scripts of the words a short currency
 * abbreviation could be a piece of.
 */
static bool
LetterAt(const unsigned char *s, size_t len, size_t i)
{
	if (i >= len)
		return false;
	if (IsLetter(s[i]))
		return true;
	if (s[i] >= 0xC3 && s[i] <= 0xD4)
		return i + 1 < len && IsContinuation(s[i + 1]);
	return s[i] == 0xE1 && i + 2 < len && s[i + 1] >= 0xB8 &&
		s[i + 1] <= 0xBB && IsContinuation(s[i + 2]);
}

/* Does such a letter end just before s[i]? */
static bool
LetterBefore(const unsigned char *s, size_t i)
{
	if (i >= 1 && IsLetter(s[i - 1]))
		return true;
	if (i < 2 || !IsContinuation(s[i - 1]))
		return false;
	if (s[i - 2] >= 0xC3 && s[i - 2] <= 0xD4)
		return true;
	return i >= 3 && s[i - 3] == 0xE1 && s[i - 2] >= 0xB8 && s[i - 2] <= 0xBB;
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

typedef enum SignKind
{
	SIGN_SYMBOL,				/* may touch anything: "$", "€" */
	SIGN_WORD,					/* touches no ASCII letter: "US$", "zł" */
	SIGN_ABBREV					/* also a piece of words ("RM" of "FROM"):
								 * touches no letter of any script, and names
								 * a currency only next to a number */
} SignKind;

typedef struct CurrencySign
{
	const char *text;			/* as written, UTF-8 */
	const char *code;
	SignKind	kind;
	bool		nocase;			/* its ASCII letters in any case */
} CurrencySign;

/* Signs and local names; the longest match at a position wins. */
static const CurrencySign currency_signs[] = {
	{"$", "USD", SIGN_SYMBOL, false},
	{"US$", "USD", SIGN_WORD, false},
	{"C$", "CAD", SIGN_WORD, false},
	{"CA$", "CAD", SIGN_WORD, false},
	{"A$", "AUD", SIGN_WORD, false},
	{"AU$", "AUD", SIGN_WORD, false},
	{"NZ$", "NZD", SIGN_WORD, false},
	{"HK$", "HKD", SIGN_WORD, false},
	{"S$", "SGD", SIGN_WORD, false},
	{"SG$", "SGD", SIGN_WORD, false},
	{"MX$", "MXN", SIGN_WORD, false},
	{"NT$", "TWD", SIGN_WORD, false},
	{"RD$", "DOP", SIGN_WORD, false},
	{"R$", "BRL", SIGN_WORD, false},
	{"$U", "UYU", SIGN_WORD, false},
	{"\xE2\x82\xAC", "EUR", SIGN_SYMBOL, false},	/* € */
	{"euro", "EUR", SIGN_WORD, true},
	{"euros", "EUR", SIGN_WORD, true},
	{"eur", "EUR", SIGN_WORD, true},
	{"\xC2\xA3", "GBP", SIGN_SYMBOL, false},	/* £ */
	{"E\xC2\xA3", "EGP", SIGN_WORD, false},	/* E£ */
	{"\xC2\xA5", "JPY", SIGN_SYMBOL, false},	/* ¥ */
	{"\xEF\xBF\xA5", "JPY", SIGN_SYMBOL, false},	/* fullwidth ¥ */
	{"JP\xC2\xA5", "JPY", SIGN_WORD, false},
	{"\xE5\x86\x86", "JPY", SIGN_SYMBOL, false},	/* 円 */
	{"CN\xC2\xA5", "CNY", SIGN_WORD, false},
	{"\xE5\x85\x83", "CNY", SIGN_SYMBOL, false},	/* 元 */
	{"RMB", "CNY", SIGN_WORD, false},
	{"\xE2\x82\xB9", "INR", SIGN_SYMBOL, false},	/* ₹ */
	{"Rs", "INR", SIGN_ABBREV, false},
	{"Rs.", "INR", SIGN_ABBREV, false},
	{"\xE2\x82\xBD", "RUB", SIGN_SYMBOL, false},	/* ₽ */
	{"\xD1\x80\xD1\x83\xD0\xB1", "RUB", SIGN_WORD, false},	/* руб */
	{"\xD1\x80.", "RUB", SIGN_ABBREV, false},	/* р. */
	{"\xD0\xA0", "RUB", SIGN_ABBREV, false},	/* Р */
	{"\xE2\x82\xA9", "KRW", SIGN_SYMBOL, false},	/* ₩ */
	{"\xEC\x9B\x90", "KRW", SIGN_SYMBOL, false},	/* 원 */
	{"\xE2\x82\xBA", "TRY", SIGN_SYMBOL, false},	/* ₺ */
	{"TL", "TRY", SIGN_ABBREV, false},
	{"\xE2\x82\xB4", "UAH", SIGN_SYMBOL, false},	/* ₴ */
	{"\xD0\xB3\xD1\x80\xD0\xBD", "UAH", SIGN_WORD, false},	/* грн */
	{"\xE2\x82\xAA", "ILS", SIGN_SYMBOL, false},	/* ₪ */
	{"\xE2\x82\xAB", "VND", SIGN_SYMBOL, false},	/* ₫ */
	{"\xC4\x91", "VND", SIGN_ABBREV, false},	/* đ */
	{"\xC4\x91\xE1\xBB\x93ng", "VND", SIGN_WORD, false},	/* đồng */
	{"VN\xC4\x90", "VND", SIGN_WORD, false},	/* VNĐ */
	{"\xE0\xB8\xBF", "THB", SIGN_SYMBOL, false},	/* ฿ */
	{"\xE2\x82\xB1", "PHP", SIGN_SYMBOL, false},	/* ₱ */
	{"\xE2\x82\xA6", "NGN", SIGN_SYMBOL, false},	/* ₦ */
	{"\xE2\x82\xB8", "KZT", SIGN_SYMBOL, false},	/* ₸ */
	{"\xE2\x82\xBC", "AZN", SIGN_SYMBOL, false},	/* ₼ */
	{"\xE2\x82\xBE", "GEL", SIGN_SYMBOL, false},	/* ₾ */
	{"\xE2\x82\xA1", "CRC", SIGN_SYMBOL, false},	/* ₡ */
	{"\xE2\x82\xB2", "PYG", SIGN_SYMBOL, false},	/* ₲ */
	{"z\xC5\x82", "PLN", SIGN_WORD, true},	/* zł */
	{"Z\xC5\x81", "PLN", SIGN_WORD, false},	/* ZŁ */
	{"K\xC4\x8D", "CZK", SIGN_WORD, true},	/* Kč */
	{"K\xC4\x8C", "CZK", SIGN_WORD, false},	/* KČ */
	{"Ft", "HUF", SIGN_WORD, false},
	{"lei", "RON", SIGN_WORD, true},
	{"\xD0\xBB\xD0\xB2", "BGN", SIGN_WORD, false},	/* лв */
	{"Rp", "IDR", SIGN_WORD, false},
	{"RM", "MYR", SIGN_ABBREV, false},
	{"Fr.", "CHF", SIGN_ABBREV, false},
};

#define NSIGNS (sizeof(currency_signs) / sizeof(currency_signs[0]))

/* White space and punctuation (bytes) between an abbreviation and a digit */
#define PRICE_ABBREV_GAP 8

/* An ISO 4217 code at s[i], as a whole word: 3, or 0. */
static size_t
IsoCodeAt(const unsigned char *s, size_t len, size_t i, const char **code)
{
	size_t		k;

	if (i + 3 > len || !IsUpper(s[i]) || !IsUpper(s[i + 1]) ||
		!IsUpper(s[i + 2]) || !StandsAlone(s, len, i, 3))
		return 0;
	for (k = 0; k < sizeof(iso_codes) / sizeof(iso_codes[0]); k++)
		if (memcmp(iso_codes[k], s + i, 3) == 0)
		{
			*code = iso_codes[k];
			return 3;
		}
	return 0;
}

/* May a sign of that kind stand at s[i, i + n)? */
static bool
SignFits(const unsigned char *s, size_t len, size_t i, size_t n, SignKind kind)
{
	switch (kind)
	{
		case SIGN_SYMBOL:
			return true;
		case SIGN_WORD:
			return StandsAlone(s, len, i, n);
		case SIGN_ABBREV:
			return !LetterBefore(s, i) && !LetterAt(s, len, i + n);
	}
	return false;
}

/* The longest sign of the table at s[i]: its length, or 0. */
static size_t
SignAt(const unsigned char *s, size_t len, size_t i, const char **code,
	   SignKind *kind)
{
	size_t		best = 0;
	size_t		k;

	for (k = 0; k < NSIGNS; k++)
	{
		const CurrencySign *sign = &currency_signs[k];
		size_t		n = strlen(sign->text);

		if (n > best && HasAt(s, len, i, sign->text, sign->nocase) &&
			SignFits(s, len, i, n, sign->kind))
		{
			best = n;
			*code = sign->code;
			*kind = sign->kind;
		}
	}
	return best;
}

/*
 * A dollar of the table written with a space before its "$" ("AU $59.95",
 * "US $5"): its length, or 0.  Only after two letters or more: "C $5" is
 * as likely a size or a grade.
 */
static size_t
SpacedDollarAt(const unsigned char *s, size_t len, size_t i, const char **code)
{
	size_t		k;

	for (k = 0; k < NSIGNS; k++)
	{
		const char *text = currency_signs[k].text;
		size_t		n = strlen(text) - 1;	/* its letters */
		size_t		sp;

		if (n < 2 || text[n] != '$' || !IsLetter((unsigned char) text[0]) ||
			i + n > len || memcmp(s + i, text, n) != 0)
			continue;
		sp = SpaceAt(s, len, i + n);
		if (sp > 0 && HasAt(s, len, i + n + sp, "$", false) &&
			StandsAlone(s, len, i, n + sp + 1))
		{
			*code = currency_signs[k].code;
			return n + sp + 1;
		}
	}
	return 0;
}

/*
 * The currency named at s[i]: returns the length of its sign or code (0 if
 * there is none) and sets *code (to "" for a dollar we cannot tell) and
 * *kind (a code is a word).
 */
static size_t
CurrencyAt(const unsigned char *s, size_t len, size_t i, const char **code,
		   SignKind *kind)
{
	size_t		n;

	*kind = SIGN_WORD;
	if ((n = IsoCodeAt(s, len, i, code)) > 0 ||
		(n = SpacedDollarAt(s, len, i, code)) > 0)
		return n;
	n = SignAt(s, len, i, code, kind);
	/* "Z$", "Preis$": some dollar, but not one we know */
	if (n == 1 && s[i] == '$' && i > 0 && IsLetter(s[i - 1]))
		*code = "";
	return n;
}

/*
 * Is a digit near s[i, i + n), with at most PRICE_ABBREV_GAP bytes of
 * spaces and punctuation between?  An abbreviation is a currency only
 * there: "RM 59.90", "10 - 20 TL", but not "TL brand, 25".
 */
static bool
NextToDigit(const unsigned char *s, size_t len, size_t i, size_t n)
{
	size_t		k;

	for (k = i + n; k < len && k <= i + n + PRICE_ABBREV_GAP; k++)
	{
		if (IsDigit(s[k]))
			return true;
		if (LetterAt(s, len, k))
			break;
	}
	for (k = i; k > 0 && k + PRICE_ABBREV_GAP >= i; k--)
	{
		if (IsDigit(s[k - 1]))
			return true;
		if (LetterBefore(s, k))
			break;
	}
	return false;
}

/* The currency at s[i], if it may name the price's: as CurrencyAt. */
static size_t
PriceCurrencyAt(const unsigned char *s, size_t len, size_t i,
				const char **code)
{
	SignKind	kind;
	size_t		n = CurrencyAt(s, len, i, code, &kind);

	if (n > 0 && kind == SIGN_ABBREV && !NextToDigit(s, len, i, n))
		return 0;
	return n;
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

/* A currency sign or code seen around the number. */
typedef struct SignSeen
{
	const char *code;			/* NULL: none */
	size_t		start;
	size_t		end;
	bool		plain;			/* a "$" alone: any dollar or peso */
} SignSeen;

/*
 * Note a sign at s[i, i + n) before the number; prev_end is where the text
 * before it, but for white space, ends.  One right after the last (spaces
 * between only when one of them is a plain "$") restates it: "GBP£9.99",
 * "USD$5", "NZD $100.70"; but a plain "$" yields to a code that follows it
 * ("$ MXN 250", "$NZD 5").
 */
static void
NoteSignBefore(const unsigned char *s, size_t i, size_t n, size_t prev_end,
			   const char *code, SignSeen *seen)
{
	bool		plain = n == 1 && s[i] == '$' && code[0] != '\0';
	bool		next = seen->code != NULL && seen->end == prev_end;

	if (next && (code[0] == '\0' || plain ||
				 (!seen->plain && seen->end == i)))
		seen->end = i + n;
	else if (code[0] != '\0')
	{
		seen->code = code;
		seen->start = i;
		seen->end = i + n;
		seen->plain = plain;
	}
}

/*
 * Scan s[0, start) for the last currency before the number; returns
 * whether a minus sign belongs to the number.
 */
static bool
ScanBefore(const unsigned char *s, size_t len, size_t start, SignSeen *seen)
{
	int			minus = 0;		/* 1: just after '-'; 2: then a sign */
	size_t		i = 0;
	size_t		prev_end = 0;	/* of the text but for white space */

	while (i < start)
	{
		const char *code = NULL;
		size_t		n = PriceCurrencyAt(s, len, i, &code);

		if (n > 0)
		{
			NoteSignBefore(s, i, n, prev_end, code, seen);
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
			i += n;
			continue;
		}
		else
		{
			minus = 0;
			n = 1;
		}
		i += n;
		prev_end = i;
	}
	return minus > 0;
}

/*
 * The first currency in s[end, len); a plain "$" yields to a code right
 * after it ("5 $ AUD").
 */
static void
ScanAfter(const unsigned char *s, size_t len, size_t end, SignSeen *seen)
{
	size_t		i = end;

	while (i < len)
	{
		const char *code = NULL;
		size_t		n = PriceCurrencyAt(s, len, i, &code);

		if (n > 0 && code[0] != '\0')
		{
			size_t		j = i + n;

			seen->code = code;
			seen->start = i;
			while (j < len && SpaceAt(s, len, j) > 0)
				j += SpaceAt(s, len, j);
			if (n == 1 && s[i] == '$' &&
				(n = PriceCurrencyAt(s, len, j, &code)) > 0 &&
				code[0] != '\0' && !(n == 1 && s[j] == '$'))
				seen->code = code;
			return;
		}
		i += (n > 0) ? n : 1;
	}
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
	SignSeen	before = {NULL, 0, 0, false};
	SignSeen	after = {NULL, 0, 0, false};
	bool		after_next;

	*negative = ScanBefore(s, len, start, &before);
	ScanAfter(s, len, end, &after);
	after_next = after.code != NULL && OnlyPunctuation(s, end, after.start);

	if (before.code != NULL && OnlyPunctuation(s, before.end, start))
	{
		/* "$1,190.00 AUD": the code says which dollar */
		if (before.plain && after_next)
			return after.code;
		return before.code;
	}
	if (after.code != NULL)
		return after.code;
	return before.code != NULL ? before.code : "";
}

typedef enum SepKind
{
	SEP_DOT,
	SEP_COMMA,
	SEP_SPACE,
	SEP_APOSTROPHE,
	SEP_DECIMAL					/* ". " or a symbol: see SplitDecimalAt */
} SepKind;

/* A number as written: digit groups and the separators between them. */
typedef struct Number
{
	size_t		start;			/* of the number (its '.' for ".5") */
	size_t		end;
	bool		leading_point;	/* ".5" */
	bool		whole;			/* "1.299,-" */
	int			decimal;		/* group after a SEP_DECIMAL, or 0 */
	const char *sign_code;		/* the currency of that symbol, or NULL */
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
 * The separator at s[i] that goes on with another group of digits: its
 * length, or 0.  White space or an apostrophe only before a group of three
 * (else "10 20" would be 1020).
 */
static size_t
GroupSeparatorAt(const unsigned char *s, size_t len, size_t i, SepKind *kind)
{
	size_t		seplen = SeparatorAt(s, len, i, kind);

	if (seplen == 0 || i + seplen >= len || !IsDigit(s[i + seplen]))
		return 0;
	if ((*kind == SEP_SPACE || *kind == SEP_APOSTROPHE) &&
		DigitsAt(s, len, i + seplen) != 3)
		return 0;
	return seplen;
}

/* Does a list go on at s[i]: a '.' or ',', maybe a space, and a digit? */
static bool
ListGoesOn(const unsigned char *s, size_t len, size_t i)
{
	if (i >= len || (s[i] != '.' && s[i] != ','))
		return false;
	i++;
	i += SpaceAt(s, len, i);
	return i < len && IsDigit(s[i]);
}

/*
 * A decimal separator written apart from the fraction at s[i]: a '.' or ','
 * and a space ("$119. 95"), or a currency symbol ("35€99", whose currency
 * is set in *code).  Only a fraction of exactly two digits may follow, and
 * not a further separator and digit ("10, 12, 14" is a list).  Its length,
 * or 0.
 */
static size_t
SplitDecimalAt(const unsigned char *s, size_t len, size_t i, const char **code)
{
	const char *sign = NULL;
	SignKind	kind = SIGN_WORD;
	size_t		n = 0;

	if (i < len && (s[i] == '.' || s[i] == ','))
	{
		size_t		sp = SpaceAt(s, len, i + 1);

		n = sp > 0 ? 1 + sp : 0;
	}
	else if ((n = CurrencyAt(s, len, i, &sign, &kind)) > 0 &&
			 (kind != SIGN_SYMBOL || sign[0] == '\0'))
		n = 0;
	if (n == 0 || DigitsAt(s, len, i + n) != 2 ||
		ListGoesOn(s, len, i + n + 2))
		return 0;
	if (sign != NULL)
		*code = sign;
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
	/* ".5", but not the point of "Rs.5" or "руб.500" */
	num->leading_point = first > 0 && s[first - 1] == '.' &&
		!LetterBefore(s, first - 1);
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
		if (num->leading_point || num->decimal > 0)
			break;			/* a fraction ends the number */
		seplen = GroupSeparatorAt(s, len, i, &kind);
		if (seplen == 0 &&
			(seplen = SplitDecimalAt(s, len, i, &num->sign_code)) > 0)
		{
			kind = SEP_DECIMAL;
			num->decimal = num->ngroups;
		}
		if (seplen == 0)
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
	else if (num->decimal > 0)
		fraction = num->decimal;
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

/* Skip white space and currency signs or codes from s[i]. */
static size_t
SkipSigns(const unsigned char *s, size_t len, size_t i)
{
	for (;;)
	{
		const char *code = NULL;
		SignKind	kind;
		size_t		n = SpaceAt(s, len, i);

		if (n == 0)
			n = CurrencyAt(s, len, i, &code, &kind);
		if (n == 0)
			return i;
		i += n;
	}
}

/*
 * Does the last "save" in s[from, start) lead to s[start], with only white
 * space, ':' and currency signs between ("Save $20", "You save: $5")?
 */
static bool
SaveBefore(const unsigned char *s, size_t len, size_t from, size_t start)
{
	size_t		word = len;
	size_t		i;

	for (i = from; i + 4 <= start; i++)
		if (HasAt(s, len, i, "save", true) && StandsAlone(s, len, i, 4))
			word = i;
	if (word == len)
		return false;
	for (i = word + 4; i < start && s[i] == ':'; i++)
		;
	return SkipSigns(s, len, i) == start;
}

/*
 * Is the number a percentage or a discount, which is no price: "40% OFF",
 * "-20 %", "$10 off", "Save $20"?  from is where the number before it
 * ended (a "save" cannot lead across a number).
 */
static bool
IsDiscount(const unsigned char *s, size_t len, size_t from, const Number *num)
{
	size_t		i = num->end + SpaceAt(s, len, num->end);

	if (HasAt(s, len, i, "%", false) ||
		HasAt(s, len, i, "\xEF\xBC\x85", false) ||	/* fullwidth % */
		HasAt(s, len, i, "\xD9\xAA", false))	/* Arabic % */
		return true;
	i = SkipSigns(s, len, num->end);
	if (HasAt(s, len, i, "off", true) && StandsAlone(s, len, i, 3))
		return true;
	return SaveBefore(s, len, from, num->start);
}

static size_t
NextDigit(const unsigned char *s, size_t len, size_t i)
{
	while (i < len && !IsDigit(s[i]))
		i++;
	return i;
}

/*
 * Read the first number of s that is not a percentage or a discount into
 * *num; false when there is none, or it is not a number at all.
 */
static bool
ReadPrice(const unsigned char *s, size_t len, Number *num)
{
	size_t		from = 0;
	size_t		first;

	while ((first = NextDigit(s, len, from)) < len)
	{
		if (!ReadNumber(s, len, first, num))
			return false;
		if (!IsDiscount(s, len, from, num))
			return !ExponentAt(s, len, num->end);
		from = num->end;
	}
	return false;
}

/* A text without digits: a free price if it says so. */
static bool
ParseFree(const unsigned char *s, size_t len, PriceParsed *out)
{
	const char *currency;
	bool		negative;

	if (!SaysFree(s, len))
		return false;
	out->is_free = true;
	strcpy(out->amount, "0");
	currency = FindCurrency(s, len, len, len, &negative);
	memcpy(out->currency, currency, strlen(currency) + 1);
	return true;
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

	memset(out, 0, sizeof(*out));
	if (text == NULL)
		return false;
	if (NextDigit(s, len, 0) == len)
		return ParseFree(s, len, out);
	if (!ReadPrice(s, len, &num))
		return false;

	currency = FindCurrency(s, len, num.start, num.end, &negative);
	/* "35€99": the symbol between whole and fraction is the currency */
	if (num.sign_code != NULL)
		currency = num.sign_code;
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
	const char *phrase;			/* letters only, folded (see FoldLetter) */
	const char *term;
} AvailPhrase;

/*
 * Phrases a text may contain, tried in this order: a phrase that contains
 * another comes before it ("unavailable" before "available", "almost sold
 * out" before "sold out", "not in stock" before "in stock").  An in-stock
 * phrase after a negation is out of stock (see Negated), so the negated
 * forms listed here are only those written as one word or without a
 * space ("niedostępny", "nicht verfügbar" is listed and general).
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
	{"horsstock", "OutOfStock"},
	{"sinstock", "OutOfStock"},	/* before "in stock" */
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
	{"opvoorraad", "InStock"},
	{"leverbaar", "InStock"},
	{"wmagazynie", "InStock"},	/* w magazynie */
	{"\xD0\xBD\xD0\xB0\xD1\x81\xD0\xBA\xD0\xBB\xD0\xB0\xD0\xB4\xD0\xB5", "InStock"},	/* на складе */
	{"\xD0\xB2\xD0\xBD\xD0\xB0\xD0\xBB\xD0\xB8\xD1\x87\xD0\xB8\xD0\xB8", "InStock"},	/* в наличии */
};

/* Words that negate the in-stock phrase right after them (folded). */
static const char *const negations[] = {
	"not", "no", "non", "isnt", "arent", "nicht", "kein", "keine", "niet",
	"geen", "nie", "brak", "pas", "sin",
	"\xD0\xBD\xD0\xB5\xD1\x82",	/* нет */
	"\xD0\xBD\xD0\xB5"		/* не */
};

/* Words that may stand between a negation and its phrase (folded). */
static const char *const negation_adverbs[] = {
	"currently", "yet", "more", "longer", "temporarily", "mehr", "momentan",
	"derzeit", "aktuell", "zurzeit", "plus", "encore", "actuellement",
	"temporairement", "pi\xC3\xB9", "ancora", "actualmente", "meer",
	"momenteel", "ma"			/* "nie ma w magazynie" */
};

/* How a folded letter is parted from the letter before it. */
#define WORD_INSIDE 0			/* in the same word */
#define WORD_SPACED 1			/* by white space, '-' or '_' only */
#define WORD_PARTED 2			/* by other punctuation or a digit, or first */

/*
 * A text's letters, as AvailabilityNormalize compares them, and where its
 * words start.
 */
typedef struct Folded
{
	char		text[AVAIL_MAX_FOLDED + 1];
	unsigned char gap[AVAIL_MAX_FOLDED + 1];	/* WORD_* per byte of text */
	size_t		len;
} Folded;

/* Is the folded text the term, in any case? */
static bool
IsTerm(const Folded *f, const char *term)
{
	size_t		k;

	if (strlen(term) != f->len)
		return false;
	for (k = 0; k < f->len; k++)
		if ((unsigned char) f->text[k] != Lower((unsigned char) term[k]))
			return false;
	return true;
}

/*
 * The lower case of the two-byte letter c d, if it is an upper-case one of
 * Latin-1 ("É") or of the Russian alphabet ("Н", "Ё").
 */
static bool
LowerPair(unsigned char c, unsigned char d, unsigned char *lc,
		  unsigned char *ld)
{
	*lc = c;
	if (c == 0xC3 && d >= 0x80 && d <= 0x9E && d != 0x97)
		*ld = (unsigned char) (d + 0x20);
	else if (c == 0xD0 && d >= 0x90 && d <= 0x9F)
		*ld = (unsigned char) (d + 0x20);
	else if (c == 0xD0 && d >= 0xA0 && d <= 0xAF)
	{
		*lc = 0xD1;
		*ld = (unsigned char) (d - 0x20);
	}
	else if (c == 0xD0 && d == 0x81)
	{
		*lc = 0xD1;
		*ld = 0x91;
	}
	else
		return false;
	return true;
}

/*
 * Append the letter at s[i] to f, ASCII and the letters of LowerPair in
 * lower case, other bytes as they are; the bytes of s it took.
 */
static size_t
FoldLetter(const unsigned char *s, size_t len, size_t i, Folded *f)
{
	unsigned char lc;
	unsigned char ld;

	if (i + 1 < len && f->len + 2 <= AVAIL_MAX_FOLDED &&
		LowerPair(s[i], s[i + 1], &lc, &ld))
	{
		f->text[f->len++] = (char) lc;
		f->gap[f->len] = WORD_INSIDE;
		f->text[f->len++] = (char) ld;
		return 2;
	}
	f->text[f->len++] = (char) Lower(s[i]);
	return 1;
}

/*
 * Fold s[i, len): its letters (ASCII ones and every byte above 0x7F but
 * those of white space), with where each word starts.  Apostrophes are
 * dropped inside a word ("isn't" is "isnt").
 */
static void
FoldText(const unsigned char *s, size_t len, size_t i, Folded *f)
{
	unsigned char gap = WORD_PARTED;

	f->len = 0;
	while (i < len && f->len < AVAIL_MAX_FOLDED)
	{
		size_t		n = SpaceAt(s, len, i);

		if (n > 0 || s[i] == '-' || s[i] == '_')
		{
			if (gap == WORD_INSIDE)
				gap = WORD_SPACED;
			i += n > 0 ? n : 1;
		}
		else if (s[i] == '\'' || HasAt(s, len, i, "\xE2\x80\x99", false))
			i += s[i] == '\'' ? 1 : 3;
		else if (!IsLetter(s[i]) && s[i] < 0x80)
		{
			gap = WORD_PARTED;
			i++;
		}
		else
		{
			f->gap[f->len] = gap;
			gap = WORD_INSIDE;
			i += FoldLetter(s, len, i, f);
		}
	}
	f->text[f->len] = '\0';
}

/* Is f->text[from, to) one of the words? */
static bool
WordIn(const Folded *f, size_t from, size_t to, const char *const *words,
	   size_t nwords)
{
	size_t		k;

	for (k = 0; k < nwords; k++)
		if (strlen(words[k]) == to - from &&
			memcmp(f->text + from, words[k], to - from) == 0)
			return true;
	return false;
}

/* Where the word before the one starting at f->text[p] starts (p > 0). */
static size_t
WordBefore(const Folded *f, size_t p)
{
	size_t		q = p - 1;

	while (q > 0 && f->gap[q] == WORD_INSIDE)
		q--;
	return q;
}

/*
 * Is the phrase at f->text[p] negated: does it start a word, right after a
 * negation ("nicht vorrätig", "нет в наличии"), or after a negation and
 * one adverb ("nicht mehr verfügbar", "not currently in stock")?  Only
 * white space may part them: "No. 1 in stock" is in stock.
 */
static bool
Negated(const Folded *f, size_t p)
{
	size_t		w;

	if (f->gap[p] != WORD_SPACED)
		return false;
	w = WordBefore(f, p);
	if (WordIn(f, w, p, negations, sizeof(negations) / sizeof(negations[0])))
		return true;
	if (f->gap[w] != WORD_SPACED ||
		!WordIn(f, w, p, negation_adverbs,
				sizeof(negation_adverbs) / sizeof(negation_adverbs[0])))
		return false;
	return WordIn(f, WordBefore(f, w), w, negations,
				  sizeof(negations) / sizeof(negations[0]));
}

/* Is any occurrence of the phrase in the folded text negated? */
static bool
PhraseNegated(const Folded *f, const char *phrase)
{
	const char *hit;

	for (hit = strstr(f->text, phrase); hit != NULL;
		 hit = strstr(hit + 1, phrase))
		if (Negated(f, (size_t) (hit - f->text)))
			return true;
	return false;
}

/* The term of the first phrase of the table in the text, or NULL. */
static const char *
MatchPhrase(const Folded *f)
{
	size_t		k;

	for (k = 0; k < sizeof(avail_phrases) / sizeof(avail_phrases[0]); k++)
	{
		const AvailPhrase *phrase = &avail_phrases[k];

		if (strstr(f->text, phrase->phrase) == NULL)
			continue;
		if (strcmp(phrase->term, "InStock") == 0 &&
			PhraseNegated(f, phrase->phrase))
			return "OutOfStock";
		return phrase->term;
	}
	return NULL;
}

/* Where the text starts after a schema.org prefix, or 0. */
static size_t
AfterSchemaPrefix(const unsigned char *s, size_t len)
{
	size_t		k;

	/* "http(s)://schema.org/InStock", "schema:InStock" */
	for (k = 0; k < len; k++)
		if (HasAt(s, len, k, "schema.org/", true))
			return k + 11;
	for (k = 0; k < len && SpaceAt(s, len, k) == 1; k++)
		;
	if (HasAt(s, len, k, "schema:", true))
		return k + 7;
	return 0;
}

/* Is the first number of s[i, len) zero? */
static bool
FirstNumberIsZero(const unsigned char *s, size_t len, size_t i)
{
	bool		zero;

	i = NextDigit(s, len, i);
	if (i == len)
		return false;
	for (zero = true; i < len && IsDigit(s[i]); i++)
		if (s[i] != '0')
			zero = false;
	return zero;
}

/*
 * Map an availability, as a schema.org URL or CURIE, a bare term or a
 * shop's words, to a schema.org ItemAvailability term; NULL if unknown.
 * The text is compared on its letters only, in lower case (ASCII, Latin-1
 * and Russian letters; other bytes as they are), so that case, spaces,
 * punctuation and underscores do not matter; a schema.org prefix is dropped
 * first.  A negated in-stock phrase ("non disponible", "нет в наличии") and
 * a count of zero ("0 in stock", "Available: 0") make an in-stock text out
 * of stock.
 */
const char *
AvailabilityNormalize(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *) text;
	Folded		f;
	size_t		i;
	size_t		k;
	const char *term = NULL;

	if (text == NULL)
		return NULL;
	i = AfterSchemaPrefix(s, len);
	FoldText(s, len, i, &f);
	if (f.len == 0)
		return NULL;

	for (k = 0; k < sizeof(avail_terms) / sizeof(avail_terms[0]) && !term; k++)
		if (IsTerm(&f, avail_terms[k]))
			term = avail_terms[k];
	if (term == NULL)
		term = MatchPhrase(&f);

	if (term != NULL && FirstNumberIsZero(s, len, i) &&
		(strcmp(term, "InStock") == 0 || strcmp(term, "LimitedAvailability") == 0))
		term = "OutOfStock";
	return term;
}
