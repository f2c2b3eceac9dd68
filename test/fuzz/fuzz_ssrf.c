/*
 * libFuzzer harness for the SSRF rules (src/ssrf.c): the parser of
 * scrape_jobs.allowed_hosts / denied_hosts and the address checks.
 *
 * Input: a host list on the first line, then lines of "address host".
 * Checks that a loopback, link-local or private address is never allowed
 * while allow_private_networks is off and the lists do not mention it.
 */
#include "postgres.h"

#include <assert.h>

#include "ssrf.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What ssrf.c needs from the server, stubbed for the harness. */
bool		scrape_allow_private_networks = false;
char	   *GUC_check_errdetail_string = NULL;
char	   *GUC_check_errhint_string = NULL;

void
GUC_check_errcode(int sqlerrcode)
{
}

void
pre_format_elog_string(int errnumber, const char *domain)
{
}

char *
format_elog_string(const char *fmt,...)
{
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *text = malloc(size + 1);
	char	   *line;
	char	   *save = NULL;
	void	   *extra = NULL;
	char	   *list;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	list = strtok_r(text, "\n", &save);
	if (list != NULL && SsrfCheckHostList(&list, &extra, PGC_S_SESSION))
	{
		SsrfAssignAllowedHosts(list, extra);
		SsrfAssignDeniedHosts(list, extra);
	}
	while ((line = strtok_r(NULL, "\n", &save)) != NULL)
	{
		char	   *host = strchr(line, ' ');

		if (host != NULL)
			*host++ = '\0';
		(void) SsrfCheckIpString(line, host);
	}

	/* with no lists, the special ranges are always refused */
	SsrfAssignAllowedHosts(NULL, NULL);
	SsrfAssignDeniedHosts(NULL, NULL);
	assert(SsrfCheckIpString("127.0.0.1", NULL) != NULL);
	assert(SsrfCheckIpString("169.254.169.254", NULL) != NULL);
	assert(SsrfCheckIpString("::ffff:10.0.0.1", NULL) != NULL);
	assert(SsrfCheckIpString("93.184.216.34", NULL) == NULL);

	free(extra);
	free(text);
	return 0;
}
