# mod-soa: a query module for Knot DNS 3.2 to 3.5 (module ABI 400, 500, 600).
#
#   make                build build/soa.so against the system's knotd
#   make KNOT_PREFIX=P BUILD=D
#                       build D/soa.so against the knotd installed under P
#   make knot KNOT_VERSION=3.5.6
#                       build that knotd from $(KNOT_SRC) into $(KNOT_CACHE)/3.5.6
#   make install        install soa.so into knotd's module directory (DESTDIR honoured)
#   make deb            a Debian package for the system's knotd
#   make deps           install the Debian packages needed to build, run and test
#   make demo           build, run knotd on loopback with a sample zone, show the effect
#   make check          all tests: unit, functional (real knotd, every Knot series,
#                       see check-matrix), docs, and the CI-sized sanitizer and
#                       fuzzing smokes
#   make check-matrix   the functional suite against each Knot series
#   make check-asan     the whole functional suite against an ASan+UBSan build
#   make check-prometheus
#                       the alert rules (docs/prometheus) with promtool
#   make fuzz           each libFuzzer target FUZZ_SECONDS (60) seconds
#   make bench          benchmarks (see docs/performance.md)

PKGS        := knotd libknot libdnssec liburcu lmdb libsystemd
DEB_PKGS    := build-essential pkg-config knot libknot-dev liburcu-dev liblmdb-dev \
               libsystemd-dev knot-dnsutils python3 python3-pytest python3-dnspython \
               faketime python3-cryptography dnsperf bind9 nsd lmdb-utils valgrind \
               clang libclang-rt-14-dev dbus-daemon prometheus \
               autoconf automake libtool libedit-dev libgnutls28-dev \
               dpkg-dev fakeroot
PYTHON      ?= /usr/bin/python3
VERSION     := 1.1.0

# Which knotd to build against. Without KNOT_PREFIX: the system's (Debian's
# knot and libknot-dev). With it: the one installed under that prefix, found
# through its pkg-config files; the module then runs in that knotd only
# (docs/mod-soa.rst, "Knot DNS versions").
KNOT_PREFIX ?=
# Knot sources (knot-X.Y.Z.tar.xz) for make knot, and where the builds are
# kept: outside the checkout, so a clean clone (CI) reuses them.
KNOT_SRC    ?= $(abspath $(CURDIR)/../shared/knot)
KNOT_CACHE  ?= $(HOME)/.cache/mod-soa/knot
# The series the matrix tests besides the system's 3.2 (the last release of each).
KNOT_SERIES := 3.3.10 3.4.10 3.5.6

ifneq ($(KNOT_PREFIX),)
ifeq ($(wildcard $(KNOT_PREFIX)/lib/pkgconfig/knotd.pc),)
$(error KNOT_PREFIX=$(KNOT_PREFIX) has no lib/pkgconfig/knotd.pc, so it is not a Knot DNS \
installation to build against (make knot KNOT_VERSION=X.Y.Z builds one into $(KNOT_CACHE)))
endif
# (make 4.3's $(shell) does not see exported variables: set it per call.)
PKG_CONFIG  := PKG_CONFIG_PATH=$(KNOT_PREFIX)/lib/pkgconfig pkg-config
KNOT_RPATH  := -Wl,-rpath,$(KNOT_PREFIX)/lib
else
PKG_CONFIG  := pkg-config
endif

CC          ?= gcc
BUILD       ?= build
CFLAGS      ?= -O2 -g
WARN        := -Wall -Wextra -Wshadow -Wstrict-prototypes -Werror=format-security \
               -Werror=implicit
PKG_CFLAGS   = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS     = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
MODULE_DIR   = $(shell $(PKG_CONFIG) --variable=module_instdir knotd 2>/dev/null)
# The version of the knotd headers, checked against the running knotd at load.
KNOT_BUILT   = $(shell $(PKG_CONFIG) --modversion knotd 2>/dev/null)
ALL_CFLAGS   = -std=gnu11 -fPIC -fvisibility=hidden -D_LGPL_SOURCE $(WARN) -Iinclude \
               -DSOA_KNOT_BUILT='"$(KNOT_BUILT)"' $(PKG_CFLAGS) $(CFLAGS)

