# mod-soa: a query module for Knot DNS 3.2 (module ABI 400).
#
#   make                build build/soa.so
#   make install        install soa.so into knotd's module directory (DESTDIR honoured)
#   make deps           install the Debian packages needed to build, run and test
#   make demo           build, run knotd on loopback with a sample zone, show the effect
#   make check          all tests: unit, functional (real knotd), docs
#   make bench          benchmarks (see bench/README.md)

PKGS        := knotd libknot libdnssec liburcu lmdb
DEB_PKGS    := build-essential pkg-config knot libknot-dev liburcu-dev liblmdb-dev \
               knot-dnsutils python3 python3-pytest python3-dnspython faketime \
               python3-cryptography dnsperf bind9 nsd
PYTHON      ?= /usr/bin/python3

CC          ?= gcc
BUILD       := build
CFLAGS      ?= -O2 -g
WARN        := -Wall -Wextra -Wshadow -Wstrict-prototypes -Werror=format-security \
               -Werror=implicit
PKG_CFLAGS   = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS     = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
MODULE_DIR   = $(shell pkg-config --variable=module_instdir knotd 2>/dev/null)
ALL_CFLAGS   = -std=gnu11 -fPIC -fvisibility=hidden -D_LGPL_SOURCE $(WARN) -Iinclude \
               $(PKG_CFLAGS) $(CFLAGS)

# Pure core: no knotd symbols, unit-tested on its own.
CORE_SRC    := module/serial.c module/ttl.c module/lint.c module/wire.c module/state.c \
               module/notify.c
GLUE_SRC    := module/soa.c module/snap.c module/query.c module/xfr.c module/metrics.c \
               module/counters.c module/service.c module/remotes.c
CORE_OBJ    := $(CORE_SRC:module/%.c=$(BUILD)/%.o)
GLUE_OBJ    := $(GLUE_SRC:module/%.c=$(BUILD)/%.o)
HEADERS     := $(wildcard include/soa/*.h)

UNIT_TESTS  := serial ttl lint wire state notify
UNIT_BIN    := $(UNIT_TESTS:%=$(BUILD)/tests/test_%)

.PHONY: all install deps demo check check-unit check-functional check-docs bench clean

all: $(BUILD)/soa.so

$(BUILD)/%.o: module/%.c $(HEADERS) | $(BUILD)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/soa.so: $(CORE_OBJ) $(GLUE_OBJ)
	$(CC) -shared -fvisibility=hidden $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)
	@# Only knotd_mod_api may be exported (knotd dlsym()s it).
	@exported=$$(nm -D --defined-only $@ | awk '$$2 ~ /[TDBR]/ {print $$3}' | sort -u); \
	if [ "$$exported" != "knotd_mod_api" ]; then \
		echo "unexpected exported symbols: $$exported"; exit 1; fi

$(BUILD):
	mkdir -p $(BUILD) $(BUILD)/tests

$(BUILD)/tests/test_%: tests/unit/test_%.c $(CORE_OBJ) tests/unit/tap.h | $(BUILD)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(CORE_OBJ) $(PKG_LIBS)

install: $(BUILD)/soa.so
	install -d $(DESTDIR)$(MODULE_DIR)
	install -m 0644 $(BUILD)/soa.so $(DESTDIR)$(MODULE_DIR)/soa.so

deps:
	@missing=""; for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || \
			missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

demo: deps all
	$(PYTHON) demo/demo.py

check: deps check-unit check-functional check-docs

check-unit: $(UNIT_BIN)
	@for t in $(UNIT_BIN); do echo "== $$t"; $$t || exit 1; done

check-functional: all
	$(PYTHON) -m pytest -q tests/functional $(PYTEST_ARGS)

check-docs:
	$(PYTHON) tests/check_docs.py

bench: deps all
	$(MAKE) -C bench

clean:
	rm -rf $(BUILD)
