# scrape_jobs: PGXS build
#
# Debian: apt-get install postgresql-server-dev-15 libcurl4-openssl-dev libxml2-dev
# then `make && make install`.  The whole test suite is `test/run.sh`.

MODULE_big = scrape_jobs
OBJS = \
	src/scrape_jobs.o \
	src/guc.o \
	src/shmem.o \
	src/launcher.o \
	src/worker.o \
	src/queue.o \
	src/fetcher.o \
	src/breaker.o \
	src/ssrf.o \
	src/charset.o \
	src/url.o \
	src/api.o

EXTENSION = scrape_jobs
DATA = sql/scrape_jobs--0.1.0.sql

# pg_regress suites: sql/<name>.sql against expected/<name>.out.  They run in
# a database without workers, so job states in their output are stable.
REGRESS = setup api_errors submit cancel metrics privileges reliability ssrf schema

CURL_CONFIG ?= curl-config
XML2_CONFIG ?= xml2-config

PG_CPPFLAGS = -I$(srcdir)/src $(shell $(CURL_CONFIG) --cflags) $(shell $(XML2_CONFIG) --cflags)
PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare
SHLIB_LINK = $(shell $(CURL_CONFIG) --libs) $(shell $(XML2_CONFIG) --libs)

EXTRA_CLEAN = results regression.diffs regression.out

# JIT bitcode is not needed (and would require clang on the build machine)
override with_llvm = no

PG_CONFIG ?= $(shell test -x /usr/lib/postgresql/15/bin/pg_config && echo /usr/lib/postgresql/15/bin/pg_config || echo pg_config)
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

HEADERS = $(wildcard src/*.h)
$(OBJS): $(HEADERS)

.PHONY: cppcheck
# Static analysis of our sources; findings inside PostgreSQL's headers are
# not ours to fix.
cppcheck:
	cppcheck --quiet --error-exitcode=1 --max-configs=1 --enable=warning,performance,portability \
		--inline-suppr --suppress=missingIncludeSystem --suppress=toomanyconfigs \
		--suppress='*:$(shell $(PG_CONFIG) --includedir-server)/*' \
		-I src -I $(shell $(PG_CONFIG) --includedir-server) src/*.c
