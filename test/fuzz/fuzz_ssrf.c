/*
 * libFuzzer harness for the SSRF rules (src/ssrf.c): the parser of
 * scrape_jobs.allowed_hosts / denied_hosts, the normalisation of host names
 * (through libcurl's URL parser and IDNA conversion) and the address checks.
 *
 * Input: a host list on the first line, then lines of "address host".
 * Checks that a loopback, link-local or private address is never allowed
 * while allow_private_networks is off and the lists do not mention it; that
 * a normalised name is lower case without a trailing dot; and that a host
 * name accepted as a list's entry denies that same host.
 *
 * Runs in C.UTF-8, the test clusters' locale, so that international names
 * are converted as a worker converts them.
 */
#include "postgres.h"

#include <arpa/inet.h>
#include <assert.h>
#include <locale.h>

#include "ssrf.h"

int			LLVMFuzzerInitialize(int *argc, char ***argv);
int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* (what ssrf.c needs of the server: test/fuzz/ssrf_stub.c) */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (setlocale(LC_CTYPE, "C.UTF-8") == NULL)
		abort();
	return 0;
}

/* A normalised name: lower case, no trailing dot, within its buffer. */
static void
CheckNormalized(const char *name)
{
	const char *c;
	size_t		len = strlen(name);

	assert(len < SSRF_HOST_BUFSIZE);
	assert(len == 0 || name[len - 1] != '.');
	for (c = name; *c; c++)
		assert(!(*c >= 'A' && *c <= 'Z'));
}

/*
 * A host accepted as the only entry of denied_hosts denies itself: the list
 * and the URL host are normalised alike.  Names that are addresses once
 * normalised become address rules, and are left out.
 */
static void
CheckSelfMatch(const char *host, const char *name)
{
	char		match[SSRF_HOST_BUFSIZE + 1];
	char	   *list;
	void	   *extra = NULL;
	unsigned char addr[16];

	if (strchr(host, ',') != NULL || inet_pton(AF_INET, name, addr) == 1)
		return;
	list = strdup(host);
	if (list == NULL)
		return;
	if (SsrfCheckHostList(&list, &extra, PGC_S_SESSION))
	{
		/* ".example.com" is a suffix rule: try a name under it */
		snprintf(match, sizeof(match), "%s%s", name[0] == '.' ? "a" : "", name);
		SsrfAssignDeniedHosts(list, extra);
		assert(SsrfCheckIpString("93.184.216.34", match) != NULL);
		SsrfAssignDeniedHosts(NULL, NULL);
		free(extra);
	}
	free(list);
}

/* Normalise a line's host both ways the checks see one. */
static void
CheckHost(const char *host)
{
	char		name[SSRF_HOST_BUFSIZE];

	if (SsrfNormalizeUrlHost(host, name, sizeof(name)) == NULL)
		CheckNormalized(name);
	if (SsrfNormalizeHost(host, name, sizeof(name)) == NULL)
	{
		CheckNormalized(name);
		CheckSelfMatch(host, name);
	}
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
		char		name[SSRF_HOST_BUFSIZE];

		if (host != NULL)
			*host++ = '\0';
		/* as scrape_check_address() does */
		if (host == NULL || SsrfNormalizeHost(host, name, sizeof(name)) == NULL)
			(void) SsrfCheckIpString(line, host ? name : NULL);
	}
	SsrfAssignAllowedHosts(NULL, NULL);
	SsrfAssignDeniedHosts(NULL, NULL);

	/* each line's host (or the whole line, as a URL or a host) */
	save = NULL;
	memcpy(text, data, size);
	for (line = strtok_r(text, "\n", &save); line != NULL;
		 line = strtok_r(NULL, "\n", &save))
	{
		char	   *host = strchr(line, ' ');

		CheckHost(host != NULL ? host + 1 : line);
	}

	/* with no lists, the special ranges are always refused */
	assert(SsrfCheckIpString("127.0.0.1", NULL) != NULL);
	assert(SsrfCheckIpString("169.254.169.254", NULL) != NULL);
	assert(SsrfCheckIpString("::ffff:10.0.0.1", NULL) != NULL);
	assert(SsrfCheckIpString("93.184.216.34", NULL) == NULL);

	free(extra);
	free(text);
	return 0;
}
