# scrape_jobs: PGXS build
#
# Debian: apt-get install postgresql-server-dev-15 libcurl4-openssl-dev libxml2-dev zlib1g-dev
# then `make && make install`.  The whole test suite is `test/run.sh`.

MODULE_big = scrape_jobs
OBJS = \
	src/scrape_jobs.o \
	src/guc.o \
	src/shmem.o \
	src/launcher.o \
	src/alerts.o \
	src/metrics.o \
	src/worker.o \
	src/queue.o \
	src/fetcher.o \
	src/breaker.o \
	src/robots.o \
	src/ssrf.o \
	src/charset.o \
	src/extract.o \
	src/extract_sql.o \
	src/structured.o \
	src/stages.o \
	src/sitemap.o \
	src/url.o \
	src/urlcore.o \
	src/pricecore.o \
	src/api.o \
	src/version.o \
	src/journal.o

EXTENSION = scrape_jobs
# The SQL scripts (install/README.md): the current version's install script
# and its upgrade from the previous release are built from the parts in
# install/; every released version's scripts are kept, frozen, in
# install/releases/ (so CREATE EXTENSION ... VERSION and every upgrade path
# keep working).  `make check-sql` refuses a change to SQL objects that is
# not a new version.
EXTVERSION := $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" scrape_jobs.control)
SQL_PARTS = $(wildcard install/*.sql install/updates/*.sql) install/build.sh
SQL_UPDATE_INTO = $(notdir $(wildcard install/updates/*--$(EXTVERSION).sql))
DATA_built = build/scrape_jobs--$(EXTVERSION).sql \
	$(addprefix build/scrape_jobs--,$(SQL_UPDATE_INTO))
DATA = $(filter-out $(addprefix install/releases/,$(notdir $(DATA_built))), \
	$(wildcard install/releases/*.sql))

# pg_regress suites: sql/<name>.sql against expected/<name>.out.  They run in
# a database without workers, so job states in their output are stable.
REGRESS = setup api_errors submit cancel metrics privileges reliability retention ssrf robots urlparts extract products nulls schema

CURL_CONFIG ?= curl-config
XML2_CONFIG ?= xml2-config

PG_CPPFLAGS = -I$(srcdir)/src -DSCRAPE_JOBS_VERSION='"$(EXTVERSION)"' $(shell $(CURL_CONFIG) --cflags) $(shell $(XML2_CONFIG) --cflags)
PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare
SHLIB_LINK = $(shell $(CURL_CONFIG) --libs) $(shell $(XML2_CONFIG) --libs) -lz

EXTRA_CLEAN = build results regression.diffs regression.out $(FUZZERS) $(UNIT_TESTS)

# JIT bitcode is not needed (and would require clang on the build machine)
override with_llvm = no

PG_CONFIG ?= $(shell test -x /usr/lib/postgresql/15/bin/pg_config && echo /usr/lib/postgresql/15/bin/pg_config || echo pg_config)
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

build/scrape_jobs--$(EXTVERSION).sql: $(SQL_PARTS)
	@mkdir -p build
	sh install/build.sh install $(EXTVERSION) >$@

build/scrape_jobs--%--$(EXTVERSION).sql: $(SQL_PARTS)
	@mkdir -p build
	sh install/build.sh update $* $(EXTVERSION) >$@

.PHONY: check-sql release
# Fails when an SQL object changed without a new version (install/check.sh).
check-sql:
	sh install/check.sh

# Freeze the current version: copy its built scripts into install/releases/
# and record their checksums.  Once per version, when it is done.
release: $(DATA_built)
	@for f in $(DATA_built); do \
		name=$$(basename $$f); \
		if grep -q "  $$name\$$" install/releases/SHA256SUMS 2>/dev/null; then \
			echo "$$name is already released: a release is frozen" >&2; exit 1; \
		fi; \
	done
	mkdir -p install/releases
	for f in $(DATA_built); do \
		cp $$f install/releases/; \
		(cd install/releases && sha256sum $$(basename $$f) >>SHA256SUMS); \
	done

HEADERS = $(wildcard src/*.h)
$(OBJS): $(HEADERS) scrape_jobs.control

.PHONY: cppcheck
# Static analysis of our sources; findings inside PostgreSQL's headers are
# not ours to fix.
cppcheck:
	cppcheck --quiet --error-exitcode=1 --max-configs=1 --enable=warning,performance,portability \
		-DSCRAPE_JOBS_VERSION='"$(EXTVERSION)"' \
		--inline-suppr --suppress=missingIncludeSystem --suppress=toomanyconfigs \
		--suppress='*:$(shell $(PG_CONFIG) --includedir-server)/*' \
		-I src -I $(shell $(PG_CONFIG) --includedir-server) src/*.c

# libFuzzer harnesses (clang, AddressSanitizer, UndefinedBehaviorSanitizer)
# for the code that parses untrusted input without PostgreSQL's runtime:
# the URL normaliser, the SSRF rules, the robots.txt parser, the price
# parser, and the HTML extractor (see fuzz_extract below).  Each runs FUZZ_SECONDS from its
# seed corpus under test/fuzz/corpus/ (new inputs go to a temporary
# directory); a finding is written to test/fuzz/crash-*: fix it and keep the
# input in the corpus as a regression case.
FUZZ_SECONDS ?= 30
FUZZ_CC ?= clang-14
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I src -I $(shell $(PG_CONFIG) --includedir-server) $(shell $(CURL_CONFIG) --cflags)
FUZZERS = test/fuzz/fuzz_url test/fuzz/fuzz_ssrf test/fuzz/fuzz_robots \
	test/fuzz/fuzz_price test/fuzz/fuzz_extract

test/fuzz/fuzz_url: test/fuzz/fuzz_url.c src/urlcore.c src/urlcore.h
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ test/fuzz/fuzz_url.c src/urlcore.c $(shell $(CURL_CONFIG) --libs)

test/fuzz/fuzz_robots: test/fuzz/fuzz_robots.c src/robots.c src/robots.h
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ test/fuzz/fuzz_robots.c src/robots.c

test/fuzz/fuzz_ssrf: test/fuzz/fuzz_ssrf.c test/fuzz/ssrf_stub.c src/ssrf.c src/ssrf.h
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ test/fuzz/fuzz_ssrf.c test/fuzz/ssrf_stub.c src/ssrf.c \
		$(shell $(PG_CONFIG) --pkglibdir)/libpgport.a $(shell $(CURL_CONFIG) --libs)

test/fuzz/fuzz_price: test/fuzz/fuzz_price.c src/pricecore.c src/pricecore.h
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ test/fuzz/fuzz_price.c src/pricecore.c

# The HTML extractors are backend code: compiled with the server's headers,
# linked with the frontend libpgcommon/libpgport (stringinfo, psprintf,
# jsonapi, encodings) and test/fuzz/pgstub.c for the rest (see there).
# pgstub.c frees what they palloc after each input, so LeakSanitizer stays
# on and reports real leaks (of libxml2 and libcurl objects).
FUZZ_EXTRACT_SRCS = src/extract.c src/structured.c src/urlcore.c test/fuzz/pgstub.c
test/fuzz/fuzz_extract: test/fuzz/fuzz_extract.c $(FUZZ_EXTRACT_SRCS) $(HEADERS)
	$(FUZZ_CC) $(FUZZ_FLAGS) -Wno-ignored-attributes $(shell $(XML2_CONFIG) --cflags) \
		-o $@ test/fuzz/fuzz_extract.c $(FUZZ_EXTRACT_SRCS) \
		$(shell $(PG_CONFIG) --pkglibdir)/libpgcommon.a \
		$(shell $(PG_CONFIG) --pkglibdir)/libpgport.a \
		$(shell $(CURL_CONFIG) --libs) $(shell $(XML2_CONFIG) --libs)

.PHONY: fuzz
fuzz: $(FUZZERS)
	for f in $(FUZZERS); do \
		name=$$(basename $$f | sed 's/^fuzz_//'); \
		work=$$(mktemp -d); \
		$$f -max_total_time=$(FUZZ_SECONDS) -timeout=30 -max_len=4096 -print_final_stats=1 \
			-artifact_prefix=test/fuzz/crash-$$name- $$work test/fuzz/corpus/$$name \
			|| { rm -rf $$work; exit 1; }; \
		rm -rf $$work; \
	done

# Unit tests of the pure-C parsers, built with the system compiler and no
# PostgreSQL runtime; each exits non-zero (naming the failing cases) on any
# mismatch.
UNIT_CC ?= gcc
UNIT_TESTS = test/unit/test_pricecore test/unit/test_robots test/unit/test_extract \
	test/unit/test_ssrf

test/unit/test_pricecore: test/unit/test_pricecore.c src/pricecore.c src/pricecore.h
	$(UNIT_CC) -g -O1 -Wall -Wextra -Werror -I src -o $@ test/unit/test_pricecore.c src/pricecore.c

test/unit/test_robots: test/unit/test_robots.c src/robots.c src/robots.h
	$(UNIT_CC) -g -O1 -Wall -Wextra -Werror -I src -o $@ test/unit/test_robots.c src/robots.c

# extract.c and structured.c need PostgreSQL's headers and a few of its
# functions: test/fuzz/pgstub.c and libpgcommon/libpgport give them
UNIT_PG = -I$(shell $(PG_CONFIG) --includedir-server) $(shell $(CURL_CONFIG) --cflags) $(shell xml2-config --cflags)
UNIT_PG_LIBS = test/fuzz/pgstub.c $(shell $(PG_CONFIG) --pkglibdir)/libpgcommon.a \
	$(shell $(PG_CONFIG) --pkglibdir)/libpgport.a $(shell $(CURL_CONFIG) --libs) $(shell xml2-config --libs)
test/unit/test_extract: test/unit/test_extract.c src/extract.c src/extract.h src/structured.c src/structured.h src/urlcore.c src/urlcore.h
	$(UNIT_CC) -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers \
		-Wno-sign-compare -Wno-ignored-attributes -I src $(UNIT_PG) -o $@ \
		test/unit/test_extract.c src/extract.c src/structured.c src/urlcore.c $(UNIT_PG_LIBS)

# ssrf.c needs the server's headers, libpgport and libcurl, as fuzz_ssrf
test/unit/test_ssrf: test/unit/test_ssrf.c test/fuzz/ssrf_stub.c src/ssrf.c src/ssrf.h
	$(UNIT_CC) -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare \
		-I src $(UNIT_PG) -o $@ test/unit/test_ssrf.c test/fuzz/ssrf_stub.c src/ssrf.c \
		$(shell $(PG_CONFIG) --pkglibdir)/libpgport.a $(shell $(CURL_CONFIG) --libs)

.PHONY: unit
unit: $(UNIT_TESTS)
	for t in $(UNIT_TESTS); do $$t || exit 1; done

# The integration suite with the server under valgrind memcheck (about 5
# minutes; not part of test/run.sh).  Needs root, like test/run.sh.
.PHONY: check-memory
check-memory:
	bash test/check-memory.sh
