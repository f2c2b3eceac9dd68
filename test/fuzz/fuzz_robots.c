/*
 * libFuzzer harness for the robots.txt parser and matcher (src/robots.c).
 *
 * The input is a robots.txt; it is checked against a few fixed paths and
 * against each of its own lines used as a path (so patterns meet the paths
 * they were written for).  Properties: no crash, leak or sanitizer report;
 * "/robots.txt" is always allowed; a "Disallow: /" for "*" with no allow
 * rule disallows every other path.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "robots.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = {"/", "/a", "/a/b.php?x=1", "/%7E", "/\xE2\x82\xAC"};
	Robots	   *r = RobotsParse((const char *) data, size);
	char	   *copy;
	char	   *line;
	char	   *save = NULL;
	size_t		i;

	if (r == NULL)
		return 0;
	assert(RobotsCheck(r, "scrape_jobs/0.1.0", "/robots.txt").allowed);
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		(void) RobotsCheck(r, "scrape_jobs/0.1.0", paths[i]);

	copy = malloc(size + 1);
	if (copy != NULL)
	{
		memcpy(copy, data, size);
		copy[size] = '\0';
		for (line = strtok_r(copy, "\n", &save); line != NULL;
			 line = strtok_r(NULL, "\n", &save))
			(void) RobotsCheck(r, "FuzzBot", line);
		free(copy);
	}
	for (i = 0; i < (size_t) RobotsSitemapCount(r); i++)
		assert(RobotsSitemap(r, i) != NULL);
	RobotsFree(r);

	/* a known file behaves as the RFC says, whatever came before */
	r = RobotsParse("user-agent: *\ndisallow: /\n", 26);
	assert(r != NULL);
	assert(!RobotsCheck(r, "x", "/anything").allowed);
	assert(RobotsCheck(r, "x", "/robots.txt").allowed);
	RobotsFree(r);
	return 0;
}
