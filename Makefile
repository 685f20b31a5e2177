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

PKGS    := libcurl libcjson yaml-0.1
CFLAGS  ?= -O2 -g
# Flags the build needs whatever CFLAGS says (make CFLAGS=... keeps them).
XCFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-missing-field-initializers -fPIC \
           $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS    := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lcurl -lcjson -lyaml) -lm -lpthread

EXT_SRC  := $(wildcard ext/*.c)
VTAB_SRC := $(wildcard vtab/*.c)
SRC      := $(EXT_SRC) $(VTAB_SRC)
HDR      := $(wildcard ext/*.h vtab/*.h)
OBJ      := $(patsubst %.c,$(BUILD)/obj/%.o,$(SRC))

# Runtime parts without SQLite, for the C unit tests.
UNIT_SRC := ext/buf.c ext/link.c ext/filter.c ext/timeutil.c
UNIT_DEP := $(UNIT_SRC) ext/http.c ext/config.c ext/yaml.c

.PHONY: all bench docs test test-unit test-sql test-asan test-valgrind demo clean

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

test-unit: $(BUILD)/unit
	$(BUILD)/unit

test-sql: $(BUILD)/okta.so
	OKTA_EXT=$(abspath $(BUILD)/okta) $(PYTHON) -m pytest -q tests

test-asan:
	$(MAKE) BUILD=build/asan CC=gcc CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	  LDFLAGS="-fsanitize=address,undefined" build/asan/okta.so build/asan/unit
	ASAN_OPTIONS=detect_leaks=1 build/asan/unit
	LD_PRELOAD="$$(gcc -print-file-name=libasan.so) $$(gcc -print-file-name=libubsan.so)" \
	  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  OKTA_EXT=$(abspath build/asan/okta) $(PYTHON) -m pytest -q -p no:cacheprovider tests

test-valgrind: $(BUILD)/okta.so
	OKTA_EXT=$(abspath $(BUILD)/okta) $(PYTHON) tests/valgrind_run.py

demo: $(BUILD)/okta.so
	OKTA_EXT=$(abspath $(BUILD)/okta) sh tests/demo.sh

# Not part of make test: minutes of work against 10k and 100k-user fake orgs.
bench: $(BUILD)/okta.so
	cd tests/bench && npm install --no-audit --no-fund --silent
	OKTA_EXT=$(abspath $(BUILD)/okta) $(PYTHON) tests/bench/bench.py $(BENCH_ARGS)

docs: $(BUILD)/okta.so
	OKTA_EXT=$(abspath $(BUILD)/okta) $(PYTHON) tests/gen_docs.py

clean:
	rm -rf build
