/*
 * libFuzzer harness for the URL normaliser (src/urlcore.c).
 *
 * Besides "does not crash, leak or trip a sanitizer", it checks two
 * properties: normalisation is idempotent (a normalised URL normalises to
 * itself), and a normalised URL always has an http(s) scheme and a host.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "urlcore.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *url = malloc(size + 1);
	char	   *once = NULL;
	char	   *twice = NULL;
	char		detail[256];

	if (url == NULL)
		return 0;
	memcpy(url, data, size);
	url[size] = '\0';

	if (UrlNormalizeRaw(url, &once, detail, sizeof(detail)) == URL_OK)
	{
		char	   *host = UrlHostRaw(once);

		assert(strncmp(once, "http://", 7) == 0 || strncmp(once, "https://", 8) == 0);
		assert(host != NULL && host[0] != '\0');
		assert(UrlNormalizeRaw(once, &twice, detail, sizeof(detail)) == URL_OK);
		assert(strcmp(once, twice) == 0);
		free(host);
	}
	free(once);
	free(twice);
	free(url);
	return 0;
}
