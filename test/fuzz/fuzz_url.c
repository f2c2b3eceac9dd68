/*
 * libFuzzer harness for the URL normaliser (src/urlcore.c).
 *
 * Besides "does not crash, leak or trip a sanitizer", it checks two
 * properties: normalisation is idempotent (a normalised URL normalises to
 * itself), and a normalised URL always has an http(s) scheme and a host.
 * An input with a NUL byte is also a base URL and a reference found in a
 * page (UrlResolveRaw), whose resolution must have the same properties.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "urlcore.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A URL we keep: http(s), with a host, normalised to itself. */
static void
CheckNormal(const char *url)
{
	char	   *host = UrlHostRaw(url);
	char	   *again = NULL;
	char		detail[256];

	assert(strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0);
	assert(host != NULL && host[0] != '\0');
	assert(UrlNormalizeRaw(url, &again, detail, sizeof(detail)) == URL_OK);
	assert(strcmp(url, again) == 0);
	free(host);
	free(again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *url = malloc(size + 1);
	char	   *once = NULL;
	char		detail[256];

	if (url == NULL)
		return 0;
	memcpy(url, data, size);
	url[size] = '\0';

	if (memchr(data, '\0', size) != NULL)
	{
		const char *ref = url + strlen(url) + 1;

		if (UrlResolveRaw(url, ref, &once, detail, sizeof(detail)) == URL_OK)
			CheckNormal(once);
		free(once);
		free(url);
		return 0;
	}
	if (UrlNormalizeRaw(url, &once, detail, sizeof(detail)) == URL_OK)
		CheckNormal(once);
	free(once);
	free(url);
	return 0;
}
