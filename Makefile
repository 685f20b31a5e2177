# sqlite-okta: build, test, sanitize.
#
#   make              build/okta.so
#   make test         C unit tests + SQL tests against the fake Okta org
#   make test-asan    the same under AddressSanitizer + UBSan
#   make test-valgrind  SQL scenarios in the sqlite3 shell under valgrind
#   make static       build/okta-sqlite3: SQLite's own shell with the extension built in
#   make install      okta.so, okta-sqlite3, the Python loader, reports, docs (PREFIX, DESTDIR)
#   make demo         an access review against the fake org (or your org)
#   make evidence     the HTML evidence report (EVIDENCE_ARGS=...), fake org or yours
#   make difftest   the differential test (SEED, QUERIES)
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
TOP_SRC  := src/okta.c
SRC      := $(EXT_SRC) $(VTAB_SRC) $(TOP_SRC)
HDR      := $(wildcard ext/*.h vtab/*.h)
OBJ      := $(patsubst %.c,$(BUILD)/obj/%.o,$(SRC))

# Runtime parts without SQLite, for the C unit tests.
UNIT_SRC := ext/buf.c ext/link.c ext/filter.c ext/timeutil.c ext/unicode.c
UNIT_DEP := $(UNIT_SRC) ext/http.c ext/cache.c ext/ratelimit.c ext/config.c ext/yaml.c ext/jwt.c

.PHONY: all bench difftest docs evidence fuzz install static test test-tsan test-unit test-sql test-asan test-valgrind demo clean

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
FUZZ_LIBSRC  := ext/buf.c ext/link.c ext/filter.c ext/timeutil.c ext/unicode.c ext/config.c ext/yaml.c vtab/values.c \
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
	  LDFLAGS="-fsanitize=address,undefined" build/asan/okta.so build/asan/unit build/asan/okta-sqlite3
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

# The differential test at any size: SEED and QUERIES (make test runs 300).
SEED    ?= 20261126
QUERIES ?= 2000
difftest: $(BUILD)/okta.so
	$(PYTHON) tests/difftest.py --ext $(abspath $(BUILD)/okta) --seed $(SEED) --queries $(QUERIES)

demo: $(BUILD)/okta.so
	OKTA_EXT=$(abspath $(BUILD)/okta) sh tests/demo.sh

# Not part of make test: minutes of work against 10k and 100k-user fake orgs.
bench: $(BUILD)/okta.so
	cd tests/bench && npm install --no-audit --no-fund --silent
	OKTA_EXT=$(abspath $(BUILD)/okta) $(PYTHON) tests/bench/bench.py $(BENCH_ARGS)

# okta-sqlite3 (make static): SQLite's own command-line shell with the
# extension built in, for hosts that cannot load extensions. shell.c is
# generated by tool/mkshellc.tcl from Debian's sqlite3 source package at
# exactly the system's SQLite version (libsqlite3-0), compiled with the
# options Debian compiles its sqlite3 with (debian/rules' -DSQLITE_ flags,
# Makefile.in's SHELL_OPT, readline, zlib), and calls tools/shell_init.c
# at start-up (-DSQLITE_SHELL_INIT_PROC), which makes the extension
# (compiled with -DSQLITE_CORE) an auto-extension of every connection.
# tools/debian-source.sh fetches the sources once into $(DEBSRC) (shared by
# every BUILD; make clean removes it) with a private apt configuration.
DEBSRC     ?= build/debian-src
deb_version = $(shell dpkg-query -W -f='$${Version}' $(1) 2>/dev/null | tr : _)
SQLITE_DEB := $(call deb_version,libsqlite3-0)
CJSON_DEB  := $(call deb_version,libcjson1)
SHELL_C    := $(DEBSRC)/sqlite3-shell-$(SQLITE_DEB).c
# Linked statically: every library Debian ships a .a for: SQLite, libcurl and
# all it was built with (nghttp2, librtmp, libssh2, libpsl, OpenLDAP, GnuTLS
# and its nettle/gmp/tasn1/idn2/unistring, OpenSSL, zstd, brotli, zlib),
# libyaml, readline and ncurses' tinfo. cJSON has no .a in Debian: its
# source (Debian's, at libcjson1's version) is compiled in. Dynamic: glibc;
# GSSAPI (libcurl's Kerberos; libkrb5-dev ships no .a); SASL (OpenLDAP's;
# libsasl2.a carries plugins that need Berkeley DB, MySQL and PostgreSQL
# clients); p11-kit (GnuTLS's; no .a). None of these loads OpenSSL or GnuTLS.
STATIC_A    := sqlite3 curl nghttp2 rtmp ssh2 psl ldap lber gnutls hogweed nettle gmp tasn1 idn2 unistring ssl crypto \
               zstd brotlidec brotlicommon z yaml readline tinfo
STATIC_LIBS := -Wl,-Bstatic -Wl,--start-group $(addprefix -l,$(STATIC_A)) -Wl,--end-group \
               -Wl,-Bdynamic -lgssapi_krb5 -lsasl2 -lp11-kit -lm -ldl -lpthread
STATIC_OBJ := $(patsubst %.c,$(BUILD)/static/%.o,$(SRC) tools/shell_init.c) \
              $(BUILD)/static/cjson-$(CJSON_DEB).o $(BUILD)/static/sqlite3-shell-$(SQLITE_DEB).o
$(BUILD)/static/%.o: %.c $(HDR) Makefile
	@mkdir -p $(dir $@)
	$(CC) $(XCFLAGS) -DSQLITE_CORE $(CFLAGS) -c -o $@ $<

# shell.c, and beside it the -D options Debian builds its shell with.
$(SHELL_C): tools/debian-source.sh
	@command -v tclsh >/dev/null || { echo "make static: tclsh is missing (package tcl; run sh .ci/deps)" >&2; exit 1; }
	tree=$$(sh tools/debian-source.sh sqlite3 libsqlite3-0 $(DEBSRC)) && \
	{ test "$$(cat $$tree/VERSION)" = "$(firstword $(subst -, ,$(SQLITE_DEB)))" || \
	  { echo "make static: $$tree/VERSION is not SQLite $(SQLITE_DEB)" >&2; exit 1; }; } && \
	tclsh $$tree/tool/mkshellc.tcl > $@.tmp && \
	{ awk '/^export CFLAGS \+=/ { f = 1 } f { print; if (!/\\$$/) exit }' $$tree/debian/rules | \
	    grep -oE -- '-DSQLITE_[A-Za-z0-9_]+(=[A-Za-z0-9_]+)?'; \
	  sed -n 's/^SHELL_OPT *+\{0,1\}= *//p' $$tree/Makefile.in; } | tr '\n' ' ' > $(SHELL_C:.c=.opt) && \
	grep -q SQLITE_ENABLE_SESSION $(SHELL_C:.c=.opt) && mv $@.tmp $@

$(BUILD)/static/sqlite3-shell-$(SQLITE_DEB).o: $(SHELL_C)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $$(cat $(SHELL_C:.c=.opt)) -DHAVE_READLINE=1 -DSQLITE_HAVE_ZLIB=1 \
	  -DSQLITE_SHELL_INIT_PROC=okta_shell_init -c -o $@ $<

$(BUILD)/static/cjson-$(CJSON_DEB).o: tools/debian-source.sh
	@mkdir -p $(dir $@)
	tree=$$(sh tools/debian-source.sh cjson libcjson1 $(DEBSRC)) && $(CC) $(CFLAGS) -c -o $@ $$tree/cJSON.c

$(BUILD)/okta-sqlite3: $(STATIC_OBJ)
	@for l in $(STATIC_A); do case $$($(CC) -print-file-name=lib$$l.a) in /*) ;; *) \
	  echo "make static: lib$$l.a is missing (sh .ci/deps installs the -dev packages)" >&2; exit 1;; esac; done
	$(CC) $(CFLAGS) -o $@ $(STATIC_OBJ) $(LDFLAGS) $(STATIC_LIBS)

static: $(BUILD)/okta-sqlite3

# make install [PREFIX=/usr/local] [DESTDIR=...] [PYTHONDIR=...]: the
# extension, the static shell, the Python loader, the reports and the docs.
# The loader goes to PREFIX/lib/sqlite-okta/python (beside okta.so: put that
# directory on PYTHONPATH) unless PYTHONDIR names another directory (e.g. a
# site-packages one); the installed copy records PREFIX/lib/sqlite-okta so it
# finds okta.so from there too.
PREFIX    ?= /usr/local
PYTHONDIR ?= $(PREFIX)/lib/sqlite-okta/python
install: $(BUILD)/okta.so $(BUILD)/okta-sqlite3
	install -d $(DESTDIR)$(PREFIX)/lib/sqlite-okta $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/sqlite-okta/sql \
	  $(DESTDIR)$(PREFIX)/share/doc/sqlite-okta $(DESTDIR)$(PYTHONDIR)
	install -m 755 $(BUILD)/okta.so $(DESTDIR)$(PREFIX)/lib/sqlite-okta/okta.so
	install -m 755 $(BUILD)/okta-sqlite3 $(DESTDIR)$(PREFIX)/bin/okta-sqlite3
	sed 's|^_LIBDIR = None$$|_LIBDIR = "$(PREFIX)/lib/sqlite-okta"|' python/sqlite_okta.py > $(DESTDIR)$(PYTHONDIR)/sqlite_okta.py
	grep -q '^_LIBDIR = "' $(DESTDIR)$(PYTHONDIR)/sqlite_okta.py && chmod 644 $(DESTDIR)$(PYTHONDIR)/sqlite_okta.py
	install -m 644 sql/*.sql $(DESTDIR)$(PREFIX)/share/sqlite-okta/sql/
	install -m 644 README.md docs/tables.md $(DESTDIR)$(PREFIX)/share/doc/sqlite-okta/

# The evidence report (tools/evidence.py) against the configured org, or the
# bundled fake org when none is configured (then into build/demo/).
evidence: $(BUILD)/okta.so
	OKTA_EXT=$(abspath $(BUILD)/okta) PYTHON=$(PYTHON) sh tests/demo.sh evidence $(EVIDENCE_ARGS)

docs: $(BUILD)/okta.so
	OKTA_EXT=$(abspath $(BUILD)/okta) $(PYTHON) tests/gen_docs.py

clean:
	rm -rf build
