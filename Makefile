# sqlite-okta: build, test, sanitize.
#
#   make              build/okta.so
#   make test         C unit tests + SQL tests against the fake Okta org
#   make test-asan    the same under AddressSanitizer + UBSan
#   make test-valgrind  SQL scenarios in the sqlite3 shell under valgrind
#   make demo         an access review against the fake org (or your org)
#   make bench        benchmark against the Okta Node.js SDK (tests/bench/RESULTS.md)
#   make clean

CC      ?= cc
PYTHON  ?= /usr/bin/python3
SQLITE3 ?= sqlite3
BUILD   ?= build

PKGS    := libcurl libcjson yaml-0.1 libcrypto
CFLAGS  ?= -O2 -g
# Flags the build needs whatever CFLAGS says (make CFLAGS=... keeps them).
XCFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-missing-field-initializers -fPIC \
           $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS    := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lcurl -lcjson -lyaml -lcrypto) -lm -lpthread

EXT_SRC  := $(wildcard ext/*.c)
VTAB_SRC := $(wildcard vtab/*.c)
SRC      := $(EXT_SRC) $(VTAB_SRC)
HDR      := $(wildcard ext/*.h vtab/*.h)
OBJ      := $(patsubst %.c,$(BUILD)/obj/%.o,$(SRC))

# Runtime parts without SQLite, for the C unit tests.
UNIT_SRC := ext/buf.c ext/link.c ext/filter.c ext/timeutil.c ext/unicode.c
UNIT_DEP := $(UNIT_SRC) ext/http.c ext/config.c ext/yaml.c ext/jwt.c

.PHONY: all bench docs evidence fuzz install static test test-tsan test-unit test-sql test-asan test-valgrind demo clean

all: $(BUILD)/okta.so

$(BUILD)/okta.so: $(OBJ)
	$(CC) -shared -o $@ $(OBJ) $(LDFLAGS) $(LIBS)

$(BUILD)/obj/%.o: %.c $(HDR) Makefile
	@mkdir -p $(dir $@)
	$(CC) $(XCFLAGS) -fvisibility=hidden $(CFLAGS) -c -o $@ $<

$(BUILD)/unit: tests/unit/unit.c $(UNIT_DEP) $(HDR)
	@mkdir -p $(BUILD)
	$(CC) $(XCFLAGS) $(CFLAGS) -o $@ tests/unit/unit.c $(UNIT_DEP) $(LDFLAGS) $(LIBS)

test: test-unit test-sql

# Fuzz targets: libFuzzer with clang (make fuzz), replayed over their corpus
# (seeds and kept crashers) by make test with any compiler.
FUZZ_TARGETS := link filter json config
FUZZ_LIBSRC  := ext/buf.c ext/link.c ext/filter.c ext/timeutil.c ext/config.c ext/yaml.c vtab/values.c \
                tests/fuzz/common.c
FUZZ_SECONDS ?= 60

$(BUILD)/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(FUZZ_LIBSRC) $(HDR)
	@mkdir -p $(dir $@)
	$(CC) $(XCFLAGS) $(CFLAGS) -o $@ $< tests/fuzz/replay.c $(FUZZ_LIBSRC) $(LDFLAGS) $(LIBS)

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIBSRC) $(HDR)
	@mkdir -p $(dir $@)
	clang $(XCFLAGS) -g -O1 -fsanitize=fuzzer,address,undefined -o $@ $< $(FUZZ_LIBSRC) $(LIBS)

fuzz: $(addprefix $(BUILD)/fuzz/fuzz_,$(FUZZ_TARGETS))
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(BUILD)/fuzz/work-$$t; \
	  echo "== fuzz $$t for $(FUZZ_SECONDS) s"; \
	  $(BUILD)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix=$(BUILD)/fuzz/crash-$$t- $(BUILD)/fuzz/work-$$t tests/fuzz/corpus/$$t 2>&1 | \
	    grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY)" ; \
	  if ls $(BUILD)/fuzz/crash-$$t-* >/dev/null 2>&1; then echo "fuzz $$t: crash, see $(BUILD)/fuzz/"; exit 1; fi; \
	done

test-unit: $(BUILD)/unit $(addprefix $(BUILD)/fuzz/replay_,$(FUZZ_TARGETS))
	$(BUILD)/unit
	@for t in $(FUZZ_TARGETS); do printf "fuzz corpus %s: " $$t; $(BUILD)/fuzz/replay_$$t tests/fuzz/corpus/$$t/* || exit 1; done

test-sql: $(BUILD)/okta.so $(BUILD)/okta-sqlite3
	OKTA_EXT=$(abspath $(BUILD)/okta) $(PYTHON) -m pytest -q tests
	@test ! -f build/evidence/report.png || echo "evidence report screenshot: build/evidence/report.png"

test-asan:
	$(MAKE) BUILD=build/asan CC=gcc CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	  LDFLAGS="-fsanitize=address,undefined" build/asan/okta.so build/asan/unit
	ASAN_OPTIONS=detect_leaks=1 build/asan/unit
	$(MAKE) BUILD=build/asan CC=gcc CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined" \
	  LDFLAGS="-fsanitize=address,undefined" $(addprefix build/asan/fuzz/replay_,$(FUZZ_TARGETS))
	for t in $(FUZZ_TARGETS); do ASAN_OPTIONS=detect_leaks=1 build/asan/fuzz/replay_$$t tests/fuzz/corpus/$$t/* || exit 1; done
	LD_PRELOAD="$$(gcc -print-file-name=libasan.so) $$(gcc -print-file-name=libubsan.so)" \
	  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  OKTA_EXT=$(abspath build/asan/okta) $(PYTHON) -m pytest -q -p no:cacheprovider tests

test-valgrind: $(BUILD)/okta.so
	OKTA_EXT=$(abspath $(BUILD)/okta) $(PYTHON) tests/valgrind_run.py

test-tsan:
	$(MAKE) BUILD=build/tsan CC=gcc CFLAGS="-O1 -g -fsanitize=thread" LDFLAGS="-fsanitize=thread" build/tsan/okta.so
	gcc -O1 -g -fsanitize=thread -o build/tsan/threads tests/threads.c -lsqlite3 -lpthread
	$(PYTHON) tests/tsan_run.py build/tsan/threads $(abspath build/tsan/okta)

demo: $(BUILD)/okta.so
	OKTA_EXT=$(abspath $(BUILD)/okta) sh tests/demo.sh

# Not part of make test: minutes of work against 10k and 100k-user fake orgs.
bench: $(BUILD)/okta.so
	cd tests/bench && npm install --no-audit --no-fund --silent
	OKTA_EXT=$(abspath $(BUILD)/okta) $(PYTHON) tests/bench/bench.py $(BENCH_ARGS)

# okta-sqlite3: SQLite, the extension (-DSQLITE_CORE) and a small shell in
# one static-SQLite binary, for hosts that cannot load extensions.
STATIC_OBJ := $(patsubst %.c,$(BUILD)/static/%.o,$(SRC))
$(BUILD)/static/%.o: %.c $(HDR) Makefile
	@mkdir -p $(dir $@)
	$(CC) $(XCFLAGS) -DSQLITE_CORE $(CFLAGS) -c -o $@ $<

$(BUILD)/okta-sqlite3: tools/shell.c $(STATIC_OBJ)
	$(CC) $(XCFLAGS) $(CFLAGS) -o $@ tools/shell.c $(STATIC_OBJ) $(LDFLAGS) \
	  $$(pkg-config --variable=libdir sqlite3)/libsqlite3.a $(LIBS) -ldl

static: $(BUILD)/okta-sqlite3

# make install [PREFIX=/usr/local] [DESTDIR=...]: the extension, the
# static shell, the reports and the docs.
PREFIX ?= /usr/local
install: $(BUILD)/okta.so $(BUILD)/okta-sqlite3
	install -d $(DESTDIR)$(PREFIX)/lib/sqlite-okta $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/sqlite-okta/sql \
	  $(DESTDIR)$(PREFIX)/share/doc/sqlite-okta
	install -m 755 $(BUILD)/okta.so $(DESTDIR)$(PREFIX)/lib/sqlite-okta/okta.so
	install -m 755 $(BUILD)/okta-sqlite3 $(DESTDIR)$(PREFIX)/bin/okta-sqlite3
	install -m 644 sql/*.sql $(DESTDIR)$(PREFIX)/share/sqlite-okta/sql/
	install -m 644 README.md docs/tables.md $(DESTDIR)$(PREFIX)/share/doc/sqlite-okta/

# The evidence report (tools/evidence.py) against the configured org.
evidence: $(BUILD)/okta.so
	$(PYTHON) tools/evidence.py --ext $(abspath $(BUILD)/okta) $(EVIDENCE_ARGS)

docs: $(BUILD)/okta.so
	OKTA_EXT=$(abspath $(BUILD)/okta) $(PYTHON) tests/gen_docs.py

clean:
	rm -rf build
