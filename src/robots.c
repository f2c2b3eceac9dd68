/*-------------------------------------------------------------------------
 * robots.c
 *	  robots.txt (RFC 9309): parsing and matching.
 *
 * The rules, as RFC 9309 states them:
 *	 - lines are "key: value", comments start with '#', keys are
 *	   case-insensitive; unknown keys are ignored;
 *	 - a group is one or more user-agent lines and the rules after them;
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

static char *
TrimmedCopy(const char *start, const char *end)
{
	char	   *copy;

	while (start < end && isspace((unsigned char) *start))
		start++;
	while (end > start && isspace((unsigned char) end[-1]))
		end--;
	copy = malloc(end - start + 1);
	if (copy != NULL)
	{
		memcpy(copy, start, end - start);
		copy[end - start] = '\0';
	}
	return copy;
}

/* Handle one "key: value" line; *in_agents tracks the group being opened. */
static void
ParseLine(Robots *r, const char *key, size_t keylen, const char *value,
		  const char *value_end, bool *in_agents)
{
	RobotsGroup *g;

	if (keylen == 10 && strncasecmp(key, "user-agent", 10) == 0)
	{
		char	   *agent = TrimmedCopy(value, value_end);

		if (agent == NULL)
			goto oom;
		if (!*in_agents)
		{
			/* a user-agent line after rules starts a new group */
			if (!Append((void **) &r->groups, &r->ngroups, sizeof(RobotsGroup)))
			{
				free(agent);
				goto oom;
			}
			*in_agents = true;
		}
		g = &r->groups[r->ngroups - 1];
		if (!Append((void **) &g->agents, &g->nagents, sizeof(char *)))
		{
			free(agent);
			goto oom;
		}
		g->agents[g->nagents - 1] = agent;
		return;
	}
	if (keylen == 7 && strncasecmp(key, "sitemap", 7) == 0)
	{
		char	   *url = TrimmedCopy(value, value_end);

		if (url == NULL || !Append((void **) &r->sitemaps, &r->nsitemaps, sizeof(char *)))
		{
			free(url);
			goto oom;
		}
		r->sitemaps[r->nsitemaps - 1] = url;
		return;
	}

	*in_agents = false;
	if (r->ngroups == 0)
		return;					/* rules before any user-agent line: ignored */
	g = &r->groups[r->ngroups - 1];

	if ((keylen == 5 && strncasecmp(key, "allow", 5) == 0) ||
		(keylen == 8 && strncasecmp(key, "disallow", 8) == 0))
	{
		char	   *raw = TrimmedCopy(value, value_end);
		RobotsRule *rule;

		if (raw == NULL)
			goto oom;
		if (raw[0] == '\0')
		{
			free(raw);			/* "Disallow:" with no path matches nothing */
			return;
		}
		if (!Append((void **) &g->rules, &g->nrules, sizeof(RobotsRule)))
		{
			free(raw);
			goto oom;
		}
		rule = &g->rules[g->nrules - 1];
		rule->allow = (keylen == 5);
		rule->length = strlen(raw);
		rule->pattern = NormalizePath(raw, rule->length);
		free(raw);
		if (rule->pattern == NULL)
		{
			g->nrules--;
			goto oom;
		}
		return;
	}
	if (keylen == 11 && strncasecmp(key, "crawl-delay", 11) == 0)
	{
		char	   *text = TrimmedCopy(value, value_end);
		char	   *end;
		double		d;

		if (text == NULL)
			goto oom;
		d = strtod(text, &end);
		if (end != text && *end == '\0' && d >= 0 && d < 86400 * 365)
		{
			g->has_delay = true;
			g->delay = d;
		}
		free(text);
	}
	return;

oom:
	r->failed = true;
}

/*
 * Parse a robots.txt body (the first ROBOTS_MAX_BYTES of it).  NULL only
 * when memory runs out; a body with nothing usable allows everything.
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
	/* a UTF-8 byte-order mark is not part of the first key */
	if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;

	while (p < end && !r->failed)
	{
		const char *eol = p;
		const char *hash;
		const char *colon;
		const char *key;
		const char *keyend;

		while (eol < end && *eol != '\n' && *eol != '\r')
			eol++;
		hash = memchr(p, '#', eol - p);
		colon = memchr(p, ':', (hash ? hash : eol) - p);
		if (colon != NULL)
		{
			key = p;
			keyend = colon;
			while (key < keyend && isspace((unsigned char) *key))
				key++;
			while (keyend > key && isspace((unsigned char) keyend[-1]))
				keyend--;
			ParseLine(r, key, keyend - key, colon + 1, hash ? hash : eol,
					  &in_agents);
		}
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
