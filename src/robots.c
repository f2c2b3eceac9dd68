/*-------------------------------------------------------------------------
 * robots.c
 *	  robots.txt (RFC 9309): parsing and matching.
 *
 * The rules, as RFC 9309 states them:
 *	 - lines are "key: value", comments start with '#', keys are
 *	   case-insensitive; unknown keys are ignored;
 *	 - a group is one or more user-agent lines and the rules after them;
 *	   only a rule ends a run of user-agent lines (other records, such as
 *	   Host or Crawl-delay, do not interfere with the groups);
 *	   the crawler uses the groups whose user-agent equals its product
 *	   token (case-insensitive), all of them combined, else the "*" groups;
 *	 - among the rules of that group, the longest matching path pattern
 *	   wins; between an allow and a disallow of the same length, allow
 *	   wins; no match means allowed; "/robots.txt" is always allowed;
 *	 - '*' matches any sequence of characters and a final '$' anchors the
 *	   pattern at the end of the path;
 *	 - paths are compared with percent-encoding normalised: escapes of
 *	   unreserved characters decoded, other escapes in upper case, octets
 *	   outside US-ASCII encoded;
 *	 - at most ROBOTS_MAX_BYTES are read.
 * Crawl-delay (not in the RFC, widely used) is taken from the group that
 * applies; Sitemap lines are collected wherever they are.
 * Where real files are broken, we read them as Google's reference parser
 * (google/robotstxt) does: "Disallow /x" without its colon, misspelt keys,
 * a partial byte-order mark, lines cut at ROBOTS_MAX_LINE_BYTES, and an
 * allowed ".../index.html" allowing its directory.
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "robots.h"

typedef struct RobotsRule
{
	bool		allow;
	char	   *pattern;		/* normalised */
	size_t		length;			/* of the pattern as written, for "longest" */
} RobotsRule;

typedef struct RobotsGroup
{
	char	  **agents;
	int			nagents;
	RobotsRule *rules;
	int			nrules;
	bool		has_delay;
	double		delay;
} RobotsGroup;

struct Robots
{
	RobotsGroup *groups;
	int			ngroups;
	char	  **sitemaps;
	int			nsitemaps;
	bool		failed;			/* out of memory while parsing */
};

/* Grow *array (of *n elements of size) by one; false when out of memory. */
static bool
Append(void **array, int *n, size_t size)
{
	void	   *grown = realloc(*array, size * (*n + 1));

	if (grown == NULL)
		return false;
	*array = grown;
	memset((char *) grown + size * *n, 0, size);
	(*n)++;
	return true;
}

