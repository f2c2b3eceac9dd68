/*-------------------------------------------------------------------------
 * robots.h
 *	  robots.txt (RFC 9309): parsing and matching.
 *
 * Plain C with malloc, no PostgreSQL runtime: the fuzzer links it alone.
 *-------------------------------------------------------------------------
 */
#ifndef SCRAPE_ROBOTS_H
#define SCRAPE_ROBOTS_H

#include <stdbool.h>
#include <stddef.h>

/* Bytes of a robots.txt that are read (RFC 9309 asks for at least 500 KiB). */
#define ROBOTS_MAX_BYTES (500 * 1024)

/*
 * Bytes of one line that are read, the rest of the line being ignored: the
 * reference parser (google/robotstxt) keeps a line in a buffer of eight
 * times the longest URL browsers take (2083), one byte of it for the NUL.
 */
#define ROBOTS_MAX_LINE_BYTES (2083 * 8 - 1)

typedef struct Robots Robots;

typedef struct RobotsVerdict
{
	bool		allowed;
	bool		has_crawl_delay;
	double		crawl_delay;	/* seconds, from the group that applied */
	const char *rule;			/* the rule that decided (in the Robots), or NULL */
	bool		rule_is_allow;
} RobotsVerdict;

extern Robots *RobotsParse(const char *text, size_t len);
extern void RobotsFree(Robots *robots);
extern RobotsVerdict RobotsCheck(const Robots *robots, const char *user_agent,
								 const char *path);
extern int	RobotsSitemapCount(const Robots *robots);
extern const char *RobotsSitemap(const Robots *robots, int i);
extern void RobotsProductToken(const char *user_agent, char *buf, size_t buflen);

#endif							/* SCRAPE_ROBOTS_H */