# Pure core: no knotd symbols, unit-tested on its own.
CORE_SRC    := module/serial.c module/ttl.c module/lint.c module/wire.c module/record.c \
               module/publish.c module/recovery.c module/env.c module/store.c module/msg.c \
               module/series.c module/nxtable.c module/secondary.c module/names.c \
               module/observe.c
GLUE_SRC    := module/soa.c module/conf.c module/zone.c module/snap.c module/state.c \
               module/query.c module/xfr.c module/metrics.c module/process.c \
               module/service.c module/detect.c module/dbus.c module/notify.c module/remotes.c \
               module/knotd_compat.c module/exposure.c module/checks.c module/replica.c
CORE_OBJ    := $(CORE_SRC:module/%.c=$(BUILD)/%.o)
GLUE_OBJ    := $(GLUE_SRC:module/%.c=$(BUILD)/%.o)
HEADERS     := $(wildcard include/soa/*.h)

UNIT_TESTS  := serial ttl lint wire record publish store msg series nxtable secondary names \
               observe
UNIT_BIN    := $(UNIT_TESTS:%=$(BUILD)/tests/test_%)

.PHONY: all install deps demo check check-unit check-functional check-docs check-layers bench clean \
        check-prometheus \
        knot check-matrix deb FORCE \
        fuzz fuzz-smoke

all: $(BUILD)/soa.so

$(BUILD)/%.o: module/%.c $(HEADERS) $(BUILD)/knot-built | $(BUILD)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Which knotd the objects in $(BUILD) were made for: another one rebuilds them.
$(BUILD)/knot-built: FORCE | $(BUILD)
	@echo "$(KNOT_BUILT) $(KNOT_PREFIX)" | cmp -s - $@ || echo "$(KNOT_BUILT) $(KNOT_PREFIX)" > $@

FORCE:

$(BUILD)/soa.so: $(CORE_OBJ) $(GLUE_OBJ)
	@if [ -z "$(KNOT_BUILT)" ]; then echo "no knotd.pc found by pkg-config: install \
	libknot-dev (make deps) or set KNOT_PREFIX"; exit 1; fi
	$(CC) -shared -fvisibility=hidden $(CFLAGS) $(LDFLAGS) $(KNOT_RPATH) -o $@ $^ $(PKG_LIBS)
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

# knot-module-soa_$(VERSION)-1_ARCH.deb into DEB_DIR (default: here), for the
# system's knotd (Debian's knot package), like Debian's knot-module-dnstap.
deb: all
	@if [ -n "$(KNOT_PREFIX)" ]; then echo "make deb packages the module for the \
	system's knot package: run it without KNOT_PREFIX"; exit 1; fi
	sh pkg/deb/build-deb.sh $(BUILD)/soa.so $(VERSION) $(MODULE_DIR) $(or $(DEB_DIR),$(CURDIR))

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

check: deps check-unit check-layers check-matrix check-docs check-prometheus check-asan-smoke fuzz-smoke

check-unit: $(UNIT_BIN)
	@for t in $(UNIT_BIN); do echo "== $$t"; $$t || exit 1; done

check-functional: all
	$(PYTHON) -m pytest -q tests/functional $(PYTEST_ARGS)

check-docs:
	$(PYTHON) tests/check_docs.py

# No call cycle between files, no knotd call in the pure core (architecture.md).
check-layers: all
	$(PYTHON) tests/check_layers.py

# Alert rules for knot_exporter's metrics: valid, and right on the series of
# tests/prometheus (promtool from Debian's prometheus package).
PROMTOOL    ?= promtool
check-prometheus:
	$(PROMTOOL) check rules docs/prometheus/mod-soa.rules.yml
	$(PROMTOOL) test rules tests/prometheus/mod-soa.rules.test.yml

# --- Knot DNS series (docs/mod-soa.rst, "Knot DNS versions") -----------------
# make knot KNOT_VERSION=X.Y.Z     build that knotd into $(KNOT_CACHE)/X.Y.Z once
# make check-matrix                the functional suite on the system's knotd and
#                                  on each of $(KNOT_SERIES), each with a module
#                                  built against it (build-X.Y.Z/)
# make check-series-X.Y.Z          one of them

knot:
	@if [ -z "$(KNOT_VERSION)" ]; then echo "usage: make knot KNOT_VERSION=X.Y.Z"; exit 1; fi
	sh tests/matrix/build-knot.sh $(KNOT_VERSION) $(KNOT_SRC) $(KNOT_CACHE)/$(KNOT_VERSION)

check-matrix: check-functional $(KNOT_SERIES:%=check-series-%)

# Series that share a module ABI: each one's tests load the other's build
# too, which knotd must refuse (tests/functional/test_compat.py).
SAME_ABI_3.4.10 := 3.5.6
SAME_ABI_3.5.6  := 3.4.10

series-build-%:
	$(MAKE) --no-print-directory knot KNOT_VERSION=$*
	$(MAKE) --no-print-directory KNOT_PREFIX=$(KNOT_CACHE)/$* BUILD=build-$* all

check-series-%: series-build-%
	$(if $(SAME_ABI_$*),$(MAKE) --no-print-directory series-build-$(SAME_ABI_$*))
	SOA_KNOT_PREFIX=$(KNOT_CACHE)/$* SOA_MODULE=$(CURDIR)/build-$*/soa.so \
		$(if $(SAME_ABI_$*),SOA_MODULE_SAME_ABI=$(CURDIR)/build-$(SAME_ABI_$*)/soa.so) \
		$(PYTHON) -m pytest -q tests/functional $(PYTEST_ARGS)

# Benchmarks against the system's knotd; BENCH_ARGS go to bench/bench.py.
bench: deps all
	$(MAKE) -C bench

clean:
	rm -rf $(BUILD) $(KNOT_SERIES:%=build-%)

# --- Fuzzing (docs/reliability.md, "Fuzzing") ---------------------------------
fuzz: deps
	$(MAKE) -C tests/fuzz run FUZZ_SECONDS=$(or $(FUZZ_SECONDS),60)

fuzz-smoke: deps
	$(MAKE) -C tests/fuzz smoke

# --- Sanitizers -------------------------------------------------------------
# make check-asan        unit tests and the whole functional suite with the
#                        module built with ASan+UBSan (build-asan/), loaded
#                        into Debian's knotd with the sanitizer runtimes preloaded
# make check-asan-smoke  the same on a subset of the functional suite (CI-sized)
# Any sanitizer report fails the run; README.md, "Sanitizers", explains how.

ASAN_BUILD     := build-asan
SAN_FLAGS      := -fsanitize=address,undefined -fno-omit-frame-pointer \
                  -fno-sanitize-recover=undefined -g -O1
ASAN_CFLAGS     = $(ALL_CFLAGS) $(SAN_FLAGS)
ASAN_CORE_OBJ  := $(CORE_SRC:module/%.c=$(ASAN_BUILD)/%.o)
ASAN_GLUE_OBJ  := $(GLUE_SRC:module/%.c=$(ASAN_BUILD)/%.o)
ASAN_UNIT_BIN  := $(UNIT_TESTS:%=$(ASAN_BUILD)/tests/test_%)
ASAN_MODULE    := $(ASAN_BUILD)/soa.so
ASAN_KEEP      := $(ASAN_BUILD)/keep_loaded.so
ASAN_REPORTS   := $(CURDIR)/$(ASAN_BUILD)/reports
ASAN_SMOKE     ?= tests/functional/test_negative.py tests/functional/test_xfr.py \
                  tests/functional/test_config.py
# knotd is not instrumented: the ASan runtime must come first in its link order.
ASAN_RT         = $(shell $(CC) -print-file-name=libasan.so)
UBSAN_RT        = $(shell $(CC) -print-file-name=libubsan.so)
# Reports go to stderr (UBSan ignores log_path next to ASan): knotd's lands in
# its knotd.stderr, knotc's is kept by tests/sanitizers/knotc. README.md has
# the reasons for each option.
SAN_OPTIONS     = ASAN_OPTIONS=halt_on_error=1:abort_on_error=0:disable_coredump=1:$\
                  print_stacktrace=1:detect_leaks=1:detect_stack_use_after_return=1:$\
                  verify_asan_link_order=0:allocator_release_to_os_interval_ms=-1 \
                  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/sanitizers/lsan.supp \
                  UBSAN_OPTIONS=halt_on_error=1:abort_on_error=0:disable_coredump=1:$\
                  print_stacktrace=1
SAN_PYTEST      = $(SAN_OPTIONS) SOA_MODULE=$(CURDIR)/$(ASAN_MODULE) \
                  SOA_KNOTD_ENV='{"LD_PRELOAD": "$(ASAN_RT) $(UBSAN_RT) $(CURDIR)/$(ASAN_KEEP)"}' \
                  KNOTC=$(CURDIR)/tests/sanitizers/knotc SOA_SANITIZER_REPORTS=$(ASAN_REPORTS) \
                  $(PYTHON) -m pytest -q
# Reports no test claimed (none expected: conftest.py fails the test) fail too.
SAN_LEFTOVERS   = if [ -n "$$(ls -A $(ASAN_REPORTS))" ]; then \
                  head -n 200 $(ASAN_REPORTS)/*; exit 1; fi

.PHONY: asan check-asan check-asan-unit check-asan-functional check-asan-smoke clean-asan

asan: $(ASAN_MODULE)

$(ASAN_BUILD)/%.o: module/%.c $(HEADERS) | $(ASAN_BUILD)
	$(CC) $(ASAN_CFLAGS) -c -o $@ $<

$(ASAN_MODULE): $(ASAN_CORE_OBJ) $(ASAN_GLUE_OBJ)
	$(CC) -shared -fvisibility=hidden $(CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# Not instrumented, preloaded into knotd: keeps soa.so mapped for LSan at exit.
$(ASAN_KEEP): tests/sanitizers/keep_loaded.c | $(ASAN_BUILD)
	$(CC) -shared -fPIC $(CFLAGS) $(LDFLAGS) -o $@ $<

$(ASAN_BUILD):
	mkdir -p $(ASAN_BUILD) $(ASAN_BUILD)/tests

$(ASAN_BUILD)/tests/test_%: tests/unit/test_%.c $(ASAN_CORE_OBJ) tests/unit/tap.h | $(ASAN_BUILD)
	$(CC) $(ASAN_CFLAGS) -Itests/unit -o $@ $< $(ASAN_CORE_OBJ) $(PKG_LIBS)

check-asan: deps check-asan-unit check-asan-functional

# Fully instrumented programs: a report makes them exit non-zero.
check-asan-unit: $(ASAN_UNIT_BIN)
	@for t in $(ASAN_UNIT_BIN); do echo "== $$t"; $(SAN_OPTIONS) $$t || exit 1; done

check-asan-functional: $(ASAN_MODULE) $(ASAN_KEEP)
	@rm -rf $(ASAN_REPORTS) && mkdir -p $(ASAN_REPORTS)
	$(SAN_PYTEST) tests/functional $(PYTEST_ARGS)
	@$(SAN_LEFTOVERS)

check-asan-smoke: deps $(ASAN_UNIT_BIN) $(ASAN_MODULE) $(ASAN_KEEP)
	@for t in $(ASAN_UNIT_BIN); do out=$$($(SAN_OPTIONS) $$t) || { echo "$$out"; exit 1; }; done
	@rm -rf $(ASAN_REPORTS) && mkdir -p $(ASAN_REPORTS)
	$(SAN_PYTEST) $(ASAN_SMOKE) $(PYTEST_ARGS)
	@$(SAN_LEFTOVERS)

clean-asan:
	rm -rf $(ASAN_BUILD)