static bool
IsUnreserved(int c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static int
HexValue(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The normalised form of a path or pattern (malloc'd, or NULL). */
static char *
NormalizePath(const char *in, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	char	   *out = malloc(len * 3 + 1);
	size_t		o = 0;
	size_t		i;

	if (out == NULL)
		return NULL;
	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) in[i];

		if (c == '%' && i + 2 < len && HexValue(in[i + 1]) >= 0 &&
			HexValue(in[i + 2]) >= 0)
		{
			int			v = HexValue(in[i + 1]) * 16 + HexValue(in[i + 2]);

			if (IsUnreserved(v))
				out[o++] = (char) v;
			else
			{
				out[o++] = '%';
				out[o++] = hex[v >> 4];
				out[o++] = hex[v & 15];
			}
			i += 2;
		}
		else if (c >= 0x80 || c < 0x20)
		{
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
		else
			out[o++] = (char) c;
	}
	out[o] = '\0';
	return out;
}

/* [*start, *end) without the white space around it. */
static void
Trim(const char **start, const char **end)
{
	while (*start < *end && isspace((unsigned char) **start))
		(*start)++;
	while (*end > *start && isspace((unsigned char) (*end)[-1]))
		(*end)--;
}

static char *
TrimmedCopy(const char *start, const char *end)
{
	char	   *copy;

	Trim(&start, &end);
	copy = malloc(end - start + 1);
	if (copy != NULL)
	{
		memcpy(copy, start, end - start);
		copy[end - start] = '\0';
	}
	return copy;
}

/* The keys we act on; every other line is ignored. */
typedef enum RobotsKey
{
	KEY_UNKNOWN,
	KEY_AGENT,
	KEY_ALLOW,
	KEY_DISALLOW,
	KEY_SITEMAP,
	KEY_DELAY
} RobotsKey;

/*
 * The spellings of the keys, the common misspellings the reference parser
 * (google/robotstxt) accepts among them: real files are hand-edited, and
 * a "Dissalow" is meant as a disallow.
 */
static const struct
{
	const char *spelling;
	RobotsKey	key;
}			key_spellings[] = {
	{"user-agent", KEY_AGENT},
	{"useragent", KEY_AGENT},
	{"user agent", KEY_AGENT},
	{"allow", KEY_ALLOW},
	{"disallow", KEY_DISALLOW},
	{"dissallow", KEY_DISALLOW},
	{"dissalow", KEY_DISALLOW},
	{"disalow", KEY_DISALLOW},
	{"diasllow", KEY_DISALLOW},
	{"disallaw", KEY_DISALLOW},
	{"sitemap", KEY_SITEMAP},
	{"site-map", KEY_SITEMAP},
	{"crawl-delay", KEY_DELAY},
};

static bool
HasSpace(const char *s, const char *end)
{
	for (; s < end; s++)
		if (isspace((unsigned char) *s))
			return true;
	return false;
}

/*
 * The key a line's key text names.  A spelling matches as a prefix
 * ("Disallowed" is a disallow, as in the reference parser), but not across
 * white space: "Disallow /a" before a colon in "Disallow /a:b" is no key.
 */
static RobotsKey
KeyOf(const char *key, size_t len)
{
	size_t		i;

	for (i = 0; i < sizeof(key_spellings) / sizeof(key_spellings[0]); i++)
	{
		size_t		n = strlen(key_spellings[i].spelling);

		if (len >= n && strncasecmp(key, key_spellings[i].spelling, n) == 0 &&
			!HasSpace(key + n, key + len))
			return key_spellings[i].key;
	}
	return KEY_UNKNOWN;
}

/*
 * Split a line (its comment removed) into a key and its value: at the
 * colon, or, for a line without one that names no key before it, at the
 * white space between exactly two words ("Disallow /x", as the reference
 * parser reads it).  KEY_UNKNOWN for anything else.
 */
static RobotsKey
SplitLine(const char *line, const char *end, const char **value,
		  const char **value_end)
{
	const char *colon = memchr(line, ':', end - line);
	const char *key = line;
	const char *key_end;
	const char *sep;
	RobotsKey	k;

	if (colon != NULL)
	{
		key_end = colon;
		Trim(&key, &key_end);
		k = KeyOf(key, key_end - key);
		if (k != KEY_UNKNOWN)
		{
			*value = colon + 1;
			*value_end = end;
			return k;
		}
	}
	Trim(&line, &end);
	for (sep = line; sep < end && !isspace((unsigned char) *sep); sep++)
		;
	*value = sep;
	*value_end = end;
	Trim(value, value_end);
	if (sep == end || HasSpace(*value, *value_end))
		return KEY_UNKNOWN;
	return KeyOf(line, sep - line);
}

/*
 * Add a rule to g (value trimmed); false when out of memory.  An allowed
 * ".../index.htm(l)" also allows its directory itself, ".../$", as the
 * reference parser does: a site that allows its index allows the URL that
 * serves it.
 */
static bool
AddRule(RobotsGroup *g, bool allow, const char *raw, size_t len)
{
	RobotsRule *rule;
	const char *slash;

	if (!Append((void **) &g->rules, &g->nrules, sizeof(RobotsRule)))
		return false;
	rule = &g->rules[g->nrules - 1];
	rule->allow = allow;
	rule->length = len;
	rule->pattern = NormalizePath(raw, len);
	if (rule->pattern == NULL)
	{
		g->nrules--;
		return false;
	}
	for (slash = raw + len; slash > raw && slash[-1] != '/'; slash--)
		;
	slash = (slash > raw) ? slash - 1 : NULL;
	if (allow && slash != NULL &&
		(size_t) (raw + len - slash) >= strlen("/index.htm") &&
		strncmp(slash, "/index.htm", strlen("/index.htm")) == 0)
	{
		size_t		dir = slash - raw + 1;
		char	   *anchored = malloc(dir + 2);
		bool		ok;

		if (anchored == NULL)
			return false;
		memcpy(anchored, raw, dir);
		anchored[dir] = '$';
		anchored[dir + 1] = '\0';
		ok = AddRule(g, true, anchored, dir + 1);
		free(anchored);
		return ok;
	}
	return true;
}

/* Append s (malloc'd; NULL: out of memory) to *array, or free it. */
static bool
AppendString(char ***array, int *n, char *s)
{
	if (s == NULL || !Append((void **) array, n, sizeof(char *)))
	{
		free(s);
		return false;
	}
	(*array)[*n - 1] = s;
	return true;
}

/* A user-agent line: a new group unless it continues a run of them. */
static bool
AddAgent(Robots *r, const char *value, const char *value_end, bool *in_agents)
{
	RobotsGroup *g;
	char	   *agent;

	Trim(&value, &value_end);
	/* "* all robots" is the global agent, as in the reference parser */
	if (value < value_end && *value == '*' &&
		(value + 1 == value_end || isspace((unsigned char) value[1])))
		value_end = value + 1;
	agent = TrimmedCopy(value, value_end);
	if (agent == NULL)
		return false;
	if (!*in_agents &&
		!Append((void **) &r->groups, &r->ngroups, sizeof(RobotsGroup)))
	{
		free(agent);
		return false;
	}
	*in_agents = true;
	g = &r->groups[r->ngroups - 1];
	return AppendString(&g->agents, &g->nagents, agent);
}

static bool
AddSitemap(Robots *r, const char *value, const char *value_end)
{
	return AppendString(&r->sitemaps, &r->nsitemaps, TrimmedCopy(value, value_end));
}

static void
SetDelay(RobotsGroup *g, const char *value, const char *value_end)
{
	char		text[64];
	char	   *end;
	double		d;

	Trim(&value, &value_end);
	if (value_end - value >= (ptrdiff_t) sizeof(text))
		return;
	memcpy(text, value, value_end - value);
	text[value_end - value] = '\0';
	d = strtod(text, &end);
	if (end != text && *end == '\0' && d >= 0 && d < 86400 * 365)
	{
		g->has_delay = true;
		g->delay = d;
	}
}

/*
 * Handle one line (its comment removed).  Only a rule ends a run of
 * user-agent lines (RFC 9309 2.2.4: other records do not interfere with
 * the groups): in "User-agent: a / Host: x / User-agent: b / Disallow: /p"
 * both agents share the rule.  False when out of memory.
 */
static bool
ParseLine(Robots *r, const char *line, const char *end, bool *in_agents)
{
	const char *value;
	const char *value_end;
	RobotsKey	k = SplitLine(line, end, &value, &value_end);
	RobotsGroup *g = r->ngroups > 0 ? &r->groups[r->ngroups - 1] : NULL;

	switch (k)
	{
		case KEY_AGENT:
			return AddAgent(r, value, value_end, in_agents);
		case KEY_SITEMAP:
			return AddSitemap(r, value, value_end);
		case KEY_DELAY:
			if (g != NULL)
				SetDelay(g, value, value_end);
			return true;
		case KEY_ALLOW:
		case KEY_DISALLOW:
			*in_agents = false;
			Trim(&value, &value_end);
			/* before any user-agent line: ignored; "Disallow:" matches nothing */
			if (g == NULL || value == value_end)
				return true;
			return AddRule(g, k == KEY_ALLOW, value, value_end - value);
		case KEY_UNKNOWN:
			break;
	}
	return true;
}

/* Skip a UTF-8 byte-order mark, or the part of one a file starts with. */
static const char *
SkipBom(const char *p, const char *end)
{
	static const unsigned char bom[3] = {0xEF, 0xBB, 0xBF};
	int			i;

	for (i = 0; i < 3 && p < end && (unsigned char) *p == bom[i]; i++)
		p++;
	return p;
}

/*
 * Parse a robots.txt body (the first ROBOTS_MAX_BYTES of it).  NULL only
 * when memory runs out; a body with nothing usable allows everything.
 * Bytes of a line past ROBOTS_MAX_LINE_BYTES are ignored, as the reference
 * parser ignores them.
 */
Robots *
RobotsParse(const char *text, size_t len)
{
	Robots	   *r = calloc(1, sizeof(Robots));
	const char *p = text;
	const char *end;
	bool		in_agents = false;

	if (r == NULL)
		return NULL;
	if (len > ROBOTS_MAX_BYTES)
		len = ROBOTS_MAX_BYTES;
	end = text + len;
	p = SkipBom(p, end);

	while (p < end && !r->failed)
	{
		const char *eol = p;
		const char *cut;
		const char *hash;

		while (eol < end && *eol != '\n' && *eol != '\r')
			eol++;
		cut = (eol - p > ROBOTS_MAX_LINE_BYTES) ? p + ROBOTS_MAX_LINE_BYTES : eol;
		hash = memchr(p, '#', cut - p);
		if (!ParseLine(r, p, hash ? hash : cut, &in_agents))
			r->failed = true;
		p = eol;
		while (p < end && (*p == '\n' || *p == '\r'))
			p++;
	}
	if (r->failed)
	{
		RobotsFree(r);
		return NULL;
	}
	return r;
}

void
RobotsFree(Robots *r)
{
	int			i;
	int			j;

	if (r == NULL)
		return;
	for (i = 0; i < r->ngroups; i++)
	{
		for (j = 0; j < r->groups[i].nagents; j++)
			free(r->groups[i].agents[j]);
		for (j = 0; j < r->groups[i].nrules; j++)
			free(r->groups[i].rules[j].pattern);
		free(r->groups[i].agents);
		free(r->groups[i].rules);
	}
	for (i = 0; i < r->nsitemaps; i++)
		free(r->sitemaps[i]);
	free(r->groups);
	free(r->sitemaps);
	free(r);
}

/*
 * Does pattern (with '*' and a final '$') match the start of path?
 * Iterative, with one backtracking point per '*': linear in practice and
 * never exponential, whatever a hostile file puts in its patterns.
 */
static bool
PatternMatches(const char *pattern, const char *path)
{
	const char *p = pattern;
	const char *s = path;
	const char *star = NULL;
	const char *resume = NULL;

	for (;;)
	{
		if (*p == '$' && p[1] == '\0')
		{
			if (*s == '\0')
				return true;
		}
		else if (*p == '\0')
			return true;		/* a prefix match is enough */
		else if (*p == '*')
		{
			star = ++p;
			resume = s;
			continue;
		}
		else if (*s != '\0' && *p == *s)
		{
			p++;
			s++;
			continue;
		}
		/* mismatch: let the last '*' swallow one more character */
		if (star == NULL || *resume == '\0')
			return false;
		p = star;
		s = ++resume;
	}
}

/* The product token of a User-Agent: "scrape_jobs/0.1.0 (...)" -> "scrape_jobs". */
void
RobotsProductToken(const char *user_agent, char *buf, size_t buflen)
{
	size_t		n = 0;

	if (buflen == 0)
		return;
	while (user_agent != NULL && user_agent[n] != '\0' && n + 1 < buflen &&
		   (isalpha((unsigned char) user_agent[n]) || user_agent[n] == '_' ||
			user_agent[n] == '-'))
	{
		buf[n] = user_agent[n];
		n++;
	}
	buf[n] = '\0';
}

/* Does the group name the product token ("*" names itself)? */
static bool
GroupNames(const RobotsGroup *g, const char *token)
{
	int			i;

	for (i = 0; i < g->nagents; i++)
	{
		char		agent_token[128];

		if (strcmp(token, "*") == 0)
		{
			if (strcmp(g->agents[i], "*") == 0)
				return true;
			continue;
		}
		/* be lenient with "ExampleBot/2.1": compare product tokens */
		RobotsProductToken(g->agents[i], agent_token, sizeof(agent_token));
		if (agent_token[0] != '\0' && strcasecmp(agent_token, token) == 0)
			return true;
	}
	return false;
}

/* Apply the rules of the groups named token (all of them combined). */
static bool
ApplyGroups(const Robots *r, const char *token, const char *path,
			RobotsVerdict *v)
{
	size_t		best = 0;
	bool		found = false;
	int			i;
	int			j;

	for (i = 0; i < r->ngroups; i++)
	{
		const RobotsGroup *g = &r->groups[i];

		if (!GroupNames(g, token))
			continue;
		found = true;
		if (g->has_delay && !v->has_crawl_delay)
		{
			v->has_crawl_delay = true;
			v->crawl_delay = g->delay;
		}
		for (j = 0; j < g->nrules; j++)
		{
			const RobotsRule *rule = &g->rules[j];

			if (!PatternMatches(rule->pattern, path))
				continue;
			if (v->rule == NULL || rule->length > best ||
				(rule->length == best && rule->allow && !v->rule_is_allow))
			{
				best = rule->length;
				v->rule = rule->pattern;
				v->rule_is_allow = rule->allow;
				v->allowed = rule->allow;
			}
		}
	}
	return found;
}

/* May a crawler with this User-Agent fetch path (path and query)? */
RobotsVerdict
RobotsCheck(const Robots *r, const char *user_agent, const char *path)
{
	RobotsVerdict v = {true, false, 0, NULL, false};
	char		token[128];
	char	   *norm;

	if (r == NULL || path == NULL)
		return v;
	if (strcmp(path, "/robots.txt") == 0)
		return v;
	norm = NormalizePath(path, strlen(path));
	if (norm == NULL)
		return v;
	RobotsProductToken(user_agent, token, sizeof(token));
	if (token[0] == '\0' || !ApplyGroups(r, token, norm, &v))
		(void) ApplyGroups(r, "*", norm, &v);
	free(norm);
	return v;
}

int
RobotsSitemapCount(const Robots *r)
{
	return r ? r->nsitemaps : 0;
}

const char *
RobotsSitemap(const Robots *r, int i)
{
	return (r && i >= 0 && i < r->nsitemaps) ? r->sitemaps[i] : NULL;
}
