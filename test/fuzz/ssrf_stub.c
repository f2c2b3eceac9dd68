/*
 * test/fuzz/ssrf_stub.c
 *
 * What src/ssrf.c needs of the server, stubbed for the programs that build
 * it alone (test/fuzz/fuzz_ssrf.c, test/unit/test_ssrf.c): its one GUC
 * variable and the GUC check hook's error reporting, whose detail lands
 * in a static buffer.
 */
#include "postgres.h"

#include <stdarg.h>
#include <stdio.h>

bool		scrape_allow_private_networks = false;
char	   *GUC_check_errdetail_string = NULL;
char	   *GUC_check_errhint_string = NULL;

static char message[1024];

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
	va_list		args;

	va_start(args, fmt);
	vsnprintf(message, sizeof(message), fmt, args);
	va_end(args);
	return message;
}
